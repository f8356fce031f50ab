"""The command line: options in, one library call, one renderer, an exit code out.

Each command declares its own arguments and takes the shared option groups it uses
(`options.py`) through `@command`; rows and documents go out through `output.py`; errors from
the library become one line on stderr in `_run`, nowhere else (Click's own usage errors in
`typer_glue.invoke`).
"""

import gc
import sys
from typing import Annotated

import typer

from ct_report.errors import UsageError
from ct_report.fields import CITATION_FIELDS, FIELD_FIELDS
from ct_report.kinds import BY_COMMAND, FIELDS
from ct_report.load import FEW_COLLECTIONS, load_base
from ct_report.model import FactBase
from ct_report.options import (
    DATA_OPTIONS,
    DOCUMENTS,
    EMPTY_OPTIONS,
    FILTER_OPTIONS,
    FORMAT_OPTIONS,
    LANG_OPTIONS,
    LIST_OPTIONS,
    ROWS,
    ChartForceOption,
    CommandArgument,
    Common,
    CompareItems,
    CountriesArgument,
    DestinationArgument,
    FactIdArgument,
    FigureArgument,
    ForceOption,
    KindOption,
    OutputOption,
    PathsArgument,
    PivotOption,
    RegionOption,
    RelationOption,
    SearchText,
    StyleOption,
)
from ct_report.output import (
    emit_chart,
    emit_country_comparison,
    emit_coverage,
    emit_document,
    emit_pivot,
    emit_rows,
    emit_validation,
    emit_year_comparison,
    run_command,
    show_version,
)
from ct_report.render import Terminal
from ct_report.text import printable
from ct_report.typer_glue import command_registrar, exit_process, invoke, only_invoked_command

app = typer.Typer(
    name="ctreport",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


command = command_registrar(app, run_command)


def _base(common: Common) -> FactBase:
    base = load_base(
        common.selection(), warn=lambda message: typer.echo(f"ctreport: warning: {printable(message)}", err=True)
    )
    if common.resources is not None:
        common.resources.callback(base.release)
    return base


def _list_command(common: Common, command: str, bars: str | None = None, sparks: str | None = None) -> None:
    """A list command drawn from one fact kind, filtered by the shared options."""
    from ct_report.query import list_rows

    base = _base(common)
    rows = list_rows(base, command, common.filters())
    title = BY_COMMAND[command].command_title
    emit_rows(command, common, rows, title, sources_of=base, bars=bars, sparks=sparks)


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=show_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Facts from the US State Department's Country Reports on Terrorism, each with its source.

    \b
    Examples:
      ctreport summary -c MA -y 2021       what the 2021 report says of Morocco
      ctreport arrests -c maghreb          arrests across the Maghreb, year by year
      ctreport partners -c MA -r europe    Morocco's European partners
      ctreport compare 2020 2021 -c MA     what changed from one year to the next
      ctreport search GCTF                 every fact that mentions the GCTF
      ctreport show ma-2021-arrests        a fact with its source passage

    Every list command takes --country and --year (several values: MA,DZ), --format
    (table, plain, csv, json, ndjson, markdown, yaml) and --fields; `ctreport fields
    COMMAND` lists the fields. Arabic: --lang ar.

    \b
    Exit codes:
      0    success
      1    invalid or missing fact base, or output that cannot be written
      2    usage error: unknown or contradictory options, unknown region, country,
           year, field or format
      3    nothing matched, with --fail-empty
      70   internal error: a bug in ctreport (--debug shows the traceback)
      130  interrupted (Ctrl-C)
    """


@command("arrests", ROWS)
def arrests(common: Common, pivot: PivotOption = False) -> None:
    """Arrests by country and year: people arrested, operations, cells and plot targets.

    Example: ctreport arrests --country MA

    Example: ctreport arrests -c MA,DZ -y 2020,2021 --json

    Example: ctreport arrests -c northern-africa --sort -arrested_value
    """
    if pivot:
        emit_pivot("arrests", common, _base(common), "People arrested for terrorism")
        return
    _list_command(common, "arrests", bars="arrested")


@command("incidents", ROWS)
def incidents(common: Common, pivot: PivotOption = False) -> None:
    """Terrorist incidents by country and year: the count and, where the source gives them, each incident.

    Example: ctreport incidents --country TN

    Example: ctreport incidents --since 2019 --until 2021 --format csv
    """
    if pivot:
        emit_pivot("incidents", common, _base(common), "Terrorist incidents")
        return
    _list_command(common, "incidents", sparks="incidents")


@command("coverage", ROWS)
def coverage(common: Common) -> None:
    """Which countries and years the fact base covers, and from which kinds of source.

    On a terminal, a country × year grid; --fields, --sort or another format give one row per
    country-year.

    Example: ctreport coverage

    Example: ctreport coverage --country MA --json
    """
    emit_coverage(common, _base(common))


@command("compare", DATA_OPTIONS + FILTER_OPTIONS[:2] + FORMAT_OPTIONS + LANG_OPTIONS + EMPTY_OPTIONS)
def compare(common: Common, items: CompareItems) -> None:
    """What changed between two years, or countries side by side in one year: arrests,
    operations, incidents, partners, memberships and groups.

    Differences keep the sources' qualifiers: "at least 35" → "at least 55" is reported as
    +20 between lower bounds, not as exactly 20 more. A partner or membership recorded for one
    year (or country) only is reported as such; absence from the fact base is not absence from
    the report.

    The earlier year comes first whatever the order given (a note says so when swapped).

    Example: ctreport compare 2020 2021 --country MA

    Example: ctreport compare --year 2021 MA DZ

    Example: ctreport compare 2020 2021 --format csv
    """
    if common.year is not None:
        emit_country_comparison(common, _base(common), items)
    else:
        emit_year_comparison(common, _base(common), items)


@command(
    "timeline", DATA_OPTIONS + [FILTER_OPTIONS[0], *FILTER_OPTIONS[2:]] + FORMAT_OPTIONS + LANG_OPTIONS + EMPTY_OPTIONS
)
def timeline(common: Common) -> None:
    """Year by year, what the reports add and drop: figures, partners, memberships and groups.

    Built on `compare`: each step is the comparison of two consecutive years with facts, with
    the same honesty about qualifiers and about kinds of fact a year does not record.

    Example: ctreport timeline --country MA --since 2019

    Example: ctreport timeline --country DZ --format csv
    """
    from ct_report.analysis import timeline as build_timeline
    from ct_report.views import COMPARE_ROW_FIELDS, timeline_lines, timeline_rows

    timelines = build_timeline(_base(common), common.filters())
    lines = timeline_lines(timelines, common.lang)
    rows = timeline_rows(timelines)
    emit_document(common, [dict(t) for t in timelines], lines, rows, COMPARE_ROW_FIELDS, single=False)


@command(
    "chart",
    [DATA_OPTIONS[i] for i in (0, 1, 2, 4)] + [FILTER_OPTIONS[0], *FILTER_OPTIONS[2:]] + LANG_OPTIONS + EMPTY_OPTIONS,
)
def chart(
    common: Common,
    figure: FigureArgument,
    output: OutputOption,
    countries: CountriesArgument = None,
    force: ChartForceOption = False,
) -> None:
    """A chart of a figure for an article (SVG or PNG): a line per country, lower bounds as open markers.

    Years without a number are gaps, never zeros; the sources and what could not be drawn
    (a figure given only in words, sources that disagree) are in a footnote. Needs the charts
    extra: pip install 'ctreport[charts]'. Countries may also be given as --country MA,DZ,TN.

    Example: ctreport chart arrests MA DZ TN --output arrests.svg

    Example: ctreport chart incidents --country TN --output incidents.png --lang ar
    """
    emit_chart(common, lambda: _base(common), figure, countries or [], output, force)


@command("partners", ROWS)
def partners(
    common: Common, region: RegionOption = None, kind: KindOption = None, relation: RelationOption = None
) -> None:
    """Cooperation partners: countries, organisations, forums and exercises, with the relation.

    Example: ctreport partners --country MA --year 2021

    Example: ctreport partners --region europe --relation strong-cooperation

    Example: ctreport partners --kind forum --fields year,partner_name,relation
    """
    from ct_report.query import partner_rows

    base = _base(common)
    rows = partner_rows(base, common.filters(), region=region, kind=kind, relation=relation)
    emit_rows("partners", common, rows, BY_COMMAND["partners"].command_title, sources_of=base)


@command("financing", ROWS)
def financing(common: Common) -> None:
    """Bodies against terrorist financing and who holds the membership (the state or its FIU).

    Example: ctreport financing --country MA

    Example: ctreport financing --json | jq -r '.[].acronym'
    """
    _list_command(common, "financing")


@command("groups", ROWS)
def groups(common: Common) -> None:
    """Terrorist groups the report names for each country and year, with what it says of them.

    Example: ctreport groups --country DZ --year 2019

    Example: ctreport groups --country maghreb --fields country,year,acronym
    """
    _list_command(common, "groups")


@command("summary", DOCUMENTS)
def summary(common: Common) -> None:
    """Overview of each country-year: strategy, threat, incidents, arrests, partners, financing, CVE.

    Example: ctreport summary --country Morocco --year 2021

    Example: ctreport summary -c MA -y 2021 --lang ar

    Example: ctreport summary -c MA --json
    """
    from ct_report.query import summaries
    from ct_report.views import SUMMARY_ROW_FIELDS, summary_lines, summary_rows

    overviews = summaries(_base(common), common.filters())
    lines = summary_lines(overviews, common.lang)
    emit_document(common, overviews, lines, summary_rows(overviews, common.lang), SUMMARY_ROW_FIELDS, single=True)


@command("show", DATA_OPTIONS + FORMAT_OPTIONS + LANG_OPTIONS)
def show(common: Common, fact_id: FactIdArgument) -> None:
    """A fact in full: statement, the verbatim source passage in its context, and the source.

    Example: ctreport show ma-2021-arrests

    Example: ctreport show ma-2021-arrests --lang ar
    """
    from ct_report.provenance import show as show_fact
    from ct_report.views import SHOW_ROW_FIELDS, show_lines, show_rows

    record = show_fact(_base(common), fact_id)
    emit_document(common, [record], show_lines(record, common.lang), show_rows(record), SHOW_ROW_FIELDS, single=True)


@command("sources", DATA_OPTIONS + FORMAT_OPTIONS + EMPTY_OPTIONS + LIST_OPTIONS)
def sources(common: Common) -> None:
    """The source documents: kind, language, date, address and how many facts each supports.

    Example: ctreport sources

    Example: ctreport sources --fields id,kind,url --wide
    """
    from ct_report.provenance import source_rows

    emit_rows("sources", common, source_rows(_base(common)), "Source documents")


@command("search", DATA_OPTIONS + FORMAT_OPTIONS + LANG_OPTIONS + EMPTY_OPTIONS + LIST_OPTIONS)
def search(common: Common, text: SearchText) -> None:
    """Full-text search over statements, names, acronyms, aliases, quotes and incidents, best match first.

    Case, accents and Arabic spelling variants are folded: 'oulemas' finds 'Oulémas', 'الارهاب'
    finds 'الإرهاب'.

    Example: ctreport search GCTF

    Example: ctreport search 'Barcelona attacks' --json
    """
    from ct_report.provenance import search as search_facts
    from ct_report.query import RowSet

    base = _base(common)
    found = RowSet(encoded=search_facts(base, text), owner=base)
    emit_rows("search", common, found, f"Facts matching '{text}'", sources_of=base)


@command("cite", DATA_OPTIONS + FORMAT_OPTIONS)
def cite(common: Common, fact_id: FactIdArgument, style: StyleOption = "plain") -> None:
    """A citation of the source of a fact, ready to paste (--json for scripts).

    Example: ctreport cite ma-2021-arrests

    Example: ctreport cite ma-2021-arrests --style bibtex
    """
    from ct_report.provenance import cite as cite_fact
    from ct_report.provenance import get_fact

    base = _base(common)
    citation = cite_fact(base, fact_id, style)
    record = {"id": fact_id, "source": get_fact(base, fact_id).source, "style": style, "citation": citation}
    emit_document(common, [record], list(citation.splitlines()), [record], CITATION_FIELDS, single=True)


@command("fields", FORMAT_OPTIONS + [DATA_OPTIONS[3]] + LIST_OPTIONS)
def fields(common: Common, command_name: CommandArgument) -> None:
    """List the fields a command can print, for --fields and --sort, with a description of each.

    Example: ctreport fields partners

    Example: ctreport fields arrests --format json
    """
    if command_name not in FIELDS:
        from ct_report.text import suggest

        known = ", ".join(FIELDS)
        raise UsageError(
            f"no fields for '{command_name}'{suggest(command_name, FIELDS)}; commands with fields: {known}"
        )
    rows = [{"name": f.name, "description": f.description, "in_table": f.in_table} for f in FIELDS[command_name]]
    emit_rows("fields", common, rows, f"Fields of {command_name}", available=FIELD_FIELDS)


@command("export", DATA_OPTIONS)
def export(common: Common, destination: DestinationArgument, force: ForceOption = False) -> None:
    """Write the whole fact base to SQLite: a table per fact kind, sources, foreign keys, full-text indexes.

    Example: ctreport export ctreport.db

    Example: ctreport export ctreport.db && sqlite3 ctreport.db "SELECT id FROM facts_fts WHERE facts_fts MATCH 'GCTF'"
    """
    from ct_report.export import check_destination, export_sqlite

    check_destination(destination, force)  # before the base is loaded: refusing is quick
    counts = export_sqlite(_base(common), destination, force)
    summary = ", ".join(f"{n} {table}" for table, n in counts.items() if table != "facts_fts")
    typer.echo(f"wrote {printable(str(destination))}: {summary}", err=True)


@command("validate", DATA_OPTIONS + FORMAT_OPTIONS)
def validate(common: Common, paths: PathsArgument = None) -> None:
    """Check a fact base and report every problem as file:line:column: message.

    With PATHs, checks them as a complete fact base on their own (with --add, together with
    those files); to check files that extend the bundled base, use --add PATH alone. Exit 0
    when clean, 1 when not.

    Example: ctreport validate --add my-notes/

    Example: ctreport validate my-base/ --format json
    """
    emit_validation(common, paths)


@command("schema", [])
def schema(common: Common) -> None:
    """Print the JSON Schema of a fact-base file (the bundled YAML files point editors at it).

    Example: ctreport schema > factbase.schema.json

    Example: ctreport schema | jq '.properties | keys'
    """
    import json

    from ct_report.render import write
    from ct_report.schema import json_schema

    write(Terminal.detect(no_pager=True), json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n")


def main() -> None:
    """Console-script entry point."""
    # A run lasts a fraction of a second and makes few cycles, but decoding a large answer
    # makes tens of thousands of lists: collected as often as Python's defaults say, that took
    # a tenth of `search` and `compare` at 100,000 facts.
    gc.set_threshold(*FEW_COLLECTIONS)
    only_invoked_command(app, sys.argv)
    exit_process(invoke(app, sys.argv))
