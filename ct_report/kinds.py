"""The fact kinds, each declared once.

A `Kind` says everything the rest of ctreport needs to know about one kind of fact: the
fields it requires and allows, what they refer to, its section of the summary, the details
`show` prints, its SQLite table, and, for a kind with a list command, that command's fields,
how a fact becomes a row and which row fields its filters read. The validator, the schema's
checks, the query tables, the export, `ctreport fields` and the docs are all derived from
`KINDS`: adding a kind is one entry here, its data, and (for a command) one short function in
`cli.py`. The fields themselves are those of `model.Fact`, which is also the YAML schema.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from ct_report.fields import (
    COVERAGE_FIELDS,
    SEARCH_FIELDS,
    SOURCE_FIELDS,
    SOURCES_FIELDS,
    SUBJECT_FIELDS,
    Field,
    Row,
    figure_fields,
)
from ct_report.model import FACT_KINDS, Fact, FactBase, Figure, Record
from ct_report.present import RowMaker, display_name, event_text, figure_row, figure_text, partner_kind

RowPart = Callable[[RowMaker, Fact], Row]
"""The kind's own fields of a fact's row, between the subject and the source fields."""
Table = Callable[[RowMaker, list[Fact]], list[Row]]
"""Every row of a list command from its kind's facts (in country, year and file order)."""


class Check(NamedTuple):
    """A kind-specific rule the validator applies: `test` is true when the fact is wrong."""

    field: str
    test: Callable[[Fact], bool]
    message: str


class Kind(Record):
    """One kind of fact and everything ctreport derives from it (a `Record`, so that declaring
    the registry costs start-up nothing a generated dataclass would)."""

    name: str
    """The value of a fact's `kind`."""
    title: str
    """Its section in `summary`."""
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    references: tuple[tuple[str, str], ...] = ()
    """Fields naming something defined elsewhere: 'entity', or 'country or entity'."""
    details: tuple[str, ...] = ()
    """The kind's fields `show` prints, in order."""
    checks: tuple[Check, ...] = ()
    export_table: str | None = None
    """The SQLite table of the kind's fields (`export`), keyed by fact_id; None: `facts` only."""
    export_columns: tuple[str, ...] = ()
    command: str | None = None
    """The list command answering from this kind's facts."""
    command_title: str = ""
    fields: tuple[Field, ...] = ()
    """The command's own fields, between the subject and the source fields."""
    row: RowPart | None = None
    table: Table | None = None
    """Instead of `row`, when the command's rows are not one per fact."""
    key_fields: tuple[str, ...] = ("country", "year", "source")
    """The row fields the command's filters read (kept decoded in the compiled cache)."""
    indexed_fields: tuple[str, ...] = ()
    """Key fields the command filters on beyond the country-year: the compiled cache keeps,
    for each of their values, the rows holding it (`postings`)."""
    measures: tuple[tuple[str, str], ...] = ()
    """Figures `compare` sets side by side: (label, figure field)."""
    relation: Callable[[Fact], tuple[str, str]] | None = None
    """For `compare`: what a fact names and how, e.g. ('FR', 'strong-cooperation')."""
    plural: str = ""
    """How `compare` speaks of several such relations."""

    def refers(self, name: str) -> str | None:
        """What the field `name` refers to ('entity', 'country or entity'), if anything."""
        return dict(self.references).get(name)

    @property
    def allowed(self) -> frozenset[str]:
        return frozenset(self.required + self.optional)

    def rows(self, base: FactBase, facts: Iterable[Fact]) -> list[Row]:
        return list(self.each_row(base, facts))

    def each_row(self, base: FactBase, facts: Iterable[Fact]) -> Iterator[Row]:
        """The rows one at a time: a kind with one row per fact makes each when it is asked
        for, and a table's rows are let go of once given (see `_draining`)."""
        maker = RowMaker(base)
        ordered = sorted(facts, key=lambda fact: (fact.country, fact.year))
        if self.table is not None:
            yield from _draining(self.table(maker, ordered))
            return
        assert self.row is not None, f"kind {self.name} has a command but neither row nor table"
        row = self.row
        for fact in ordered:
            yield {**maker.subject(fact), **row(maker, fact), **maker.source_fields(fact)}

    def command_fields(self) -> list[Field]:
        return [*SUBJECT_FIELDS, *self.fields, *SOURCE_FIELDS]


# --- row builders --------------------------------------------------------------------------


def _arrest_counts(maker: RowMaker, fact: Fact | None) -> Row:
    return {
        **figure_row("arrested", fact.arrested if fact else None),
        **figure_row("operations", fact.operations if fact else None),
        **figure_row("cells", fact.cells if fact else None),
    }


def _arrest_table(maker: RowMaker, facts: list[Fact]) -> list[Row]:
    """One row per arrest figure; a comparison-only fact joins the rows of its country-year."""
    counted = [f for f in facts if f.arrested or f.operations or f.cells]
    comparisons = [f for f in facts if not (f.arrested or f.operations or f.cells)]
    rows = []
    for fact in counted:
        rows.append(
            {
                **maker.subject(fact),
                **_arrest_counts(maker, fact),
                "targets": list(fact.targets),
                "comparison": fact.comparison,
                "comparison_id": None,
                **maker.source_fields(fact),
            }
        )
    for fact in comparisons:
        same_year = [
            r for r in rows if (r["country"], r["year"]) == (fact.country, fact.year) and r["comparison"] is None
        ]
        for row in same_year:
            row["comparison"], row["comparison_id"] = fact.comparison, fact.id
        if not same_year:
            rows.append(
                {
                    **maker.subject(fact),
                    **_arrest_counts(maker, None),
                    "targets": list(fact.targets),
                    "comparison": fact.comparison,
                    "comparison_id": fact.id,
                    **maker.source_fields(fact),
                }
            )
    return sorted(rows, key=lambda r: (r["country"], r["year"]))


def _incident_row(maker: RowMaker, fact: Fact) -> Row:
    return {
        **figure_row("incidents", fact.count),
        "events": [event_text(maker.base, event) for event in fact.events],
    }


def _partner_row(maker: RowMaker, fact: Fact) -> Row:
    base, partner = maker.base, fact.partner
    assert partner is not None
    return {
        "partner": partner,
        "partner_name": display_name(base, partner),
        "partner_name_ar": display_name(base, partner, "ar"),
        "partner_kind": partner_kind(base, partner),
        "relation": fact.relation,
        "detail": fact.detail,
        "alongside": [display_name(base, other) for other in fact.alongside],
        "regions": maker.regions(partner),
    }


def _financing_row(maker: RowMaker, fact: Fact) -> Row:
    assert fact.body is not None
    body = maker.base.entities[fact.body]
    member = maker.base.entities[fact.member] if fact.member else None
    return {
        "body": body.id,
        "body_name": body.name.en,
        "body_name_ar": body.name.ar,
        "acronym": body.acronym,
        "holder": fact.holder,
        "member": fact.member,
        "member_name": display_name(maker.base, member.id) if member else None,
        "member_name_ar": member.name.ar if member else None,
        "relation": fact.relation,
    }


def _group_row(maker: RowMaker, fact: Fact) -> Row:
    assert fact.group is not None
    group = maker.base.entities[fact.group]
    return {
        "group": group.id,
        "group_name": group.name.en,
        "group_name_ar": group.name.ar,
        "acronym": group.acronym,
        "detail": fact.detail,
    }


def _no_figure(fact: Fact) -> bool:
    return all(getattr(fact, n) in (None, ()) for n in ("arrested", "operations", "cells", "comparison"))


# --- the registry ----------------------------------------------------------------------------
# In the order of the summary's sections.

KINDS: tuple[Kind, ...] = (
    Kind("assessment", "Assessment"),
    Kind("strategy", "Strategy"),
    Kind("threat", "Threat"),
    Kind(
        "group",
        "Terrorist groups",
        required=("group",),
        optional=("detail",),
        references=(("group", "entity"),),
        details=("group", "detail"),
        export_table="groups",
        export_columns=("group", "detail"),
        command="groups",
        command_title="Terrorist groups named in the reports",
        fields=(
            Field("group", "Entity id of the terrorist group", in_table=False),
            Field("group_name", "Name of the group (Arabic with --lang ar)"),
            Field("group_name_ar", "Arabic name of the group", in_table=False),
            Field("acronym", "Short name of the group"),
            Field("detail", "What the report says of the group's activity"),
        ),
        row=_group_row,
        relation=lambda fact: (fact.group or "", "named"),
        plural="groups",
    ),
    Kind(
        "incidents",
        "Incidents",
        required=("count",),
        optional=("events",),
        details=("count", "events"),
        export_table="incidents",
        export_columns=("count", "events"),
        command="incidents",
        command_title="Terrorist incidents",
        fields=(
            *figure_fields("incidents", "Terrorist incidents"),
            Field("events", "The incidents described by the source: date, place: description"),
        ),
        row=_incident_row,
        measures=(("incidents", "count"),),
    ),
    Kind(
        "arrests",
        "Arrests",
        optional=("arrested", "operations", "cells", "targets", "comparison"),
        details=("arrested", "operations", "cells", "comparison", "targets"),
        checks=(
            Check(
                "kind",
                _no_figure,
                "an arrests fact needs at least one of 'arrested', 'operations', 'cells' or 'comparison'; "
                "add the one the source gives",
            ),
        ),
        export_table="arrests",
        export_columns=("arrested", "operations", "cells", "targets", "comparison"),
        command="arrests",
        command_title="Terrorism-related arrests",
        fields=(
            *figure_fields("arrested", "People arrested"),
            *figure_fields("operations", "Counterterrorism operations"),
            *figure_fields("cells", "Cells dismantled"),
            Field("targets", "Targets of the disrupted plots", in_table=False),
            Field("comparison", "How the year compares with others", in_table=False),
            Field("comparison_id", "Fact id of the comparison, when it is a separate fact", in_table=False),
        ),
        table=_arrest_table,
        measures=(("arrested", "arrested"), ("operations", "operations"), ("cells", "cells")),
    ),
    Kind("legislation", "Legislation and prosecutions"),
    Kind("capacity", "Law enforcement and capacity building"),
    Kind(
        "partner",
        "Partners",
        required=("partner", "relation"),
        optional=("detail", "alongside"),
        references=(
            ("partner", "country or entity"),
            ("alongside", "country or entity"),
        ),
        details=("partner", "relation", "detail", "alongside"),
        export_table="partners",
        export_columns=("partner", "relation", "detail", "alongside"),
        command="partners",
        command_title="Counterterrorism cooperation partners",
        fields=(
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
        ),
        row=_partner_row,
        key_fields=("country", "year", "source", "regions", "partner_kind", "relation"),
        indexed_fields=("regions", "partner_kind", "relation"),
        relation=lambda fact: (fact.partner or "", fact.relation or ""),
        plural="partners",
    ),
    Kind(
        "financing",
        "Countering the financing of terrorism",
        required=("body", "holder", "relation"),
        optional=("member",),
        references=(
            ("body", "entity"),
            ("member", "entity"),
        ),
        details=("body", "member", "relation", "holder"),
        export_table="financing",
        export_columns=("body", "holder", "relation", "member"),
        command="financing",
        command_title="Countering the financing of terrorism",
        fields=(
            Field("body", "Entity id of the financing body", in_table=False),
            Field("body_name", "Name of the financing body (Arabic with --lang ar)"),
            Field("body_name_ar", "Arabic name of the financing body", in_table=False),
            Field("acronym", "Short name of the body"),
            Field("holder", "Who holds the membership: 'state' or 'fiu' (financial intelligence unit)"),
            Field("member", "Entity id of the member institution, e.g. the FIU", in_table=False),
            Field("member_name", "Name of the member institution, e.g. the FIU (Arabic with --lang ar)"),
            Field("member_name_ar", "Arabic name of the member institution", in_table=False),
            Field("relation", "The relation, e.g. member"),
        ),
        row=_financing_row,
        relation=lambda fact: (fact.body or "", f"{fact.relation} ({fact.holder})"),
        plural="financing memberships",
    ),
    Kind(
        "cve",
        "Countering violent extremism",
        optional=("institution",),
        references=(("institution", "entity"),),
        details=("institution",),
        export_table="cve",
        export_columns=("institution",),
    ),
)

BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
IN_MODEL_ORDER: tuple[Kind, ...] = tuple(BY_NAME[name] for name in FACT_KINDS)
"""The kinds in `model.FactKind` order, which `compare` follows (arrests before incidents,
partners before memberships before groups)."""
BY_COMMAND: dict[str, Kind] = {kind.command: kind for kind in KINDS if kind.command}
SPECIFIC_FIELDS: frozenset[str] = frozenset().union(*(kind.allowed for kind in KINDS))
"""Every field that belongs to some kinds only."""
REFERENCES: dict[str, str] = {name: what for kind in IN_MODEL_ORDER for name, what in kind.references}
"""Every field naming a country or entity, and what it names."""

FIELDS: dict[str, list[Field]] = {
    **{command: kind.command_fields() for command, kind in BY_COMMAND.items()},
    "coverage": list(COVERAGE_FIELDS),
    "sources": list(SOURCES_FIELDS),
    "search": list(SEARCH_FIELDS),
}
"""The field catalogue of every command that prints rows."""


def kinds_allowing(name: str) -> list[str]:
    """The kinds a kind-specific field belongs to, in model order."""
    return [kind.name for kind in IN_MODEL_ORDER if name in kind.allowed]


def command_table(base: FactBase, command: str) -> list[Row]:
    """Every row of a list command, unfiltered, in answer order."""
    kind = BY_COMMAND[command]
    return kind.rows(base, base.of_kind(kind.name))


Block = tuple[str, int, list[Row], list[bytes]]
"""The compiled rows of one country-year: (country, year, each row's key fields, each row's JSON line)."""


def compiled_blocks(
    base: FactBase, command: str, encode: Callable[[Row], str], facts: Iterable[Fact] | None = None
) -> Iterator[Block]:
    """A list command's rows as the compiled cache stores them, one block per country-year in
    answer order: the key fields of each row, and each row's JSON line (every field, in order;
    `encode` writes it). `facts` (default: the base's facts of the kind) gives the rows of those
    facts alone, which are the rows of their country-years when no other fact shares them.
    Made as they are asked for: a large base's rows are never all held, as dicts or as text."""
    kind = BY_COMMAND[command]
    rows = kind.each_row(base, base.of_kind(kind.name) if facts is None else facts)
    names = [f.name for f in kind.command_fields()]
    for (country, year), group in itertools.groupby(rows, key=lambda row: (row["country"], row["year"])):
        members = list(group)
        keys = [{k: row[k] for k in kind.key_fields} for row in members]
        yield country, year, keys, [encode({n: row.get(n) for n in names}).encode() for row in members]


def _draining(rows: list[Row]) -> Iterator[Row]:
    """Each row in order, let go of once given: the rows of a large base are then not all held
    as dicts while they are held encoded (at 100,000 facts, the partner rows' dicts were a
    sixth of the first run's peak memory)."""
    rows.reverse()
    while rows:
        yield rows.pop()


def detail_value(base: FactBase, fact: Fact, name: str) -> Any:
    """A field of a fact as `show` prints it: figures worded, references named."""
    value = getattr(fact, name)
    if isinstance(value, Figure):
        return figure_text(value)
    if name in REFERENCES:
        return [display_name(base, v) for v in value] if isinstance(value, tuple) else display_name(base, value)
    if name == "events":
        return [
            {
                "date": e.date,
                "place": e.place,
                "casualties": e.casualties,
                "group": display_name(base, e.group) if e.group else None,
                "description": e.description,
            }
            for e in value
        ]
    return list(value) if isinstance(value, tuple) else value


def named_in(fact: Fact) -> list[str]:
    """The countries and entities a fact names: its country, every reference, the groups of its
    incidents."""
    named = [fact.country]
    for name in REFERENCES:
        value = getattr(fact, name)
        named += list(value) if isinstance(value, tuple) else [value] if value else []
    return named + [event.group for event in fact.events if event.group]


def names_searched(base: FactBase, ident: str) -> list[str]:
    """The names `search` matches a country or entity by: its names, code, acronym and aliases."""
    if ident in base.countries:
        c = base.countries[ident]
        names = [c.code, c.alpha3, c.name.en, c.name.ar or "", *c.aliases]
    else:
        e = base.entities[ident]
        names = [e.name.en, e.name.ar or "", e.acronym or "", *e.aliases]
    return [name for name in names if name]


def texts_searched(fact: Fact) -> dict[str, str]:
    """The texts of a fact `search` reads, by where a match is reported."""
    events = " ".join(" ".join(filter(None, (e.description, e.place, e.date))) for e in fact.events)
    return {"statement": fact.statement, "events": events, "quote": fact.quote or "", "note": fact.note or ""}


SearchEntry = tuple[list[Any], bytes]
"""What `search` reads of a fact, and what it answers with. First, decoded to score the fact:
[id, the countries and entities it names, and its statement, events, quote and note folded as
search folds them (text in plain ASCII is only lower-cased, which is the same)]. Then the
fact's row from its kind on, as the JSON text of a `--json` answer ('"kind": "arrests", …}'):
a match is answered by putting its id, score and where it matched in front, without decoding
or encoding the row."""


def search_entries(base: FactBase, facts: Sequence[Fact]) -> list[SearchEntry]:
    """The search entries of some facts (see SearchEntry). The compiled cache keeps them per
    file, so that a search neither decodes facts nor folds text."""
    from ct_report.text import encode_rows, fold

    parts = [text for fact in facts for text in texts_searched(fact).values()]
    # One fold for them all (a call per text cost more than the folding): folding joined text
    # folds each part, as nothing folds into or out of a control character, and no text of a
    # base holds one (they are refused).
    folded = fold("\x1f".join(parts)).split("\x1f")
    if len(folded) != len(parts):
        folded = [fold(part) for part in parts]
    sources = base.sources
    rows = [
        {
            "kind": f.kind,
            "country": f.country,
            "year": f.year,
            "statement": f.statement,
            "quote": f.quote,
            "conflicts_with": list(f.conflicts_with),
            "source": f.source,
            "source_kind": sources[f.source].kind,
        }
        for f in facts
    ]
    # One text for the rows of these facts, cut where the separator is (a control character,
    # which JSON text never holds raw); each row without its opening brace.
    found = encode_rows(rows, "\x1e").encode().split(b"\x1e") if rows else []
    return [
        ([f.id, named_in(f), *folded[4 * n : 4 * n + 4]], row[1:])
        for n, (f, row) in enumerate(zip(facts, found, strict=True))
    ]


def searched_text(entry: list[Any]) -> list[str]:
    """The statement, events, quote and note of an entry's first part, folded."""
    texts: list[str] = entry[2:6]
    return texts
