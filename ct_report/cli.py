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
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, NamedTuple, NoReturn, get_args

import typer
from typer.models import ParameterInfo

from ct_report import __version__, complete
from ct_report.errors import CtReportError, ExitCode, FactBaseError, NoMatchError, UsageError
from ct_report.fields import Field, Line, Row
from ct_report.kinds import BY_COMMAND, FIELDS
from ct_report.load import DataSelection, load_base
from ct_report.model import RELATIONS, EntityKind, FactBase
from ct_report.query import Filters, RowSet
from ct_report.render import FORMATS, Options, Terminal
from ct_report.text import printable

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
    resources: contextlib.ExitStack | None = None
    """What the command opened (a cached base's file) and `_run` closes when it ends."""
    by: str | None = None

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
        "by",
        str | None,
        None,
        "--by",
        panel=OUTPUT,
        autocompletion=complete.fields,
        help="Group counts: one row per value of these comma-separated fields (e.g. partner_name, country,year or region), with how many country-years, the countries and ids.",
    ),
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
            with contextlib.ExitStack() as resources:
                common = Common(**{p.name: kwargs.pop(p.name) for p in options}, resources=resources)
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
            if common.resources is not None:
                common.resources.close()
    except typer.Exit:
        raise  # a command's own exit code, not a failure
    except FactBaseError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        typer.echo(f"ctreport: {printable(error.message)}", err=True)
        raise typer.Exit(error.exit_code) from None
    except CtReportError as error:
        # Messages quote file names and arguments: escaped, they cannot drive the terminal.
        typer.echo(f"ctreport: {printable(error.message)}", err=True)
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
            f"ctreport: internal error: {type(error).__name__}: {printable(str(error))}; rerun with --debug and report it",
            err=True,
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
        if by_name[name] in chosen:
            raise UsageError(f"field '{name}' is given twice in --fields; give each field once")
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
    sparks: str | None = None,
) -> None:
    """Write rows in the chosen format: the one output path of every command that prints rows.
    `bars` names a numeric field drawn as a bar on a terminal table, and `sparks` (`bars` by
    default) one drawn as a sparkline per country; with `sources_of`, the footer of a table
    names the rows' sources (worked out only for formats that show it)."""
    from ct_report.query import arrange, localise
    from ct_report.render import add_bars, render_rows, write, write_encoded_rows

    answer = answer if isinstance(answer, RowSet) else RowSet(answer)
    term = common.terminal()
    available = available if available is not None else FIELDS[command_name]
    options = _output(common, term, title=title, footer=footer)
    if sources_of is not None and options.format in ("table", "markdown"):
        options = options._replace(footer=_footer(sources_of, answer.keys, common.lang))
    if common.by is not None:
        answer, available = _facets(common, answer, available, options.format, sources_of)
        options, bars, sparks = options._replace(title=f"{title}: group counts by {common.by}"), None, None
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
    if options.format == "table" and term.is_tty and common.fields is None:
        if bars:
            fields = add_bars(rows, fields, bars)
        if sparks or bars:
            from ct_report.analysis import add_sparklines

            fields = add_sparklines(rows, fields, sparks or bars or "")
    render_rows(rows, fields, options, term)


def _facets(
    common: Common, answer: RowSet, available: list[Field], fmt: str, base: FactBase | None
) -> tuple[RowSet, list[Field]]:
    """The rows grouped by `--by`, and the fields of that answer."""
    from ct_report.analysis import facet_fields, facet_names, facets
    from ct_report.query import localise

    assert common.by is not None
    regions_of = (lambda code: base.countries[code].regions) if base is not None else None
    by = facet_names(common.by, available, regions_of)
    rows = answer.rows if fmt in ("json", "ndjson", "yaml") else localise(answer.rows, common.lang)
    grouped = facets(rows, by, regions_of)
    return RowSet(grouped), facet_fields(by, rows[0] if rows else {})


def _emit_document(
    common: Common,
    documents: Sequence[Mapping[str, Any]],
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


def _list_command(common: Common, command: str, bars: str | None = None, sparks: str | None = None) -> None:
    """A list command drawn from one fact kind, filtered by the shared options."""
    from ct_report.query import list_rows

    base = _base(common)
    rows = list_rows(base, command, common.filters())
    title = BY_COMMAND[command].command_title
    _emit_rows(command, common, rows, title, sources_of=base, bars=bars, sparks=sparks)


def _nothing_matched(common: Common, term: Terminal) -> None:
    if common.fail_empty:
        raise NoMatchError("nothing matched")
    print("ctreport: nothing matched", file=term.stderr)


def _base(common: Common) -> FactBase:
    base = load_base(
        common.selection(), warn=lambda message: typer.echo(f"ctreport: warning: {printable(message)}", err=True)
    )
    if common.resources is not None:
        common.resources.callback(base.release)
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


PivotOption = Annotated[
    bool,
    typer.Option(
        "--pivot",
        rich_help_panel=OUTPUT,
        help="Countries as rows, years as columns, each cell the figure as worded (≥55: at least 55; —: no figure).",
    ),
]


@command("arrests", ROWS)
def arrests(common: Common, pivot: PivotOption = False) -> None:
    """Arrests by country and year: people arrested, operations, cells and plot targets.

    Example: ctreport arrests --country MA

    Example: ctreport arrests -c MA,DZ -y 2020,2021 --json

    Example: ctreport arrests -c northern-africa --sort -arrested_value
    """
    if pivot:
        _emit_pivot("arrests", common, _base(common), "People arrested for terrorism")
        return
    _list_command(common, "arrests", bars="arrested")


@command("incidents", ROWS)
def incidents(common: Common, pivot: PivotOption = False) -> None:
    """Terrorist incidents by country and year: the count and, where the source gives them, each incident.

    Example: ctreport incidents --country TN

    Example: ctreport incidents --since 2019 --until 2021 --format csv
    """
    if pivot:
        _emit_pivot("incidents", common, _base(common), "Terrorist incidents")
        return
    _list_command(common, "incidents", sparks="incidents")


def _emit_pivot(command_name: str, common: Common, base: FactBase, title: str) -> None:
    """A figure as a country × year grid, in any format; the footnotes go under a table or
    markdown, and to stderr beside the formats that have no room for them."""
    from ct_report.analysis import pivot, pivot_fields, sparkline

    if common.by is not None:
        raise UsageError("--pivot and --by give two different answers; choose one")
    grid = pivot(base, common.filters(), command_name)
    term = Terminal.detect(common.no_color)
    fmt = _output(common, term).format
    available = pivot_fields(grid)
    if fmt == "table" and term.is_tty and common.fields is None:
        for row in grid["rows"]:
            row["trend"] = sparkline(grid["values"][row["country"]])
        available.append(Field("trend", "The figure per year as a sparkline"))
    named = ", ".join(f"{s} ({base.sources[s].kind})" for s in grid["sources"])
    footer = "; ".join(grid["notes"])
    if named:
        footer += f". Source: {named}. `ctreport {command_name}` gives every figure in full, with its id."
    if fmt not in ("table", "markdown"):
        for note in grid["notes"]:
            print(f"ctreport: note: {note}", file=term.stderr)
    _emit_rows(command_name, common, grid["rows"], title, footer=footer, available=available)


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
    grid = common.fields is None and common.sort is None and common.by is None
    if _output(common, term).format == "table" and term.is_tty and grid:
        from ct_report.query import arrange, localise

        _output(common, term)  # reject a bad --lang before drawing
        rows, columns = coverage_grid(localise(arrange(rows, FIELDS["coverage"], None, common.limit), common.lang))
        legend = "R: report (the chapter or a verbatim mirror), P: press; the number of facts follows."
        _emit_rows("coverage", common, rows, "Coverage of the fact base", legend, available=columns)
        return
    _emit_rows("coverage", common, rows, "Coverage of the fact base", sources_of=base)


@command("compare", DATA_OPTIONS + FILTER_OPTIONS[:2] + FORMAT_OPTIONS + LANG_OPTIONS + EMPTY_OPTIONS)
def compare(
    common: Common,
    items: Annotated[
        list[str],
        typer.Argument(
            metavar="YEAR_A YEAR_B | COUNTRIES",
            help="Two years (what changed); or, with --year, two or more countries (side by side).",
        ),
    ],
) -> None:
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
    from ct_report.query import compare as compare_years
    from ct_report.views import COMPARE_ROW_FIELDS, compare_lines, compare_rows

    if common.year is not None:
        _compare_countries(common, items)
        return
    year_a, year_b = _two_years(items)
    if year_a > year_b:
        typer.echo(f"ctreport: note: comparing {year_b} with {year_a}, the earlier year first", err=True)
        year_a, year_b = year_b, year_a
    country = tuple(common.country) if common.country else None
    results = compare_years(_base(common), year_a, year_b, country)
    lines = compare_lines(results, common.lang)
    _emit_document(common, results, lines, compare_rows(results), COMPARE_ROW_FIELDS, single=False)


def _two_years(items: list[str]) -> tuple[int, int]:
    """`compare`'s two forms cannot be confused: without --year, exactly two years."""
    if len(items) != 2 or not all(item.isdigit() for item in items):
        got = " ".join(items)
        raise UsageError(
            f"compare takes two years (ctreport compare 2020 2021), or --year and two or more countries "
            f"(ctreport compare --year 2021 MA DZ); got '{got}'"
        )
    return int(items[0]), int(items[1])


def _compare_countries(common: Common, items: list[str]) -> None:
    from ct_report.analysis import compare_countries
    from ct_report.views import country_comparison_fields, country_comparison_lines, country_comparison_rows

    years = _years(common.year) or ()
    if len(years) != 1 or common.country is not None or any(item.isdigit() for item in items):
        raise UsageError(
            "with --year, compare takes one year and the countries as arguments "
            "(ctreport compare --year 2021 MA DZ); without it, two years"
        )
    comparison = compare_countries(_base(common), years[0], items)
    lines = country_comparison_lines(comparison, common.lang)
    rows = country_comparison_rows(comparison)
    fields = country_comparison_fields(comparison)
    _emit_document(common, [dict(comparison)], lines, rows, fields, single=True)


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
    _emit_document(common, [dict(t) for t in timelines], lines, rows, COMPARE_ROW_FIELDS, single=False)


@command("chart", [DATA_OPTIONS[i] for i in (0, 1, 2, 4)] + [FILTER_OPTIONS[0], *FILTER_OPTIONS[2:]] + LANG_OPTIONS)
def chart(
    common: Common,
    figure: Annotated[
        str, typer.Argument(metavar="FIGURE", help="What to draw: arrests, operations, cells or incidents.")
    ],
    countries: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[COUNTRIES]", help="Countries, one series each (default: every country with the figure)."
        ),
    ] = None,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", metavar="PATH.svg|PATH.png", help="The file to write; its suffix picks the format."
        ),
    ] = Path("chart.svg"),
) -> None:
    """A chart of a figure for an article (SVG or PNG): a line per country, lower bounds as open markers.

    Years without a number are gaps, never zeros; the sources and what could not be drawn
    (a figure given only in words, sources that disagree) are in a footnote. Needs the charts
    extra: pip install 'ctreport[charts]'. Countries may also be given as --country MA,DZ,TN.

    Example: ctreport chart arrests MA DZ TN --output arrests.svg

    Example: ctreport chart incidents --country TN --output incidents.png --lang ar
    """
    from ct_report.analysis import chart_data
    from ct_report.chart import check_path, draw

    check_path(output)
    named = [c for text in [*(countries or []), *(common.country or [])] for c in text.split(",") if c.strip()]
    filters = common.filters()._replace(country=None)
    data = chart_data(_base(common), figure, named, filters)
    if not data.series:
        raise NoMatchError(f"no {figure} figures to draw")
    draw(data, output, common.lang)
    points = sum(len(s.points) for s in data.series)
    typer.echo(f"wrote {output}: {len(data.series)} series, {points} figures", err=True)


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
    _emit_rows("partners", common, rows, BY_COMMAND["partners"].command_title, sources_of=base)


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
    force: Annotated[
        bool, typer.Option("--force", help="Replace PATH.db even if it is not an SQLite database.")
    ] = False,
) -> None:
    """Write the whole fact base to SQLite: a table per fact kind, sources, foreign keys, full-text indexes.

    Example: ctreport export ctreport.db

    Example: ctreport export ctreport.db && sqlite3 ctreport.db "SELECT id FROM facts_fts WHERE facts_fts MATCH 'GCTF'"
    """
    from ct_report.export import check_destination, export_sqlite

    check_destination(destination, force)  # before the base is loaded: refusing is quick
    counts = export_sqlite(_base(common), destination, force)
    summary = ", ".join(f"{n} {table}" for table, n in counts.items() if table != "facts_fts")
    typer.echo(f"wrote {printable(str(destination))}: {summary}", err=True)


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
            f"ctreport: {printable(error.format_message().rstrip('.'))}; {hint or f'see ctreport{where} --help'}",
            file=sys.stderr,
        )
        code = error.exit_code
    except typer.Abort:
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        code = ExitCode.OK
    except OSError as error:  # help written to a full disk (`--help > /dev/full`)
        print(f"ctreport: cannot write the output: {error.strerror or error}", file=sys.stderr)
        _silence_stdout()  # what is left in the buffer would fail again at exit
        code = ExitCode.INVALID_DATA
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
