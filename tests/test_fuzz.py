"""Hostile and random input never crashes or hangs the reader: it gives a document or problems.

Each property is kept to a modest number of examples and no deadline, so the whole file stays
within a few seconds on a two-core CI runner.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ct_report import model, yamlread
from ct_report.errors import Problem
from ct_report.load import DataSelection, check
from ct_report.validate import Converter

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOWER = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Every key the model knows, so random structures reach the converter's deeper paths.
FIELD_NAMES = sorted(
    {
        f.name
        for cls in (
            model.Document,
            model.Region,
            model.Country,
            model.Names,
            model.Entity,
            model.Edition,
            model.Source,
            model.Fact,
            model.Figure,
            model.Event,
        )
        for f in dataclasses.fields(cls)
    }
)

FRAGMENTS = [
    "facts:",
    "sources:",
    "countries:",
    "regions:",
    "country: MA",
    "year: 2021",
    "edition: crt-2021",
    "  - id: x",
    "    kind: arrests",
    "    statement: s",
    "    arrested: {value: 5, qualifier: exact}",
    "- ",
    "-",
    ":",
    ": ",
    "? ",
    "&a",
    "*a",
    "&a [1]",
    "<<: *a",
    "!!python/object/apply:os.system",
    "!!python/name:os.system",
    "!<tag:yaml.org,2002:str>",
    "!local",
    "%YAML 1.1",
    "%TAG ! tag:x,2000:",
    "---",
    "...",
    "\t",
    "\n",
    "  ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "'",
    '"',
    '"\\e[31m"',
    '"\\x00"',
    '"\\u202e"',
    "#",
    "|",
    ">-",
    "no",
    "on",
    "0755",
    "0x1F",
    "1:30",
    "3.10",
    "2023-02-27",
    "~",
    "null",
    ".inf",
    "\ufeff",
    "\u200f",
    "\u202e",
    "\x00",
    "\x1b[2J",
    "\x85",
    "\u2028",
    "[" * 40,
    "{a: " * 30,
    "- " * 30,
]

# Fragments that stop a file at the first check (decode) are kept rare in the line-shaped
# strategy below, so that most of its examples reach the parser and the converter.
HOSTILE = ["\ufeff", "\u202e", "\x00", "\x1b[2J", "\x85", "\u2028", "\t", '"\\e[31m"', '"\\u202e"']
plain_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)

yamlish = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(FIELD_NAMES), st.text(max_size=12)), max_size=40
).map("".join)

yaml_lines = st.lists(
    st.tuples(
        st.sampled_from(["", "  ", "    ", "      ", "- ", "  - ", "    - "]),
        st.one_of(st.sampled_from(FIELD_NAMES), plain_text),
        st.sampled_from([": ", ":", " ", ""]),
        st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(FIELD_NAMES), plain_text),
    ).map("".join),
    max_size=25,
).map("\n".join)
hostile_lines = st.one_of(
    yaml_lines,
    st.tuples(yaml_lines, st.sampled_from(HOSTILE), st.integers(min_value=0)).map(
        lambda t: t[0][: t[2] % (len(t[0]) + 1)] + t[1] + t[0][t[2] % (len(t[0]) + 1) :]
    ),
)


def check_problems(problems: list[Problem]) -> None:
    """Every problem is located and fits on one line, with nothing that could drive a terminal."""
    for problem in problems:
        assert problem.line >= 1 and problem.column >= 1, problem
        text = str(problem)
        assert "\n" not in text and "\r" not in text, problem
        assert not yamlread.FORBIDDEN_CHARS.search(problem.message), problem


def read(data: bytes) -> None:
    """decode → parse → to_document, asserting a document or problems at every step."""
    text, problems = yamlread.decode(data, "fuzz.yaml")
    check_problems(problems)
    if text is None or problems:
        assert problems
        return
    root, problems = yamlread.parse(text, "fuzz.yaml")
    check_problems(problems)
    if root is None:
        assert problems
        return
    converter = Converter("fuzz.yaml")
    document = converter.to_document(root)
    check_problems(converter.problems)
    assert document is not None or converter.problems
    assert document is None or isinstance(document, model.Document)


@FAST
@given(st.text())
def test_random_text_never_raises(text: str) -> None:
    read(text.encode("utf-8", errors="surrogatepass"))


@FAST
@given(yamlish)
def test_yamlish_text_never_raises(text: str) -> None:
    read(text.encode("utf-8", errors="surrogatepass"))


@FAST
@given(hostile_lines)
def test_yaml_shaped_lines_never_raise(text: str) -> None:
    read(text.encode("utf-8", errors="surrogatepass"))


@FAST
@given(st.binary(max_size=200))
def test_random_bytes_never_raise(data: bytes) -> None:
    read(data)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["MA", "crt-2021", "article", "arrests", "exact", "m49:world", "../x", ".", "/", "texts"]),
    st.dates(),
)
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=10))
structures = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=6)),
    max_leaves=40,
)
documents = st.one_of(structures, st.dictionaries(st.sampled_from(FIELD_NAMES), structures, max_size=8))


@SLOWER
@given(documents)
def test_random_structures_through_the_loader_never_raise(data: Any) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8")
        report = check(DataSelection((path,)))
    check_problems(report.problems)
    assert isinstance(report.base, model.FactBase)


def fact(**extra: Any) -> dict[str, Any]:
    return {"id": "f", "kind": "arrests", "source": "s", "statement": "x", **extra}


BASE = {
    "regions": [{"id": "m49:world", "scheme": "m49", "name": {"en": "World"}}],
    "countries": [{"code": "MA", "alpha3": "MAR", "name": {"en": "Morocco"}, "regions": ["m49:world"]}],
    "editions": [{"id": "crt-2021", "title": "t", "covers": 2021, "publisher": "p"}],
    "sources": [{"id": "s", "kind": "press", "title": "t"}],
    "country": "MA",
    "year": 2021,
    "edition": "crt-2021",
}


@SLOWER
@given(st.dictionaries(st.sampled_from(FIELD_NAMES), structures, max_size=6))
def test_facts_with_random_fields_never_raise(extra: dict[str, Any]) -> None:
    """A valid base whose one fact carries random fields: deep into the cross-file checks."""
    text = yaml.safe_dump({**BASE, "facts": [fact(**extra)]}, allow_unicode=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8")
        report = check(DataSelection((path,)))
    check_problems(report.problems)


def test_the_fact_template_is_valid() -> None:
    """The base the property above varies is itself clean, so problems found there are the fields'."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(yaml.safe_dump({**BASE, "facts": [fact(comparison="c")]}), encoding="utf-8")
        assert check(DataSelection((path,))).problems == []


# The hostile inputs below are finite, so reading them ends; these tests check that it ends
# with the right problem. A reader that loops forever would hang the whole run instead, so each
# is read in a child process killed after HANG_GUARD seconds (far above the second or so a read
# takes): the guard catches a hang, never a slow machine.
HANG_GUARD = 120

READ_BYTES = """
from ct_report import yamlread
data = sys.stdin.buffer.read()
text, problems = yamlread.decode(data, "hostile.yaml")
if text is not None and not problems:
    _, problems = yamlread.parse(text, "hostile.yaml")
"""

LOAD_FILE = """
from pathlib import Path
from ct_report.load import DataSelection, check
problems = check(DataSelection((Path(sys.argv[1]),))).problems
"""


def problems_in_child(code: str, data: bytes = b"", *args: str) -> list[Problem]:
    """Run `code` (which sets `problems`) in a fresh interpreter; its problems come back as JSON."""
    script = "import json, sys\n" + code + "\nprint(json.dumps([list(p) for p in problems]))\n"
    result = subprocess.run(
        [sys.executable, "-c", script, *args], input=data, capture_output=True, timeout=HANG_GUARD, check=False
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    return [Problem(*item) for item in json.loads(result.stdout)]


def read_hostile(data: bytes) -> list[Problem]:
    return problems_in_child(READ_BYTES, data)


DEPTH = 100_000
TOO_DEEP = "nesting deeper than 24 levels; fact files need only a few, so flatten it"


@pytest.mark.parametrize(
    "data",
    [
        b"a: " + b"[" * DEPTH + b"]" * DEPTH + b"\n",
        b"[" * DEPTH,
        b"{a: " * DEPTH + b"1" + b"}" * DEPTH,
        b"- " * DEPTH + b"x\n",
    ],
    ids=["flow-lists", "unclosed", "flow-mappings", "block-dashes"],
)
def test_deep_nesting_is_refused(data: bytes) -> None:
    problems = read_hostile(data)
    assert [p.message for p in problems] == [TOO_DEEP]


def test_deep_nesting_through_the_loader(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_bytes(b"facts: " + b"[" * DEPTH + b"]" * DEPTH + b"\n")
    problems = problems_in_child(LOAD_FILE, b"", str(path))
    # Reported where libyaml gives up scanning ahead (its own limit is 1000), on the right line.
    assert [(p.file, p.line, p.message) for p in problems] == [(str(path), 1, TOO_DEEP)]


def test_deep_block_nesting_is_refused_at_the_limit() -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(2_000)) + " " * 2_000 + "x\n"
    problems = read_hostile(text.encode())
    assert [p.message for p in problems] == [TOO_DEEP]
    assert (problems[0].line, problems[0].column) == (25, 25)


def test_billion_laughs_is_refused() -> None:
    lines = ['lol0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"lol{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    problems = read_hostile("\n".join(lines).encode())
    assert [str(p) for p in problems] == [
        "hostile.yaml:1:7: anchor '&a0' is not allowed; remove it (fact files do not use anchors or aliases)",
        "hostile.yaml:2:12: alias '*a0' is not allowed; write the value out in full",
        "hostile.yaml:2:7: 9 more anchors in this file, from here on; remove them too",
        "hostile.yaml:2:17: 80 more aliases in this file, from here on; remove them too",
    ]


def test_a_duplicate_among_many_keys_in_one_mapping_is_found() -> None:
    text = "".join(f"k{i}: 1\n" for i in range(30_000)) + "k5: 2\n"
    problems = read_hostile(text.encode())
    assert [str(p) for p in problems] == [
        "hostile.yaml:30001:1: duplicate key 'k5'; YAML would silently keep only the last one, "
        "so remove or merge one of them"
    ]


def test_a_file_of_tiny_values_stops_at_the_value_limit() -> None:
    count = yamlread.MAX_NODES + 10
    problems = read_hostile(("[" + "a," * count + "a]").encode())
    assert [p.message for p in problems] == [
        f"more than {yamlread.MAX_NODES:,} values in one file; split it into smaller files"
    ]
