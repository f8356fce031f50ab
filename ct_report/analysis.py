"""Answers across countries and years, built from the rows and comparisons of `query`: group
counts (facets), pivots of figures, countries side by side, timelines and chart series.

Pure functions: no I/O, no printing. A figure keeps its qualifier wherever it goes: a lower
bound stays a lower bound in a grid cell, a chart point and a difference.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from ct_report.errors import UsageError
from ct_report.fields import Field, Row
from ct_report.model import Fact, FactBase, Figure
from ct_report.present import country_fields, display_name, figure_text, speaks_for_report
from ct_report.query import (
    COMPARED_FIGURES,
    COMPARED_RELATIONS,
    Filters,
    check_filters,
    check_year,
    compare,
    facts_of,
    figure_change,
    first_figure,
    in_order,
    relations_of,
    resolve_country,
)
from ct_report.text import suggest

if TYPE_CHECKING:
    from ct_report.documents import Comparison

# --- group counts ---------------------------------------------------------------------------

FACET_COUNTS = [
    Field("count", "Country-years in the group (rows, for rows without a country and year)"),
    Field("rows", "Rows in the group"),
    Field("countries", "Countries in the group"),
    Field("ids", "Ids of the rows in the group (fact ids: `ctreport show ID`)", in_table=False),
]
DERIVED_FACETS = {
    "region": Field("region", "The reporting country's CRT region (the report's own chapter)"),
    "m49_region": Field("m49_region", "The reporting country's UN M49 sub-region"),
}
"""Facets worked out from a row's country rather than read from a field."""

RegionsOf = Callable[[str], Iterable[str]]
"""A country code → its leaf region ids (one CRT chapter, one M49 sub-region)."""


def facet_names(by: str, available: list[Field], regions_of: RegionsOf | None) -> list[Field]:
    """The fields named in `by` ('partner_name' or 'country,year'), checked against those the
    rows carry, plus the regions derived from the country when the rows have one."""
    known = {f.name: f for f in available}
    if regions_of is not None and "country" in known:
        known.update(DERIVED_FACETS)
    chosen: list[Field] = []
    for name in (n.strip() for n in by.split(",")):
        if not name:
            raise UsageError(f"empty field in '{by}'; give fields separated by commas, e.g. country,year")
        if name not in known:
            raise UsageError(f"unknown field '{name}' to group by{suggest(name, known)}; valid: {', '.join(known)}")
        if known[name] in chosen:
            raise UsageError(f"field '{name}' is given twice to group by; give each field once")
        chosen.append(known[name])
    return chosen


def facet_fields(by: list[Field], rows_have: Iterable[str]) -> list[Field]:
    """The fields of a facet answer: the grouping fields, then the counts that apply."""
    present = set(rows_have)
    counts = [
        f
        for f in FACET_COUNTS
        if (f.name != "countries" or "country" in present) and (f.name != "ids" or "id" in present)
    ]
    return [*by, *counts]


def facets(rows: list[Row], by: list[Field], regions_of: RegionsOf | None = None) -> list[Row]:
    """Rows grouped by the values of `by`: how many country-years (and rows) share each
    combination, with the countries and ids. A list field (a partner's regions) counts a row
    once under each of its values, as Datasette's array facets do. Most frequent first."""
    names = [f.name for f in by]
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    has_country_year = bool(rows) and all("country" in r and "year" in r for r in rows)
    for row in rows:
        values = [_facet_values(row, name, regions_of) for name in names]
        for key in itertools.product(*values):
            group = groups.setdefault(key, {"country_years": set(), "rows": 0, "countries": set(), "ids": []})
            group["rows"] += 1
            if has_country_year:
                group["country_years"].add((row["country"], row["year"]))
            if row.get("country"):
                group["countries"].add(row["country"])
            if row.get("id") is not None and row["id"] not in group["ids"]:
                group["ids"].append(row["id"])
    present = set(rows[0]) if rows else set()
    answer = []
    for key, group in groups.items():
        item: Row = dict(zip(names, key, strict=True))
        item["count"] = len(group["country_years"]) if has_country_year else group["rows"]
        item["rows"] = group["rows"]
        if "country" in present:
            item["countries"] = sorted(group["countries"])
        if "id" in present:
            item["ids"] = group["ids"]
        answer.append(item)
    answer.sort(key=lambda item: [_order(item[n]) for n in names])
    answer.sort(key=lambda item: -item["count"])  # stable: ties keep the order of their values
    return answer


def _facet_values(row: Row, name: str, regions_of: RegionsOf | None) -> list[Any]:
    if name in DERIVED_FACETS and name not in row:
        assert regions_of is not None
        scheme = "crt:" if name == "region" else "m49:"
        found = [r for r in regions_of(row["country"]) if r.startswith(scheme)]
        return found or [None]
    value = row.get(name)
    if isinstance(value, list):
        return list(dict.fromkeys(value)) or [None]
    return [value]


def _order(value: Any) -> tuple[bool, str, Any]:
    """Sort key for mixed values: missing ones last, then by type, then by value."""
    return (value is None, type(value).__name__, value if value is not None else "")


# --- pivots of figures ----------------------------------------------------------------------

PIVOT_FIGURES = {"arrests": ("arrests", "arrested"), "incidents": ("incidents", "count")}
"""Command → (fact kind, the figure its pivot shows)."""

NO_FIGURE = "—"
# One footnote per kind of cell, in this order; the key is what marks the cell.
CELL_NOTES = {
    "at-least": "≥N: at least N, a lower bound",
    "more-than": ">N: more than N, a lower bound",
    "about": "~N: about N",
    "reportedly": "N*: reportedly N (the source attributes the figure to others)",
    "unconfirmed": "?: not confirmed by the source",
    "relative": "~2× 2018: no number, only a comparison with another year, as the source words it",
    "disputed": "a / b: sources disagree; every figure is kept",
    "none": f"{NO_FIGURE}: no figure recorded (not zero)",
    "national": (
        "figures from other sources than the report (national authorities' counts, other indexes) "
        "are left out; the list command gives them"
    ),
}


class Pivot(TypedDict):
    """A figure as a country × year grid; every cell as worded, short."""

    figure: str
    years: list[int]
    rows: list[Row]
    """One per country: `country`, `country_name`, `country_name_ar`, then a cell per year."""
    values: dict[str, list[int | None]]
    """Per country, the first figure's number per year (None: no number), for sparklines."""
    notes: list[str]
    ids: list[str]
    sources: list[str]


def pivot(base: FactBase, filters: Filters, command: str) -> Pivot:
    """The figure of `command` ('arrests' or 'incidents') with countries as rows and years as
    columns. Every country and year with facts in the filters gets its row and column, so a
    missing figure shows as such rather than disappearing."""
    kind, name = PIVOT_FIGURES[command]
    country = check_filters(base, filters)
    in_scope = [f for f in base.facts if (country is None or f.country in country) and filters.years_match(f.year)]
    years = sorted({f.year for f in in_scope})
    found: dict[tuple[str, int], list[tuple[Figure, Fact]]] = {}
    national = False
    for fact in in_order(base, kind):
        figure = getattr(fact, name)
        if (
            figure is None
            or (country is not None and fact.country not in country)
            or not filters.years_match(fact.year)
        ):
            continue
        if not speaks_for_report(base, fact):
            national = True
            continue
        found.setdefault((fact.country, fact.year), []).append((figure, fact))
    kinds: set[str] = set()
    rows: list[Row] = []
    values: dict[str, list[int | None]] = {}
    for code in sorted({f.country for f in in_scope}):
        row: Row = {**country_fields(base, code)}
        values[code] = []
        for year in years:
            figures = found.get((code, year), [])
            cells = [short_figure(figure) for figure, _ in figures]
            kinds.update(note for _, note in cells if note)
            if len(cells) > 1:
                kinds.add("disputed")
            if not cells:
                kinds.add("none")
            row[str(year)] = " / ".join(cell for cell, _ in cells) or NO_FIGURE
            values[code].append(figures[0][0].value if figures else None)
        rows.append(row)
    used = [fact for figures in found.values() for _, fact in figures]
    return {
        "figure": name,
        "years": years,
        "rows": rows,
        "values": values,
        "notes": [text for key, text in CELL_NOTES.items() if key in kinds | ({"national"} if national else set())],
        "ids": [fact.id for fact in used],
        "sources": sorted({fact.source for fact in used}),
    }


def pivot_fields(grid: Pivot) -> list[Field]:
    return [
        Field("country", "ISO 3166-1 alpha-2 code"),
        Field("country_name", "Name of the country (Arabic with --lang ar)"),
        Field("country_name_ar", "Arabic name of the country", in_table=False),
        *(Field(str(year), f"The figure for {year}, as worded (short)") for year in grid["years"]),
    ]


_MARKS = {"exact": "{}", "at-least": "≥{}", "more-than": ">{}", "about": "~{}", "reportedly": "{}*"}
_FACTORS = {"double": "2", "twice": "2", "triple": "3", "three times": "3", "half": "½", "quadruple": "4"}
_RELATIVE = re.compile(
    r"^(?P<rough>roughly |about |nearly |almost |approximately |some )?(?P<factor>"
    + "|".join(_FACTORS)
    + r")\b(?:.*?\b(?P<year>(?:19|20)\d\d)\b)?"
)


def short_figure(figure: Figure) -> tuple[str, str | None]:
    """A figure as a grid cell, and the kind of footnote it needs (None for an exact number):
    'at least 55' → '≥55', 'roughly double the 2018 number' → '~2× 2018', 0 only when the
    source says 0."""
    if figure.value is not None:
        if figure.qualifier in _MARKS:
            note = None if figure.qualifier == "exact" else figure.qualifier
            return _MARKS[figure.qualifier].format(figure.value), note
        if figure.qualifier == "unconfirmed":
            return f"{figure.value}?", "unconfirmed"
        return f"{figure.value} ({figure.text})" if figure.text else str(figure.value), figure.qualifier
    text = figure.text or ""
    if figure.qualifier == "unconfirmed":
        return "?", "unconfirmed"
    match = _RELATIVE.match(text.casefold())
    if match is None:
        return text, figure.qualifier
    year = f" {match['year']}" if match["year"] else ""
    return f"{'~' if match['rough'] else ''}{_FACTORS[match['factor']]}×{year}", figure.qualifier


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int | None]) -> str:
    """A series as one character per year, scaled to its own largest value: a space where
    there is no number."""
    largest = max((v for v in values if v is not None), default=0) or 1
    return "".join(" " if v is None else SPARKS[round((len(SPARKS) - 1) * v / largest)] for v in values)


def add_sparklines(rows: list[Row], fields: list[Field], name: str) -> list[Field]:
    """Give the first row of each country a sparkline of `{name}_value` over the years the rows
    span; the other rows of that country leave the cell blank."""
    years = sorted({r["year"] for r in rows})
    series: dict[str, dict[int, int | None]] = {}
    for row in rows:
        per_year = series.setdefault(row["country"], {})
        if per_year.get(row["year"]) is None:
            per_year[row["year"]] = row.get(f"{name}_value")
    seen: set[str] = set()
    for row in rows:
        first = row["country"] not in seen
        seen.add(row["country"])
        # A space, not "": the table shows an empty cell as "—", which would read as "no figure".
        row["sparkline"] = sparkline([series[row["country"]].get(y) for y in years]) if first else " "
    span = f"{years[0]}–{years[-1]}" if years else ""
    return [*fields, Field("sparkline", f"{name} per year {span}, per country")]


# --- countries side by side -----------------------------------------------------------------


class CountryComparison(TypedDict):
    """Two or more countries in one year: figures, and what each names."""

    year: int
    countries: list[Row]
    """`country`, `country_name`, `country_name_ar` and `facts` (how many it records that year)."""
    measures: dict[str, Row]
    """Per figure: `figures` and `ids` by country (None: no figure), `disputed` (ids of facts
    that disagree), and `differences` from the first country to each other one, as
    `query.figure_change` words them."""
    relations: list[Row]
    """Partners, memberships and groups: `named_by` (countries), `not_named_by` (countries that
    record facts of that kind, but not this one) and the `ids`."""
    notes: list[str]


def compare_countries(base: FactBase, year: int, countries: list[str]) -> CountryComparison:
    """Countries side by side in one year, as honest as the year comparison it shares its parts
    with: a figure one country lacks is 'not comparable', and a kind of fact a country records
    nothing of is left out of the comparison for it, with a note."""
    check_year(base, year)
    codes = list(dict.fromkeys(resolve_country(base, text) for text in countries))
    if len(codes) < 2:
        raise UsageError(f"comparing countries needs two or more different countries, e.g. MA DZ; got {codes[0]}")
    sides = []
    notes = []
    for code in codes:
        count = base.tally().get((code, year), (0, {}))[0]
        sides.append({**country_fields(base, code), "facts": count})
        if not count:
            notes.append(f"no facts are recorded for {code} in {year}")
    return {
        "year": year,
        "countries": sides,
        "measures": _side_by_side_figures(base, year, codes),
        "relations": _side_by_side_relations(base, year, codes, notes),
        "notes": notes,
    }


def _side_by_side_figures(base: FactBase, year: int, codes: list[str]) -> dict[str, Row]:
    measures: dict[str, Row] = {}
    for label, kind, name in COMPARED_FIGURES:
        found = {code: first_figure(base, kind, name, code, year) for code in codes}
        if all(figure is None for figure, _ in found.values()):
            continue
        first = codes[0]
        measures[label] = {
            "figures": {code: figure_text(figure) for code, (figure, _) in found.items()},
            "ids": {code: fact.id if fact else None for code, (_, fact) in found.items()},
            "disputed": sorted({c for _, fact in found.values() if fact for c in fact.conflicts_with}),
            "differences": [
                {
                    "from": first,
                    "to": other,
                    **figure_change(found[first][0], found[other][0], first, other, "the same"),
                }
                for other in codes[1:]
            ],
        }
    return measures


def _side_by_side_relations(base: FactBase, year: int, codes: list[str], notes: list[str]) -> list[Row]:
    relations: list[Row] = []
    for kind, what in COMPARED_RELATIONS:
        named = {code: relations_of(facts_of(base, kind, code, year)) for code in codes}
        recorded = [code for code in codes if named[code]]
        if len(recorded) < 2:
            if recorded:
                notes.append(f"{what} are recorded for {recorded[0]} only in {year}, so {what} are not compared")
            continue
        notes.extend(
            f"no {what} are recorded for {code} in {year}, so its {what} are not compared"
            for code in codes
            if code not in recorded
        )
        keys = {key for code in recorded for key in named[code]}
        items = []
        for ident, relation in keys:
            named_by = [code for code in recorded if (ident, relation) in named[code]]
            items.append(
                {
                    "kind": kind,
                    "name": display_name(base, ident),
                    "name_ar": display_name(base, ident, "ar"),
                    "relation": relation,
                    "named_by": named_by,
                    "not_named_by": [code for code in recorded if code not in named_by],
                    "ids": [named[code][(ident, relation)] for code in named_by],
                }
            )
        # What every country names first, then by name.
        relations += sorted(items, key=lambda item: (-len(item["named_by"]), item["name"], item["relation"]))
    return relations


# --- timelines ------------------------------------------------------------------------------


class Timeline(TypedDict):
    """Year by year, what a country's facts add and drop: the year comparison of each pair of
    consecutive years with facts."""

    country: str
    country_name: str
    country_name_ar: str | None
    years: list[int]
    steps: list[Comparison]
    """`query.compare` of each pair of consecutive years, exactly as it answers."""


def timeline(base: FactBase, filters: Filters) -> list[Timeline]:
    """A timeline per country (the one asked for, or every country with two years or more)."""
    country = check_filters(base, filters)
    years_of: dict[str, set[int]] = {}
    for fact in base.facts_in(country, filters.years_match):
        years_of.setdefault(fact.country, set()).add(fact.year)
    timelines: list[Timeline] = []
    for code in sorted(years_of):
        years = sorted(years_of[code])
        if len(years) < 2 and country is None:
            continue
        names = base.countries[code].name
        steps = [compare(base, a, b, code)[0] for a, b in itertools.pairwise(years)]
        timelines.append(
            {"country": code, "country_name": names.en, "country_name_ar": names.ar, "years": years, "steps": steps}
        )
    return timelines


# --- chart series ---------------------------------------------------------------------------

CHART_FIGURES = {
    "arrests": ("arrests", "arrested", "People arrested for terrorism", "عدد الموقوفين في قضايا الإرهاب"),
    "operations": ("arrests", "operations", "Counterterrorism operations", "عمليات مكافحة الإرهاب"),
    "cells": ("arrests", "cells", "Terrorist cells dismantled", "الخلايا الإرهابية المفككة"),
    "incidents": ("incidents", "count", "Terrorist incidents", "الحوادث الإرهابية"),
}
"""What `chart` can draw: name → (fact kind, figure field, title, Arabic title)."""
LOWER_BOUND_QUALIFIERS = frozenset({"at-least", "more-than"})


@dataclass
class Point:
    """One figure of a series: its number (None when the source gives only words)."""

    year: int
    value: int | None
    qualifier: str
    worded: str
    id: str
    source: str

    @property
    def lower_bound(self) -> bool:
        return self.qualifier in LOWER_BOUND_QUALIFIERS


@dataclass
class Series:
    """A country's figures, in year order; a year may hold several when sources disagree."""

    country: str
    name: str
    name_ar: str | None
    points: list[Point]


@dataclass
class ChartData:
    """Everything a chart shows, worked out before any drawing library is imported."""

    figure: str
    title: str
    title_ar: str
    years: list[int]
    series: list[Series]
    sources: list[str]
    """'id (kind)' of every source behind a point."""
    notes: list[str]
    """What the chart cannot draw: figures without a number, disagreements."""


def chart_data(base: FactBase, figure: str, countries: list[str], filters: Filters) -> ChartData:
    """A series per country with a number to draw (every country with the figure when
    `countries` is empty), over the full span of years so that a year without a figure is a
    gap on the axis. No series at all when there is nothing to draw."""
    if figure not in CHART_FIGURES:
        raise UsageError(
            f"unknown figure '{figure}'{suggest(figure, CHART_FIGURES)}; valid: {', '.join(CHART_FIGURES)}"
        )
    kind, name, title, title_ar = CHART_FIGURES[figure]
    check_filters(base, filters)
    codes = list(dict.fromkeys(resolve_country(base, text) for text in countries))
    given_facts = [
        f
        for f in in_order(base, kind)
        if getattr(f, name) is not None and (not codes or f.country in codes) and filters.years_match(f.year)
    ]
    facts = [f for f in given_facts if speaks_for_report(base, f)]
    series: list[Series] = []
    notes: list[str] = [CELL_NOTES["national"]] if len(facts) < len(given_facts) else []
    for code in codes or sorted({f.country for f in facts}):
        points = []
        for fact in (f for f in facts if f.country == code):
            given: Figure = getattr(fact, name)
            worded = figure_text(given) or ""
            points.append(Point(fact.year, given.value, given.qualifier, worded, fact.id, fact.source))
            if given.value is None:
                notes.append(f"{code} {fact.year}: {worded} (no number, not drawn) [{fact.id}]")
        drawn = [p for p in points if p.value is not None]
        for year, same_year in itertools.groupby(drawn, key=lambda p: p.year):
            several = list(same_year)
            if len(several) > 1:
                ids = ", ".join(p.id for p in several)
                notes.append(f"{code} {year}: sources disagree, every figure is drawn [{ids}]")
        if not points:
            notes.append(f"{code}: no figure recorded")
        if not drawn:
            # Nothing to draw (each figure in words is noted above): no line, no legend entry.
            continue
        names = base.countries[code].name
        series.append(Series(code, names.en, names.ar, points))
    years = [p.year for s in series for p in s.points]
    span = list(range(min(years), max(years) + 1)) if years else []
    sources = sorted({p.source for s in series for p in s.points})
    return ChartData(
        figure=name,
        title=title,
        title_ar=title_ar,
        years=span,
        series=series,
        sources=[f"{s} ({base.sources[s].kind})" for s in sources],
        notes=notes,
    )
