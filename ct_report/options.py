"""The command line's options, declared once: the shared groups each command takes (filters,
output, fact base), the options they are parsed into (`Common`), and the arguments and
options of single commands as `Annotated` aliases."""

from __future__ import annotations

import contextlib
import inspect
from pathlib import Path
from typing import Annotated, Any, NamedTuple, get_args

import typer
from typer.models import ParameterInfo

from ct_report import complete
from ct_report.errors import UsageError
from ct_report.load import DataSelection
from ct_report.model import RELATIONS, EntityKind
from ct_report.query import Filters
from ct_report.render import FORMATS, Terminal


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
        return Filters(country=country, year=parse_years(self.year), since=self.since, until=self.until)

    def selection(self) -> DataSelection:
        return DataSelection.choose(self.data, self.add, use_cache=not self.no_cache)

    def terminal(self) -> Terminal:
        return Terminal.detect(self.no_color, no_pager=self.no_pager)


def parse_years(values: list[str] | None) -> tuple[int, ...] | None:
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


PANEL_ORDER = (None, FILTERS, OUTPUT, DATA)


def panel_rank(parameter: inspect.Parameter) -> int:
    for meta in getattr(parameter.annotation, "__metadata__", ()):
        if isinstance(meta, ParameterInfo):
            panel = meta.rich_help_panel
            return PANEL_ORDER.index(panel) if panel in PANEL_ORDER else len(PANEL_ORDER)
    return 0


PivotOption = Annotated[
    bool,
    typer.Option(
        "--pivot",
        rich_help_panel=OUTPUT,
        help="Countries as rows, years as columns, each cell the figure as worded (≥55: at least 55; —: no figure).",
    ),
]


RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region",
        "-r",
        help="CRT region or UN M49 region, e.g. europe, mena, northern-africa, crt:africa.",
        rich_help_panel=FILTERS,
        autocompletion=complete.regions,
    ),
]
PARTNER_KINDS = [k for k in get_args(EntityKind) if k not in ("terrorist-group", "fiu")]
KindOption = Annotated[
    str | None,
    typer.Option(
        "--kind",
        "-k",
        help=f"Kind of partner: country, {', '.join(PARTNER_KINDS)}.",
        rich_help_panel=FILTERS,
        autocompletion=complete.partner_kinds,
    ),
]
RelationOption = Annotated[
    str | None,
    typer.Option(
        "--relation",
        help=f"Relation: {', '.join(RELATIONS)}.",
        rich_help_panel=FILTERS,
        autocompletion=complete.relations,
    ),
]
FactIdArgument = Annotated[
    str,
    typer.Argument(
        metavar="FACT_ID", help="A fact id, as shown in every command's id field.", autocompletion=complete.fact_ids
    ),
]
StyleOption = Annotated[
    str, typer.Option("--style", help="plain, apa or bibtex.", autocompletion=complete.citation_styles)
]
CompareItems = Annotated[
    list[str],
    typer.Argument(
        metavar="YEAR_A YEAR_B | COUNTRIES",
        help="Two years (what changed); or, with --year, two or more countries (side by side).",
    ),
]
FigureArgument = Annotated[
    str, typer.Argument(metavar="FIGURE", help="What to draw: arrests, operations, cells or incidents.")
]
CountriesArgument = Annotated[
    list[str] | None,
    typer.Argument(metavar="[COUNTRIES]", help="Countries, one series each (default: every country with the figure)."),
]
OutputOption = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        metavar="PATH.svg|PATH.png",
        help="The file to write, replaced atomically; its suffix picks the format.",
    ),
]
ChartForceOption = Annotated[
    bool, typer.Option("--force", help="Replace the file even if it is not an SVG or PNG image (as its suffix says).")
]
SearchText = Annotated[str, typer.Argument(metavar="TEXT", help="Words to find, in English or Arabic.")]
CommandArgument = Annotated[
    str,
    typer.Argument(
        metavar="COMMAND", help="A command that prints rows, e.g. partners.", autocompletion=complete.field_commands
    ),
]
DestinationArgument = Annotated[
    Path, typer.Argument(metavar="PATH.db", help="The SQLite file to write (replaced atomically).")
]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace PATH.db even if it is not an SQLite database.")]
PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(help="Fact files or folders to check as a fact base of their own (default: the one in use)."),
]
