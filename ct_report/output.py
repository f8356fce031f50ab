"""How the command line writes an answer: the options chosen for it checked and turned into a
format and fields, rows and documents written through the renderers, the notes and footers
that go with them. The one output path of every command; it knows the flags, the library
does not."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import typer

from ct_report import __version__
from ct_report.errors import CtReportError, ExitCode, FactBaseError, NoMatchError, UsageError
from ct_report.fields import PROBLEM_FIELDS, Field, Line, Row
from ct_report.kinds import FIELDS
from ct_report.model import FactBase
from ct_report.options import Common, parse_years
from ct_report.query import RowSet
from ct_report.render import FORMATS, Options, Terminal
from ct_report.text import printable
from ct_report.typer_glue import silence_stdout


def output_options(common: Common, term: Terminal, title: str = "", footer: str = "") -> Options:
    from ct_report.i18n import translate

    refuse_contradictions(common)
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


def refuse_contradictions(common: Common) -> None:
    """Options that ask for two different things are an error, not a silent choice."""
    if common.json and common.format not in (None, "json"):
        raise UsageError(f"--json and --format {common.format} ask for two formats; give one of them")
    if common.count_only and common.fields is not None:
        raise UsageError("--count prints only a number, so --fields has nothing to show; drop one of them")


def choose_fields(available: list[Field], command_name: str, common: Common, fmt: str) -> list[Field]:
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


def sources_footer(base: FactBase, rows: list[Row], lang: str) -> str:
    from ct_report.i18n import translate, value

    sources = sorted({row["source"] for row in rows if "source" in row})
    if not sources:
        return ""
    named = ", ".join(f"{s} ({value(base.sources[s].kind, lang)})" for s in sources)
    return translate("Source: {sources}. `ctreport show ID` gives a fact's passage.", lang, sources=named)


def _stored_runs(answer: RowSet, limit: int | None) -> Callable[[int], Iterable[bytes]]:
    """How to read the JSON text of an answer's first `limit` rows in runs (see
    `render.write_encoded_rows`): as the cache holds them when the answer is a whole section."""
    from ct_report.render import line_runs

    whole = answer.stored_runs
    if whole is not None and limit is None:
        return whole
    return lambda size: line_runs((answer.encoded or [])[:limit], size)


def emit_rows(
    command_name: str,
    common: Common,
    answer: RowSet | list[Row],
    title: str,
    footer: str = "",
    bars: str | None = None,
    available: Sequence[Field] | None = None,
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
    available = list(available) if available is not None else FIELDS[command_name]
    options = output_options(common, term, title=title, footer=footer)
    if sources_of is not None and options.format in ("table", "markdown"):
        options = options._replace(footer=sources_footer(sources_of, answer.keys, common.lang))
    if common.by is not None:
        answer, available = facets_answer(common, answer, available, options.format, sources_of)
        options, bars, sparks = options._replace(title=f"{title}: group counts by {common.by}"), None, None
    fields = choose_fields(available, command_name, common, options.format)
    if not answer:
        nothing_matched(common, term)
    if common.count_only:
        write(term, f"{len(answer)}\n")
        return
    if (
        answer.stored
        and options.format in ("json", "ndjson")
        and not term.is_tty
        and fields == available
        and common.sort is None
        and write_encoded_rows(
            _stored_runs(answer, common.limit),
            len(answer) if common.limit is None else min(common.limit, len(answer)),
            options.format,
            term,
        )
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


def facets_answer(
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


def emit_document(
    common: Common,
    documents: Sequence[Mapping[str, Any]],
    lines: list[Line],
    rows: list[Row],
    row_fields: Sequence[Field],
    single: bool,
) -> None:
    """Write the answer of summary, show or compare: JSON, NDJSON and YAML give the documents;
    table and plain give the text `lines`; csv and markdown give the same answer as `rows`."""
    from ct_report.render import render_document, render_rows

    term = common.terminal()
    options = output_options(common, term)
    if not documents:
        nothing_matched(common, term)
    if options.format in ("csv", "markdown"):
        render_rows(rows, row_fields, options, term)
    else:
        render_document(documents, options, term, lines, single=single)


def nothing_matched(common: Common, term: Terminal) -> None:
    if common.fail_empty:
        raise NoMatchError("nothing matched")
    print("ctreport: nothing matched", file=term.stderr)


def emit_pivot(command_name: str, common: Common, base: FactBase, title: str) -> None:
    """A figure as a country × year grid, in any format; the footnotes go under a table or
    markdown, and to stderr beside the formats that have no room for them."""
    from ct_report.analysis import pivot, pivot_fields, sparkline

    if common.by is not None:
        raise UsageError("--pivot and --by give two different answers; choose one")
    grid = pivot(base, common.filters(), command_name)
    term = common.terminal()
    fmt = output_options(common, term).format
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
    emit_rows(command_name, common, grid["rows"], title, footer=footer, available=available)


def two_years(items: list[str]) -> tuple[int, int]:
    """`compare`'s two forms cannot be confused: without --year, exactly two years."""
    if len(items) != 2 or not all(item.isdigit() for item in items):
        got = " ".join(items)
        raise UsageError(
            f"compare takes two years (ctreport compare 2020 2021), or --year and two or more countries "
            f"(ctreport compare --year 2021 MA DZ); got '{got}'"
        )
    return int(items[0]), int(items[1])


def emit_country_comparison(common: Common, base: FactBase, items: list[str]) -> None:
    """`compare --year YEAR CC CC...`: the countries side by side."""
    from ct_report.analysis import compare_countries
    from ct_report.views import country_comparison_fields, country_comparison_lines, country_comparison_rows

    years = parse_years(common.year) or ()
    if len(years) != 1 or common.country is not None or any(item.isdigit() for item in items):
        raise UsageError(
            "with --year, compare takes one year and the countries as arguments "
            "(ctreport compare --year 2021 MA DZ); without it, two years"
        )
    comparison = compare_countries(base, years[0], items)
    lines = country_comparison_lines(comparison, common.lang)
    rows = country_comparison_rows(comparison)
    fields = country_comparison_fields(comparison)
    emit_document(common, [dict(comparison)], lines, rows, fields, single=True)


def emit_year_comparison(common: Common, base: FactBase, items: list[str]) -> None:
    """`compare YEAR_A YEAR_B`: what changed, the earlier year first whatever the order given."""
    from ct_report.query import compare
    from ct_report.views import COMPARE_ROW_FIELDS, compare_lines, compare_rows

    year_a, year_b = two_years(items)
    if year_a > year_b:
        print(f"ctreport: note: comparing {year_b} with {year_a}, the earlier year first", file=sys.stderr)
        year_a, year_b = year_b, year_a
    country = tuple(common.country) if common.country else None
    results = compare(base, year_a, year_b, country)
    lines = compare_lines(results, common.lang)
    emit_document(common, results, lines, compare_rows(results), COMPARE_ROW_FIELDS, single=False)


COVERAGE_LEGEND = (
    "R: report (the chapter or a verbatim mirror), G: government (an official body's own figures), "
    "P: press; the number of facts follows; none: a country-year the base sets out to cover, with no facts."
)


def emit_coverage(common: Common, base: FactBase) -> None:
    """A country × year grid on a terminal; one row per country-year otherwise."""
    from ct_report.query import arrange, coverage_grid, coverage_rows, localise

    rows = coverage_rows(base, common.filters())
    term = common.terminal()
    grid = common.fields is None and common.sort is None and common.by is None
    if output_options(common, term).format == "table" and term.is_tty and grid:
        rows, columns = coverage_grid(localise(arrange(rows, FIELDS["coverage"], None, common.limit), common.lang))
        emit_rows("coverage", common, rows, "Coverage of the fact base", COVERAGE_LEGEND, available=columns)
        return
    emit_rows("coverage", common, rows, "Coverage of the fact base", sources_of=base)


def emit_chart(
    common: Common, load: Callable[[], FactBase], figure: str, countries: list[str], output: Path, force: bool
) -> None:
    """Draw a figure per country into `output`; the destination is checked before the base is
    loaded, so a refusal is quick."""
    from ct_report.analysis import chart_data
    from ct_report.chart import check_destination, draw

    check_destination(output, force)
    named = [c for text in [*countries, *(common.country or [])] for c in text.split(",") if c.strip()]
    data = chart_data(load(), figure, named, common.filters()._replace(country=None))
    if not data.series:
        # As for an empty list: 0 (the reason on stderr), unless --fail-empty. No file is written.
        nothing = f"nothing to draw: no {figure} figure with a number" + (f" for {', '.join(named)}" if named else "")
        if common.fail_empty:
            raise NoMatchError(nothing)
        print(f"ctreport: {printable(nothing)}", file=sys.stderr)
        return
    draw(data, output, common.lang, force)
    points = sum(p.value is not None for s in data.series for p in s.points)
    print(f"wrote {printable(str(output))}: {len(data.series)} series, {points} figures", file=sys.stderr)


def emit_validation(common: Common, paths: list[Path] | None) -> None:
    """Every problem of a fact base as file:line:column: message (or in the format asked for);
    CtReportError when there are any."""
    from ct_report.load import DataSelection, check
    from ct_report.render import render_rows, write

    selection = DataSelection((*paths, *(common.add or [])), use_cache=False) if paths else common.selection()
    report = check(selection)
    term = common.terminal()
    options = output_options(common, term, title="Problems")
    if options.format == "plain" or (options.format == "table" and not report.problems):
        # The form editors and CI annotate from: file:line:column: message.
        write(term, "".join(f"{p}\n" for p in report.problems))
    else:
        render_rows([p._asdict() for p in report.problems], PROBLEM_FIELDS, options, term)
    if report.problems:
        raise CtReportError(FactBaseError.counted(report.problems))
    base = report.base
    counts = [(report.yaml_files, "file"), (len(base.facts), "fact"), (len(base.sources), "source")]
    counts.append((len(base.countries), "country"))
    print("ok: " + ", ".join(_plural(n, noun) for n, noun in counts), file=term.stderr)


def _plural(count: int, noun: str) -> str:
    """'1 file', '2 files', '2 countries'."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def run_command(common: Common, action: Callable[[], None]) -> None:
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
        typer.echo(f"ctreport: {_option_named(error)}{printable(error.message)}", err=True)
        raise typer.Exit(error.exit_code) from None
    except BrokenPipeError:
        silence_stdout()
        raise typer.Exit(ExitCode.OK) from None
    except OSError as error:
        # The environment, not ctreport: a full disk or a closed terminal under stdout.
        typer.echo(f"ctreport: cannot write the output: {error.strerror or error}", err=True)
        raise typer.Exit(ExitCode.INVALID_DATA) from None
    except KeyboardInterrupt:
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except Exception as error:
        if common.debug:
            import traceback

            traceback.print_exc()
        typer.echo(
            f"ctreport: internal error: {type(error).__name__}: {printable(str(error))}; rerun with --debug and report it",
            err=True,
        )
        raise typer.Exit(ExitCode.INTERNAL) from None


OPTIONS_FOR = {"country": "--country", "region": "--region", "years": "--year/--since/--until"}
"""The options that give the values the library names in its usage errors."""


def _option_named(error: CtReportError) -> str:
    """'--country: ' before a library error about a country; the library knows no flags."""
    value_of = getattr(error, "value_of", None)
    return f"{OPTIONS_FOR[value_of]}: " if value_of in OPTIONS_FOR else ""


def show_version(value: bool) -> None:
    """`--version`: ctreport's version, and the editions of the fact base in use."""
    if value:
        typer.echo(f"ctreport {__version__}")
        typer.echo(f"fact base: {_edition_range()}")
        raise typer.Exit()


def _edition_range() -> str:
    """'editions crt-2016 to crt-2023 (events of 2016–2023), latest published 2023-02-27'."""
    from ct_report.load import DataSelection, load_base
    from ct_report.query import edition_range

    try:
        base = load_base(DataSelection.choose())
    except CtReportError as error:
        return f"not usable ({error.message})"
    try:
        return edition_range(base)
    finally:
        base.release()
