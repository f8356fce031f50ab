"""Check YAML nodes against the model and build it; then check the merged base as a whole.

`to_document` turns one file's nodes into a `Document`, reporting every unknown key, missing
field, wrong type and YAML 1.1 surprise with its line and column. `check_base` then checks what
only the whole base can tell: unique ids, references, years against editions, and quotes
against the shipped source texts.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, Literal, get_args, get_origin

from ct_report import model
from ct_report.errors import Problem
from ct_report.text import suggest
from ct_report.yamlread import FORBIDDEN_CHARS, NULL_TAG, STR_TAG, Map, Node, Scalar, Seq, describe_tag

INT_TAG = "tag:yaml.org,2002:int"
_PLAIN_DECIMAL = re.compile(r"^-?(0|[1-9][0-9_]*)$")
FIRST_PLAUSIBLE_YEAR = 1990
"""The CRT series (and its predecessor, Patterns of Global Terrorism) starts long before this;
older years are refused as likely typos rather than history the fact base covers."""


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


class Converter:
    """Turns nodes of one file into model objects, collecting problems instead of raising."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.positions: dict[tuple[int, str], tuple[int, int]] = {}

    def problem(self, node: Node, path: str, message: str) -> None:
        where = f" (at {path})" if path else ""
        self.problems.append(Problem(self.file, node.line, node.column, message + where))

    def convert(self, node: Node, hint: Any, path: str) -> Any:
        inner, optional = unwrap_optional(hint)
        if optional and isinstance(node, Scalar) and node.tag == NULL_TAG and node.value in ("", "~", "null"):
            return None
        if dataclasses.is_dataclass(inner):
            return self.to_dataclass(node, typing.cast(type, inner), path)
        if get_origin(inner) is tuple:
            return self.to_tuple(node, get_args(inner)[0], path)
        if get_origin(inner) is Literal:
            return self.to_choice(node, get_args(inner), path)
        if inner is int:
            return self.to_int(node, path)
        if inner is str:
            return self.to_str(node, path)
        raise TypeError(f"unsupported schema type {inner!r}")  # pragma: no cover - model bug

    def to_str(self, node: Node, path: str) -> str | None:
        if not isinstance(node, Scalar):
            self.problem(node, path, f"expected text, found a {'list' if isinstance(node, Seq) else 'mapping'}")
            return None
        if node.tag != STR_TAG:
            self.problem(
                node,
                path,
                f"'{node.value}' is read by YAML as {describe_tag(node.tag)}, not text; quote it: \"{node.value}\"",
            )
            return None
        if not node.value.strip():
            self.problem(node, path, "empty text; write a value or leave the key out")
            return None
        bad = FORBIDDEN_CHARS.search(node.value)
        if bad:
            # Escapes in double-quoted YAML ("\e", "\x1b") produce what the raw-text check cannot see.
            self.problem(
                node, path, f"control or bidirectional-override character U+{ord(bad.group()):04X} in text; remove it"
            )
            return None
        return node.value

    def to_int(self, node: Node, path: str) -> int | None:
        if not isinstance(node, Scalar) or node.tag != INT_TAG:
            found = describe_tag(node.tag) if isinstance(node, Scalar) else "a list or mapping"
            if isinstance(node, Scalar) and node.tag == STR_TAG and _PLAIN_DECIMAL.match(node.value):
                found = "quoted text"
            self.problem(node, path, f"expected a whole number, found {found}")
            return None
        if not _PLAIN_DECIMAL.match(node.value):
            self.problem(
                node,
                path,
                f"'{node.value}' looks octal, hexadecimal or sexagesimal to YAML; write a plain decimal number",
            )
            return None
        return int(node.value.replace("_", ""))

    def to_choice(self, node: Node, choices: tuple[str, ...], path: str) -> str | None:
        value = self.to_str(node, path)
        if value is None:
            return None
        if value not in choices:
            self.problem(node, path, f"'{value}' is not one of: {', '.join(choices)}{suggest(value, choices)}")
            return None
        return value

    def to_tuple(self, node: Node, item_hint: Any, path: str) -> tuple[Any, ...] | None:
        if not isinstance(node, Seq):
            self.problem(node, path, "expected a list (items starting with '- ', or [a, b])")
            return None
        items = [self.convert(item, item_hint, f"{path}[{i}]") for i, item in enumerate(node.items)]
        return tuple(item for item in items if item is not None)

    def to_dataclass(self, node: Node, cls: type, path: str, defaults: dict[str, Any] | None = None) -> Any:
        if not isinstance(node, Map):
            self.problem(node, path, f"expected a mapping of {cls.__name__.lower()} fields (key: value)")
            return None
        known = fields(cls)
        values: dict[str, Any] = {}
        broken = False
        where: dict[str, tuple[int, int]] = {}
        for key, value_node in node.pairs:
            key_path = f"{path}.{key.value}" if path else key.value
            if key.value not in known:
                self.problem(key, key_path, f"unknown key '{key.value}'{suggest(key.value, known)}")
                broken = True
                continue
            value = self.convert(value_node, hints(cls)[key.value], key_path)
            if value is None and not (isinstance(value_node, Scalar) and value_node.tag == NULL_TAG):
                broken = True
            values[key.value] = value
            where[key.value] = (value_node.line, value_node.column)
        for name, f in known.items():
            if name in values or not is_required(f):
                continue
            if f.metadata.get("inherited") and defaults and defaults.get(name) is not None:
                values[name] = defaults[name]
                continue
            hint = " (set it here or at the top of the file)" if f.metadata.get("inherited") else ""
            self.problem(node, path, f"missing required field '{name}'{hint}")
            broken = True
        for name, value in values.items():
            pattern = known[name].metadata.get("pattern")
            if pattern and isinstance(value, str) and not re.match(pattern, value):
                line, column = where[name]
                self.problems.append(
                    Problem(
                        self.file,
                        line,
                        column,
                        f"'{value}' does not have the form of {known[name].metadata['doc'].lower()} (at {path}.{name})",
                    )
                )
                broken = True
        if broken:
            return None
        if "origin" in {f.name for f in dataclasses.fields(cls)}:
            values["origin"] = model.Origin(self.file, node.line, node.column)
        obj = cls(**values)
        for name, position in where.items():
            self.positions[(id(obj), name)] = position
        return obj

    def to_document(self, root: Node) -> model.Document | None:
        if not isinstance(root, Map):
            self.problem(
                root, "", "a fact file is a mapping of sections (facts:, sources:, ...), not a list or a value"
            )
            return None
        defaults = {}
        for key, value_node in root.pairs:
            if key.value in ("country", "year", "edition"):
                defaults[key.value] = self.convert(value_node, hints(model.Document)[key.value], key.value)
        sections: dict[str, Any] = {}
        for key, value_node in root.pairs:
            if key.value in defaults:
                sections[key.value] = defaults[key.value]
            elif key.value == "facts" and isinstance(value_node, Seq):
                facts = [
                    self.to_dataclass(item, model.Fact, f"facts[{i}]", defaults)
                    for i, item in enumerate(value_node.items)
                ]
                sections["facts"] = tuple(f for f in facts if f is not None)
            elif key.value in fields(model.Document):
                sections[key.value] = self.convert(value_node, hints(model.Document)[key.value], key.value)
            else:
                self.problem(
                    key, key.value, f"unknown section '{key.value}'{suggest(key.value, fields(model.Document))}"
                )
        return model.Document(**{k: v for k, v in sections.items() if v is not None})


Located = tuple[Any, str]
"""An object and the file it came from."""


class BaseChecker:
    """Cross-file checks over every document of a fact base."""

    def __init__(self, positions: dict[tuple[int, str], tuple[int, int]]) -> None:
        self.positions = positions
        self.problems: list[Problem] = []

    def at(self, obj: Any, file: str, name: str, message: str) -> None:
        line, column = self.positions.get((id(obj), name), (1, 1))
        origin = getattr(obj, "origin", None)
        if (id(obj), name) not in self.positions and origin is not None:
            line, column = origin.line, origin.column
        self.problems.append(Problem(file, line, column, message))

    def unique(self, items: list[Located], key: Callable[[Any], str], what: str) -> dict[str, Any]:
        seen: dict[str, Located] = {}
        for obj, file in items:
            ident = key(obj)
            if ident in seen:
                first_file = seen[ident][1]
                first_line = self.positions.get((id(seen[ident][0]), "id" if what != "country" else "code"), (1, 1))[0]
                self.at(
                    obj,
                    file,
                    "id" if what != "country" else "code",
                    f"duplicate {what} id '{ident}'; first defined at {first_file}:{first_line}",
                )
            else:
                seen[ident] = (obj, file)
        return {ident: obj for ident, (obj, _) in seen.items()}

    def reference(self, obj: Any, file: str, name: str, value: str | None, known: Iterable[str], what: str) -> None:
        if value is not None and value not in known:
            self.at(obj, file, name, f"unknown {what} '{value}'{suggest(value, known)}")


def check_base(
    documents: list[tuple[model.Document, str]],
    texts: dict[str, str | None],
    positions: dict[tuple[int, str], tuple[int, int]],
) -> tuple[model.FactBase, list[Problem]]:
    """Merge documents into a FactBase and check everything that spans files.

    `texts` maps each source id with a `text:` path to the text read from it (None when unreadable).
    """
    check = BaseChecker(positions)

    def gather(section: str) -> list[Located]:
        return [(obj, file) for doc, file in documents for obj in getattr(doc, section)]

    regions = check.unique(gather("regions"), lambda r: r.id, "region")
    countries = check.unique(gather("countries"), lambda c: c.code, "country")
    entities = check.unique(gather("entities"), lambda e: e.id, "entity")
    editions = check.unique(gather("editions"), lambda e: e.id, "edition")
    sources = check.unique(gather("sources"), lambda s: s.id, "source")
    facts = gather("facts")
    fact_ids = check.unique(facts, lambda f: f.id, "fact")
    partners = set(countries) | set(entities)

    for region, file in gather("regions"):
        check.reference(region, file, "parent", region.parent, regions, "region")
    for country, file in gather("countries"):
        for region_id in country.regions:
            check.reference(country, file, "regions", region_id, regions, "region")
    for entity, file in gather("entities"):
        for region_id in entity.scope:
            check.reference(entity, file, "scope", region_id, regions, "region")
        check.reference(entity, file, "parent", entity.parent, entities, "entity")
        check.reference(entity, file, "country", entity.country, countries, "country")
    for edition, file in gather("editions"):
        check.reference(edition, file, "published_source", edition.published_source, sources, "source")
    for source, file in gather("sources"):
        check.reference(source, file, "edition", source.edition, editions, "edition")
        check.reference(source, file, "summarises", source.summarises, sources, "source")
        if source.text is not None and texts.get(source.id) is None:
            check.at(
                source, file, "text", f"source text '{source.text}' cannot be read; ship the file or remove 'text'"
            )

    for fact, file in facts:
        check.reference(fact, file, "source", fact.source, sources, "source")
        for other in fact.corroborated_by:
            check.reference(fact, file, "corroborated_by", other, sources, "source")
        for other in fact.conflicts_with:
            check.reference(fact, file, "conflicts_with", other, fact_ids, "fact")
        check.reference(fact, file, "country", fact.country, countries, "country")
        check.reference(fact, file, "edition", fact.edition, editions, "edition")
        edition = editions.get(fact.edition)
        if edition is not None and fact.year != edition.covers:
            check.at(
                fact,
                file,
                "year",
                f"year {fact.year} is not the year {edition.id} covers ({edition.covers}); check the year or the edition",
            )
        elif edition is None and fact.year < FIRST_PLAUSIBLE_YEAR:
            check.at(fact, file, "year", f"year {fact.year} is implausible for a terrorism report")
        _check_kind(check, fact, file)
        check.reference(fact, file, "partner", fact.partner, partners, "country or entity")
        for other in fact.alongside:
            check.reference(fact, file, "alongside", other, partners, "country or entity")
        check.reference(fact, file, "body", fact.body, entities, "entity")
        check.reference(fact, file, "institution", fact.institution, entities, "entity")
        text = texts.get(fact.source)
        if fact.quote is not None and text is not None and fact.quote not in text:
            check.at(
                fact,
                file,
                "quote",
                f"quote does not appear verbatim in the text of source '{fact.source}'; copy it exactly",
            )

    base = model.FactBase(
        regions=regions,
        countries=countries,
        entities=entities,
        editions=editions,
        sources=sources,
        facts=tuple(fact for fact, _ in facts),
        texts={k: v for k, v in texts.items() if v is not None},
    )
    return base, check.problems


def _check_kind(check: BaseChecker, fact: model.Fact, file: str) -> None:
    required, allowed = model.KIND_FIELDS.get(fact.kind, (frozenset(), frozenset()))
    for name in sorted(required):
        if getattr(fact, name) in (None, ()):
            check.at(fact, file, "kind", f"a {fact.kind} fact needs '{name}'")
    for name in sorted(model.KIND_SPECIFIC_FIELDS - allowed):
        if getattr(fact, name) not in (None, ()):
            kinds = [k for k, (_, a) in model.KIND_FIELDS.items() if name in a]
            check.at(fact, file, name, f"'{name}' belongs to {' or '.join(kinds)} facts, not {fact.kind}")
    if fact.kind == "arrests" and all(
        getattr(fact, n) in (None, ()) for n in ("arrested", "operations", "cells", "comparison")
    ):
        check.at(
            fact,
            file,
            "kind",
            "an arrests fact needs at least one of 'arrested', 'operations', 'cells' or 'comparison'",
        )
    for name in ("arrested", "operations", "cells", "count"):
        figure = getattr(fact, name)
        if figure is None:
            continue
        if figure.value is None and figure.text is None:
            check.at(fact, file, name, f"'{name}' needs a 'value' or, when the source gives no number, a 'text'")
        if figure.value is not None and figure.value < 0:
            check.at(fact, file, name, f"'{name}' cannot be negative")
        if figure.qualifier == "relative" and figure.text is None:
            check.at(fact, file, name, f"a relative '{name}' needs a 'text' with the source's words")
