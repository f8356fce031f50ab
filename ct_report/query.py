"""Queries over the fact base: resolve user input, filter facts, shape rows. No I/O, no printing.

Every list query returns a `RowSet`: flat dicts whose keys are the command's fields (see
`FIELDS`). The same rows feed every output format, so a field means the same everywhere. A
command's rows are built once for the whole base (`TABLES`) and then filtered, so the compiled
cache can store them and a repeated query only filters and prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from ct_report.errors import UsageError
from ct_report.model import Event, Fact, FactBase, Figure
from ct_report.text import fold, slug, suggest

Row = dict[str, Any]
RowTest = Callable[[Row], bool]


class Field(NamedTuple):
    name: str
    description: str
    in_table: bool = True
    """Shown as a column of the terminal table by default (JSON and plain show every field)."""


_FACT_FIELDS = [
    Field("country", "ISO 3166-1 alpha-2 code of the country reported on"),
    Field("country_name", "English name of that country (Arabic with --lang ar)", in_table=False),
    Field("country_name_ar", "Arabic name of that country", in_table=False),
    Field("year", "Year of the events"),
]
_SOURCE_FIELDS = [
    Field("statement", "The fact in English (the Arabic passage with --lang ar, where there is one)", in_table=False),
    Field("statement_ar", "The fact in Arabic: the source passage, when the source is Arabic", in_table=False),
    Field("quote", "Verbatim passage of the source, when recorded", in_table=False),
    Field("note", "Caveats, omissions and disagreements", in_table=False),
    Field("section", "Where in the source the fact sits: the chapter section", in_table=False),
    Field("key_phrase", "A few words of the source that locate the fact", in_table=False),
    Field("conflicts_with", "Ids of facts from other sources that disagree with this one"),
    Field("source", "Id of the source document", in_table=False),
    Field("source_kind", "'report' (the chapter), 'government' (official figures) or 'press' (an article)"),
    Field("source_title", "Title of the source document", in_table=False),
    Field("source_url", "Address of the source document", in_table=False),
    Field(
        "source_file",
        "The fact-base file the source is defined in, after its root: bundled:facts/2021/MA.yaml, or mine:notes.yaml",
        in_table=False,
    ),
    Field("edition", "Report edition, e.g. crt-2021", in_table=False),
    Field("id", "Fact id: `ctreport show ID` gives the fact in full"),
]


def _figure_fields(name: str, what: str) -> list[Field]:
    return [
        Field(name, f"{what}, as the source words it (e.g. 'at least 55')"),
        Field(f"{name}_value", f"{what}: the number alone, null when the source gives none", in_table=False),
        Field(
            f"{name}_qualifier", f"{what}: exact, at-least, more-than, about, reportedly or relative", in_table=False
        ),
    ]


FIELDS: dict[str, list[Field]] = {
    "arrests": [
        *_FACT_FIELDS,
        *_figure_fields("arrested", "People arrested"),
        *_figure_fields("operations", "Counterterrorism operations"),
        *_figure_fields("cells", "Cells dismantled"),
        Field("targets", "Targets of the disrupted plots", in_table=False),
        Field("comparison", "How the year compares with others", in_table=False),
        Field("comparison_id", "Fact id of the comparison, when it is a separate fact", in_table=False),
        *_SOURCE_FIELDS,
    ],
    "partners": [
        *_FACT_FIELDS,
        Field("partner", "Country code or entity id of the partner", in_table=False),
        Field("partner_name", "Name of the partner (Arabic with --lang ar)"),
        Field("partner_name_ar", "Arabic name of the partner, English when it has none", in_table=False),
        Field(
            "partner_kind",
            "country, forum, partnership, exercise, coalition, financing-body, institution or organisation",
        ),
        Field("relation", "strong-cooperation, co-chair, member, host, designation, tension, ..."),
        Field("detail", "What qualifies the relation"),
        Field("alongside", "Others sharing the role, e.g. the other co-chair", in_table=False),
        Field("regions", "Regions of the partner: a country's regions, an organisation's scope", in_table=False),
        *_SOURCE_FIELDS,
    ],
    "incidents": [
        *_FACT_FIELDS,
        *_figure_fields("incidents", "Terrorist incidents"),
        Field("events", "The incidents described by the source: date, place: description"),
        *_SOURCE_FIELDS,
    ],
    "coverage": [
        Field("country", "ISO 3166-1 alpha-2 code"),
        Field("country_name", "English name of the country (Arabic with --lang ar)"),
        Field("country_name_ar", "Arabic name of the country", in_table=False),
        Field("year", "Year of the events"),
        Field("facts", "Number of facts"),
        Field("report_sources", "Sources of kind report (the chapter or a verbatim mirror)"),
        Field("government_sources", "Sources of kind government (an official body's own figures)"),
        Field("press_sources", "Sources of kind press (articles about the chapter)"),
        Field("source_kinds", "The kinds of source joined by '+', e.g. 'report+press'; empty for a gap"),
    ],
    "sources": [
        Field("id", "Source id"),
        Field("kind", "'report', 'government' or 'press'"),
        Field("title", "Title, or a description when the document has none"),
        Field("publisher", "Publisher or outlet", in_table=False),
        Field("language", "ISO 639-1 language code", in_table=False),
        Field("date", "Publication date", in_table=False),
        Field("edition", "Report edition the source is about", in_table=False),
        Field("url", "Address"),
        Field("text", "Shipped full text, relative to the data folder", in_table=False),
        Field("note", "Caveats about the source", in_table=False),
        Field("facts", "Number of facts it supports (as source or corroboration)"),
    ],
    "search": [
        Field("id", "Fact id"),
        Field("score", "Relevance: a name match counts most, then statement, quote, note"),
        Field("matched_in", "Where the words were found", in_table=False),
        Field("kind", "Fact kind"),
        Field("country", "Country"),
        Field("year", "Year"),
        Field("statement", "The fact in English"),
        Field("quote", "Verbatim source passage", in_table=False),
        Field("conflicts_with", "Ids of facts from other sources that disagree"),
        Field("source", "Source id", in_table=False),
        Field("source_kind", "'report' or 'press'"),
    ],
    "financing": [
        *_FACT_FIELDS,
        Field("body", "Entity id of the financing body", in_table=False),
        Field("body_name", "Name of the financing body (Arabic with --lang ar)"),
        Field("body_name_ar", "Arabic name of the financing body", in_table=False),
        Field("acronym", "Short name of the body"),
        Field("holder", "Who holds the membership: 'state' or 'fiu' (financial intelligence unit)"),
        Field("member", "Entity id of the member institution, e.g. the FIU", in_table=False),
        Field("member_name", "Name of the member institution, e.g. the FIU (Arabic with --lang ar)"),
        Field("member_name_ar", "Arabic name of the member institution", in_table=False),
        Field("relation", "The relation, e.g. member"),
        *_SOURCE_FIELDS,
    ],
    "groups": [
        *_FACT_FIELDS,
        Field("group", "Entity id of the terrorist group", in_table=False),
        Field("group_name", "Name of the group (Arabic with --lang ar)"),
        Field("group_name_ar", "Arabic name of the group", in_table=False),
        Field("acronym", "Short name of the group"),
        Field("detail", "What the report says of the group's activity"),
        *_SOURCE_FIELDS,
    ],
}


class Filters(NamedTuple):
    """Filters shared by every command; None means 'any'. `country` and `year` may each be one
    value or several (any of them matches); a country value may also name a region."""

    country: str | tuple[str, ...] | None = None
    year: int | tuple[int, ...] | None = None
    since: int | None = None
    until: int | None = None

    @property
    def years(self) -> tuple[int, ...] | None:
        return (self.year,) if isinstance(self.year, int) else self.year

    @property
    def countries(self) -> tuple[str, ...] | None:
        return (self.country,) if isinstance(self.country, str) else self.country

    def years_match(self, year: int) -> bool:
        years = self.years
        return (
            (years is None or year in years)
            and (self.since is None or year >= self.since)
            and (self.until is None or year <= self.until)
        )


def resolve_country(base: FactBase, text: str) -> str:
    """Accept an alpha-2 or alpha-3 code, an English or Arabic name or an alias."""
    if not text.strip():
        raise UsageError("empty --country; give a code or name, e.g. MA or Morocco")
    code = _find_country(base, text)
    if code is None:
        raise UsageError(f"unknown country '{text}'{suggest(text, _country_names(base))}; {_known_countries(base)}")
    return code


def _find_country(base: FactBase, text: str) -> str | None:
    wanted = fold(text.strip())
    for country in base.countries.values():
        names = [country.code, country.alpha3, country.name.en, *country.aliases]
        if country.name.ar:
            names.append(country.name.ar)
        if wanted in (fold(name) for name in names):
            return country.code
    return None


def _country_names(base: FactBase) -> list[str]:
    return sorted(c.name.en for c in base.countries.values())


def _known_countries(base: FactBase) -> str:
    """The countries reported on first (what a user most likely meant), then the others the
    fact base knows as partners."""
    covered = {f.country for f in base.facts}
    first = sorted(f"{base.countries[c].name.en} ({c})" for c in covered if c in base.countries)
    others = sorted(c.name.en for c in base.countries.values() if c.code not in covered)
    text = f"countries reported on: {', '.join(first) or 'none'}"
    return f"{text}; also known as partners: {', '.join(others)}" if others else text


def resolve_countries(base: FactBase, values: Iterable[str]) -> frozenset[str]:
    """Country codes for values that each name a country (as `resolve_country`) or a region
    (every country in it, e.g. 'northern-africa', 'maghreb'); a value may hold several,
    separated by commas."""
    codes: set[str] = set()
    for text in (part for value in values for part in value.split(",")):
        if not text.strip():
            raise UsageError("empty --country; give a code, name or region, e.g. MA, Morocco or northern-africa")
        code = _find_country(base, text)
        if code is not None:
            codes.add(code)
            continue
        try:
            regions = resolve_region(base, text)
        except UsageError:
            names = _country_names(base)
            raise UsageError(
                f"unknown country '{text}'{suggest(text, names)}; {_known_countries(base)}; or give a region"
            ) from None
        codes |= countries_in(base, regions)
    return frozenset(codes)


def countries_in(base: FactBase, region_ids: set[str]) -> set[str]:
    """Codes of the countries inside any of the regions: by their own regions and the regions'
    parents."""
    return {
        country.code
        for country in base.countries.values()
        if not region_ancestors(base, country.regions).isdisjoint(region_ids)
    }


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


def resolve_region(base: FactBase, text: str) -> set[str]:
    """Region ids whose id, name (either language) or alias matches `text`, in either scheme.

    'europe' matches both the CRT chapter and the M49 region; 'crt:europe' only the first.
    """
    if not text.strip():
        raise UsageError("empty --region; give a region, e.g. europe or mena")
    wanted = slug(text)
    matches = set()
    for region in base.regions.values():
        keys = {region.id, region.id.split(":", 1)[1], region.name.en, *region.aliases}
        if region.name.ar and not wanted.isascii():  # Arabic folds to Arabic, never to ASCII
            keys.add(region.name.ar)
        if wanted in {slug(key) for key in keys}:
            matches.add(region.id)
    if not matches:
        names = sorted({r.id.split(":", 1)[1] for r in base.regions.values()})
        raise UsageError(f"unknown region '{text}'{suggest(wanted, names)}; known: {', '.join(names)}")
    return matches


def edition_range(base: FactBase) -> str:
    """The editions a base holds and the latest release date among them."""
    editions = sorted(base.editions.values(), key=lambda e: e.covers)
    if not editions:
        return "no editions"
    first, last = editions[0], editions[-1]
    text = f"editions {first.id} to {last.id} (events of {first.covers}–{last.covers})"
    published = max((e.published for e in editions if e.published), default=None)
    return f"{text}, latest published {published}" if published else text


def arrange(rows: list[Row], fields: list[Field], sort: str | None, limit: int | None) -> list[Row]:
    """Rows sorted by a field ('-field' for descending; empty values last) and cut to `limit`."""
    if sort is not None:
        name = sort.lstrip("-")
        names = [f.name for f in fields]
        if name not in names:
            raise UsageError(f"unknown sort field '{name}'{suggest(name, names)}; valid: {', '.join(names)}")
        present = [r for r in rows if r.get(name) not in (None, "", [])]
        missing = [r for r in rows if r.get(name) in (None, "", [])]
        present.sort(key=lambda r: (str(type(r[name])), r[name]), reverse=sort.startswith("-"))
        rows = present + missing
    return rows if limit is None else rows[:limit]


def check_year(base: FactBase, year: int | tuple[int, ...] | None) -> None:
    years = base.years
    for one in (year,) if isinstance(year, int) else year or ():
        if one not in years:
            covered = f"{years[0]}–{years[-1]}" if years else "none"
            raise UsageError(f"no facts for year {one}; years covered: {covered}")


def check_choice(value: str, choices: Iterable[str], what: str) -> None:
    options = sorted(set(choices))
    if value not in options:
        raise UsageError(f"unknown {what} '{value}'{suggest(value, options)}; valid: {', '.join(options)}")


def check_filters(base: FactBase, filters: Filters) -> frozenset[str] | None:
    """Validate the shared filters; return the country codes asked for, if any."""
    check_year(base, filters.year)
    since, until = filters.since, filters.until
    if since is not None and until is not None and since > until:
        raise UsageError(f"--since {since} is after --until {until}; swap them")
    for year in filters.years or ():
        if (since is not None and year < since) or (until is not None and year > until):
            raise UsageError(f"year {year} is outside --since/--until ({since or '…'}–{until or '…'}); drop one")
    countries = filters.countries
    return resolve_countries(base, countries) if countries is not None else None


def in_order(base: FactBase, kind: str) -> list[Fact]:
    """Facts of a kind by country, then year, then file order."""
    return sorted(base.of_kind(kind), key=lambda fact: (fact.country, fact.year))


def row_filter(base: FactBase, filters: Filters) -> RowTest | None:
    """The shared filters as a test of a row's `country` and `year`; None when they keep every row."""
    country = check_filters(base, filters)
    if country is None and filters.year is None and filters.since is None and filters.until is None:
        return None
    return lambda row: (country is None or row["country"] in country) and filters.years_match(row["year"])


class RowSet:
    """The rows answering a list command. Rows from the compiled cache stay as JSON text until
    something needs them as dicts: a JSON answer with every field in order is that text."""

    def __init__(
        self,
        rows: list[Row] | None = None,
        *,
        keys: list[Row] | Callable[[], list[Row]] | None = None,
        encoded: list[bytes] | None = None,
    ) -> None:
        self._rows = rows
        self._keys = keys if keys is not None else rows or []
        self.encoded = encoded
        """Per row, its JSON text with every field in `FIELDS` order; None when built here."""

    def __len__(self) -> int:
        return len(self.encoded) if self.encoded is not None else len(self.keys)

    @property
    def keys(self) -> list[Row]:
        """Per row, at least the fields filters and footers read (`KEY_FIELDS`)."""
        if callable(self._keys):
            self._keys = self._keys()
        return self._keys

    @property
    def rows(self) -> list[Row]:
        if self._rows is None:
            import json

            self._rows = json.loads(b"[" + b",".join(self.encoded or []) + b"]") if self.encoded else []
        return self._rows


def answer(base: FactBase, command: str, keep: RowTest | None) -> RowSet:
    """The rows of `command` that pass `keep` (all of them when None), from the compiled cache
    when the base has them."""
    compiled = base.compiled.get(command)
    if compiled is None:
        return RowSet([row for row in TABLES[command](base) if keep is None or keep(row)])
    stored = compiled()
    if keep is None:
        return RowSet(keys=stored.load_keys, encoded=stored.encoded)
    keys = stored.load_keys()
    chosen = [i for i, key in enumerate(keys) if keep(key)]
    return RowSet(keys=[keys[i] for i in chosen], encoded=[stored.encoded[i] for i in chosen])


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


def _figure_row(name: str, figure: Figure | None) -> Row:
    return {
        name: figure_text(figure),
        f"{name}_value": figure.value if figure else None,
        f"{name}_qualifier": figure.qualifier if figure else None,
    }


def source_fields(base: FactBase, fact: Fact) -> Row:
    """The fields every fact row ends with: the fact's own text, then its source."""
    source = _source_part(base, fact.source)
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


def _source_part(base: FactBase, source_id: str) -> Row:
    """A source's row fields, worked out once per source rather than once per fact (a large base
    has thousands of facts per source list)."""
    parts: dict[str, Row] = base.memo.setdefault("source_fields", {})
    if source_id not in parts:
        source = base.sources[source_id]
        parts[source_id] = {
            "_arabic": source.language == "ar",
            "source": source.id,
            "source_kind": source.kind,
            "source_title": source.title,
            "source_url": source.url,
            "source_file": base.memo.get("file_labels", {}).get(source.origin.file, source.origin.file)
            if source.origin
            else None,
        }
    return parts[source_id]


def _country(base: FactBase, code: str) -> Row:
    names = base.countries[code].name
    return {"country": code, "country_name": names.en, "country_name_ar": names.ar}


def _subject(base: FactBase, fact: Fact) -> Row:
    return {**_country(base, fact.country), "year": fact.year}


def display_name(base: FactBase, ident: str, lang: str = "en") -> str:
    """A country's or entity's name in `lang` (English when there is no Arabic name)."""
    if ident in base.countries:
        names = base.countries[ident].name
        return (names.ar if lang == "ar" else None) or names.en
    entity = base.entities[ident]
    name = (entity.name.ar if lang == "ar" else None) or entity.name.en
    return f"{name} ({entity.acronym})" if entity.acronym else name


LOCALISED = ("country_name", "partner_name", "body_name", "member_name", "group_name", "statement")


ENUMERATED = ("relation", "partner_kind", "source_kind", "holder", "kind")
"""Fields whose values come from a fixed list, which `i18n` translates."""


def localise(rows: list[Row], lang: str) -> list[Row]:
    """Rows whose names and statements are in `lang`, for tables; each `X_ar` field replaces `X`
    where it has a value, an English statement left in Arabic output is marked as English, and
    enumerated values are translated. JSON keeps both fields instead."""
    if lang == "en":
        return rows
    from ct_report.i18n import in_english, value

    localised = []
    for row in rows:
        new = {**row, **{k: row[f"{k}_ar"] for k in LOCALISED if row.get(f"{k}_ar")}}
        if new.get("statement") and not row.get("statement_ar"):
            new["statement"] = in_english(new["statement"], lang)
        for key in ENUMERATED:
            if isinstance(new.get(key), str):
                new[key] = value(new[key], lang)
        localised.append(new)
    return localised


def arrest_rows(base: FactBase, filters: Filters) -> RowSet:
    return answer(base, "arrests", row_filter(base, filters))


def arrest_table(base: FactBase) -> list[Row]:
    """One row per arrest figure; a comparison-only fact joins the rows of its country-year."""
    facts = in_order(base, "arrests")
    counted = [f for f in facts if f.arrested or f.operations or f.cells]
    comparisons = [f for f in facts if not (f.arrested or f.operations or f.cells)]
    rows = []
    for fact in counted:
        row = {
            **_subject(base, fact),
            **_figure_row("arrested", fact.arrested),
            **_figure_row("operations", fact.operations),
            **_figure_row("cells", fact.cells),
            "targets": list(fact.targets),
            "comparison": fact.comparison,
            "comparison_id": None,
            **source_fields(base, fact),
        }
        rows.append(row)
    for fact in comparisons:
        same_year = [
            r for r in rows if (r["country"], r["year"]) == (fact.country, fact.year) and r["comparison"] is None
        ]
        if same_year:
            for row in same_year:
                row["comparison"], row["comparison_id"] = fact.comparison, fact.id
            continue
        rows.append(
            {
                **_subject(base, fact),
                **_figure_row("arrested", None),
                **_figure_row("operations", None),
                **_figure_row("cells", None),
                "targets": list(fact.targets),
                "comparison": fact.comparison,
                "comparison_id": fact.id,
                **source_fields(base, fact),
            }
        )
    return sorted(rows, key=lambda r: (r["country"], r["year"]))


def partner_kind(base: FactBase, ident: str) -> str:
    return "country" if ident in base.countries else base.entities[ident].kind


def partner_regions(base: FactBase, ident: str) -> set[str]:
    if ident in base.countries:
        return region_ancestors(base, base.countries[ident].regions)
    return region_ancestors(base, base.entities[ident].scope)


def partner_rows(
    base: FactBase,
    filters: Filters,
    region: str | None = None,
    kind: str | None = None,
    relation: str | None = None,
) -> RowSet:
    if kind is not None:
        check_choice(kind, ["country", *(e.kind for e in base.entities.values())], "kind")
    if relation is not None:
        check_choice(relation, _relations(), "relation")
    wanted_regions = resolve_region(base, region) if region is not None else None
    shared = row_filter(base, filters)
    if shared is None and wanted_regions is None and kind is None and relation is None:
        return answer(base, "partners", None)

    def keep(row: Row) -> bool:
        return (
            (shared is None or shared(row))
            and (wanted_regions is None or not wanted_regions.isdisjoint(row["regions"]))
            and (kind is None or row["partner_kind"] == kind)
            and (relation is None or row["relation"] == relation)
        )

    return answer(base, "partners", keep)


def partner_table(base: FactBase) -> list[Row]:
    rows = []
    regions_of: dict[str, list[str]] = {}  # many facts name the same partner
    for fact in in_order(base, "partner"):
        assert fact.partner is not None
        if fact.partner not in regions_of:
            regions_of[fact.partner] = sorted(partner_regions(base, fact.partner))
        rows.append(
            {
                **_subject(base, fact),
                "partner": fact.partner,
                "partner_name": display_name(base, fact.partner),
                "partner_name_ar": display_name(base, fact.partner, "ar"),
                "partner_kind": partner_kind(base, fact.partner),
                "relation": fact.relation,
                "detail": fact.detail,
                "alongside": [display_name(base, other) for other in fact.alongside],
                "regions": list(regions_of[fact.partner]),
                **source_fields(base, fact),
            }
        )
    return rows


def _relations() -> list[str]:
    from ct_report.model import RELATIONS

    return list(RELATIONS)


def financing_rows(base: FactBase, filters: Filters) -> RowSet:
    return answer(base, "financing", row_filter(base, filters))


def financing_table(base: FactBase) -> list[Row]:
    rows = []
    for fact in in_order(base, "financing"):
        assert fact.body is not None
        body = base.entities[fact.body]
        member = base.entities[fact.member] if fact.member else None
        rows.append(
            {
                **_subject(base, fact),
                "body": body.id,
                "body_name": body.name.en,
                "body_name_ar": body.name.ar,
                "acronym": body.acronym,
                "holder": fact.holder,
                "member": fact.member,
                "member_name": display_name(base, member.id) if member else None,
                "member_name_ar": member.name.ar if member else None,
                "relation": fact.relation,
                **source_fields(base, fact),
            }
        )
    return rows


def group_rows(base: FactBase, filters: Filters) -> RowSet:
    return answer(base, "groups", row_filter(base, filters))


def group_table(base: FactBase) -> list[Row]:
    rows = []
    for fact in in_order(base, "group"):
        assert fact.group is not None
        group = base.entities[fact.group]
        rows.append(
            {
                **_subject(base, fact),
                "group": group.id,
                "group_name": group.name.en,
                "group_name_ar": group.name.ar,
                "acronym": group.acronym,
                "detail": fact.detail,
                **source_fields(base, fact),
            }
        )
    return rows


SUMMARY_SECTIONS = [
    ("assessment", "Assessment"),
    ("strategy", "Strategy"),
    ("threat", "Threat"),
    ("group", "Terrorist groups"),
    ("incidents", "Incidents"),
    ("arrests", "Arrests"),
    ("legislation", "Legislation and prosecutions"),
    ("capacity", "Law enforcement and capacity building"),
    ("partner", "Partners"),
    ("financing", "Countering the financing of terrorism"),
    ("cve", "Countering violent extremism"),
]


def summaries(base: FactBase, filters: Filters) -> list[Row]:
    """One overview per matching country-year: each section lists its facts briefly, with sources."""
    country = check_filters(base, filters)
    keys = sorted(
        {
            (f.country, f.year, f.edition)
            for f in base.facts
            if (country is None or f.country in country) and filters.years_match(f.year)
        }
    )
    overviews = []
    for code, year, edition in keys:
        facts = [f for f in base.facts if (f.country, f.year, f.edition) == (code, year, edition)]
        sections = {kind: [_summary_item(base, f) for f in facts if f.kind == kind] for kind, _ in SUMMARY_SECTIONS}
        used = sorted({f.source for f in facts} | {s for f in facts for s in f.corroborated_by})
        overviews.append(
            {
                **_country(base, code),
                "year": year,
                "edition": edition,
                "edition_title": base.editions[edition].title,
                "sections": sections,
                "sources": [
                    {
                        "id": s,
                        "kind": base.sources[s].kind,
                        "title": base.sources[s].title,
                        "url": base.sources[s].url,
                    }
                    for s in used
                ],
            }
        )
    return overviews


def _summary_item(base: FactBase, fact: Fact) -> Row:
    item: Row = {
        "id": fact.id,
        "statement": fact.statement,
        "statement_ar": fact.quote if base.sources[fact.source].language == "ar" else None,
        "source": fact.source,
        "source_kind": base.sources[fact.source].kind,
        "note": fact.note,
        "conflicts_with": list(fact.conflicts_with),
    }
    return item


def incident_rows(base: FactBase, filters: Filters) -> RowSet:
    return answer(base, "incidents", row_filter(base, filters))


def incident_table(base: FactBase) -> list[Row]:
    rows = []
    for fact in in_order(base, "incidents"):
        events = [event_text(base, event) for event in fact.events]
        rows.append(
            {
                **_subject(base, fact),
                **_figure_row("incidents", fact.count),
                "events": events,
                **source_fields(base, fact),
            }
        )
    return rows


def event_text(base: FactBase, event: Event) -> str:
    """'2021-03-11, Mount Salloum: 2 killed, 1 injured: an IED ... (group: AQIM)'."""
    where = ", ".join(p for p in (event.date, event.place) if p)
    parts = [p for p in (where, event.casualties, event.description) if p]
    group = f" (group: {display_name(base, event.group)})" if event.group else ""
    return ": ".join(parts) + group


TABLES: dict[str, Callable[[FactBase], list[Row]]] = {
    "arrests": arrest_table,
    "incidents": incident_table,
    "partners": partner_table,
    "financing": financing_table,
    "groups": group_table,
}
"""Every row of each list command drawn from facts of one kind, unfiltered, in answer order.
The compiled cache stores these; the commands' filters then test `KEY_FIELDS` only."""

KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "arrests": ("country", "year", "source"),
    "incidents": ("country", "year", "source"),
    "partners": ("country", "year", "source", "regions", "partner_kind", "relation"),
    "financing": ("country", "year", "source"),
    "groups": ("country", "year", "source"),
}


def coverage_rows(base: FactBase, filters: Filters) -> list[Row]:
    """One row per country-year with facts, and per country-year an edition sets out to cover
    (its `countries`) even without any: a gap shows as a row with no facts."""
    country = check_filters(base, filters)
    groups: dict[tuple[str, int], list[Fact]] = {
        (code, edition.covers): [] for edition in base.editions.values() for code in edition.countries
    }
    for fact in base.facts:
        groups.setdefault((fact.country, fact.year), []).append(fact)
    rows = []
    for (code, year), facts in sorted(groups.items()):
        if (country is not None and code not in country) or not filters.years_match(year):
            continue
        used = {f.source for f in facts} | {s for f in facts for s in f.corroborated_by}
        kinds = [base.sources[s].kind for s in used]
        rows.append(
            {
                **_country(base, code),
                "year": year,
                "facts": len(facts),
                "report_sources": kinds.count("report"),
                "government_sources": kinds.count("government"),
                "press_sources": kinds.count("press"),
                "source_kinds": "+".join(k for k in SOURCE_KINDS if k in kinds),
            }
        )
    return rows


SOURCE_KINDS = ("report", "government", "press")


def coverage_grid(rows: list[Row]) -> tuple[list[Row], list[Field]]:
    """Coverage rows as a country × year grid: each cell the kinds of source (R report, G
    government, P press, e.g. 'R+P') and the fact count; 'none' for a gap."""
    years = sorted({r["year"] for r in rows})
    grid: dict[str, Row] = {}
    for row in rows:
        cells = grid.setdefault(row["country"], {"country": f"{row['country']} {row['country_name']}"})
        kinds = "+".join(kind[0].upper() for kind in row["source_kinds"].split("+") if kind)
        cells[str(row["year"])] = f"{kinds} {row['facts']}" if row["facts"] else "none"
    columns = [Field("country", "Country"), *(Field(str(y), f"Sources for {y}") for y in years)]
    return list(grid.values()), columns


LOWER_BOUNDS = frozenset({"at-least", "more-than"})


def figure_change(before: Figure | None, after: Figure | None, year_a: int = 0, year_b: int = 0) -> Row:
    """The change between two figures, honest about qualifiers: 'at least 35' → 'at least 55'
    is not '+20 exactly'."""
    row: Row = {"before": figure_text(before), "after": figure_text(after), "difference": None, "exact": False}
    for figure, year in ((before, year_a), (after, year_b)):
        label = f" for {year}" if year else ""
        if figure is None:
            row["change"] = f"not comparable: no figure is recorded{label}"
            return row
        if figure.value is None:
            row["change"] = f"not comparable: the source gives no number{label} ({figure.text})"
            return row
    assert before is not None and after is not None and before.value is not None and after.value is not None
    difference = after.value - before.value
    row["difference"] = difference
    if before.qualifier == after.qualifier == "exact":
        row["exact"] = True
        row["change"] = f"{difference:+,}" if difference else "no change"
    elif before.qualifier in LOWER_BOUNDS and after.qualifier in LOWER_BOUNDS:
        row["change"] = f"{difference:+,} between lower bounds; the exact change is unknown"
    else:
        row["change"] = (
            f"{difference:+,} between the figures as given ({before.qualifier} → {after.qualifier}); "
            "the exact change is unknown"
        )
    return row


def compare(base: FactBase, year_a: int, year_b: int, country: str | tuple[str, ...] | None) -> list[Row]:
    """For each country covered in both years: what changed from year_a to year_b.

    Absence from the fact base is not absence from the report: a partner or membership is
    reported as mentioned in one year only when the other year records facts of that kind at
    all; otherwise a note says the comparison cannot be made.
    """
    if year_a == year_b:
        raise UsageError(f"compare needs two different years, e.g. ctreport compare {year_a - 1} {year_a}")
    if year_a > year_b:
        raise UsageError(f"give the earlier year first: {year_b} {year_a}")
    check_year(base, year_a)
    check_year(base, year_b)
    codes = resolve_countries(base, (country,) if isinstance(country, str) else country) if country else None
    countries = sorted(
        {f.country for f in base.facts if f.year == year_a and (codes is None or f.country in codes)}
        & {f.country for f in base.facts if f.year == year_b}
    )
    results = []
    for cc in countries:

        def facts(kind: str, year: int, cc: str = cc) -> list[Fact]:
            return [f for f in base.of_kind(kind) if f.country == cc and f.year == year]

        def first_figure(kind: str, name: str, year: int) -> tuple[Figure | None, Fact | None]:
            for fact in facts(kind, year):
                figure = getattr(fact, name)
                if figure is not None:
                    return figure, fact
            return None, None

        measures: Row = {}
        for label, kind, name in (
            ("arrested", "arrests", "arrested"),
            ("operations", "arrests", "operations"),
            ("cells", "arrests", "cells"),
            ("incidents", "incidents", "count"),
        ):
            (before, fact_a), (after, fact_b) = first_figure(kind, name, year_a), first_figure(kind, name, year_b)
            if before is None and after is None:
                continue
            measures[label] = {
                **figure_change(before, after, year_a, year_b),
                "ids": [f.id for f in (fact_a, fact_b) if f is not None],
                "disputed": sorted({c for f in (fact_a, fact_b) if f is not None for c in f.conflicts_with}),
            }

        relations: list[Row] = []
        notes: list[str] = []
        for kind, what in (("partner", "partners"), ("financing", "financing memberships"), ("group", "groups")):
            before_rel, after_rel = _relations_of(base, facts(kind, year_a)), _relations_of(base, facts(kind, year_b))
            if not before_rel or not after_rel:
                if before_rel or after_rel:
                    missing = year_a if not before_rel else year_b
                    notes.append(f"no {what} are recorded for {missing}, so {what} are not compared")
                continue
            for ours, theirs, year, other in (
                (after_rel, before_rel, year_b, year_a),
                (before_rel, after_rel, year_a, year_b),
            ):
                for (ident, relation), fact_id in sorted(ours.items(), key=lambda item: display_name(base, item[0][0])):
                    if (ident, relation) not in theirs:
                        relations.append(
                            {
                                "name": display_name(base, ident),
                                "name_ar": display_name(base, ident, "ar"),
                                "relation": relation,
                                "change": f"mentioned for {year}, not among the {other} facts",
                                "id": fact_id,
                            }
                        )
        results.append(
            {
                **_country(base, cc),
                "year_a": year_a,
                "year_b": year_b,
                "measures": measures,
                "relations": relations,
                "notes": notes,
            }
        )
    return results


def _relations_of(base: FactBase, facts: list[Fact]) -> dict[tuple[str, str], str]:
    """(partner or body id, relation) → fact id, for partner and financing facts."""
    found: dict[tuple[str, str], str] = {}
    for fact in facts:
        if fact.kind == "financing":
            assert fact.body is not None
            found[(fact.body, f"{fact.relation} ({fact.holder})")] = fact.id
        elif fact.kind == "group":
            assert fact.group is not None
            found[(fact.group, "named")] = fact.id
        else:
            assert fact.partner is not None and fact.relation is not None
            found[(fact.partner, fact.relation)] = fact.id
    return found
