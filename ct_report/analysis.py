"""Answers across countries and years, built from the rows and comparisons of `query`: group
counts (facets), pivots of figures, countries side by side, timelines and chart series.

Pure functions: no I/O, no printing. A figure keeps its qualifier wherever it goes: a lower
bound stays a lower bound in a grid cell, a chart point and a difference.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from ct_report.errors import UsageError
from ct_report.query import Field, Row
from ct_report.text import suggest

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
        if known[name] not in chosen:
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
