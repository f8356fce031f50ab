"""Read one YAML file into plain nodes that remember where they were written.

Built on PyYAML's event stream (C parser where available) rather than on `yaml.safe_load`,
because the loader must see what `safe_load` hides: duplicate keys (last one wins), anchors
and aliases (alias bombs), implicit typing of plain scalars (`no`, `3.10`, `2021-01-01`), and
the line and column of every value. Nesting depth is bounded while parsing, so a hostile file
fails with a message instead of exhausting the stack.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import yaml

from ct_report.errors import Problem

try:
    Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    Loader = yaml.SafeLoader

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 24

STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
_TAG_NAMES = {
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a date",
    STR_TAG: "text",
}

# C0/C1 controls other than tab, newline and carriage return, and the bidirectional
# embeddings, overrides and isolates that can disguise text. Left-to-right, right-to-left
# and Arabic letter marks (U+200E, U+200F, U+061C) stay allowed: Arabic text needs them.
FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


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
        if len(problems) >= 20:
            break
    return text, problems


def _tab_problems(text: str, file: str) -> list[Problem]:
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        indent = len(line) - len(line.lstrip(" \t"))
        if "\t" in line[:indent]:
            problems.append(
                Problem(file, number, line.index("\t") + 1, "tab in indentation; YAML indents with spaces only")
            )
    return problems


def parse(text: str, file: str) -> tuple[Node | None, list[Problem]]:
    """Parse one YAML document. Returns the root node, or None with the problems found."""
    if not text.strip() or all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        return None, [Problem(file, 1, 1, "file is empty; add at least one section (facts:, sources:, ...)")]
    tabs = _tab_problems(text, file)
    if tabs:
        return None, tabs
    try:
        return _build(text, file)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        reason = error.problem or error.context or "YAML syntax error"
        return None, [Problem(file, line, column, f"YAML syntax error: {reason}")]
    except yaml.YAMLError as error:
        return None, [Problem(file, 1, 1, f"YAML error: {error}")]


class _Stop(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _build(text: str, file: str) -> tuple[Node | None, list[Problem]]:
    loader = Loader(text)
    problems: list[Problem] = []
    stack: list[Seq | Map] = []
    pending_key: list[Scalar | None] = []
    root: Node | None = None
    documents = 0

    def where(event: yaml.Event) -> tuple[int, int]:
        mark = event.start_mark
        return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)

    def attach(node: Node) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        parent = stack[-1]
        if isinstance(parent, Seq):
            parent.items.append(node)
        elif pending_key[-1] is None:
            if not isinstance(node, Scalar):
                raise _Stop(Problem(file, node.line, node.column, "a key must be plain text, not a list or mapping"))
            if any(key.value == node.value for key, _ in parent.pairs):
                raise _Stop(
                    Problem(
                        file,
                        node.line,
                        node.column,
                        f"duplicate key '{node.value}'; YAML would silently keep only the last one",
                    )
                )
            pending_key[-1] = node
        else:
            key = pending_key[-1]
            assert key is not None
            parent.pairs.append((key, node))
            pending_key[-1] = None

    try:
        try:
            while loader.check_event():
                event = loader.get_event()
                if isinstance(event, yaml.DocumentStartEvent):
                    documents += 1
                    if documents > 1:
                        line, column = where(event)
                        raise _Stop(
                            Problem(
                                file, line, column, "more than one YAML document ('---'); use one document per file"
                            )
                        )
                    continue
                if isinstance(event, yaml.AliasEvent):
                    line, column = where(event)
                    raise _Stop(
                        Problem(
                            file, line, column, f"alias '*{event.anchor}' is not allowed; write the value out in full"
                        )
                    )
                if isinstance(event, (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                    line, column = where(event)
                    if event.anchor is not None:
                        raise _Stop(
                            Problem(
                                file,
                                line,
                                column,
                                f"anchor '&{event.anchor}' is not allowed; fact files do not use anchors or aliases",
                            )
                        )
                    explicit_tag = event.tag not in (None, "!") and not (
                        isinstance(event, yaml.ScalarEvent) and event.tag == STR_TAG
                    )
                    if explicit_tag:
                        raise _Stop(
                            Problem(
                                file, line, column, f"explicit tag '{event.tag}' is not allowed; write plain values"
                            )
                        )
                if isinstance(event, yaml.ScalarEvent):
                    line, column = where(event)
                    if event.implicit[0] and event.tag is None:
                        tag = _resolver.resolve(  # type: ignore[no-untyped-call]
                            yaml.ScalarNode, event.value, (True, False)
                        )
                    else:
                        tag = STR_TAG
                    attach(Scalar(event.value, tag, line, column))
                elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                    line, column = where(event)
                    if len(stack) >= MAX_DEPTH:
                        raise _Stop(
                            Problem(
                                file,
                                line,
                                column,
                                f"nesting deeper than {MAX_DEPTH} levels; fact files need only a few",
                            )
                        )
                    container: Seq | Map = (
                        Seq([], line, column) if isinstance(event, yaml.SequenceStartEvent) else Map([], line, column)
                    )
                    attach(container)
                    stack.append(container)
                    pending_key.append(None)
                elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                    stack.pop()
                    pending_key.pop()
        finally:
            loader.dispose()
    except _Stop as stop:
        problems.append(stop.problem)
        return None, problems
    if root is None or (isinstance(root, Scalar) and root.tag == NULL_TAG):
        return None, [Problem(file, 1, 1, "file is empty; add at least one section (facts:, sources:, ...)")]
    return root, problems
