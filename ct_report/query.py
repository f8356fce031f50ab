"""Queries over the fact base: resolve user input, filter facts, shape rows. No I/O, no printing.

Every list query returns a `RowSet`: flat dicts whose keys are the command's fields (see
`kinds.FIELDS`). The same rows feed every output format, so a field means the same everywhere.
A command's rows are built once for the whole base (`kinds.command_table`) and then filtered,
so the compiled cache can store them and a repeated query only filters and prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

from ct_report.errors import UsageError
from ct_report.fields import Field, Row
from ct_report.kinds import BY_NAME, IN_MODEL_ORDER, KINDS, command_table
from ct_report.model import RELATIONS, Fact, FactBase, Figure, Tally
from ct_report.postings import Match, matching
from ct_report.present import (
    LOWER_BOUNDS,
    country_fields,
    display_name,
    figure_text,
    region_ancestors,
    speaks_for_report,
)
from ct_report.text import fold, slug, suggest

if TYPE_CHECKING:
    from ct_report.documents import Change, Comparison, Measure, RelationChange, Summary, SummaryItem

RowTest = Callable[[Row], bool]


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
        raise UsageError("empty country; give a code or name, e.g. MA or Morocco", value_of="country")
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
    covered = {country for country, _ in base.tally()}
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
            raise UsageError(
                "empty country; give a code, name or region, e.g. MA, Morocco or northern-africa", value_of="country"
            )
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


def resolve_region(base: FactBase, text: str) -> set[str]:
    """Region ids whose id, name (either language) or alias matches `text`, in either scheme.

    'europe' matches both the CRT chapter and the M49 region; 'crt:europe' only the first.
    """
    if not text.strip():
        raise UsageError("empty region; give a region, e.g. europe or mena", value_of="region")
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
        name = sort.removeprefix("-")  # one '-' only: '--year' is no field
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
        raise UsageError(f"the first year, {since}, is after the last, {until}; swap them", value_of="years")
    for year in filters.years or ():
        if (since is not None and year < since) or (until is not None and year > until):
            raise UsageError(
                f"year {year} is outside the years from {since or '…'} to {until or '…'}; drop one", value_of="years"
            )
    countries = filters.countries
    return resolve_countries(base, countries) if countries is not None else None


def in_order(base: FactBase, kind: str) -> list[Fact]:
    """Facts of a kind by country, then year, then file order."""
    return sorted(base.of_kind(kind), key=lambda fact: (fact.country, fact.year))


CountryYearTest = Callable[[str, int], bool]


def country_year_filter(base: FactBase, filters: Filters) -> CountryYearTest | None:
    """The shared filters as a test of a country and a year; None when they keep every row."""
    country = check_filters(base, filters)
    if country is None and filters.year is None and filters.since is None and filters.until is None:
        return None
    return lambda code, year: (country is None or code in country) and filters.years_match(year)


def row_test(test: CountryYearTest | None) -> RowTest | None:
    """A country-year test as a test of a row's `country` and `year`."""
    return None if test is None else lambda row: test(row["country"], row["year"])


class RowSet:
    """The rows answering a list command. Rows from the compiled cache stay as JSON text until
    something needs them as dicts (a JSON answer with every field in order is that text), and
    are not read at all when only their number is asked for and known."""

    def __init__(
        self,
        rows: list[Row] | None = None,
        *,
        keys: list[Row] | Callable[[], list[Row]] | None = None,
        encoded: list[bytes] | Callable[[], list[bytes]] | None = None,
        count: Callable[[], int] | None = None,
        owner: object = None,
        runs: Callable[[int], Iterable[bytes]] | None = None,
    ) -> None:
        self._owner = owner
        """What the lazy parts read from (the base, whose compiled cache closes when it goes)."""
        self._rows = rows
        self._keys = keys if keys is not None else rows
        self._encoded = encoded
        self._count: int | Callable[[], int] | None = count
        self._runs = runs

    @property
    def stored(self) -> bool:
        """Whether the rows are held as JSON text (see `encoded`), read or not yet."""
        return self._encoded is not None

    @property
    def stored_runs(self) -> Callable[[int], Iterable[bytes]] | None:
        """Reads the JSON text of every row in runs of lines (see `model.CompiledRows.load_runs`),
        when the rows are a whole section of the compiled cache not yet read as lines."""
        return self._runs if callable(self._encoded) else None

    @property
    def encoded(self) -> list[bytes] | None:
        """Per row, its JSON text with every field in `FIELDS` order; None when built here."""
        if callable(self._encoded):
            self._encoded = self._encoded()
        return self._encoded

    def __len__(self) -> int:
        if callable(self._count):
            self._count = self._count()
        if self._count is not None:
            return self._count
        encoded = self.encoded
        return len(encoded) if encoded is not None else len(self.keys)

    @property
    def keys(self) -> list[Row]:
        """Per row, at least the fields filters and footers read (`Kind.key_fields`): the rows
        themselves unless given."""
        if self._keys is None:
            return self.rows
        if callable(self._keys):
            self._keys = self._keys()
        return self._keys

    @property
    def rows(self) -> list[Row]:
        if self._rows is None:
            import json

            encoded = self.encoded
            try:
                # strict=False: a control character in a stored row is cleaned on output, not a crash.
                rows: list[Row] = json.loads(b"[" + b",".join(encoded) + b"]", strict=False) if encoded else []
            except ValueError as error:  # invalid UTF-8 or JSON: only in a cache changed by hand
                damaged = getattr(self._owner, "damaged", None)
                if damaged is None:
                    raise
                damaged(f"a stored row does not decode: {error}")
            self._rows = rows
        return self._rows


def answer(base: FactBase, command: str, match: Match | None, within: CountryYearTest | None = None) -> RowSet:
    """The rows of `command` of the country-years `within` keeps whose fields `match` accepts
    (all of them when both are None), from the compiled cache when the base has them. The
    compiled cache leaves the other country-years' rows undecoded, counts the rows kept
    without reading them, and finds the rows `match` keeps from its postings."""
    compiled = base.compiled.get(command)
    stored = compiled() if compiled is not None else None
    selected = stored.select(match, within) if match and stored and stored.select else None
    if selected is not None:
        return RowSet(keys=selected.load_keys, encoded=selected.load_encoded, count=selected.number, owner=base)
    in_years = row_test(within)
    keep: RowTest | None = matching(match) if match else None
    if stored is None:
        return RowSet(
            [
                row
                for row in command_table(base, command)
                if (in_years is None or in_years(row)) and (keep is None or keep(row))
            ]
        )
    if within is not None and stored.within is not None:
        stored = stored.within(within)
    elif in_years is not None:
        keep = in_years if keep is None else _both(in_years, keep)
    if keep is None:
        return RowSet(
            keys=stored.load_keys, encoded=stored.load_encoded, count=stored.number, owner=base, runs=stored.load_runs
        )
    keys = stored.load_keys()
    chosen = [i for i, key in enumerate(keys) if keep(key)]
    encoded = stored.load_encoded()
    return RowSet(keys=[keys[i] for i in chosen], encoded=[encoded[i] for i in chosen], owner=base)


def _both(first: RowTest, second: RowTest) -> RowTest:
    return lambda row: first(row) and second(row)


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


def list_rows(base: FactBase, command: str, filters: Filters) -> RowSet:
    """The rows of a list command drawn from one fact kind (see `kinds.KINDS`) that pass the
    shared filters."""
    return answer(base, command, None, country_year_filter(base, filters))


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
        check_choice(relation, RELATIONS, "relation")
    match: dict[str, set[str]] = {}
    if region is not None:
        match["regions"] = resolve_region(base, region)
    if kind is not None:
        match["partner_kind"] = {kind}
    if relation is not None:
        match["relation"] = {relation}
    return answer(base, "partners", match, country_year_filter(base, filters))


SUMMARY_SECTIONS = [(kind.name, kind.title) for kind in KINDS]


def summaries(base: FactBase, filters: Filters) -> list[Summary]:
    """One overview per matching country-year: each section lists its facts briefly, with sources."""
    country = check_filters(base, filters)
    selected = base.facts_in(country, filters.years_match)
    keys = sorted({(f.country, f.year, f.edition) for f in selected})
    by_key: dict[tuple[str, int, str], list[Fact]] = {key: [] for key in keys}
    for fact in selected:
        by_key[(fact.country, fact.year, fact.edition)].append(fact)
    overviews: list[Summary] = []
    for (code, year, edition), facts in by_key.items():
        sections = {kind: [_summary_item(base, f) for f in facts if f.kind == kind] for kind, _ in SUMMARY_SECTIONS}
        used = sorted({f.source for f in facts} | {s for f in facts for s in f.corroborated_by})
        overviews.append(
            {
                **country_fields(base, code),
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


def _summary_item(base: FactBase, fact: Fact) -> SummaryItem:
    item: SummaryItem = {
        "id": fact.id,
        "statement": fact.statement,
        "statement_ar": fact.quote if base.sources[fact.source].language == "ar" else None,
        "source": fact.source,
        "source_kind": base.sources[fact.source].kind,
        "note": fact.note,
        "conflicts_with": list(fact.conflicts_with),
    }
    return item


def coverage_rows(base: FactBase, filters: Filters) -> list[Row]:
    """One row per country-year with facts, and per country-year an edition sets out to cover
    (its `countries`) even without any: a gap shows as a row with no facts."""
    country = check_filters(base, filters)
    groups: Tally = {
        (code, edition.covers): (0, {}) for edition in base.editions.values() for code in edition.countries
    }
    groups.update(base.tally())
    rows = []
    for (code, year), (count, cited) in sorted(groups.items()):
        if (country is not None and code not in country) or not filters.years_match(year):
            continue
        kinds = [base.sources[s].kind for s in cited]
        rows.append(
            {
                **country_fields(base, code),
                "year": year,
                "facts": count,
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


def figure_change(
    before: Figure | None, after: Figure | None, year_a: int | str = 0, year_b: int | str = 0, same: str = "no change"
) -> Change:
    """The change between two figures, honest about qualifiers: 'at least 35' → 'at least 55'
    is not '+20 exactly'. `year_a` and `year_b` label the two sides (two years, or two
    countries); `same` is what two equal exact figures are called."""
    change: Change = {
        "before": figure_text(before),
        "after": figure_text(after),
        "difference": None,
        "exact": False,
        "change": _figure_change_wording(before, after, year_a, year_b, same),
    }
    if before is not None and after is not None and before.value is not None and after.value is not None:
        change["difference"] = after.value - before.value
        change["exact"] = before.qualifier == after.qualifier == "exact"
    return change


def _figure_change_wording(
    before: Figure | None, after: Figure | None, year_a: int | str, year_b: int | str, same: str
) -> str:
    for figure, year in ((before, year_a), (after, year_b)):
        label = f" for {year}" if year else ""
        if figure is None:
            return f"not comparable: no figure is recorded{label}"
        if figure.value is None:
            return f"not comparable: the source gives no number{label} ({figure.text})"
    assert before is not None and after is not None and before.value is not None and after.value is not None
    difference = after.value - before.value
    if before.qualifier == after.qualifier == "exact":
        return f"{difference:+,}" if difference else same
    if before.qualifier in LOWER_BOUNDS and after.qualifier in LOWER_BOUNDS:
        return f"{difference:+,} between lower bounds; the exact change is unknown"
    return (
        f"{difference:+,} between the figures as given ({before.qualifier} → {after.qualifier}); "
        "the exact change is unknown"
    )


def compare(base: FactBase, year_a: int, year_b: int, country: str | tuple[str, ...] | None) -> list[Comparison]:
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
    base = base.narrowed(codes, lambda year: year in (year_a, year_b))  # all it looks at
    countries = sorted(
        {f.country for f in base.facts if f.year == year_a and (codes is None or f.country in codes)}
        & {f.country for f in base.facts if f.year == year_b}
    )
    results: list[Comparison] = []
    for cc in countries:
        relations, notes = _relation_changes(base, cc, year_a, year_b)
        results.append(
            {
                **country_fields(base, cc),
                "year_a": year_a,
                "year_b": year_b,
                "measures": _measure_changes(base, cc, year_a, year_b),
                "relations": relations,
                "notes": notes,
            }
        )
    return results


COMPARED_FIGURES: tuple[tuple[str, str, str], ...] = tuple(
    (label, kind.name, name) for kind in IN_MODEL_ORDER for label, name in kind.measures
)
"""The figures a comparison puts side by side: (label, fact kind, figure field), from the kinds'
`measures`."""
COMPARED_RELATIONS: tuple[tuple[str, str], ...] = tuple(
    (kind.name, kind.plural) for kind in IN_MODEL_ORDER if kind.relation is not None
)
"""The kinds of fact a comparison lists as named or not: (fact kind, what they are called)."""


def facts_of(base: FactBase, kind: str, country: str, year: int) -> list[Fact]:
    return base.of_kind_at(kind, country, year)


def first_figure(base: FactBase, kind: str, name: str, country: str, year: int) -> tuple[Figure | None, Fact | None]:
    """The first figure `name` the report gives for a country-year (`present.speaks_for_report`),
    with its fact; disagreeing facts follow it in file order and are listed through
    `conflicts_with`, and national authorities' own counts are not taken for the report's."""
    for fact in facts_of(base, kind, country, year):
        figure = getattr(fact, name)
        if figure is not None and speaks_for_report(base, fact):
            return figure, fact
    return None, None


def disputed_by(base: FactBase, facts: Iterable[Fact], name: str) -> list[str]:
    """The facts that disagree with these and give the same figure `name` (a fact giving only
    cells does not dispute a number of arrests)."""
    others = {other for fact in facts for other in fact.conflicts_with}
    return sorted(other for other in others if (found := base.fact(other)) and getattr(found, name) is not None)


def relations_of(facts: list[Fact]) -> dict[tuple[str, str], str]:
    """What each fact names and how (`Kind.relation`, e.g. ('FR', 'strong-cooperation')) → fact id."""
    found: dict[tuple[str, str], str] = {}
    for fact in facts:
        relation = BY_NAME[fact.kind].relation
        if relation is not None:
            found[relation(fact)] = fact.id
    return found


def _measure_changes(base: FactBase, country: str, year_a: int, year_b: int) -> dict[str, Measure]:
    """Each figure the kinds declare for comparison that either year gives."""
    measures: dict[str, Measure] = {}
    for label, kind, name in COMPARED_FIGURES:
        (old, fact_a), (new, fact_b) = (
            first_figure(base, kind, name, country, year_a),
            first_figure(base, kind, name, country, year_b),
        )
        if old is None and new is None:
            continue
        facts = [f for f in (fact_a, fact_b) if f is not None]
        measures[label] = {
            **figure_change(old, new, year_a, year_b),
            "ids": [f.id for f in facts],
            "disputed": disputed_by(base, facts, name),
        }
    return measures


def _relation_changes(base: FactBase, country: str, year_a: int, year_b: int) -> tuple[list[RelationChange], list[str]]:
    """Partners, memberships and groups named in one year and not the other, and a note for each
    kind one of the years records nothing of."""
    relations: list[RelationChange] = []
    notes: list[str] = []
    for kind, what in COMPARED_RELATIONS:
        old = relations_of(facts_of(base, kind, country, year_a))
        new = relations_of(facts_of(base, kind, country, year_b))
        if not old or not new:
            if old or new:
                notes.append(f"no {what} are recorded for {year_a if not old else year_b}, so {what} are not compared")
            continue
        for ours, theirs, year, other in ((new, old, year_b, year_a), (old, new, year_a, year_b)):
            for (ident, relation), fact_id in sorted(ours.items(), key=lambda item: display_name(base, item[0][0])):
                if (ident, relation) not in theirs:
                    relations.append(
                        {
                            "name": display_name(base, ident),
                            "name_ar": display_name(base, ident, "ar"),
                            "relation": relation,
                            "change": f"mentioned for {year}, not among the {other} facts",
                            "mentioned_in": year,
                            "id": fact_id,
                        }
                    )
    return relations, notes
