"""How facts read as row values: figures as worded, names, a fact's subject and source fields.
Pure functions over the model; the kind registry and the queries build rows from them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ct_report.fields import Row
from ct_report.model import Event, Fact, FactBase, Figure

if TYPE_CHECKING:
    from ct_report.documents import CountryFields

LOWER_BOUNDS = frozenset({"at-least", "more-than"})


def figure_text(figure: Figure | None) -> str | None:
    """'at least 55', 'more than 20', '71 (reportedly)', 'roughly double the 2018 number'."""
    if figure is None:
        return None
    if figure.value is None:
        return f"{figure.text}, according to {figure.attributed_to}" if figure.attributed_to else figure.text
    number = f"{figure.value:,}"
    worded = {
        "exact": number,
        "at-least": f"at least {number}",
        "more-than": f"more than {number}",
        "about": f"about {number}",
        "reportedly": f"{number} (reportedly)",
        "relative": number,
        "unconfirmed": f"{number} (unconfirmed)",
    }[figure.qualifier]
    worded = f"{worded} ({figure.text})" if figure.text else worded
    return f"{worded}, according to {figure.attributed_to}" if figure.attributed_to else worded


def figure_row(name: str, figure: Figure | None) -> Row:
    """A figure as the three fields of `fields.figure_fields`."""
    return {
        name: figure_text(figure),
        f"{name}_value": figure.value if figure else None,
        f"{name}_qualifier": figure.qualifier if figure else None,
    }


def speaks_for_report(base: FactBase, fact: Fact) -> bool:
    """Whether a fact gives the report's own word: its source is the chapter, or an article
    about it (press that `summarises` a chapter or is about a report `edition`). A national
    authority's own count, or an article about one, is kept apart from the report's figures in
    pivots, comparisons and charts: it is a different source, not a later reading of the same."""
    source = base.sources[fact.source]
    about_report = source.summarises is not None or source.edition is not None
    return source.kind == "report" or (source.kind == "press" and about_report)


def display_name(base: FactBase, ident: str, lang: str = "en") -> str:
    """A country's or entity's name in `lang` (English when there is no Arabic name)."""
    if ident in base.countries:
        names = base.countries[ident].name
        return (names.ar if lang == "ar" else None) or names.en
    entity = base.entities[ident]
    name = (entity.name.ar if lang == "ar" else None) or entity.name.en
    return f"{name} ({entity.acronym})" if entity.acronym else name


def region_ancestors(base: FactBase, region_ids: Iterable[str]) -> set[str]:
    """The given regions and every region that encloses them."""
    found: set[str] = set()
    for region_id in region_ids:
        current: str | None = region_id
        while current is not None and current not in found:
            found.add(current)
            region = base.regions.get(current)
            current = region.parent if region else None
    return found


def partner_kind(base: FactBase, ident: str) -> str:
    return "country" if ident in base.countries else base.entities[ident].kind


def partner_regions(base: FactBase, ident: str) -> set[str]:
    if ident in base.countries:
        return region_ancestors(base, base.countries[ident].regions)
    return region_ancestors(base, base.entities[ident].scope)


def country_fields(base: FactBase, code: str) -> CountryFields:
    names = base.countries[code].name
    return {"country": code, "country_name": names.en, "country_name_ar": names.ar}


def event_text(base: FactBase, event: Event) -> str:
    """'2021-03-11, Mount Salloum: 2 killed, 1 injured: an IED ... (group: AQIM)'."""
    where = ", ".join(p for p in (event.date, event.place) if p)
    parts = [p for p in (where, event.casualties, event.description) if p]
    group = f" (group: {display_name(base, event.group)})" if event.group else ""
    return ": ".join(parts) + group


class RowMaker:
    """Builds the parts every fact row shares, remembering what many rows repeat (a large base
    has thousands of facts per source and per partner) for as long as one table is built."""

    def __init__(self, base: FactBase) -> None:
        self.base = base
        self._sources: dict[str, Row] = {}
        self._regions: dict[str, list[str]] = {}

    def subject(self, fact: Fact) -> Row:
        return {**country_fields(self.base, fact.country), "year": fact.year}

    def regions(self, ident: str) -> list[str]:
        if ident not in self._regions:
            self._regions[ident] = sorted(partner_regions(self.base, ident))
        return list(self._regions[ident])

    def source_fields(self, fact: Fact) -> Row:
        """The fields every fact row ends with (`fields.SOURCE_FIELDS`): the fact's own text,
        then its source."""
        source = self._source_part(fact.source)
        return {
            "statement": fact.statement,
            # The passage itself is the Arabic rendering when the source is Arabic.
            "statement_ar": fact.quote if source["_arabic"] else None,
            "quote": fact.quote,
            "note": fact.note,
            "section": fact.section,
            "key_phrase": fact.key_phrase,
            "conflicts_with": list(fact.conflicts_with),
            "source": source["source"],
            "source_kind": source["source_kind"],
            "source_title": source["source_title"],
            "source_url": source["source_url"],
            "source_file": source["source_file"],
            "edition": fact.edition,
            "id": fact.id,
        }

    def _source_part(self, source_id: str) -> Row:
        if source_id not in self._sources:
            source = self.base.sources[source_id]
            self._sources[source_id] = {
                "_arabic": source.language == "ar",
                "source": source.id,
                "source_kind": source.kind,
                "source_title": source.title,
                "source_url": source.url,
                "source_file": (source.origin.label or source.origin.file) if source.origin else None,
            }
        return self._sources[source_id]
