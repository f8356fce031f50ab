"""The fact-base model: dataclasses that the loader builds and every query reads.

These classes are also the schema. `ct_report.validate` checks YAML against their type hints,
and `ct_report.schema` turns them into the published JSON Schema, so a field is declared once.
Field metadata keys understood by both:
  doc        one-line description (shown in the JSON Schema and `ctreport schema`);
  pattern    regular expression a string must match;
  inherited  may be omitted in a fact when the file sets it at the top level;
  internal   filled by the loader, never written in YAML.

Start-up is what a CLI is judged by (see benchmarks/), and every method a dataclass generates
is compiled when ctreport starts. So the classes derive from `Record`, which makes each a
dataclass that shares one `__init__`, `__eq__` and `__repr__` (typed for mypy through
`dataclass_transform`); they are not frozen (nothing changes them after loading), and each has
a docstring (a dataclass without one computes its signature to make one).
"""

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, Literal, NamedTuple, NoReturn, TypeVar, cast, get_args

SCHEMA_VERSION = 1

SourceKind = Literal["report", "government", "press"]
Qualifier = Literal["exact", "at-least", "more-than", "about", "reportedly", "relative", "unconfirmed"]
FactKind = Literal[
    "arrests",
    "incidents",
    "threat",
    "strategy",
    "capacity",
    "partner",
    "financing",
    "cve",
    "assessment",
    "group",
    "legislation",
]
Relation = Literal[
    "strong-cooperation",
    "cooperation",
    "co-chair",
    "founding-member",
    "member",
    "host",
    "designation",
    "tension",
    "assistance",
]
RELATIONS: tuple[str, ...] = get_args(Relation)
Holder = Literal["state", "fiu"]
EntityKind = Literal[
    "forum",
    "partnership",
    "exercise",
    "coalition",
    "financing-body",
    "institution",
    "organisation",
    "terrorist-group",
    "fiu",
]
RegionScheme = Literal["crt", "m49", "group"]

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
REGION_ID_PATTERN = r"^(crt|m49|group):[a-z0-9][a-z0-9-]*$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"
URL_PATTERN = r"^https?://\S+$"


def _written_at() -> Any:
    """Where each field of an object was written (`Positions`): filled by the validator for its
    messages, compared by nothing and never cached."""
    return field(default=None, compare=False, repr=False, metadata={"internal": True, "transient": True})


class Positions:
    """Where each field of a record was written, (line, column) by field name. Kept as the
    names (one tuple shared by every record written with the same keys) and one array of
    numbers: a dict of tuples took a kilobyte a record, a fifth of a large base's memory."""

    __slots__ = ("names", "numbers")

    def __init__(self, names: Iterable[str], numbers: Iterable[int]) -> None:
        """`numbers` holds each named field's line, then its column."""
        from array import array

        self.names = _shared_names(tuple(names))
        self.numbers = array("I", numbers)
        if len(self.numbers) != 2 * len(self.names):
            raise ValueError("positions of another shape")

    def get(self, name: str, default: tuple[int, int] | None = None) -> tuple[int, int] | None:
        if name not in self.names:
            return default
        at = 2 * self.names.index(name)
        return self.numbers[at], self.numbers[at + 1]

    def plain(self) -> list[Any]:
        """As the store keeps it: [names, numbers]."""
        return [list(self.names), self.numbers.tolist()]

    @classmethod
    def from_plain(cls, plain: list[Any]) -> "Positions":
        names, numbers = plain
        return cls(names, numbers)


_NAMES: dict[tuple[str, ...], tuple[str, ...]] = {}


def _shared_names(names: tuple[str, ...]) -> tuple[str, ...]:
    return _NAMES.setdefault(names, names)


def _doc(text: str, **extra: Any) -> Any:
    """A required field with its description."""
    return field(metadata={"doc": text, **extra})


def _opt(text: str, *, default: Any, **extra: Any) -> Any:
    """An optional field with its description; `default` is spelled out at each use so that type
    checkers see it (they read it from the call, not from this signature)."""
    return field(default=default, metadata={"doc": text, **extra})


T = TypeVar("T")

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[T], T]:
        return lambda cls: cls


R = TypeVar("R", bound="Record")


@dataclass_transform(field_specifiers=(field, _doc, _opt))
class Record:
    """The base of the model's classes: each subclass is made a dataclass (fields, metadata and
    `dataclasses.fields` as usual) but shares the `__init__`, `__eq__` and `__repr__` written
    here once, instead of having them generated and compiled at every start-up. The
    `dataclass_transform` tells type checkers the constructor's real signature, so `Fact(idd=3)`
    fails `mypy` as it would for a dataclass. (A `@dataclass(frozen=True, slots=True)` model
    costs 6-7% more CPU per run; see the commit that introduced this.)"""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(repr=False, eq=False, init=False)(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls: Any = type(self)  # Any: a class with __hash__ = None still hashes as a class
        order, names, required = _layout(cls)
        if len(args) > len(order):
            raise TypeError(f"{cls.__name__}() takes at most {len(order)} positional arguments")
        given = dict(zip(order, args, strict=False))
        if given.keys() & kwargs.keys():
            raise TypeError(f"{cls.__name__}() got some arguments twice: {sorted(given.keys() & kwargs.keys())}")
        given.update(kwargs)
        if not given.keys() <= names or not required <= given.keys():
            unknown, missing = sorted(given.keys() - names), sorted(required - given.keys())
            raise TypeError(f"{cls.__name__}(): unknown fields {unknown}, missing fields {missing}")
        self.__dict__.update(given)

    @classmethod
    def from_fields(cls: "type[R]", values: dict[str, Any]) -> "R":
        """A record from field values known to be complete and right (the compiled cache's,
        which ctreport wrote from a validated base): without `__init__`'s checks, which cost
        most of the time a large base takes to load."""
        record = cls.__new__(cls)
        record.__dict__.update(values)
        return record

    def __eq__(self, other: object) -> bool:
        cls: Any = type(self)
        compared = _compared(cls)
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in compared)

    def __repr__(self) -> str:
        cls: Any = type(self)
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _compared(cls))
        return f"{cls.__name__}({shown})"

    __hash__ = None  # type: ignore[assignment]


@cache
def _layout(cls: type) -> tuple[tuple[str, ...], frozenset[str], frozenset[str]]:
    """A record class's field names in order and as a set, and those without a default. A
    field left at its default is not stored in the record: `dataclass` makes each default a
    class attribute, which the record's attribute falls back to. A fact then holds a dict of
    the dozen fields it gives (464 bytes) instead of all 31 (832 bytes)."""
    known = fields(cls)
    if any(f.default_factory is not MISSING for f in known):
        raise TypeError(f"{cls.__name__}: Record fields take a default, not a default_factory")
    return (
        tuple(f.name for f in known),
        frozenset(f.name for f in known),
        frozenset(f.name for f in known if f.default is MISSING),
    )


@cache
def _compared(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.compare)


class Origin(NamedTuple):
    """Where an object was written: file (as given to the loader) and 1-based line and column.
    A tuple, not a record: every fact and source has one, and a record's dict took four times
    the memory. The cache keeps it as a list: [file, line, column, label]."""

    file: str
    line: int
    column: int
    label: str | None = None
    """The file named after its fact-base root, as rows show it: 'bundled:facts/2021/MA.yaml'."""


class Names(Record):
    """A name in English and, where known, Arabic."""

    en: str = _doc("English name")
    ar: str | None = _opt("Arabic name", default=None)
    written_at: Positions | None = _written_at()


class Region(Record):
    """A regional grouping: a CRT chapter region or a UN M49 region."""

    id: str = _doc("Scheme-prefixed id, e.g. 'm49:western-europe'", pattern=REGION_ID_PATTERN)
    scheme: RegionScheme = _doc(
        "'crt' (the report's own chapters), 'm49' (UN regions) or 'group' (a named group of countries, e.g. the Maghreb)"
    )
    name: Names = _doc("Display names")
    code: str | None = _opt("M49 numeric code, as a quoted string", default=None)
    parent: str | None = _opt("Id of the enclosing region", default=None)
    aliases: tuple[str, ...] = _opt("Other names accepted by --region", default=())
    written_at: Positions | None = _written_at()


class Country(Record):
    """A country the reports cover or name as a partner."""

    code: str = _doc("ISO 3166-1 alpha-2 code", pattern=COUNTRY_PATTERN)
    alpha3: str = _doc("ISO 3166-1 alpha-3 code", pattern=r"^[A-Z]{3}$")
    name: Names = _doc("Display names")
    regions: tuple[str, ...] = _doc("Leaf regions: one CRT chapter, one M49 sub-region, and any named groups")
    aliases: tuple[str, ...] = _opt("Other names accepted by --country", default=())
    written_at: Positions | None = _written_at()


class Entity(Record):
    """An organisation, forum, exercise or institution a fact can name."""

    id: str = _doc("Identifier used by facts", pattern=ID_PATTERN)
    kind: EntityKind = _doc("What sort of body this is")
    name: Names = _doc("Display names")
    acronym: str | None = _opt("Short name, e.g. GCTF", default=None)
    aliases: tuple[str, ...] = _opt("Other names, found by search", default=())
    scope: tuple[str, ...] = _opt("Regions the body covers; 'm49:world' for global bodies", default=())
    parent: str | None = _opt("Id of the body this one belongs to", default=None)
    country: str | None = _opt("Country of a national institution", default=None, pattern=COUNTRY_PATTERN)
    written_at: Positions | None = _written_at()


class Edition(Record):
    """One annual edition of the Country Reports on Terrorism."""

    id: str = _doc("Identifier, e.g. crt-2021", pattern=ID_PATTERN)
    title: str = _doc("Title of the edition")
    covers: int = _doc("The year whose events the edition covers")
    publisher: str = _doc("Who publishes it")
    published: str | None = _opt("Release date (YYYY-MM-DD), quoted", default=None, pattern=DATE_PATTERN)
    published_source: str | None = _opt("Source id for the release date", default=None)
    url: str | None = _opt("Address of the edition as a whole", default=None, pattern=URL_PATTERN)
    countries: tuple[str, ...] = _opt(
        "Countries whose chapters of this edition the fact base sets out to cover (coverage shows their gaps)",
        default=(),
    )
    note: str | None = _opt("Caveats: a release date or address that could not be established", default=None)
    written_at: Positions | None = _written_at()


class Source(Record):
    """A document facts are taken from: a report chapter or a press article."""

    id: str = _doc("Identifier used by facts", pattern=ID_PATTERN)
    kind: SourceKind = _doc(
        "'report': the chapter or a verbatim mirror; 'government': an official body's own figures; "
        "'press': an article about either"
    )
    title: str = _doc("Title, or a description when the document has none")
    publisher: str | None = _opt("Publisher or outlet", default=None)
    language: str | None = _opt("ISO 639-1 language code", default=None, pattern=r"^[a-z]{2}$")
    date: str | None = _opt(
        "Publication date (YYYY, YYYY-MM or YYYY-MM-DD), quoted", default=None, pattern=DATE_PATTERN
    )
    edition: str | None = _opt("Report edition the source is about", default=None)
    summarises: str | None = _opt("Source id of the report this article summarises", default=None)
    url: str | None = _opt(
        "Full address of the document (never an outlet's home page)", default=None, pattern=URL_PATTERN
    )
    text: str | None = _opt("Path of the shipped full text, relative to the file's data folder", default=None)
    note: str | None = _opt("Caveats about the source", default=None)
    origin: Origin | None = field(default=None, compare=False, repr=False, metadata={"internal": True})
    written_at: Positions | None = _written_at()


class Figure(Record):
    """A number as the source gives it: the value (if any) and how sure the source is."""

    qualifier: Qualifier = _doc("How the source qualifies the number")
    value: int | None = _opt("The number; absent when the source gives none", default=None)
    text: str | None = _opt("The source's words when no plain number fits, e.g. 'roughly double'", default=None)
    attributed_to: str | None = _opt("Whom the source credits the figure to, e.g. 'local media'", default=None)


class Event(Record):
    """One incident, as the source describes it."""

    description: str = _doc("What happened")
    date: str | None = _opt("When (YYYY, YYYY-MM or YYYY-MM-DD), quoted", default=None, pattern=DATE_PATTERN)
    place: str | None = _opt("Where", default=None)
    casualties: str | None = _opt("People killed and injured, as the source gives them", default=None)
    group: str | None = _opt("Entity id of the group responsible, where the source names one", default=None)


class Fact(Record):
    """One statement of a source about a country and year, with the passage it comes from."""

    id: str = _doc("Unique identifier, e.g. ma-2021-arrests", pattern=ID_PATTERN)
    kind: FactKind = _doc("What the fact is about")
    source: str = _doc("Id of the source document")
    statement: str = _doc("The fact in English, in the curator's words")
    country: str = _doc("Country the fact is about", pattern=COUNTRY_PATTERN, inherited=True)
    year: int = _doc("Year of the events", inherited=True)
    edition: str = _doc("Report edition, e.g. crt-2021", inherited=True)
    section: str | None = _opt(
        "The section of the source the fact comes from, e.g. '2019 Terrorist Incidents'", default=None
    )
    key_phrase: str | None = _opt(
        "A few words of the source (at most 12) that locate a figure or claim, verbatim", default=None
    )
    quote: str | None = _opt("The passage of the source the fact comes from, verbatim", default=None)
    note: str | None = _opt("Caveats, omissions, disagreements", default=None)
    corroborated_by: tuple[str, ...] = _opt("Further sources that report the same", default=())
    conflicts_with: tuple[str, ...] = _opt("Ids of facts from other sources that disagree", default=())
    # arrests
    arrested: Figure | None = _opt("People arrested (arrests)", default=None)
    operations: Figure | None = _opt("Counterterrorism operations (arrests)", default=None)
    cells: Figure | None = _opt("Cells dismantled (arrests)", default=None)
    targets: tuple[str, ...] = _opt("Targets of the disrupted plots (arrests)", default=())
    comparison: str | None = _opt("How the year compares with others (arrests)", default=None)
    # incidents
    count: Figure | None = _opt("Number of terrorist incidents (incidents)", default=None)
    events: tuple[Event, ...] = _opt("The incidents, where described (incidents)", default=())
    # partner
    partner: str | None = _opt("Country code or entity id (partner)", default=None)
    relation: Relation | None = _opt("The relation with the partner (partner, financing)", default=None)
    detail: str | None = _opt("Qualifies the relation or the group's activity (partner, group)", default=None)
    alongside: tuple[str, ...] = _opt("Others sharing the role, e.g. a co-chair (partner)", default=())
    # financing
    body: str | None = _opt("Entity id of the financing body (financing)", default=None)
    holder: Holder | None = _opt("Who holds the membership: the state or its FIU (financing)", default=None)
    member: str | None = _opt(
        "Entity id of the institution holding the membership, e.g. the FIU (financing)", default=None
    )
    # group
    group: str | None = _opt("Entity id of the terrorist group (group)", default=None)
    # cve
    institution: str | None = _opt("Entity id of the institution (cve)", default=None)
    # Which of these kind-specific fields each kind requires and allows: ct_report.kinds.
    origin: Origin | None = field(default=None, compare=False, repr=False, metadata={"internal": True})
    written_at: Positions | None = _written_at()


class Document(Record):
    """One YAML file of the fact base. Every section is optional; files are merged on load."""

    country: str | None = _opt("Default country for the facts of this file", default=None, pattern=COUNTRY_PATTERN)
    year: int | None = _opt("Default year for the facts of this file", default=None)
    edition: str | None = _opt("Default report edition for the facts of this file", default=None)
    regions: tuple[Region, ...] = _opt("Regional groupings", default=())
    countries: tuple[Country, ...] = _opt("Countries", default=())
    entities: tuple[Entity, ...] = _opt("Organisations, forums, exercises, institutions", default=())
    editions: tuple[Edition, ...] = _opt("Report editions", default=())
    sources: tuple[Source, ...] = _opt("Source documents", default=())
    facts: tuple[Fact, ...] = _opt("Facts", default=())


FACT_KINDS: tuple[str, ...] = get_args(FactKind)

FactLoader = Callable[[], tuple[Fact, ...]]
Tally = dict[tuple[str, int], tuple[int, dict[str, int]]]
"""Per (country, year): how many facts, and how many of them cite each source (as `source` or
in `corroborated_by`)."""


def tally_facts(facts: Iterable[Fact], into: Tally | None = None) -> Tally:
    """The tally of some facts, added to `into` when given."""
    found: Tally = {} if into is None else into
    for fact in facts:
        count, cited = found.get((fact.country, fact.year), (0, {}))
        for source in {fact.source, *fact.corroborated_by}:
            cited[source] = cited.get(source, 0) + 1
        found[(fact.country, fact.year)] = (count + 1, cited)
    return found


FactSelector = Callable[[Callable[[str, int], bool]], list[Fact]]
"""Given which (country, year) are wanted, facts including all of theirs (see FactBase.facts_in)."""


class SearchTerm(NamedTuple):
    """A folded word of a search, and what an entry holding it must hold."""

    word: str
    named: tuple[str, ...] | None
    """The countries and entities whose names hold the word (an entry naming one of them
    matches it by name); None when they are too many to look for."""


SearchSelector = Callable[[Sequence[SearchTerm]], "list[tuple[list[Any], bytes]]"]
"""Given the words of a search, the search entries of every fact that can match them all
(see FactBase.search_entries)."""


class CompiledRows(NamedTuple):
    """A list command's rows, worked out when the cache was built: each row's JSON text
    (`load_encoded`, every field in the command's order), and a function giving, per row, the fields
    its filters read (decoded only when a filter or a footer needs them)."""

    load_encoded: Callable[[], list[bytes]]
    load_keys: Callable[[], list[dict[str, Any]]]
    within: "Callable[[Callable[[str, int], bool]], CompiledRows] | None" = None
    """The rows of the country-years a test keeps, the others' keys never decoded."""
    number: Callable[[], int] | None = None
    """How many rows there are, when known without reading them (from the blocks)."""
    select: "RowSelector | None" = None
    """The rows a filter on some fields keeps (field -> values accepted), of the country-years
    a test keeps (or all), found without decoding every row's fields; None from it when the
    filter reads a field it cannot look up."""
    load_runs: Callable[[int], Iterable[bytes]] | None = None
    """Every row's JSON text as read, in runs of about the given number of bytes, the lines of a
    run joined by newlines: a whole answer is written without cutting it into lines."""


RowSelector = Callable[[Mapping[str, Collection[str]], "Callable[[str, int], bool] | None"], "CompiledRows | None"]


CompiledLoader = Callable[[], CompiledRows]


class BuiltOnUse(Mapping[str, T]):
    """Records by id, each built from its stored fields when first looked up: a question about
    a few of a large base's sources does not build all of them (12,000 at 100,000 facts)."""

    def __init__(self, stored: dict[str, Any], build: Callable[[Any], T]) -> None:
        self._stored = stored
        self._build = build
        self._built: dict[str, T] = {}

    def __getitem__(self, key: str) -> T:
        try:
            return self._built[key]
        except KeyError:
            value = self._built[key] = self._build(self._stored[key])
            return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)

    def __contains__(self, key: object) -> bool:
        return key in self._stored


class _Part(Generic[T]):
    """A part of the fact base, given either as itself or as a function that loads it; the
    function runs on first access and its result is kept."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, base: "FactBase", owner: type | None = None) -> T:
        value = base._parts[self.name]
        if callable(value):
            value = base._parts[self.name] = value()
        return cast(T, value)


class FactBase:
    """The whole validated fact base, indexed for queries.

    Facts are grouped by kind, in file order within a kind. Every part (each kind of fact, the
    regions, countries, entities, editions, sources and texts) may be given as a function that
    loads it on first use (the compiled cache does this), so a query never pays for decoding
    what it does not read; `facts` loads every kind.
    """

    regions: _Part[dict[str, Region]] = _Part()
    countries: _Part[dict[str, Country]] = _Part()
    entities: _Part[dict[str, Entity]] = _Part()
    editions: _Part[dict[str, Edition]] = _Part()
    sources: _Part[Mapping[str, Source]] = _Part()
    texts: _Part[dict[str, str]] = _Part()
    """Shipped source texts by source id."""

    def __init__(
        self,
        *,
        regions: dict[str, Region] | Callable[[], dict[str, Region]],
        countries: dict[str, Country] | Callable[[], dict[str, Country]],
        entities: dict[str, Entity] | Callable[[], dict[str, Entity]],
        editions: dict[str, Edition] | Callable[[], dict[str, Edition]],
        sources: Mapping[str, Source] | Callable[[], Mapping[str, Source]],
        facts_by_kind: dict[str, tuple[Fact, ...] | FactLoader],
        years: tuple[int, ...],
        texts: dict[str, str] | Callable[[], dict[str, str]],
        compiled: dict[str, CompiledLoader] | None = None,
        locate: Callable[[str], "Fact | None"] | None = None,
        select: "FactSelector | None" = None,
        tally: "Callable[[], Tally] | None" = None,
        search: "SearchSelector | None" = None,
    ) -> None:
        self._parts: dict[str, Any] = {
            "regions": regions,
            "countries": countries,
            "entities": entities,
            "editions": editions,
            "sources": sources,
            "texts": texts,
        }
        self.years = years
        """Every year some fact covers, ascending."""
        self._by_kind = facts_by_kind
        self._all: tuple[Fact, ...] | None = None
        self._at: dict[str, dict[tuple[str, int], list[Fact]]] = {}
        self._by_id: dict[str, Fact] | None = None
        self._locate = locate
        """Finds one fact by id without loading them all (the compiled cache gives this)."""
        self._count = tally
        self._tally: Tally | None = None
        self._whole = True
        """False for a `narrowed` base, whose `fact` looks in the whole base."""
        self._select = select
        self._search = search
        """Gives a superset of the facts a search can match without loading them all (idem)."""
        """Gives a superset of the facts of some country-years without loading them all (idem)."""
        self.compiled = compiled or {}
        """Rows by list command, when the base comes from the compiled cache."""
        self.release: Callable[[], Any] = lambda: None
        """Let go of what a lazily loaded base holds open (the cache file); call it once nothing
        more will be read from the base."""
        self.damaged: Callable[[str], NoReturn] | None = None
        """For a base read from the compiled cache: report stored text that does not decode
        (which only a cache changed by hand holds), removing the cache; raises."""

    @classmethod
    def build(
        cls,
        *,
        regions: dict[str, Region],
        countries: dict[str, Country],
        entities: dict[str, Entity],
        editions: dict[str, Edition],
        sources: Mapping[str, Source],
        facts: Iterable[Fact],
        texts: dict[str, str],
    ) -> "FactBase":
        by_kind: dict[str, list[Fact]] = {kind: [] for kind in FACT_KINDS}
        for fact in facts:
            by_kind[fact.kind].append(fact)
        return cls(
            regions=regions,
            countries=countries,
            entities=entities,
            editions=editions,
            sources=sources,
            facts_by_kind={kind: tuple(items) for kind, items in by_kind.items()},
            years=tuple(sorted({f.year for items in by_kind.values() for f in items})),
            texts=texts,
        )

    def of_kind(self, kind: str) -> tuple[Fact, ...]:
        loaded = self._by_kind.get(kind, ())
        if callable(loaded):
            loaded = self._by_kind[kind] = loaded()
        return loaded

    def of_kind_at(self, kind: str, country: str, year: int) -> list[Fact]:
        """The facts of a kind for one country-year, in file order. Indexed on first use: a
        comparison asks for every kind of every country-year it covers."""
        index = self._at.get(kind)
        if index is None:
            index = self._at[kind] = {}
            for fact in self.of_kind(kind):
                index.setdefault((fact.country, fact.year), []).append(fact)
        return list(index.get((country, year), ()))

    @property
    def facts(self) -> tuple[Fact, ...]:
        """Every fact: grouped by kind (in FACT_KINDS order), in file order within a kind.
        Worked out once: commands that walk the base per country-year read it many times."""
        if self._all is None:
            self._all = tuple(fact for kind in FACT_KINDS for fact in self.of_kind(kind))
        return self._all

    def facts_in(self, countries: Collection[str] | None, years: Callable[[int], bool]) -> list[Fact]:
        """The facts of the matching country-years (every country when `countries` is None),
        in the order of `facts`."""

        def wanted(country: str, year: int) -> bool:
            return (countries is None or country in countries) and years(year)

        candidates = self._select(wanted) if self._select is not None and self._all is None else self.facts
        return [fact for fact in candidates if wanted(fact.country, fact.year)]

    def search_entries(self, terms: Sequence[SearchTerm]) -> "list[tuple[list[Any], bytes]] | None":
        """What the compiled cache keeps for `search` (kinds.search_entries) of the facts that
        may match every term: at least those that do. None without a compiled cache: the
        caller works the entries out."""
        return self._search(terms) if self._search is not None else None

    def tally(self) -> Tally:
        """Facts and their sources per country-year (`tally_facts`), worked out once; the
        compiled cache gives it without decoding any fact."""
        if self._tally is None:
            self._tally = self._count() if self._count is not None else tally_facts(self.facts)
        return self._tally

    def narrowed(self, countries: Collection[str] | None, years: Callable[[int], bool]) -> "FactBase":
        """This base with only the facts of the matching country-years (`facts_in`), for
        answers that look no further; `fact` still finds any fact of the whole base."""
        narrowed = self.holding(self.facts_in(countries, years))
        narrowed.years = self.years
        narrowed._locate = self.fact
        narrowed._whole = False
        return narrowed

    def holding(self, facts: Iterable[Fact], sources: "Callable[[], Mapping[str, Source]] | None" = None) -> "FactBase":
        """This base's definitions, texts and (unless `sources` gives others) sources, with
        only `facts`: enough to check those facts and to work out their rows."""
        by_kind: dict[str, list[Fact]] = {kind: [] for kind in FACT_KINDS}
        for fact in facts:
            by_kind[fact.kind].append(fact)
        return FactBase(
            regions=lambda: self.regions,
            countries=lambda: self.countries,
            entities=lambda: self.entities,
            editions=lambda: self.editions,
            sources=sources or (lambda: self.sources),
            facts_by_kind={kind: tuple(items) for kind, items in by_kind.items()},
            years=(),
            texts=lambda: self.texts,
        )

    def fact(self, fact_id: str) -> Fact | None:
        if self._locate is not None and (not self._whole or (self._by_id is None and self._all is None)):
            return self._locate(fact_id)
        if self._by_id is None:
            self._by_id = {fact.id: fact for fact in self.facts}
        return self._by_id.get(fact_id)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FactBase):
            return NotImplemented
        return (
            self.regions == other.regions
            and self.countries == other.countries
            and self.entities == other.entities
            and self.editions == other.editions
            and self.sources == other.sources
            and self.facts == other.facts
            and self.years == other.years
            and self.texts == other.texts
        )

    __hash__ = None  # type: ignore[assignment]
