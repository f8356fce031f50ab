"""Check YAML nodes against the model and build it; then check the merged base as a whole.

`to_document` turns one file's nodes into a `Document`, reporting every unknown key, missing
field, wrong type and YAML 1.1 surprise with its line and column. `check_base` then checks what
only the whole base can tell: unique ids, references, years against editions, and quotes
against the shipped source texts.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import types
import typing
from collections.abc import Callable, Collection, Iterable, Mapping
from functools import cache
from typing import Any, Literal, NamedTuple, get_args, get_origin

from ct_report import model
from ct_report.errors import Problem
from ct_report.kinds import BY_NAME, REFERENCES, SPECIFIC_FIELDS, kinds_allowing
from ct_report.text import closest, suggest
from ct_report.yamlread import (
    FORBIDDEN_CHARS,
    NULL_TAG,
    REFUSED_TAG,
    STR_TAG,
    Map,
    Node,
    Scalar,
    Seq,
    describe_tag,
    shown,
)

INT_TAG = "tag:yaml.org,2002:int"
_PLAIN_DECIMAL = re.compile(r"^-?(0|[1-9][0-9_]*)$")
FIRST_PLAUSIBLE_YEAR = 1990
"""The CRT series (and its predecessor, Patterns of Global Terrorism) starts long before this;
older years are refused as likely typos rather than history the fact base covers."""
MAX_PROBLEMS = 100
"""Problems reported per file: past this the file is wrong throughout, and listing every one of
a few million costs minutes and gigabytes."""

_DROPPED_WHOLE = (model.Fact, model.Figure)
"""Objects dropped as a whole when any key is unknown or wrong. `check_base` checks their fields
against each other, so building them without the wrong one would report it again in other words.
Every other object is still built, without its wrong optional fields, as long as its required
ones are right: a typo in a source's `note` must not make every fact citing it an unknown source."""

# What a string field's pattern asks for, and an example, for the message when it does not match.
_FORMS = {
    model.ID_PATTERN: ("an id of lowercase letters, digits and '-'", "ma-2021-arrests"),
    model.REGION_ID_PATTERN: (
        "a region id: 'crt:', 'm49:' or 'group:', then lowercase letters, digits and '-'",
        "m49:northern-africa",
    ),
    model.COUNTRY_PATTERN: ("an ISO 3166-1 alpha-2 code (two capital letters)", "MA"),
    model.DATE_PATTERN: ("a date: YYYY, YYYY-MM or YYYY-MM-DD", "2023-02-27"),
    r"^[A-Z]{3}$": ("an ISO 3166-1 alpha-3 code (three capital letters)", "MAR"),
    r"^[a-z]{2}$": ("an ISO 639-1 language code (two lowercase letters)", "ar"),
    r"^https?://\S+$": ("an address starting with http:// or https://, without spaces", "https://www.state.gov/"),
}


@cache
def hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(model))


@cache
def fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}


def is_required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def unwrap_optional(hint: Any) -> tuple[Any, bool]:
    """`X | None` → (X, True); anything else → (hint, False)."""
    if get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return hint, False


@cache
def _inherited(cls: type) -> list[str]:
    return [name for name, f in fields(cls).items() if f.metadata.get("inherited")]


class _TooMany(Exception):
    """Raised once a file has MAX_PROBLEMS problems; the conversion stops there."""


@cache
def _plan(hint: Any) -> tuple[str, Any, bool]:
    """How to convert a value of type `hint`: (kind, what the kind needs, whether None is allowed).
    Worked out once per type rather than once per YAML node."""
    inner, optional = unwrap_optional(hint)
    if dataclasses.is_dataclass(inner):
        return "dataclass", inner, optional
    if get_origin(inner) is tuple:
        return "tuple", get_args(inner)[0], optional
    if get_origin(inner) is Literal:
        return "choice", get_args(inner), optional
    if inner is int:
        return "int", inner, optional
    if inner is str:
        return "str", inner, optional
    raise TypeError(f"unsupported schema type {inner!r}")  # pragma: no cover - model bug


@cache
def _field_plan(cls: type, name: str) -> tuple[tuple[str, Any, bool], str | None]:
    """How to convert a field of `cls`, and the pattern its text must match: looked up once
    per field (hashing a type hint costs more than converting most values)."""
    return _plan(hints(cls)[name]), fields(cls)[name].metadata.get("pattern")


@cache
def _inline_fields(cls: type) -> dict[str, tuple[str, ...] | None]:
    """The fields of `cls` that take text with no pattern, by name: the choices they allow, or
    None for any text. Most values of a base are theirs, and `_read_fields` converts them inline."""
    inline: dict[str, tuple[str, ...] | None] = {}
    for name in fields(cls):
        (kind, inner, _), pattern = _field_plan(cls, name)
        if pattern is None and kind in ("str", "choice"):
            inline[name] = inner if kind == "choice" else None
    return inline


@cache
def _required(cls: type) -> tuple[tuple[str, dataclasses.Field[Any]], ...]:
    return tuple((name, f) for name, f in fields(cls).items() if is_required(f))


@cache
def _has_field(cls: type, name: str) -> bool:
    return any(f.name == name for f in dataclasses.fields(cls))


_UNIQUE = frozenset({"id", "code"})
"""Fields whose value each object has to itself: not interned (see `Converter.field`)."""


class _Read(NamedTuple):
    """What a mapping's keys gave: the values, the names of the fields given and where each
    was written (its line, then its column, in `numbers`), the keys that were wrong, and the
    field names suggested for unknown keys."""

    values: dict[str, Any]
    names: list[str]
    numbers: list[int]
    wrong: set[str]
    suggested: set[str]


class Converter:
    """Turns nodes of one file into model objects, collecting problems instead of raising."""

    def __init__(self, file: str, label: str | None = None) -> None:
        self.file = file
        self.label = label
        """How rows name the file (`load.file_label`)."""
        self.problems: list[Problem] = []
        self.dropped: set[str] = set()
        """Ids of objects written but refused; references to them are not reported again."""

    def problem(self, node: Node, path: str, message: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.problems.append(
                Problem(
                    self.file,
                    node.line,
                    node.column,
                    f"more than {MAX_PROBLEMS} problems in this file; fix these and validate again",
                )
            )
            raise _TooMany
        where = f" (at {shown(path)})" if path else ""
        self.problems.append(Problem(self.file, node.line, node.column, message + where))

    def convert(self, node: Node, hint: Any, path: str) -> Any:
        return self.convert_planned(node, _plan(hint), path)

    def convert_planned(self, node: Node, plan: tuple[str, Any, bool], path: str) -> Any:
        kind, inner, optional = plan
        if isinstance(node, Scalar) and node.tag == REFUSED_TAG:
            return None  # a refused alias, reported where it was read
        if isinstance(node, Scalar) and node.tag == NULL_TAG:
            if optional and node.value in ("", "~", "null"):
                return None
            if node.value == "":
                if path.endswith("]"):
                    self.problem(node, path, "empty list item; write a value after '- ', or remove the item")
                else:
                    self.problem(node, path, "no value after the key; write one, or remove the key")
                return None
        if kind == "dataclass":
            return self.to_dataclass(node, inner, path)
        if kind == "tuple":
            return self.to_tuple(node, inner, path)
        if kind == "choice":
            return self.to_choice(node, inner, path)
        if kind == "int":
            return self.to_int(node, path)
        return self.to_str(node, path)

    def to_str(self, node: Node, path: str) -> str | None:
        if not isinstance(node, Scalar):
            found = "a list" if isinstance(node, Seq) else "a mapping"
            self.problem(
                node, path, f"expected text, found {found}; write a single value, in quotes if it starts with [ or {{"
            )
            return None
        if node.tag != STR_TAG:
            value = shown(node.value)
            self.problem(
                node, path, f"'{value}' is read by YAML as {describe_tag(node.tag)}, not text; quote it: \"{value}\""
            )
            return None
        if not node.value.strip():
            self.problem(node, path, "empty text; write a value or leave the key out")
            return None
        bad = FORBIDDEN_CHARS.search(node.value)
        if bad:
            # Escapes in double-quoted YAML ("\e", "\x1b") produce what the raw-text check cannot see.
            self.problem(
                node,
                path,
                f"control or bidirectional-override character U+{ord(bad.group()):04X} in text; remove the escape that writes it",
            )
            return None
        return node.value

    def to_int(self, node: Node, path: str) -> int | None:
        if not isinstance(node, Scalar) or node.tag != INT_TAG:
            found = describe_tag(node.tag) if isinstance(node, Scalar) else "a list or mapping"
            fix = "write digits only, e.g. 2021"
            if isinstance(node, Scalar) and node.tag == STR_TAG and _PLAIN_DECIMAL.match(node.value.strip()):
                found, fix = "quoted text", "remove the quotes"
            self.problem(node, path, f"expected a whole number, found {found}; {fix}")
            return None
        if not _PLAIN_DECIMAL.match(node.value):
            self.problem(
                node,
                path,
                f"'{shown(node.value)}' is not a plain decimal number (YAML reads 0755 as octal, 0x1F as "
                "hexadecimal and 1:30 as base 60); write the digits without a leading zero or prefix",
            )
            return None
        return int(node.value.replace("_", ""))

    def to_choice(self, node: Node, choices: tuple[str, ...], path: str) -> str | None:
        value = self.to_str(node, path)
        if value is None:
            return None
        if value not in choices:
            self.problem(node, path, f"'{shown(value)}' is not one of: {', '.join(choices)}{suggest(value, choices)}")
            return None
        return value

    def to_tuple(self, node: Node, item_hint: Any, path: str) -> tuple[Any, ...] | None:
        if not isinstance(node, Seq):
            self.problem(node, path, "expected a list; write its items on lines starting with '- ', or as [a, b]")
            return None
        plan = _plan(item_hint)
        items = [self.convert_planned(item, plan, f"{path}[{i}]") for i, item in enumerate(node.items)]
        return tuple(item for item in items if item is not None)

    def field(self, cls: type, name: str, node: Node, path: str) -> Any:
        """The value of one field of `cls`, converted and checked against the field's pattern."""
        plan, pattern = _field_plan(cls, name)
        value = self.convert_planned(node, plan, path)
        if pattern and isinstance(value, str) and not re.fullmatch(pattern, value):
            form, example = _FORMS.get(pattern, (f"of the form {pattern}", ""))
            fix = f"; write it like '{example}'" if example else ""
            self.problem(node, path, f"'{shown(value)}' is not {form}{fix}")
            return None
        if type(value) is str and name not in _UNIQUE and len(value) <= 64 and " " not in value:
            return sys.intern(value)  # a code, reference or choice that many facts repeat: kept once
        return value

    def to_dataclass(
        self,
        node: Node,
        cls: type,
        path: str,
        defaults: dict[str, tuple[Any, tuple[int, int]]] | None = None,
    ) -> Any:
        """Build `cls` from a mapping. `defaults` holds the file's top-level values of inherited
        fields with their positions; a value of None there was written but is wrong."""
        if not isinstance(node, Map):
            self.problem(node, path, f"expected a mapping of {cls.__name__.lower()} fields (key: value)")
            return None
        read = self._read_fields(node, cls, path)
        missing = self._fill_required(node, cls, path, read, defaults or {})
        known = fields(cls)
        if (
            missing
            or any(is_required(known[name]) for name in read.wrong if name in known)
            or (read.wrong and cls in _DROPPED_WHOLE)
        ):
            self.dropped.update(
                k_node.value for k, k_node in node.pairs if k.value in ("id", "code") and isinstance(k_node, Scalar)
            )
            return None
        values = read.values
        if _has_field(cls, "origin"):
            values["origin"] = model.Origin(self.file, node.line, node.column, self.label)
        if _has_field(cls, "written_at"):
            values["written_at"] = model.Positions(read.names, read.numbers)
        # Every field known and every required one present, as __init__ would check again.
        return cls.from_fields(values) if issubclass(cls, model.Record) else cls(**values)

    def _read_fields(self, node: Map, cls: type, path: str) -> _Read:
        """Each key of the mapping converted, or reported as unknown or wrong."""
        known = fields(cls)
        inline = _inline_fields(cls)
        read = _Read({}, [], [], set(), set())
        for key, value_node in node.pairs:
            name = key.value
            if name in inline and type(value_node) is Scalar and value_node.tag == STR_TAG:
                # Text as `field` would take it, without its calls; any other goes the long way.
                value = value_node.value
                choices = inline[name]
                if value.strip() and not FORBIDDEN_CHARS.search(value) and (choices is None or value in choices):
                    if name not in _UNIQUE and len(value) <= 64 and " " not in value:
                        value = sys.intern(value)
                    read.values[name] = value
                    read.names.append(name)
                    read.numbers.extend((value_node.line, value_node.column))
                    continue
            key_path = f"{path}.{key.value}" if path else key.value
            if key.value not in known:
                match = closest(key.value, known)
                if match is not None:
                    read.suggested.add(match)
                fix = (
                    f" (did you mean '{match}'?)"
                    if match
                    else f"; remove it (a {cls.__name__.lower()} has: {', '.join(known)})"
                )
                self.problem(key, key_path, f"unknown key '{shown(key.value)}'{fix}")
                read.wrong.add(key.value)
                continue
            if isinstance(value_node, Scalar) and value_node.tag == REFUSED_TAG:
                read.wrong.add(key.value)  # an alias, reported where it was read
                continue
            before = len(self.problems)
            value = self.field(cls, key.value, value_node, key_path)
            if len(self.problems) > before:
                read.wrong.add(key.value)
                continue
            read.values[key.value] = value
            read.names.append(key.value)
            read.numbers.extend((value_node.line, value_node.column))
        return read

    def _fill_required(
        self, node: Map, cls: type, path: str, read: _Read, defaults: dict[str, tuple[Any, tuple[int, int]]]
    ) -> list[str]:
        """Required fields not written: taken from the file's top-level defaults where they are
        inherited, else reported. The names still missing."""
        missing = []
        for name, f in _required(cls):
            if name in read.values or name in read.wrong:
                continue
            if f.metadata.get("inherited") and name in defaults:
                value, position = defaults[name]
                if value is None:  # written at the top of the file but wrong, and reported there
                    missing.append(name)
                else:
                    read.values[name] = value
                    read.names.append(name)
                    read.numbers.extend(position)
                continue
            missing.append(name)
            if name in read.suggested:
                continue  # the unknown key's message already points here
            if f.metadata.get("inherited"):
                self.problem(node, path, f"missing required field '{name}'; set it here or at the top of the file")
            else:
                self.problem(node, path, f"missing required field '{name}'; add it")
        return missing

    def to_document(self, root: Node) -> model.Document | None:
        try:
            return self._document(root)
        except _TooMany:
            return None

    def _document(self, root: Node) -> model.Document | None:
        if not isinstance(root, Map):
            self.problem(
                root, "", "a fact file is a mapping of sections (facts:, sources:, ...), not a list or a value"
            )
            return None
        sections: dict[str, Any] = {}
        defaults: dict[str, tuple[Any, tuple[int, int]]] = {}
        for key, value_node in root.pairs:  # first, as facts may come before them
            if key.value in _inherited(model.Fact):
                before = len(self.problems)
                value = self.field(model.Document, key.value, value_node, key.value)
                if value is not None or len(self.problems) > before:
                    defaults[key.value] = (value, (value_node.line, value_node.column))
                sections[key.value] = value
        for key, value_node in root.pairs:
            if key.value in sections:
                continue
            if key.value == "facts" and isinstance(value_node, Seq):
                facts = [
                    self.to_dataclass(item, model.Fact, f"facts[{i}]", defaults)
                    for i, item in enumerate(value_node.items)
                ]
                sections["facts"] = tuple(f for f in facts if f is not None)
            elif key.value in fields(model.Document):
                # A section keeps its good entries: one wrong entry does not hide the rest.
                sections[key.value] = self.convert(value_node, hints(model.Document)[key.value], key.value)
            else:
                known = fields(model.Document)
                fix = suggest(key.value, known) or f"; the sections are: {', '.join(known)}"
                self.problem(key, key.value, f"unknown section '{shown(key.value)}'{fix}")
        return model.Document(**{k: v for k, v in sections.items() if v is not None})


Located = tuple[Any, str]
"""An object and the file it came from."""

# Where each kind of referenced thing is defined, for "unknown ..." messages.
_DEFINED_UNDER = {
    "region": "'regions:'",
    "country": "'countries:'",
    "entity": "'entities:'",
    "edition": "'editions:'",
    "source": "'sources:'",
    "fact": "'facts:'",
    "country or entity": "'countries:' (a code) or 'entities:' (an id)",
}


def _written_at(obj: Any) -> model.Positions:
    written: model.Positions | None = getattr(obj, "written_at", None)
    return written or _NOWHERE


_NOWHERE = model.Positions((), ())


class BaseChecker:
    """Cross-file checks over every document of a fact base."""

    def __init__(self, unresolved: set[str] | None) -> None:
        self.problems: list[Problem] = []
        self.unresolved = unresolved

    def at(self, obj: Any, file: str, name: str, message: str) -> None:
        position = _written_at(obj).get(name)
        origin = getattr(obj, "origin", None)
        if position is not None:
            line, column = position
        elif origin is not None:
            line, column = origin.line, origin.column
        else:
            line, column = 1, 1
        self.problems.append(Problem(file, line, column, message))

    def unique(self, items: list[Located], name: str, what: str) -> dict[str, Any]:
        """Index `items` by their field `name`, reporting every repeat."""
        seen: dict[str, Located] = {}
        for obj, file in items:
            ident = getattr(obj, name)
            if ident in seen:
                first_file = seen[ident][1]
                first_line = (_written_at(seen[ident][0]).get(name) or (1, 1))[0]
                self.at(
                    obj,
                    file,
                    name,
                    f"duplicate {what} {name} '{shown(ident)}', first defined at {first_file}:{first_line}; "
                    f"remove one or give it another {name}",
                )
            else:
                seen[ident] = (obj, file)
        return {ident: obj for ident, (obj, _) in seen.items()}

    def reference(self, obj: Any, file: str, name: str, value: str | None, known: Iterable[str], what: str) -> None:
        if value is None or value in known:
            return
        if self.unresolved is None or value in self.unresolved:
            return  # its definition is broken and reported already; do not report every use too
        self.at(
            obj,
            file,
            name,
            f"unknown {what} '{shown(value)}'{suggest(value, known)}; it must be defined under {_DEFINED_UNDER[what]}",
        )


class _Defined(NamedTuple):
    """What the base defines, by id, for checking references."""

    regions: dict[str, Any]
    countries: dict[str, Any]
    entities: dict[str, Any]
    editions: dict[str, Any]
    sources: Mapping[str, Any]
    fact_ids: dict[str, Any]
    partners: set[str]
    """What a partner may be: a country code or an entity id."""


def check_base(
    documents: list[tuple[model.Document, str]],
    texts: dict[str, str | None],
    unresolved: set[str] | None = None,
) -> tuple[model.FactBase, list[Problem]]:
    """Merge documents into a FactBase and check everything that spans files.

    `texts` maps each source id with a `text:` path to the text read from it (None when unreadable).
    `unresolved` holds ids whose definitions were refused; None means a whole file could not be
    read, so any id may be defined there and references are not checked at all.
    """
    check = BaseChecker(unresolved)

    def gather(section: str) -> list[Located]:
        return [(obj, file) for doc, file in documents for obj in getattr(doc, section)]

    defined = _index(check, gather)
    _check_definitions(check, gather, defined, texts)
    for fact, file in gather("facts"):
        _check_fact(check, fact, file, defined, texts)
    base = model.FactBase.build(
        regions=defined.regions,
        countries=defined.countries,
        entities=defined.entities,
        editions=defined.editions,
        sources=defined.sources,
        facts=(fact for fact, _ in gather("facts")),
        texts={k: v for k, v in texts.items() if v is not None},
    )
    # Facts inheriting a wrong top-level value report it at the same place; say it once.
    return base, list(dict.fromkeys(check.problems))


def check_changed_facts(
    documents: list[tuple[model.Document, str]],
    base: model.FactBase,
    other_fact_ids: Collection[str],
    texts: dict[str, str | None],
) -> list[Problem]:
    """What `check_base` finds in the facts and sources of some files of a valid base, the
    rest of it unchanged: `base` gives the definitions and every source, `other_fact_ids` the
    ids of the other files' facts, `texts` the texts of the sources the files define or their
    facts cite. (The caller makes sure that no shared definition changed, that no other file
    refers to a fact or source they no longer hold, and that no source id is taken twice.)"""
    check = BaseChecker(set())
    sources = [(source, file) for document, file in documents for source in document.sources]
    check.unique(sources, "id", "source")
    facts = [(fact, file) for document, file in documents for fact in document.facts]
    own = check.unique(facts, "id", "fact")
    for fact, file in facts:
        if fact.id in other_fact_ids:
            check.at(fact, file, "id", f"duplicate fact id '{shown(fact.id)}'; remove one or give it another id")
    defined = _defined_by(base, {**dict.fromkeys(other_fact_ids), **own})
    for source, file in sources:
        _check_source(check, source, file, defined, texts)
    for fact, file in facts:
        _check_fact(check, fact, file, defined, texts)
    return check.problems


def check_facts(
    documents: list[tuple[model.Document, str]],
    base: model.FactBase,
    fact_ids: dict[str, Any],
    texts: dict[str, str | None],
) -> list[Problem]:
    """What `check_base` finds in the facts of some files beyond their ids: `base` gives every
    definition and source, `fact_ids` every fact id of the base (as keys), `texts` the texts
    of the sources."""
    check = BaseChecker(set())
    defined = _defined_by(base, fact_ids)
    for document, file in documents:
        for fact in document.facts:
            _check_fact(check, fact, file, defined, texts)
    return check.problems


def _defined_by(base: model.FactBase, fact_ids: dict[str, Any]) -> _Defined:
    return _Defined(
        base.regions,
        base.countries,
        base.entities,
        base.editions,
        base.sources,
        fact_ids,
        set(base.countries) | set(base.entities),
    )


def _index(check: BaseChecker, gather: Callable[[str], list[Located]]) -> _Defined:
    """Everything defined, by id, reporting ids used twice and names that mislead."""
    regions = check.unique(gather("regions"), "id", "region")
    countries = check.unique(gather("countries"), "code", "country")
    check.unique(gather("countries"), "alpha3", "country")
    _check_country_names(check, gather("countries"))
    for obj, file in gather("regions") + gather("countries") + gather("entities"):
        _check_scripts(check, obj, file)
    entities = check.unique(gather("entities"), "id", "entity")
    editions = check.unique(gather("editions"), "id", "edition")
    sources = check.unique(gather("sources"), "id", "source")
    fact_ids = check.unique(gather("facts"), "id", "fact")
    return _Defined(regions, countries, entities, editions, sources, fact_ids, set(countries) | set(entities))


def _check_definitions(
    check: BaseChecker, gather: Callable[[str], list[Located]], defined: _Defined, texts: dict[str, str | None]
) -> None:
    """The references of regions, countries, entities, editions and sources."""
    for region, file in gather("regions"):
        check.reference(region, file, "parent", region.parent, defined.regions, "region")
    for country, file in gather("countries"):
        for region_id in country.regions:
            check.reference(country, file, "regions", region_id, defined.regions, "region")
    for entity, file in gather("entities"):
        for region_id in entity.scope:
            check.reference(entity, file, "scope", region_id, defined.regions, "region")
        check.reference(entity, file, "parent", entity.parent, defined.entities, "entity")
        check.reference(entity, file, "country", entity.country, defined.countries, "country")
    for edition, file in gather("editions"):
        check.reference(edition, file, "published_source", edition.published_source, defined.sources, "source")
        for code in edition.countries:
            check.reference(edition, file, "countries", code, defined.countries, "country")
    for source, file in gather("sources"):
        _check_source(check, source, file, defined, texts)


def _check_source(
    check: BaseChecker, source: model.Source, file: str, defined: _Defined, texts: dict[str, str | None]
) -> None:
    check.reference(source, file, "edition", source.edition, defined.editions, "edition")
    check.reference(source, file, "summarises", source.summarises, defined.sources, "source")
    if source.url is not None and is_home_page(source.url):
        check.at(
            source,
            file,
            "url",
            f"'{shown(source.url)}' is a home page, not the document; give the article's full address, "
            "or remove 'url' and say in 'note' why it is unknown",
        )
    if source.text is not None and texts.get(source.id) is None:
        check.at(
            source,
            file,
            "text",
            f"source text '{shown(source.text)}' cannot be read; ship the file or remove 'text'",
        )


def _check_fact(
    check: BaseChecker, fact: model.Fact, file: str, defined: _Defined, texts: dict[str, str | None]
) -> None:
    check.reference(fact, file, "source", fact.source, defined.sources, "source")
    for other in fact.corroborated_by:
        check.reference(fact, file, "corroborated_by", other, defined.sources, "source")
    for other in fact.conflicts_with:
        check.reference(fact, file, "conflicts_with", other, defined.fact_ids, "fact")
    check.reference(fact, file, "country", fact.country, defined.countries, "country")
    check.reference(fact, file, "edition", fact.edition, defined.editions, "edition")
    _check_year(check, fact, file, defined.editions.get(fact.edition))
    _check_kind(check, fact, file)
    known = {"entity": defined.entities.keys(), "country or entity": defined.partners}
    for name, what in REFERENCES.items():
        value = getattr(fact, name)
        if value is None or value == ():
            continue
        for ident in value if isinstance(value, tuple) else (value,):
            check.reference(fact, file, name, ident, known[what], what)
    for event in fact.events:
        check.reference(fact, file, "events", event.group, defined.entities, "entity")
    _check_locator(check, fact, file, defined.sources.get(fact.source))
    text = texts.get(fact.source)
    for name in ("quote", "key_phrase"):
        passage = getattr(fact, name)
        if passage is not None and text is not None and passage not in text:
            check.at(
                fact,
                file,
                name,
                f"{name} does not appear verbatim in the text of source '{fact.source}'; copy it exactly",
            )


def _check_year(check: BaseChecker, fact: model.Fact, file: str, edition: model.Edition | None) -> None:
    if edition is not None and fact.year != edition.covers:
        check.at(
            fact,
            file,
            "year",
            f"year {fact.year} is not the year {edition.id} covers ({edition.covers}); check the year or the edition",
        )
    elif edition is None and fact.year < FIRST_PLAUSIBLE_YEAR:
        check.at(fact, file, "year", f"year {fact.year} is implausible for a terrorism report; check the year")


MAX_KEY_PHRASE_WORDS = 12
"""A key phrase locates a passage; it is not a copy of it (third-party sentences stay out)."""


_FRONT_PAGE = re.compile(r"(index|default|home)(\.[a-z]+)?|[a-z]{2}(-[a-z]{2})?", re.IGNORECASE)
"""A last path segment that still names the front page: index.php, /fr/, /en-us/."""


_NOT_CONTENT = re.compile(r"(lang|language|locale|hl|utm_[a-z]+)=[^&]*", re.IGNORECASE)
"""Query parameters that choose a language or track a click, and name no document."""


def is_home_page(url: str) -> bool:
    """'https://www.h24info.ma/', '…/?lang=fr', '…/fr/', '…/index.php#top': an outlet's front
    page, not a document. A query naming content ('?p=248496') makes an address of it; one that
    only picks a language does not, nor does a fragment."""
    rest = url.split("://", 1)[-1].split("#", 1)[0]
    after_host = rest.split("/", 1)[1] if "/" in rest else ""
    path, _, query = after_host.partition("?")
    if any(part and not _NOT_CONTENT.fullmatch(part) for part in query.split("&")):
        return False
    segments = [segment for segment in path.split("/") if segment]
    return not segments or (len(segments) == 1 and _FRONT_PAGE.fullmatch(segments[0]) is not None)


def _check_locator(check: BaseChecker, fact: model.Fact, file: str, source: model.Source | None) -> None:
    """A fact from a report says where in the chapter it sits; a key phrase stays a few words."""
    if source is not None and source.kind == "report" and fact.section is None:
        check.at(
            fact,
            file,
            "source",
            f"a fact from the report '{fact.source}' needs 'section': the chapter heading it comes from, "
            "e.g. 'Overview' or '2021 Terrorist Incidents'",
        )
    if fact.key_phrase is not None and len(fact.key_phrase.split()) > MAX_KEY_PHRASE_WORDS:
        check.at(
            fact,
            file,
            "key_phrase",
            f"key_phrase has {len(fact.key_phrase.split())} words; keep it to at most {MAX_KEY_PHRASE_WORDS}, "
            "enough to find the passage",
        )


def _check_country_names(check: BaseChecker, countries: list[Located]) -> None:
    """An alias naming another country (its code, name or alias) would make --country answer
    for whichever country comes first: refused."""
    from ct_report.text import fold

    owners: dict[str, tuple[str, str]] = {}
    for country, _ in countries:
        spelled = [("code", country.code), ("code", country.alpha3), ("name", country.name.en)]
        spelled += [("name", country.name.ar)] if country.name.ar else []
        for what, value in spelled:
            owners.setdefault(fold(value), (country.code, what))
    for country, file in countries:
        for alias in country.aliases:
            owner, what = owners.get(fold(alias), (country.code, ""))
            if owner != country.code:
                check.at(
                    country,
                    file,
                    "aliases",
                    f"alias '{shown(alias)}' of {country.code} is the {what} of {owner}; "
                    "--country would not know which is meant, so remove it",
                )
            else:
                owners.setdefault(fold(alias), (country.code, "alias"))


_CONFUSABLE_SCRIPTS = {"LATIN", "CYRILLIC", "GREEK"}


def _script(char: str) -> str:
    import unicodedata

    return unicodedata.name(char, "").split(" ")[0]


def _mixed_scripts(text: str) -> tuple[str, list[str]] | None:
    """The first word mixing Latin, Cyrillic and Greek letters ('Mоrocco' with a Cyrillic о
    looks like Morocco and matches nothing) and its scripts, or None."""
    if text.isascii():
        return None
    for word in re.findall(r"[^\W\d_]+", text):
        scripts = {_script(c) for c in word} & _CONFUSABLE_SCRIPTS
        if len(scripts) > 1:
            return word, sorted(scripts)
    return None


def _check_scripts(check: BaseChecker, obj: Any, file: str) -> None:
    """Names, aliases and acronyms of regions, countries and entities are written in one script a word."""
    names = [
        (obj.name, "en", obj.name.en),
        (obj.name, "ar", obj.name.ar),
        (obj, "acronym", getattr(obj, "acronym", None)),
    ]
    names += [(obj, "aliases", alias) for alias in obj.aliases]
    for owner, field, value in names:
        mixed = _mixed_scripts(value) if value else None
        if mixed is not None:
            word, scripts = mixed
            check.at(
                owner,
                file,
                field,
                f"'{shown(word)}' mixes {' and '.join(s.title() for s in scripts)} letters in one word; "
                "retype it in one script",
            )


@cache
def _fields_of_kind(kind: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The fields a kind of fact requires, and the specific fields it does not allow, sorted."""
    found = BY_NAME[kind]
    return tuple(sorted(found.required)), tuple(sorted(SPECIFIC_FIELDS - found.allowed))


def _check_kind(check: BaseChecker, fact: model.Fact, file: str) -> None:
    """The fields the fact's kind requires and allows (`kinds.KINDS`), its own checks, and
    every figure's."""
    kind = BY_NAME[fact.kind]
    required, forbidden = _fields_of_kind(fact.kind)
    for name in required:
        if getattr(fact, name) in (None, ()):
            check.at(fact, file, "kind", f"a {fact.kind} fact needs '{name}'; add it")
    for name in forbidden:
        if getattr(fact, name) not in (None, ()):
            check.at(
                fact,
                file,
                name,
                f"'{name}' belongs to {' or '.join(kinds_allowing(name))} facts, not {fact.kind}; "
                "remove it or change the kind",
            )
    for rule in kind.checks:
        if rule.test(fact):
            check.at(fact, file, rule.field, rule.message)
    for name in ("arrested", "operations", "cells", "count"):
        figure = getattr(fact, name)
        if figure is None:
            continue
        if figure.value is None and figure.text is None:
            check.at(fact, file, name, f"'{name}' needs a 'value' or, when the source gives no number, a 'text'")
        if figure.value is not None and figure.value < 0:
            check.at(fact, file, name, f"'{name}' cannot be negative; write the number the source gives")
        if figure.qualifier in ("relative", "unconfirmed") and figure.text is None:
            check.at(fact, file, name, f"a {figure.qualifier} '{name}' needs a 'text' with the source's words")
