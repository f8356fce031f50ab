"""The command line: options in, one library call, one renderer, an exit code out.

Every command shares the same data, filter and output options through `@command`, so they are
declared once; errors from the library become one line on stderr in `_run`, nowhere else.
"""

import functools
import inspect
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from ct_report import __version__
from ct_report.errors import CtReportError, ExitCode, FactBaseError, NoMatchError, UsageError
from ct_report.load import DataSelection, load_base
from ct_report.model import FactBase
from ct_report.query import FIELDS, Field, Filters, Row
from ct_report.render import FORMATS, Options, Terminal

app = typer.Typer(
    name="ctreport",
    help="Facts from the US State Department's Country Reports on Terrorism, each with its source.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass(frozen=True)
class Common:
    """The options every command accepts."""

    country: str | None
    year: int | None
    format: str | None
    json: bool
    fields: str | None
    header: bool
    fail_empty: bool
    csv_formulas: bool
    data: list[Path] | None
    add: list[Path] | None
    no_color: bool
    debug: bool

    def filters(self) -> Filters:
        return Filters(country=self.country, year=self.year)

    def selection(self) -> DataSelection:
        return DataSelection.choose(self.data, self.add)


_COMMON_OPTIONS: list[tuple[str, Any, Any]] = [
    (
        "country",
        Annotated[
            str | None,
            typer.Option("--country", "-c", help="Country: MA, MAR, Morocco or المغرب.", rich_help_panel="Filters"),
        ],
        None,
    ),
    (
        "year",
        Annotated[int | None, typer.Option("--year", "-y", help="Year of the events.", rich_help_panel="Filters")],
        None,
    ),
    (
        "format",
        Annotated[
            str | None,
            typer.Option(
                "--format",
                "-f",
                help=f"Output format: {', '.join(FORMATS)}. Default: table on a terminal, plain when piped.",
                rich_help_panel="Output",
            ),
        ],
        None,
    ),
    ("json", Annotated[bool, typer.Option("--json", help="Same as --format json.", rich_help_panel="Output")], False),
    (
        "fields",
        Annotated[
            str | None,
            typer.Option(
                "--fields",
                help="Comma-separated fields to show, in order (see `ctreport fields COMMAND`).",
                rich_help_panel="Output",
            ),
        ],
        None,
    ),
    (
        "header",
        Annotated[
            bool,
            typer.Option(
                "--header/--no-header",
                help="Header row in table, plain, csv and markdown output.",
                rich_help_panel="Output",
            ),
        ],
        True,
    ),
    (
        "fail_empty",
        Annotated[
            bool, typer.Option("--fail-empty", help="Exit with code 3 when nothing matches.", rich_help_panel="Output")
        ],
        False,
    ),
    (
        "csv_formulas",
        Annotated[
            bool,
            typer.Option(
                "--csv-formulas",
                help="Leave CSV cells starting with = + - @ as they are (default: prefix them with ' so spreadsheets do not run them).",
                rich_help_panel="Output",
            ),
        ],
        False,
    ),
    (
        "data",
        Annotated[
            list[Path] | None,
            typer.Option(
                "--data",
                help="Use this fact base (YAML file or folder) instead of the bundled one; repeatable. Env: CTREPORT_DATA.",
                rich_help_panel="Fact base",
            ),
        ],
        None,
    ),
    (
        "add",
        Annotated[
            list[Path] | None,
            typer.Option(
                "--add",
                help="Add these YAML files or folders to the fact base; repeatable. Env: CTREPORT_ADD.",
                rich_help_panel="Fact base",
            ),
        ],
        None,
    ),
    (
        "no_color",
        Annotated[
            bool,
            typer.Option(
                "--no-color",
                help="No colour, even on a terminal (NO_COLOR and TERM=dumb work too).",
                rich_help_panel="Output",
            ),
        ],
        False,
    ),
    (
        "debug",
        Annotated[bool, typer.Option("--debug", help="Show a traceback for unexpected errors.", hidden=True)],
        False,
    ),
]


def command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command that takes `common: Common` plus its own options."""

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        own = [p for p in inspect.signature(func).parameters.values() if p.name != "common"]
        shared = [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=a, default=d) for n, a, d in _COMMON_OPTIONS
        ]

        @functools.wraps(func)
        def wrapper(**kwargs: Any) -> None:
            common = Common(**{n: kwargs.pop(n) for n, _, _ in _COMMON_OPTIONS})
            _run(common, lambda: func(common=common, **kwargs))

        wrapper.__signature__ = inspect.Signature(own + shared)  # type: ignore[attr-defined]
        del wrapper.__wrapped__  # Typer must read the new signature, not the original's
        return app.command(name)(wrapper)

    return decorate


def _run(common: Common, action: Callable[[], None]) -> None:
    """The one place library errors become messages and exit codes."""
    try:
        action()
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
    except KeyboardInterrupt:
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except Exception as error:
        if common.debug:
            traceback.print_exc()
        typer.echo(
            f"ctreport: internal error: {type(error).__name__}: {error}; rerun with --debug and report it", err=True
        )
        raise typer.Exit(70) from None


def _silence_stdout() -> None:
    # The reader went away (`| head -1`); point stdout at /dev/null so the interpreter's
    # final flush does not print a second BrokenPipeError.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _output(common: Common, term: Terminal, title: str = "", footer: str = "") -> Options:
    fmt = "json" if common.json else (common.format or term.default_format())
    if fmt not in FORMATS:
        from ct_report.text import suggest

        raise UsageError(f"unknown format '{fmt}'{suggest(fmt, FORMATS)}; valid: {', '.join(FORMATS)}")
    return Options(fmt, header=common.header, csv_formulas=common.csv_formulas, title=title, footer=footer)


def _choose_fields(command_name: str, common: Common, fmt: str) -> list[Field]:
    available = FIELDS[command_name]
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


def _footer(base: FactBase, rows: list[Row]) -> str:
    sources = sorted({row["source"] for row in rows})
    named = ", ".join(f"{s} ({base.sources[s].kind})" for s in sources)
    return f"Source: {named}. `ctreport show ID` gives a fact's passage."


def _emit_rows(command_name: str, common: Common, base: FactBase, rows: list[Row], title: str) -> None:
    from ct_report.render import render_rows

    term = Terminal.detect(common.no_color)
    options = _output(common, term, title=title, footer=_footer(base, rows) if rows else "")
    fields = _choose_fields(command_name, common, options.format)
    if not rows:
        _nothing_matched(common, term)
    render_rows(rows, fields, options, term)


def _nothing_matched(common: Common, term: Terminal) -> None:
    if common.fail_empty:
        raise NoMatchError("nothing matched")
    print("ctreport: nothing matched", file=term.stderr)


def _base(common: Common) -> FactBase:
    return load_base(common.selection())


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ctreport {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Facts from the US State Department's Country Reports on Terrorism, each with its source.

    Exit codes: 0 success; 1 invalid or missing fact base; 2 usage error (unknown option,
    region, country, year, field or format); 3 nothing matched with --fail-empty.
    """


@command("arrests")
def arrests(common: Common) -> None:
    """Arrests by country and year: people arrested, operations, cells and plot targets.

    Example: ctreport arrests --country MA --json
    """
    from ct_report.query import arrest_rows

    base = _base(common)
    _emit_rows("arrests", common, base, arrest_rows(base, common.filters()), "Terrorism-related arrests")


@command("partners")
def partners(
    common: Common,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            "-r",
            help="CRT region or UN M49 region, e.g. europe, mena, northern-africa, crt:africa.",
            rich_help_panel="Filters",
        ),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind", "-k", help="country, forum, partnership, exercise, coalition, ...", rich_help_panel="Filters"
        ),
    ] = None,
    relation: Annotated[
        str | None,
        typer.Option(
            "--relation",
            help="strong-cooperation, co-chair, member, host, designation, tension, ...",
            rich_help_panel="Filters",
        ),
    ] = None,
) -> None:
    """Cooperation partners: countries, organisations, forums and exercises, with the relation.

    Example: ctreport partners --region europe
    """
    from ct_report.query import partner_rows

    base = _base(common)
    rows = partner_rows(base, common.filters(), region=region, kind=kind, relation=relation)
    _emit_rows("partners", common, base, rows, "Counterterrorism cooperation partners")


@command("financing")
def financing(common: Common) -> None:
    """Bodies against terrorist financing and who holds the membership (the state or its FIU).

    Example: ctreport financing --json | jq -r '.[].acronym'
    """
    from ct_report.query import financing_rows

    base = _base(common)
    _emit_rows(
        "financing", common, base, financing_rows(base, common.filters()), "Countering the financing of terrorism"
    )


@command("summary")
def summary(common: Common) -> None:
    """Overview of each country-year: strategy, threat, incidents, arrests, partners, financing, CVE.

    Example: ctreport summary --country Morocco --year 2021
    """
    from ct_report.query import SUMMARY_SECTIONS, summaries
    from ct_report.render import render_document

    base = _base(common)
    overviews = summaries(base, common.filters())
    term = Terminal.detect(common.no_color)
    options = _output(common, term)
    if not overviews:
        _nothing_matched(common, term)
    lines: list[str] = []
    titles = dict(SUMMARY_SECTIONS)
    for overview in overviews:
        lines.append(
            f"{overview['country_name']} ({overview['country']}), {overview['year']}: {overview['edition_title']}"
        )
        for kind, items in overview["sections"].items():
            if not items:
                continue
            lines.append(f"  {titles[kind]}")
            for item in items:
                lines.append(f"  • {item['statement']} [{item['id']}; {item['source']}, {item['source_kind']}]")
                if "note" in item:
                    lines.append(f"    note: {item['note']}")
        lines.append("  Sources")
        for source in overview["sources"]:
            url = f" <{source['url']}>" if source["url"] else ""
            lines.append(f"  • {source['id']} ({source['kind']}): {source['title']}{url}")
        lines.append("")
    render_document(overviews, options, term, lines[:-1] if lines else lines, single=True)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(ExitCode.OK)
