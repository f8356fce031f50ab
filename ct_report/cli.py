"""The command line: options in, one library call, one renderer, an exit code out.

Shared options are declared once, in groups, and each command takes the groups it uses through
`@command`; rows go out through `_emit_rows` and documents through `_emit_document`. Errors
from the library become one line on stderr in `_run`, nowhere else (Click's own usage errors
in `main`).
"""

import contextlib
import functools
import inspect
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, NoReturn, get_args

import typer
from typer.models import ParameterInfo

from ct_report import __version__, complete
from ct_report.errors import CtReportError, ExitCode, FactBaseError, NoMatchError, UsageError
from ct_report.load import DataSelection, load_base
from ct_report.model import RELATIONS, EntityKind, FactBase
from ct_report.query import FIELDS, Field, Filters, Row, RowSet
from ct_report.render import FORMATS, Options, Terminal

if TYPE_CHECKING:
    from ct_report.views import Line

app = typer.Typer(
    name="ctreport",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Common(NamedTuple):
    """The options shared by commands; a command without an option sees its default."""

    country: list[str] | None = None
    year: list[str] | None = None
    since: int | None = None
    until: int | None = None
    format: str | None = None
    json: bool = False
    fail_empty: bool = False
    data: list[Path] | None = None
    add: list[Path] | None = None
    no_cache: bool = False
    no_color: bool = False
    no_pager: bool = False
    wide: bool = False
    lang: str = "en"
    debug: bool = False
    fields: str | None = None
    header: bool = True
    sort: str | None = None
    limit: int | None = None
    count_only: bool = False
    csv_formulas: bool = False

    def filters(self) -> Filters:
        country = tuple(self.country) if self.country else None
        return Filters(country=country, year=_years(self.year), since=self.since, until=self.until)

    def selection(self) -> DataSelection:
        return DataSelection.choose(self.data, self.add, use_cache=not self.no_cache)

    def terminal(self) -> Terminal:
        return Terminal.detect(self.no_color, no_pager=self.no_pager)


def _years(values: list[str] | None) -> tuple[int, ...] | None:
    """--year 2019,2021 and --year 2019 --year 2021 alike."""
    if not values:
        return None
    years = []
    for part in (p.strip() for value in values for p in value.split(",")):
        if not part.isdigit():
            raise UsageError(f"--year takes years such as 2021 or 2019,2021, not '{part}'")
        years.append(int(part))
    return tuple(years)


def _option(
    name: str, kind: Any, default: Any, *decls: str, panel: str | None = None, **extra: Any
) -> inspect.Parameter:
    info = typer.Option(*decls, rich_help_panel=panel, **extra)
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[kind, info], default=default)


FILTERS, OUTPUT, DATA = "Filters", "Output", "Fact base"
# Option groups; each command takes the groups that mean something for it, so no command
# accepts an option only to ignore it.
DATA_OPTIONS = [
    _option(
        "data",
        list[Path] | None,
        None,
        "--data",
        panel=DATA,
        help="Use this fact base (YAML file or folder) instead of the bundled one; repeatable. Env: CTREPORT_DATA.",
    ),
    _option(
        "add",
        list[Path] | None,
        None,
        "--add",
        panel=DATA,
        help="Add these YAML files or folders to the fact base; repeatable. Env: CTREPORT_ADD.",
    ),
    _option(
        "no_cache",
        bool,
        False,
        "--no-cache",
        panel=DATA,
        help="Read the YAML files even when a valid compiled cache exists.",
    ),
    _option(
        "no_color",
        bool,
        False,
        "--no-color",
        panel=OUTPUT,
        help="No colour, even on a terminal (a non-empty NO_COLOR and TERM=dumb work too).",
    ),
    _option(
        "no_pager",
        bool,
        False,
        "--no-pager",
        panel=OUTPUT,
        help="Print long output straight to the terminal instead of through the pager ($PAGER, else less -FRX).",
    ),
    _option("debug", bool, False, "--debug", hidden=True, help="Show a traceback for unexpected errors."),
]
FILTER_OPTIONS = [
    _option(
        "country",
        list[str] | None,
        None,
        "--country",
        "-c",
        panel=FILTERS,
        help="Country (MA, MAR, Morocco or المغرب) or region (northern-africa, maghreb); several: MA,DZ or -c MA -c DZ.",
        autocompletion=complete.countries,
    ),
    _option(
        "year",
        list[str] | None,
        None,
        "--year",
        "-y",
        panel=FILTERS,
        help="Year of the events; several: 2019,2021 or -y 2019 -y 2021.",
        autocompletion=complete.years,
    ),
    _option(
        "since",
        int | None,
        None,
        "--since",
        panel=FILTERS,
        help="Only years from this one on.",
        autocompletion=complete.years,
    ),
    _option(
        "until",
        int | None,
        None,
        "--until",
        panel=FILTERS,
        help="Only years up to this one.",
        autocompletion=complete.years,
    ),
]
FORMAT_OPTIONS = [
    _option(
        "format",
        str | None,
        None,
        "--format",
        "-f",
        panel=OUTPUT,
        autocompletion=complete.formats,
        help=f"Output format: {', '.join(FORMATS)}. Default: table on a terminal, plain when piped.",
    ),
    _option("json", bool, False, "--json", panel=OUTPUT, help="Same as --format json."),
]
LANG_OPTIONS = [
    _option(
        "lang",
        str,
        "en",
        "--lang",
        panel=OUTPUT,
        autocompletion=complete.languages,
        help="Language of names and statements in tables and text: en or ar (JSON always carries both).",
    ),
]
EMPTY_OPTIONS = [
    _option("fail_empty", bool, False, "--fail-empty", panel=OUTPUT, help="Exit with code 3 when nothing matches."),
]
LIST_OPTIONS = [
    _option(
        "fields",
        str | None,
        None,
        "--fields",
        panel=OUTPUT,
        autocompletion=complete.fields,
        help="Comma-separated fields to show, in order (see `ctreport fields COMMAND`).",
    ),
    _option(
        "header",
        bool,
        True,
        "--header/--no-header",
        panel=OUTPUT,
        help="Header row in table, plain, csv and markdown output.",
    ),
    _option(
        "sort",
        str | None,
        None,
        "--sort",
        panel=OUTPUT,
        autocompletion=complete.sort_fields,
        help="Sort rows by this field; prefix with - for descending (e.g. --sort -year).",
    ),
    _option("limit", int | None, None, "--limit", panel=OUTPUT, min=0, help="At most this many rows."),
    _option(
        "wide",
        bool,
        False,
        "--wide",
        panel=OUTPUT,
        help="Terminal table: keep addresses (URLs) and whole values instead of fitting the width.",
    ),
    _option("count_only", bool, False, "--count", panel=OUTPUT, help="Print only the number of matching rows."),
    _option(
        "csv_formulas",
        bool,
        False,
        "--csv-formulas",
        panel=OUTPUT,
        help="Leave CSV cells starting with = + - @ as they are (default: prefix them with ' so spreadsheets do not run them).",
    ),
]
ROWS = DATA_OPTIONS + FILTER_OPTIONS + FORMAT_OPTIONS + LANG_OPTIONS + EMPTY_OPTIONS + LIST_OPTIONS
DOCUMENTS = DATA_OPTIONS + FILTER_OPTIONS + FORMAT_OPTIONS + LANG_OPTIONS + EMPTY_OPTIONS


def command(name: str, options: list[inspect.Parameter]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command taking `common: Common` plus its own parameters and the given
    shared options (declared once above, parsed into `Common`)."""

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(func).parameters.values()
            if p.name != "common"
        ]

        @functools.wraps(func)
        def wrapper(**kwargs: Any) -> None:
            common = Common(**{p.name: kwargs.pop(p.name) for p in options})
            _run(common, lambda: func(common=common, **kwargs))

        # Help lists options in declaration order: filters, then output, then the fact base.
        ordered = sorted(options + own, key=_panel_rank)
        wrapper.__signature__ = inspect.Signature(ordered)  # type: ignore[attr-defined]
        del wrapper.__wrapped__  # Typer must read the new signature, not the original's
        return app.command(name, short_help=_first_sentence(func.__doc__ or ""))(wrapper)

    return decorate


PANEL_ORDER = (None, FILTERS, OUTPUT, DATA)


def _panel_rank(parameter: inspect.Parameter) -> int:
    for meta in getattr(parameter.annotation, "__metadata__", ()):
        if isinstance(meta, ParameterInfo):
            panel = meta.rich_help_panel
            return PANEL_ORDER.index(panel) if panel in PANEL_ORDER else len(PANEL_ORDER)
    return 0


def _first_sentence(doc: str) -> str:
    """The command list shows each command's first sentence whole (Click would cut it at 45
    characters with '...')."""
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    end = paragraph.find(". ")
    return paragraph if end < 0 else paragraph[: end + 1]


def _run(common: Common, action: Callable[[], None]) -> None:
    """The one place library errors become messages and exit codes."""
    try:
        try:
            action()
        finally:
            while _LOADED:
                _LOADED.pop().release()
    except FactBaseError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        typer.echo(f"ctreport: {error.message}", err=True)
        raise typer.Exit(error.exit_code) from None
    except CtReportError as error:
        typer.echo(f"ctreport: {error.message}", err=True)
        raise typer.Exit(error.exit_code) from None
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(ExitCode.OK) from None
    except OSError as error:
        # The environment, not ctreport: a full disk or a closed terminal under stdout.
        typer.echo(f"ctreport: cannot write the output: {error.strerror or error}", err=True)
        raise typer.Exit(ExitCode.INVALID_DATA) from None
    except KeyboardInterrupt:
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except Exception as error:
        if common.debug:
            traceback.print_exc()
        typer.echo(
            f"ctreport: internal error: {type(error).__name__}: {error}; rerun with --debug and report it", err=True
        )
        raise typer.Exit(ExitCode.INTERNAL) from None


def _silence_stdout() -> None:
    # The reader went away (`| head -1`); point stdout at /dev/null so the interpreter's
    # final flush does not print a second BrokenPipeError.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _output(common: Common, term: Terminal, title: str = "", footer: str = "") -> Options:
    from ct_report.i18n import translate

    _refuse_contradictions(common)
    fmt = "json" if common.json else (common.format if common.format is not None else term.default_format())
    if fmt not in FORMATS:
        from ct_report.text import suggest

        raise UsageError(f"unknown format '{fmt}'{suggest(fmt, FORMATS)}; valid: {', '.join(FORMATS)}")
    if common.lang not in ("en", "ar"):
        raise UsageError(f"unknown language '{common.lang}'; valid: en, ar")
    return Options(
        fmt,
        header=common.header,
        csv_formulas=common.csv_formulas,
        title=translate(title, common.lang),
        footer=translate(footer, common.lang),
        wide=common.wide,
        explicit=common.fields is not None,
        lang=common.lang,
    )


def _refuse_contradictions(common: Common) -> None:
    """Options that ask for two different things are an error, not a silent choice."""
    if common.json and common.format not in (None, "json"):
        raise UsageError(f"--json and --format {common.format} ask for two formats; give one of them")
    if common.count_only and common.fields is not None:
        raise UsageError("--count prints only a number, so --fields has nothing to show; drop one of them")


def _choose_fields(available: list[Field], command_name: str, common: Common, fmt: str) -> list[Field]:
    if common.fields is None:
        return [f for f in available if f.in_table] if fmt == "table" else list(available)
    by_name = {f.name: f for f in available}
    chosen = []
    for name in (n.strip() for n in common.fields.split(",")):
        if name not in by_name:
            from ct_report.text import suggest

            raise UsageError(
                f"unknown field '{name}' for {command_name}{suggest(name, by_name)}; valid: {', '.join(by_name)}"
            )
        chosen.append(by_name[name])
    return chosen


def _footer(base: FactBase, rows: list[Row], lang: str) -> str:
    from ct_report.i18n import translate, value

    sources = sorted({row["source"] for row in rows if "source" in row})
    if not sources:
        return ""
    named = ", ".join(f"{s} ({value(base.sources[s].kind, lang)})" for s in sources)
    return translate("Source: {sources}. `ctreport show ID` gives a fact's passage.", lang, sources=named)


def _emit_rows(
    command_name: str,
    common: Common,
    answer: RowSet | list[Row],
    title: str,
    footer: str = "",
    bars: str | None = None,
    available: list[Field] | None = None,
    sources_of: FactBase | None = None,
) -> None:
    """Write rows in the chosen format: the one output path of every command that prints rows.
    `bars` names a numeric field drawn as a bar on a terminal table; with `sources_of`, the
    footer of a table names the rows' sources (worked out only for formats that show it)."""
    from ct_report.query import arrange, localise
    from ct_report.render import add_bars, render_rows, write, write_encoded_rows

    answer = answer if isinstance(answer, RowSet) else RowSet(answer)
    term = common.terminal()
    available = available if available is not None else FIELDS[command_name]
    options = _output(common, term, title=title, footer=footer)
    if sources_of is not None and options.format in ("table", "markdown"):
        options = options._replace(footer=_footer(sources_of, answer.keys, common.lang))
    fields = _choose_fields(available, command_name, common, options.format)
    if not answer:
        _nothing_matched(common, term)
    if common.count_only:
        write(term, f"{len(answer)}\n")
        return
    if (
        answer.encoded is not None
        and options.format in ("json", "ndjson")
        and not term.is_tty
        and fields == available
        and common.sort is None
        and write_encoded_rows(answer.encoded[: common.limit], options.format, term)
    ):
        return
    rows = arrange(answer.rows, available, common.sort, common.limit)
    if options.format not in ("json", "ndjson", "yaml"):
        rows = localise(rows, common.lang)
    if bars and options.format == "table" and term.is_tty and common.fields is None:
        fields = add_bars(rows, fields, bars)
    render_rows(rows, fields, options, term)


def _emit_document(
    common: Common,
    documents: list[Row],
    lines: "list[Line]",
    rows: list[Row],
    row_fields: list[Field],
    single: bool,
) -> None:
    """Write the answer of summary, show or compare: JSON, NDJSON and YAML give the documents;
    table and plain give the text `lines`; csv and markdown give the same answer as `rows`."""
    from ct_report.render import render_document, render_rows

    term = common.terminal()
    options = _output(common, term)
    if not documents:
        _nothing_matched(common, term)
    if options.format in ("csv", "markdown"):
        render_rows(rows, row_fields, options, term)
    else:
        render_document(documents, options, term, lines, single=single)


def _nothing_matched(common: Common, term: Terminal) -> None:
    if common.fail_empty:
        raise NoMatchError("nothing matched")
    print("ctreport: nothing matched", file=term.stderr)


_LOADED: list[FactBase] = []
"""Bases loaded by the command being run; `_run` releases them when it ends."""


def _base(common: Common) -> FactBase:
    base = load_base(common.selection(), warn=lambda message: typer.echo(f"ctreport: warning: {message}", err=True))
    _LOADED.append(base)
    return base


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ctreport {__version__}")
        typer.echo(_edition_range())
        raise typer.Exit()


def _edition_range() -> str:
    """'fact base: editions crt-2016 to crt-2023 (events of 2016–2023), latest published 2023-02-27'."""
    from ct_report.query import edition_range

    try:
        base = load_base(DataSelection.choose())
    except CtReportError as error:
        return f"fact base: not usable ({error.message})"
    try:
        return f"fact base: {edition_range(base)}"
    finally:
        base.release()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit.")
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
def arrests(common: Common) -> None:
    """Arrests by country and year: people arrested, operations, cells and plot targets.

    Example: ctreport arrests --country MA

    Example: ctreport arrests -c MA,DZ -y 2020,2021 --json

    Example: ctreport arrests -c northern-africa --sort -arrested_value
    """
    from ct_report.query import arrest_rows

    base = _base(common)
    rows = arrest_rows(base, common.filters())
    _emit_rows("arrests", common, rows, "Terrorism-related arrests", sources_of=base, bars="arrested")


@command("incidents", ROWS)
def incidents(common: Common) -> None:
    """Terrorist incidents by country and year: the count and, where the source gives them, each incident.

    Example: ctreport incidents --country TN

    Example: ctreport incidents --since 2019 --until 2021 --format csv
    """
    from ct_report.query import incident_rows

    base = _base(common)
    rows = incident_rows(base, common.filters())
    _emit_rows("incidents", common, rows, "Terrorist incidents", sources_of=base)


@command("coverage", ROWS)
def coverage(common: Common) -> None:
    """Which countries and years the fact base covers, and from which kinds of source.

    On a terminal, a country × year grid; --fields, --sort or another format give one row per
    country-year.

    Example: ctreport coverage

    Example: ctreport coverage --country MA --json
    """
    from ct_report.query import coverage_grid, coverage_rows

    base = _base(common)
    rows = coverage_rows(base, common.filters())
    term = common.terminal()
    if _output(common, term).format == "table" and term.is_tty and common.fields is None and common.sort is None:
        from ct_report.query import arrange, localise

        _output(common, term)  # reject a bad --lang before drawing
        rows, columns = coverage_grid(localise(arrange(rows, FIELDS["coverage"], None, common.limit), common.lang))
        legend = "R: report (the chapter or a verbatim mirror), P: press; the number of facts follows."
        _emit_rows("coverage", common, rows, "Coverage of the fact base", legend, available=columns)
        return
    _emit_rows("coverage", common, rows, "Coverage of the fact base")


@command("compare", DATA_OPTIONS + [FILTER_OPTIONS[0]] + FORMAT_OPTIONS + LANG_OPTIONS + EMPTY_OPTIONS)
def compare(
    common: Common,
    year_a: Annotated[int, typer.Argument(metavar="YEAR_A", help="One year.", autocompletion=complete.years)],
    year_b: Annotated[int, typer.Argument(metavar="YEAR_B", help="The other year.", autocompletion=complete.years)],
) -> None:
    """What changed between two years: arrests, operations, incidents, partners and memberships.

    Differences keep the sources' qualifiers: "at least 35" → "at least 55" is reported as
    +20 between lower bounds, not as exactly 20 more. A partner or membership recorded for one
    year only is reported as such; absence from the fact base is not absence from the report.

    The earlier year comes first whatever the order given (a note says so when swapped).

    Example: ctreport compare 2020 2021 --country MA

    Example: ctreport compare 2020 2021 --format csv
    """
    from ct_report.query import compare as compare_years
    from ct_report.views import COMPARE_ROW_FIELDS, compare_lines, compare_rows

    if year_a > year_b:
        typer.echo(f"ctreport: note: comparing {year_b} with {year_a}, the earlier year first", err=True)
        year_a, year_b = year_b, year_a
    country = tuple(common.country) if common.country else None
    results = compare_years(_base(common), year_a, year_b, country)
    lines = compare_lines(results, common.lang)
    _emit_document(common, results, lines, compare_rows(results), COMPARE_ROW_FIELDS, single=False)


@command("partners", ROWS)
def partners(
    common: Common,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            "-r",
            help="CRT region or UN M49 region, e.g. europe, mena, northern-africa, crt:africa.",
            rich_help_panel=FILTERS,
            autocompletion=complete.regions,
        ),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            "-k",
            help=f"Kind of partner: country, {', '.join(k for k in get_args(EntityKind) if k not in ('terrorist-group', 'fiu'))}.",
            rich_help_panel=FILTERS,
            autocompletion=complete.partner_kinds,
        ),
    ] = None,
    relation: Annotated[
        str | None,
        typer.Option(
            "--relation",
            help=f"Relation: {', '.join(RELATIONS)}.",
            rich_help_panel=FILTERS,
            autocompletion=complete.relations,
        ),
    ] = None,
) -> None:
    """Cooperation partners: countries, organisations, forums and exercises, with the relation.

    Example: ctreport partners --country MA --year 2021

    Example: ctreport partners --region europe --relation strong-cooperation

    Example: ctreport partners --kind forum --fields year,partner_name,relation
    """
    from ct_report.query import partner_rows

    base = _base(common)
    rows = partner_rows(base, common.filters(), region=region, kind=kind, relation=relation)
    _emit_rows("partners", common, rows, "Counterterrorism cooperation partners", sources_of=base)


@command("financing", ROWS)
def financing(common: Common) -> None:
    """Bodies against terrorist financing and who holds the membership (the state or its FIU).

    Example: ctreport financing --country MA

    Example: ctreport financing --json | jq -r '.[].acronym'
    """
    from ct_report.query import financing_rows

    base = _base(common)
    rows = financing_rows(base, common.filters())
    _emit_rows("financing", common, rows, "Countering the financing of terrorism", sources_of=base)


@command("groups", ROWS)
def groups(common: Common) -> None:
    """Terrorist groups the report names for each country and year, with what it says of them.

    Example: ctreport groups --country DZ --year 2019

    Example: ctreport groups --country maghreb --fields country,year,acronym
    """
    from ct_report.query import group_rows

    base = _base(common)
    rows = group_rows(base, common.filters())
    _emit_rows("groups", common, rows, "Terrorist groups named in the reports", sources_of=base)


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
    _emit_document(common, overviews, lines, summary_rows(overviews, common.lang), SUMMARY_ROW_FIELDS, single=True)


@command("show", DATA_OPTIONS + FORMAT_OPTIONS + LANG_OPTIONS)
def show(
    common: Common,
    fact_id: Annotated[
        str,
        typer.Argument(
            metavar="FACT_ID", help="A fact id, as shown in every command's id field.", autocompletion=complete.fact_ids
        ),
    ],
) -> None:
    """A fact in full: statement, the verbatim source passage in its context, and the source.

    Example: ctreport show ma-2021-arrests

    Example: ctreport show ma-2021-arrests --lang ar
    """
    from ct_report.provenance import show as show_fact
    from ct_report.views import SHOW_ROW_FIELDS, show_lines, show_rows

    record = show_fact(_base(common), fact_id)
    _emit_document(common, [record], show_lines(record, common.lang), show_rows(record), SHOW_ROW_FIELDS, single=True)


@command("sources", DATA_OPTIONS + FORMAT_OPTIONS + EMPTY_OPTIONS + LIST_OPTIONS)
def sources(common: Common) -> None:
    """The source documents: kind, language, date, address and how many facts each supports.

    Example: ctreport sources

    Example: ctreport sources --fields id,kind,url --wide
    """
    from ct_report.provenance import source_rows

    _emit_rows("sources", common, source_rows(_base(common)), "Source documents")


@command("search", DATA_OPTIONS + FORMAT_OPTIONS + LANG_OPTIONS + EMPTY_OPTIONS + LIST_OPTIONS)
def search(
    common: Common, text: Annotated[str, typer.Argument(metavar="TEXT", help="Words to find, in English or Arabic.")]
) -> None:
    """Full-text search over statements, names, acronyms, aliases, quotes and incidents, best match first.

    Case, accents and Arabic spelling variants are folded: 'oulemas' finds 'Oulémas', 'الارهاب'
    finds 'الإرهاب'.

    Example: ctreport search GCTF

    Example: ctreport search 'Barcelona attacks' --json
    """
    from ct_report.provenance import search as search_facts

    base = _base(common)
    rows = search_facts(base, text)
    _emit_rows("search", common, rows, f"Facts matching '{text}'", sources_of=base)


CITATION_FIELDS = [
    Field("id", "Fact id"),
    Field("source", "Source id"),
    Field("style", "plain, apa or bibtex"),
    Field("citation", "The citation"),
]


@command("cite", DATA_OPTIONS + FORMAT_OPTIONS)
def cite(
    common: Common,
    fact_id: Annotated[str, typer.Argument(metavar="FACT_ID", help="A fact id.", autocompletion=complete.fact_ids)],
    style: Annotated[
        str, typer.Option("--style", help="plain, apa or bibtex.", autocompletion=complete.citation_styles)
    ] = "plain",
) -> None:
    """A citation of the source of a fact, ready to paste (--json for scripts).

    Example: ctreport cite ma-2021-arrests

    Example: ctreport cite ma-2021-arrests --style bibtex
    """
    from ct_report.provenance import cite as cite_fact
    from ct_report.provenance import get_fact

    base = _base(common)
    citation = cite_fact(base, fact_id, style)
    record = {"id": fact_id, "source": get_fact(base, fact_id).source, "style": style, "citation": citation}
    _emit_document(common, [record], list(citation.splitlines()), [record], CITATION_FIELDS, single=True)


FIELD_FIELDS = [
    Field("name", "Field name, for --fields and --sort"),
    Field("description", "What the field holds"),
    Field("in_table", "Shown in the terminal table without --fields"),
]


@command("fields", FORMAT_OPTIONS + [DATA_OPTIONS[3]] + LIST_OPTIONS)
def fields(
    common: Common,
    command_name: Annotated[
        str,
        typer.Argument(
            metavar="COMMAND", help="A command that prints rows, e.g. partners.", autocompletion=complete.field_commands
        ),
    ],
) -> None:
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
    _emit_rows("fields", common, rows, f"Fields of {command_name}", available=FIELD_FIELDS)


@command("export", DATA_OPTIONS)
def export(
    common: Common,
    destination: Annotated[
        Path, typer.Argument(metavar="PATH.db", help="The SQLite file to write (replaced atomically).")
    ],
) -> None:
    """Write the whole fact base to SQLite: a table per fact kind, sources, foreign keys, full-text indexes.

    Example: ctreport export ctreport.db

    Example: ctreport export ctreport.db && sqlite3 ctreport.db "SELECT id FROM facts_fts WHERE facts_fts MATCH 'GCTF'"
    """
    from ct_report.export import export_sqlite

    if destination.is_dir() or not destination.name:
        raise UsageError(f"'{destination}' is a folder; give a file name, e.g. {destination / 'ctreport.db'}")
    base = _base(common)
    try:
        counts = export_sqlite(base, destination)
    except OSError as error:
        raise CtReportError(f"cannot write {destination}: {error.strerror or error}") from None
    summary = ", ".join(f"{n} {table}" for table, n in counts.items() if table != "facts_fts")
    typer.echo(f"wrote {destination}: {summary}", err=True)


PROBLEM_FIELDS = [
    Field("file", "The file"),
    Field("line", "Line, from 1"),
    Field("column", "Column, from 1"),
    Field("message", "What is wrong and how to fix it"),
]


@command("validate", DATA_OPTIONS + FORMAT_OPTIONS)
def validate(
    common: Common,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Fact files or folders to check as a fact base of their own (default: the one in use)."),
    ] = None,
) -> None:
    """Check a fact base and report every problem as file:line:column: message.

    With PATHs, checks them as a complete fact base on their own (with --add, together with
    those files); to check files that extend the bundled base, use --add PATH alone. Exit 0
    when clean, 1 when not.

    Example: ctreport validate --add my-notes/

    Example: ctreport validate my-base/ --format json
    """
    from ct_report.load import check
    from ct_report.render import render_rows, write

    selection = DataSelection((*paths, *(common.add or [])), use_cache=False) if paths else common.selection()
    report = check(selection)
    term = common.terminal()
    options = _output(common, term, title="Problems")
    if options.format == "plain" or (options.format == "table" and not report.problems):
        # The form editors and CI annotate from: file:line:column: message.
        write(term, "".join(f"{p}\n" for p in report.problems))
    else:
        render_rows([p._asdict() for p in report.problems], PROBLEM_FIELDS, options, term)
    if report.problems:
        raise CtReportError(FactBaseError(report.problems).message)
    base = report.base
    print(
        f"ok: {report.yaml_files} files, {len(base.facts)} facts, {len(base.sources)} sources, "
        f"{len(base.countries)} countries",
        file=term.stderr,
    )


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


def _only_invoked_command(argv: list[str]) -> None:
    """Register only the command being run. Typer turns every command's parameters into Click
    objects before dispatching; with ~25 shared options on each of 16 commands that was most of
    ctreport's start-up. Help, completion and unknown commands still see every command."""
    names = {info.name for info in app.registered_commands}
    completing = any(key.startswith("_CTREPORT_COMPLETE") or key == "_TYPER_COMPLETE_ARGS" for key in os.environ)
    if len(argv) > 1 and argv[1] in names and not completing:
        app.registered_commands = [info for info in app.registered_commands if info.name == argv[1]]
        # Completion callbacks serve only the shell's completion requests, and Typer inspects
        # each one's signature while building the command: drop them from a command being run.
        for info in app.registered_commands:
            assert info.callback is not None
            for parameter in inspect.signature(info.callback).parameters.values():
                for meta in getattr(parameter.annotation, "__metadata__", ()):
                    if isinstance(meta, ParameterInfo):
                        meta.autocompletion = None


def main() -> None:
    """Console-script entry point."""
    # Typer vendors Click as typer._click; its usage errors become one line here.
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    _only_invoked_command(sys.argv)
    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as error:
        # `ctreport` alone: the overview on stdout, where `| less` finds it.
        print(error.ctx.get_help() if error.ctx is not None else "see ctreport --help")
        code = ExitCode.OK
    except ClickException as error:
        names = {info.name for info in app.registered_commands}
        where = f" {sys.argv[1]}" if len(sys.argv) > 1 and sys.argv[1] in names else ""
        hint = _flags_for_arguments(error.format_message(), where.strip())
        print(
            f"ctreport: {error.format_message().rstrip('.')}; {hint or f'see ctreport{where} --help'}",
            file=sys.stderr,
        )
        code = error.exit_code
    except typer.Abort:
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        code = ExitCode.OK
    except SystemExit as exit:
        # Click ends help or --version output into a closed pipe with exit 1, after swapping
        # stdout for its PacifyFlushWrapper; that is a reader going away, not an error.
        from typer._click.utils import PacifyFlushWrapper

        code = ExitCode.OK if isinstance(sys.stdout, PacifyFlushWrapper) else exit.code
    _exit(code if isinstance(code, int) else ExitCode.OK)


def _flags_for_arguments(message: str, command_name: str) -> str:
    """For `ctreport summary MA 2021`: 'did you mean ctreport summary --country MA --year 2021?'."""
    import re

    found = re.search(r"unexpected extra argument(?:s|\(s\))? \((.*)\)", message)
    info = next((i for i in app.registered_commands if i.name == command_name), None)
    if found is None or info is None or info.callback is None:
        return ""
    takes = set(inspect.signature(info.callback).parameters)
    flags = []
    for word in found.group(1).split():
        if word.isdigit() and len(word) == 4 and "year" in takes:
            flags.append(f"--year {word}")
        elif "country" in takes and not word.isdigit():
            flags.append(f"--country {word}")
        else:
            return ""
    return f"did you mean ctreport {command_name} {' '.join(flags)}?"


def _exit(code: int) -> NoReturn:
    """End the process without the interpreter's teardown, which frees every object of Typer,
    Click and the fact base one by one and took longer than answering a query (~15 ms, see
    benchmarks/). What a normal exit still does is done here: exit hooks run and both streams
    are flushed, with a closed pipe and a failed write treated as in `_run`.

    Under a profiler, tracer or debugger (cProfile, coverage, pdb) the exit is the normal one,
    so that they can report."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    import atexit

    atexit._run_exitfuncs()
    if sys.stdout is not None:  # None when started with stdout closed (`>&-`)
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
        except OSError as error:
            if sys.stderr is not None:
                print(f"ctreport: cannot write the output: {error.strerror or error}", file=sys.stderr)
            code = ExitCode.INVALID_DATA
        except ValueError:  # already closed
            pass
    if sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
    os._exit(code)
