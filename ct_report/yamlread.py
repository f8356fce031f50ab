"""Read one YAML file into plain nodes that remember where they were written.

Built on PyYAML's event stream (C parser where available) rather than on `yaml.safe_load`,
because the loader must see what `safe_load` hides: duplicate keys (last one wins), anchors
and aliases (alias bombs), implicit typing of plain scalars (`no`, `3.10`, `2021-01-01`), and
the line and column of every value. Nesting depth and the number of values are bounded while
parsing, so a hostile file fails with a message instead of exhausting the stack, memory or time.
Text quoted from the file in a message goes through `shown`, so it cannot drive the terminal.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, NoReturn

import yaml

from ct_report.errors import Problem
from ct_report.text import printable

try:
    Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    Loader = yaml.SafeLoader

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 24
MAX_NODES = 250_000
"""Values (scalars, lists and mappings) in one file. Building a node costs microseconds, so an
8 MiB file of one-character items would take a minute and gigabytes; real files hold thousands."""
MAX_LISTED = 20
"""Problems of one kind (tabs, forbidden characters) listed per file; more wait for the next run."""

STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
_TAG_NAMES = {
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:float": "a floating-point number",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a date",
    STR_TAG: "text",
}

# C0/C1 controls other than tab, newline and carriage return, and the bidirectional
# embeddings, overrides and isolates that can disguise text. Left-to-right, right-to-left
# and Arabic letter marks (U+200E, U+200F, U+061C) stay allowed: Arabic text needs them.
FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SHOWN_LENGTH = 60


@dataclass
class Scalar:
    value: str
    tag: str
    """The tag YAML 1.1 would give it (`no` is bool); quoted scalars are always str."""
    line: int
    column: int


@dataclass
class Seq:
    items: list[Node]
    line: int
    column: int


@dataclass
class Map:
    pairs: list[tuple[Scalar, Node]]
    line: int
    column: int


Node = Scalar | Seq | Map

_resolver = yaml.resolver.Resolver()


def describe_tag(tag: str) -> str:
    return _TAG_NAMES.get(tag, tag)


def shown(value: str) -> str:
    """Text from a file made safe to quote in a one-line message: control, line-breaking and
    bidirectional characters escaped (a key written as "\\e[2J" must not clear the terminal),
    and long values shortened."""
    if len(value) > _SHOWN_LENGTH:
        value = value[: _SHOWN_LENGTH - 1] + "…"
    return printable(value)


def _written_tag(tag: str) -> str:
    """'tag:yaml.org,2002:python/object' → '!!python/object', as it is written in the file."""
    return shown("!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag)


def decode(data: bytes, file: str) -> tuple[str | None, list[Problem]]:
    """Decode UTF-8 (a byte-order mark is accepted and dropped) and check the characters."""
    if len(data) > MAX_FILE_BYTES:
        return None, [
            Problem(
                file,
                1,
                1,
                f"file is {len(data):,} bytes, over the limit of {MAX_FILE_BYTES:,}; split it into smaller files",
            )
        ]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return None, [Problem(file, line, column, "file is not valid UTF-8; save it as UTF-8")]
    problems = []
    for match in FORBIDDEN_CHARS.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        name = unicodedata.name(match.group(), f"U+{ord(match.group()):04X}")
        problems.append(
            Problem(
                file,
                line,
                column,
                f"control or bidirectional-override character {name} (U+{ord(match.group()):04X}); remove it",
            )
        )
        if len(problems) >= MAX_LISTED:
            break
    return text, problems


def _tab_problems(text: str, file: str) -> list[Problem]:
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        indent = len(line) - len(line.lstrip(" \t"))
        if "\t" in line[:indent]:
            problems.append(
                Problem(
                    file,
                    number,
                    line.index("\t") + 1,
                    "tab in indentation; YAML indents with spaces only, so replace the tab with spaces",
                )
            )
            if len(problems) >= MAX_LISTED:
                break
    return problems


# Hints for PyYAML's terse syntax errors, by the start of its message.
_SYNTAX_HINTS = {
    "mapping values are not allowed": "a value contains ': ' or a key is indented too far; quote the value or fix the indentation",
    "found unexpected end of stream": "a quote is not closed; close it",
    "did not find expected ',' or ']'": "a [list] is not closed; close it with ']' or separate its items with ','",
    "did not find expected ',' or '}'": "a {mapping} is not closed; close it with '}' or separate its items with ','",
    "did not find expected key": "a line is indented differently from the keys around it; align it with them",
    "did not find expected '-' indicator": "a list item does not start with '- ' at the list's indentation; align it",
    "found character that cannot start any token": "a plain value cannot start with @, ` or %; quote the value",
    "did not find expected node content": "a value is missing or a bracket is not closed; complete it",
    "could not find expected ':'": "a key has no ': ' after it, or a quoted value spans lines; add the colon or close the quote",
    "found undefined tag handle": "'!' starts a tag, which fact files do not use; quote the value",
    "found unknown escape character": "backslash escapes in double quotes are limited; use single quotes or write the character itself",
}


def parse(text: str, file: str) -> tuple[Node | None, list[Problem]]:
    """Parse one YAML document. Returns the root node, or None with the problems found."""
    if not text.strip():
        return None, [Problem(file, 1, 1, "file is empty; add at least one section (facts:, sources:, ...)")]
    if all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        return None, [Problem(file, 1, 1, "file has only comments; add at least one section (facts:, sources:, ...)")]
    tabs = _tab_problems(text, file)
    if tabs:
        return None, tabs
    try:
        return _build(text, file)
    except yaml.MarkedYAMLError as error:
        return None, [_syntax_problem(error, file)]
    except yaml.YAMLError as error:  # pragma: no cover - PyYAML raises marked errors for bad input
        return None, [Problem(file, 1, 1, f"YAML error: {shown(str(error))}")]


def _syntax_problem(error: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    reason = error.problem or error.context or "YAML syntax error"
    if reason.startswith("exceeded maximum nesting depth"):
        # libyaml's own limit (1000) is met while scanning ahead, before the parser's events reach ours.
        return _too_deep(file, line, column)
    hint = next((h for start, h in _SYNTAX_HINTS.items() if reason.startswith(start)), "")
    if not hint:
        hint = "check the indentation, colons, quotes and brackets on this line and the one before"
    context = ""
    start = error.context_mark
    if error.context and start is not None and (start.line + 1, start.column + 1) != (line, column):
        # Where the unfinished construct began, which is often where the mistake is.
        context = f" ({error.context} at line {start.line + 1}, column {start.column + 1})"
    return Problem(file, line, column, f"YAML syntax error: {shown(reason)}{context}; {hint}")


def _too_deep(file: str, line: int, column: int) -> Problem:
    return Problem(
        file, line, column, f"nesting deeper than {MAX_DEPTH} levels; fact files need only a few, so flatten it"
    )


class _Stop(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


REFUSED_TAG = "tag:ctreport,refused"
"""Stands in for an alias that was refused: reported once here, skipped silently later."""
_DROPPED_KEY = Scalar("", REFUSED_TAG, 0, 0)
MAX_REFUSALS = 20


def _build(text: str, file: str) -> tuple[Node | None, list[Problem]]:
    """Nodes for the document, and problems. Duplicate keys, anchors, aliases and tags are
    reported and parsing goes on, so one file's problems come out together; limits and
    structural errors stop the file."""
    builder = _Builder(file)
    loader = Loader(text)
    try:
        try:
            builder.run(loader)
        finally:
            loader.dispose()
    except _Stop as stop:
        return None, [*builder.problems, *builder.repeated(), stop.problem]
    problems = builder.problems + builder.repeated()
    root = builder.root
    if root is None or (isinstance(root, Scalar) and root.tag == NULL_TAG):
        return None, [Problem(file, 1, 1, "file is empty; add at least one section (facts:, sources:, ...)")]
    return root, problems


_TAGS: dict[str, str] = {}
"""The tag of each short plain scalar read so far: keys and codes repeat thousands of times in
a large base, and PyYAML's resolver (Python, a regular expression per candidate tag) took a
sixth of parsing."""


def _implicit_tag(value: str) -> str:
    """The tag YAML gives a plain scalar (str, int, bool, null, ...), as PyYAML resolves it."""
    tag = _TAGS.get(value)
    if tag is None:
        tag = _resolver.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
        if len(value) <= 40 and len(_TAGS) < 100_000:
            _TAGS[value] = tag
    return tag


def _where(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


class _Builder:
    """Turns PyYAML's events into nodes, one event at a time, keeping count of what the limits
    bound and collecting what is refused."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.repeats: dict[str, list[Problem]] = {}
        self.stack: list[Seq | Map] = []
        self.pending_key: list[Scalar | None] = []
        self.keys: list[set[str]] = []
        self.root: Node | None = None
        self.documents = 0
        self.nodes = 0

    def stop(self, line: int, column: int, message: str) -> NoReturn:
        raise _Stop(Problem(self.file, line, column, message))

    def refuse(self, line: int, column: int, message: str, kind: str = "") -> None:
        """Report a problem; of anchors, aliases and tags only the first of each kind, the rest
        counted in one closing line (an alias bomb is hundreds of the same mistake)."""
        problem = Problem(self.file, line, column, message)
        if kind:
            seen = self.repeats.setdefault(kind, [])
            seen.append(problem)
            if len(seen) > 1:
                return
        self.problems.append(problem)
        if len(self.problems) >= MAX_REFUSALS:
            self.stop(line, column, f"more than {MAX_REFUSALS} problems like the ones above; fix those first")

    def repeated(self) -> list[Problem]:
        return [
            Problem(
                self.file,
                seen[1].line,
                seen[1].column,
                f"{len(seen) - 1} more {kind} in this file, from here on; remove them too",
            )
            for kind, seen in self.repeats.items()
            if len(seen) > 1
        ]

    def run(self, loader: Any) -> None:
        """Take every event of `loader`. The commonest, a scalar with no anchor or tag (more than
        four events in five), is taken here as `take` would, without its calls: they were a
        third of reading a large base."""
        check, get, take = loader.check_event, loader.get_event, self.take
        stack, pending = self.stack, self.pending_key  # changed in place, never replaced
        tags = _TAGS
        while check():
            event = get()
            if type(event) is not yaml.ScalarEvent or event.anchor is not None or event.tag is not None:
                take(event)
                continue
            mark = event.start_mark
            if mark is None:  # pragma: no cover - both of PyYAML's parsers mark every event
                take(event)
                continue
            self.nodes += 1
            if self.nodes > MAX_NODES:
                self.count(event)  # stops, and says so
            value = event.value
            tag = (tags.get(value) or _implicit_tag(value)) if event.implicit[0] else STR_TAG
            node = Scalar(value, tag, mark.line + 1, mark.column + 1)
            if not stack:
                self.root = node
                continue
            parent = stack[-1]
            if isinstance(parent, Seq):
                parent.items.append(node)
            elif (key := pending[-1]) is None:
                self.key(node)
            else:
                if key is not _DROPPED_KEY:
                    parent.pairs.append((key, node))
                pending[-1] = None

    def take(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.ScalarEvent):  # the most common: tested first
            self.scalar(event, self.count(event))
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.stop(*_where(event), "more than one YAML document ('---'); use one document per file")
        elif isinstance(event, yaml.AliasEvent):
            line, column = _where(event)
            self.refuse(
                line,
                column,
                f"alias '*{shown(event.anchor or '')}' is not allowed; write the value out in full",
                "aliases",
            )
            self.attach(Scalar("", REFUSED_TAG, line, column))  # never expanded: no alias bomb
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            self.open(event, self.count(event))
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            self.stack.pop()
            self.pending_key.pop()
            self.keys.pop()

    def count(self, event: yaml.NodeEvent) -> bool:
        """Count a value against the limit; report an anchor or an explicit tag on it. Whether
        the value carries an explicit tag (refused)."""
        line, column = _where(event)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.stop(line, column, f"more than {MAX_NODES:,} values in one file; split it into smaller files")
        if event.anchor is not None:
            self.refuse(
                line,
                column,
                f"anchor '&{shown(event.anchor or '')}' is not allowed; remove it (fact files do not use anchors or aliases)",
                "anchors",
            )
        tag = getattr(event, "tag", None)
        explicit = tag not in (None, "!") and not (isinstance(event, yaml.ScalarEvent) and tag == STR_TAG)
        if explicit:
            self.refuse(
                line,
                column,
                f"explicit tag '{_written_tag(tag or '')}' is not allowed; remove it and write a plain value",
                "tags",
            )
        return explicit

    def scalar(self, event: yaml.ScalarEvent, explicit_tag: bool) -> None:
        line, column = _where(event)
        if explicit_tag:
            tag = REFUSED_TAG  # reported already; its value is not read
        elif event.implicit[0] and event.tag is None:
            tag = _implicit_tag(event.value)
        else:
            tag = STR_TAG
        self.attach(Scalar(event.value, tag, line, column))

    def open(self, event: yaml.SequenceStartEvent | yaml.MappingStartEvent, explicit_tag: bool) -> None:
        line, column = _where(event)
        if len(self.stack) >= MAX_DEPTH:
            raise _Stop(_too_deep(self.file, line, column))
        container: Seq | Map = (
            Seq([], line, column) if isinstance(event, yaml.SequenceStartEvent) else Map([], line, column)
        )
        # A tagged list or mapping is read (to keep parsing) but not used.
        self.attach(Scalar("", REFUSED_TAG, line, column) if explicit_tag else container)
        self.stack.append(container)
        self.pending_key.append(None)
        self.keys.append(set())

    def attach(self, node: Node) -> None:
        if not self.stack:
            self.root = node
            return
        parent = self.stack[-1]
        if isinstance(parent, Seq):
            parent.items.append(node)
        elif self.pending_key[-1] is None:
            self.key(node)
        else:
            key = self.pending_key[-1]
            assert key is not None
            if key is not _DROPPED_KEY:
                parent.pairs.append((key, node))
            self.pending_key[-1] = None

    def key(self, node: Node) -> None:
        if not isinstance(node, Scalar):
            self.stop(node.line, node.column, "a key must be plain text, not a list or mapping")
        if node.value in self.keys[-1]:
            self.refuse(
                node.line,
                node.column,
                f"duplicate key '{shown(node.value)}'; YAML would silently keep only the last one, so remove or merge one of them",
            )
            self.pending_key[-1] = _DROPPED_KEY  # its value is read, then left out
            return
        self.keys[-1].add(node.value)
        self.pending_key[-1] = node
