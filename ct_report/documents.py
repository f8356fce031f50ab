"""The documents that pass between the library and the views: what `summary`, `compare` and
`show` answer. Typed, so that a renamed key fails the type check rather than a user."""

from __future__ import annotations

from typing import Any, TypedDict


class CountryFields(TypedDict):
    country: str
    country_name: str
    country_name_ar: str | None


class SourceRef(TypedDict):
    id: str
    kind: str
    title: str
    url: str | None


class SummaryItem(TypedDict):
    id: str
    statement: str
    statement_ar: str | None
    source: str
    source_kind: str
    note: str | None
    conflicts_with: list[str]


class Summary(CountryFields):
    """One country-year: each summary section's facts, briefly, and the sources they rest on."""

    year: int
    edition: str
    edition_title: str
    sections: dict[str, list[SummaryItem]]
    """By fact kind, in the order of `kinds.KINDS`."""
    sources: list[SourceRef]


class Change(TypedDict):
    """Two figures and the change between them, as far as their qualifiers allow."""

    before: str | None
    after: str | None
    difference: int | None
    exact: bool
    change: str


class Measure(Change):
    ids: list[str]
    disputed: list[str]


class RelationChange(TypedDict):
    """A partner, membership or group named in one of two years only."""

    name: str
    name_ar: str
    relation: str
    change: str
    mentioned_in: int
    id: str


class Comparison(CountryFields):
    """What changed for a country from `year_a` to `year_b`."""

    year_a: int
    year_b: int
    measures: dict[str, Measure]
    relations: list[RelationChange]
    notes: list[str]


class SourceRecord(TypedDict):
    id: str
    kind: str
    title: str
    publisher: str | None
    language: str | None
    date: str | None
    edition: str | None
    url: str | None
    text: str | None
    note: str | None


class Context(TypedDict):
    """The sentence holding a quoted passage, and the sentences before and after it."""

    before: str
    sentence: str
    after: str


class FactRecord(CountryFields):
    """A fact in full (`show`): its statement, locator, details, passage and sources."""

    id: str
    kind: str
    year: int
    edition: str
    statement: str
    statement_ar: str | None
    quote: str | None
    note: str | None
    conflicts_with: list[str]
    section: str | None
    key_phrase: str | None
    details: dict[str, Any]
    source: SourceRecord
    corroborated_by: list[SourceRecord]
    context: Context | None
    file: str | None
