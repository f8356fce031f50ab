"""`ctreport validate` against a corpus of broken fact bases, one failure each.

Every folder of tests/broken/ is a complete small base (tests/fixtures/tiny with one thing
broken) named after its failure, except the `accepted-*` folders, which hold things that look
suspicious but are valid. The expected problems are written out in full: file, line, column and
message, so a message that gets vaguer or moves fails here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ct_report import validate, yamlread

BROKEN = Path(__file__).parent / "broken"

Expected = list[tuple[str, int, int, str]]
"""(file in the folder, line, column, message); '<dir>' in a message stands for the folder."""

CASES: dict[str, Expected] = {
    "yaml-syntax-error": [
        (
            "ma-2021.yaml",
            11,
            15,
            "YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping at line 10, "
            "column 15); a {mapping} is not closed; close it with '}' or separate its items with ','",
        )
    ],
    "tab-in-indentation": [
        ("ma-2021.yaml", 8, 1, "tab in indentation; YAML indents with spaces only, so replace the tab with spaces")
    ],
    "not-utf-8": [("ma-2021.yaml", 25, 36, "file is not valid UTF-8; save it as UTF-8")],
    "empty-file": [("notes.yaml", 1, 1, "file is empty; add at least one section (facts:, sources:, ...)")],
    "comments-only": [("notes.yaml", 1, 1, "file has only comments; add at least one section (facts:, sources:, ...)")],
    "duplicate-key": [
        (
            "ma-2021.yaml",
            9,
            5,
            "duplicate key 'statement'; YAML would silently keep only the last one, so remove or merge one of them",
        )
    ],
    "anchor": [
        (
            "ma-2021.yaml",
            12,
            14,
            "anchor '&targets' is not allowed; remove it (fact files do not use anchors or aliases)",
        )
    ],
    "alias": [("ma-2021.yaml", 12, 14, "alias '*targets' is not allowed; write the value out in full")],
    # Every problem at once: the first anchor and alias, how many more of each, and the
    # sections the file should not have. No alias is ever expanded.
    "alias-bomb": [
        (
            "bomb.yaml",
            1,
            1,
            "unknown section 'lol0'; the sections are: country, year, edition, regions, countries, entities, editions, sources, facts (at lol0)",
        ),
        ("bomb.yaml", 1, 7, "anchor '&a0' is not allowed; remove it (fact files do not use anchors or aliases)"),
        (
            "bomb.yaml",
            2,
            1,
            "unknown section 'lol1'; the sections are: country, year, edition, regions, countries, entities, editions, sources, facts (at lol1)",
        ),
        ("bomb.yaml", 2, 7, "9 more anchors in this file, from here on; remove them too"),
        ("bomb.yaml", 2, 12, "alias '*a0' is not allowed; write the value out in full"),
        ("bomb.yaml", 2, 17, "80 more aliases in this file, from here on; remove them too"),
        (
            "bomb.yaml",
            3,
            1,
            "unknown section 'lol2'; the sections are: country, year, edition, regions, countries, entities, editions, sources, facts (at lol2)",
        ),
        (
            "bomb.yaml",
            4,
            1,
            "unknown section 'lol3'; the sections are: country, year, edition, regions, countries, entities, editions, sources, facts (at lol3)",
        ),
        (
            "bomb.yaml",
            5,
            1,
            "unknown section 'lol4'; the sections are: country, year, edition, regions, countries, entities, editions, sources, facts (at lol4)",
        ),
        (
            "bomb.yaml",
            6,
            1,
            "unknown section 'lol5'; the sections are: country, year, edition, regions, countries, entities, editions, sources, facts (at lol5)",
        ),
        (
            "bomb.yaml",
            7,
            1,
            "unknown section 'lol6'; the sections are: country, year, edition, regions, countries, entities, editions, sources, facts (at lol6)",
        ),
        (
            "bomb.yaml",
            8,
            1,
            "unknown section 'lol7'; the sections are: country, year, edition, regions, countries, entities, editions, sources, facts (at lol7)",
        ),
        (
            "bomb.yaml",
            9,
            1,
            "unknown section 'lol8'; the sections are: country, year, edition, regions, countries, entities, editions, sources, facts (at lol8)",
        ),
        (
            "bomb.yaml",
            10,
            1,
            "unknown section 'lol9'; the sections are: country, year, edition, regions, countries, entities, editions, sources, facts (at lol9)",
        ),
    ],
    "python-tag": [
        (
            "ma-2021.yaml",
            8,
            16,
            "explicit tag '!!python/object/apply:os.system' is not allowed; remove it and write a plain value",
        )
    ],
    "yaml-boolean-for-text": [
        (
            "base.yaml",
            12,
            70,
            "'no' is read by YAML as a boolean, not text; quote it: \"no\" (at countries[1].aliases[0])",
        ),
        (
            "base.yaml",
            12,
            74,
            "'on' is read by YAML as a boolean, not text; quote it: \"on\" (at countries[1].aliases[1])",
        ),
    ],
    "bare-date-for-text": [
        (
            "base.yaml",
            22,
            11,
            "'2023-02-27' is read by YAML as a date, not text; quote it: \"2023-02-27\" (at sources[0].date)",
        )
    ],
    "float-for-text": [
        (
            "ma-2021.yaml",
            18,
            13,
            "'3.10' is read by YAML as a floating-point number, not text; quote it: \"3.10\" (at facts[1].detail)",
        )
    ],
    "octal-year": [
        (
            "ma-2021.yaml",
            2,
            7,
            "'0755' is not a plain decimal number (YAML reads 0755 as octal, 0x1F as hexadecimal and 1:30 as "
            "base 60); write the digits without a leading zero or prefix (at year)",
        )
    ],
    "quoted-number": [
        (
            "ma-2021.yaml",
            10,
            23,
            "expected a whole number, found quoted text; remove the quotes (at facts[0].arrested.value)",
        )
    ],
    "unknown-key": [
        ("ma-2021.yaml", 8, 5, "unknown key 'statment' (did you mean 'statement'?) (at facts[0].statment)")
    ],
    "unknown-key-no-suggestion": [
        (
            "base.yaml",
            23,
            5,
            "unknown key 'reliability'; remove it (a source has: id, kind, title, publisher, language, date, "
            "edition, summarises, url, text, note) (at sources[0].reliability)",
        )
    ],
    "unknown-section": [("ma-2021.yaml", 4, 1, "unknown section 'fact' (did you mean 'facts'?) (at fact)")],
    "missing-required-field": [("ma-2021.yaml", 5, 5, "missing required field 'statement'; add it (at facts[0])")],
    "list-for-text": [
        (
            "ma-2021.yaml",
            8,
            16,
            "expected text, found a list; write a single value, in quotes if it starts with [ or { "
            "(at facts[0].statement)",
        )
    ],
    "mapping-for-list": [
        (
            "ma-2021.yaml",
            12,
            14,
            "expected a list; write its items on lines starting with '- ', or as [a, b] (at facts[0].targets)",
        )
    ],
    "empty-string": [("ma-2021.yaml", 8, 16, "empty text; write a value or leave the key out (at facts[0].statement)")],
    "enum-value": [
        (
            "ma-2021.yaml",
            6,
            11,
            "'arest' is not one of: arrests, incidents, threat, strategy, capacity, partner, financing, cve, "
            "assessment, group, legislation (did you mean 'arrests'?) (at facts[0].kind)",
        )
    ],
    "country-code-form": [
        (
            "ma-2021.yaml",
            1,
            10,
            "'Morocco' is not an ISO 3166-1 alpha-2 code (two capital letters); write it like 'MA' (at country)",
        )
    ],
    "more-than-one-document": [
        ("ma-2021.yaml", 33, 1, "more than one YAML document ('---'); use one document per file")
    ],
    "unknown-source": [
        (
            "ma-2021.yaml",
            7,
            13,
            "unknown source 'artcle' (did you mean 'article'?); it must be defined under 'sources:'",
        )
    ],
    "unknown-country": [("ma-2021.yaml", 26, 14, "unknown country 'XK'; it must be defined under 'countries:'")],
    "unknown-region": [
        (
            "base.yaml",
            12,
            69,
            "unknown region 'm49:westrn-europe' (did you mean 'm49:western-europe'?); "
            "it must be defined under 'regions:'",
        )
    ],
    "duplicate-fact-id": [
        (
            "more.yaml",
            5,
            9,
            "duplicate fact id 't-partner-forum', first defined at <dir>/ma-2021.yaml:20; "
            "remove one or give it another id",
        )
    ],
    "year-not-covered": [
        (
            "ma-2021.yaml",
            26,
            11,
            "year 2020 is not the year crt-2021 covers (2021); check the year or the edition",
        )
    ],
    "quote-not-in-text": [
        (
            "ma-2021.yaml",
            19,
            12,
            "quote does not appear verbatim in the text of source 'article'; copy it exactly",
        )
    ],
    "missing-source-text": [
        ("base.yaml", 24, 11, "source text 'article.txt' cannot be read; ship the file or remove 'text'")
    ],
    "control-character-escape": [
        (
            "ma-2021.yaml",
            8,
            16,
            "control or bidirectional-override character U+001B in text; remove the escape that writes it "
            "(at facts[0].statement)",
        )
    ],
    "bidi-override": [
        (
            "ma-2021.yaml",
            8,
            40,
            "control or bidirectional-override character RIGHT-TO-LEFT OVERRIDE (U+202E); remove it",
        )
    ],
    "nesting-too-deep": [
        ("ma-2021.yaml", 12, 35, "nesting deeper than 24 levels; fact files need only a few, so flatten it")
    ],
    "arrests-without-figures": [
        (
            "ma-2021.yaml",
            6,
            11,
            "an arrests fact needs at least one of 'arrested', 'operations', 'cells' or 'comparison'; "
            "add the one the source gives",
        )
    ],
    "field-of-another-kind": [
        ("ma-2021.yaml", 26, 11, "'body' belongs to financing facts, not partner; remove it or change the kind")
    ],
}

ACCEPTED = {
    "accepted-byte-order-mark": "every file starts with a UTF-8 byte-order mark",
    "accepted-right-to-left-mark": "Arabic text holds right-to-left marks (U+200F), which it needs",
}

# Commands that load the fact base, with the arguments they need besides --data.
COMMANDS = [
    ["arrests"],
    ["incidents"],
    ["partners"],
    ["financing"],
    ["summary"],
    ["coverage"],
    ["compare", "2020", "2021"],
    ["sources"],
    ["show", "t-arrests"],
    ["search", "arrested"],
    ["cite", "t-arrests"],
]


def lines(name: str) -> list[str]:
    folder = BROKEN / name
    return [
        f"{folder / file}:{line}:{column}: {message.replace('<dir>', str(folder))}"
        for file, line, column, message in CASES[name]
    ]


def summary(name: str, validating: bool = False) -> str:
    """The closing line: `validate` itself does not point at `validate`."""
    count = len(CASES[name])
    files = len({file for file, _, _, _ in CASES[name]})
    noun = "problem" if count == 1 else "problems"
    where = "1 file" if files == 1 else f"{files} files"
    advice = "" if validating else "; fix them, or check with `ctreport validate`"
    return f"ctreport: {count} {noun} in {where}{advice}\n"


def test_corpus_and_cases_match() -> None:
    folders = {p.name for p in BROKEN.iterdir() if p.is_dir()}
    assert folders == set(CASES) | set(ACCEPTED)


@pytest.mark.parametrize("name", sorted(CASES))
def test_validate_reports_each_problem_exactly(ctreport: Any, name: str) -> None:
    run = ctreport(["validate", str(BROKEN / name)])
    assert run.code == 1, run.err
    assert run.out.splitlines() == lines(name)
    assert run.err == summary(name, validating=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_validate_json_gives_the_same_problems(ctreport: Any, name: str) -> None:
    run = ctreport(["validate", "--json", str(BROKEN / name)])
    assert run.code == 1, run.err
    folder = BROKEN / name
    assert json.loads(run.out) == [
        {"file": str(folder / file), "line": line, "column": column, "message": message.replace("<dir>", str(folder))}
        for file, line, column, message in CASES[name]
    ]
    assert run.err == summary(name, validating=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_queries_stop_on_a_broken_base(ctreport: Any, name: str) -> None:
    run = ctreport(["arrests", "--data", str(BROKEN / name)])
    assert run.code == 1
    assert run.out == ""
    assert run.err == "".join(f"{line}\n" for line in lines(name)) + summary(name)


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: args[0])
@pytest.mark.parametrize("name", ["unknown-key", "yaml-syntax-error", "duplicate-fact-id"])
def test_every_command_stops_on_a_broken_base(ctreport: Any, name: str, args: list[str]) -> None:
    run = ctreport([*args, "--data", str(BROKEN / name)])
    assert run.code == 1
    assert run.out == ""
    assert run.err == "".join(f"{line}\n" for line in lines(name)) + summary(name)
    assert "Traceback" not in run.err and "internal error" not in run.err


def test_export_stops_on_a_broken_base_without_writing(ctreport: Any, tmp_path: Path) -> None:
    target = tmp_path / "base.db"
    run = ctreport(["export", str(target), "--data", str(BROKEN / "unknown-key")])
    assert run.code == 1
    assert run.err == "".join(f"{line}\n" for line in lines("unknown-key")) + summary("unknown-key")
    assert not target.exists()


def test_environment_data_stops_the_same_way(ctreport: Any) -> None:
    run = ctreport(["arrests"], env={"CTREPORT_DATA": str(BROKEN / "alias-bomb")})
    assert run.code == 1
    assert run.out == ""
    assert run.err == "".join(f"{line}\n" for line in lines("alias-bomb")) + summary("alias-bomb")


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_oddities_validate_cleanly(ctreport: Any, name: str) -> None:
    run = ctreport(["validate", str(BROKEN / name)])
    assert run.code == 0, run.out + run.err
    assert run.out == ""
    assert run.err == "ok: 2 files, 4 facts, 1 source, 2 countries\n"


def test_accepted_byte_order_mark_is_really_there() -> None:
    for file in ("base.yaml", "ma-2021.yaml"):
        assert (BROKEN / "accepted-byte-order-mark" / file).read_bytes().startswith(b"\xef\xbb\xbf")
    assert "\u200f" in (BROKEN / "accepted-right-to-left-mark" / "base.yaml").read_text(encoding="utf-8")


def test_bundled_base_validates_cleanly(ctreport: Any, bundled: None) -> None:
    run = ctreport(["validate"])
    assert run.code == 0, run.out + run.err
    assert run.out == ""
    assert run.err.startswith("ok: ")


def test_tiny_fixture_validates_cleanly(ctreport: Any, tiny: Path) -> None:
    run = ctreport(["validate", str(tiny)])
    assert run.code == 0, run.out + run.err
    assert run.err == "ok: 2 files, 4 facts, 1 source, 2 countries\n"


def test_validate_missing_path(ctreport: Any, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    run = ctreport(["validate", str(missing)])
    assert run.code == 1
    assert run.out.splitlines() == [
        f"{missing}:1:1: no such file or folder; check the path (given as an argument, with --data/--add, or in CTREPORT_DATA/CTREPORT_ADD)"
    ]
    assert run.err == "ctreport: 1 problem in 1 file\n"


EXTENSION = """\
# Notes that extend the bundled base: a fact citing a bundled source, country and edition.
country: MA
year: 2021
edition: crt-2021
facts:
  - id: my-ma-2021-threat-note
    kind: threat
    source: {source}
    statement: A curator's own note on the threat, citing the bundled Arabic article.
"""


def test_add_extension_referencing_bundled_ids_is_clean(ctreport: Any, tmp_path: Path) -> None:
    extension = tmp_path / "notes.yaml"
    extension.write_text(EXTENSION.format(source="press-ar-b83b063b"), encoding="utf-8")
    run = ctreport(["validate", "--add", str(extension)])
    assert run.code == 0, run.out + run.err
    assert run.out == ""
    assert run.err.startswith("ok: ")
    shown = ctreport(["show", "my-ma-2021-threat-note", "--add", str(extension), "--json"])
    assert shown.code == 0, shown.err


def test_add_extension_with_a_wrong_reference_points_into_the_extension(ctreport: Any, tmp_path: Path) -> None:
    extension = tmp_path / "notes.yaml"
    extension.write_text(EXTENSION.format(source="press-ar-b83b063c"), encoding="utf-8")
    run = ctreport(["validate", "--add", str(extension)])
    assert run.code == 1
    assert run.out.splitlines() == [
        f"{extension}:8:13: unknown source 'press-ar-b83b063c' (did you mean 'press-ar-b83b063b'?); "
        "it must be defined under 'sources:'"
    ]


def test_file_too_large(ctreport: Any, tiny: Path, tmp_path: Path) -> None:
    base = tmp_path / "base"
    shutil.copytree(tiny, base)
    big = base / "big.yaml"
    size = yamlread.MAX_FILE_BYTES + 1
    big.write_bytes(b"# " + b"x" * (size - 2))
    run = ctreport(["validate", str(base)])
    assert run.code == 1
    assert run.out.splitlines() == [
        f"{big}:1:1: file is {size:,} bytes, over the limit of {yamlread.MAX_FILE_BYTES:,}; split it into smaller files"
    ]


def test_too_many_values(ctreport: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlread, "MAX_NODES", 50)
    many = tmp_path / "many.yaml"
    many.write_text("facts: [" + ", ".join(["x"] * 60) + "]\n", encoding="utf-8")
    run = ctreport(["validate", str(many)])
    assert run.code == 1
    # Value 51 is the 48th list item (the mapping, its key and the list come first): column 9 + 3 * 47.
    assert run.out.splitlines() == [f"{many}:1:150: more than 50 values in one file; split it into smaller files"]


def test_problems_per_file_are_capped(ctreport: Any, tiny: Path, tmp_path: Path) -> None:
    base = tmp_path / "base"
    shutil.copytree(tiny, base)
    count = validate.MAX_PROBLEMS + 50
    (base / "many.yaml").write_text("".join(f"key{i}: 1\n" for i in range(count)), encoding="utf-8")
    run = ctreport(["validate", str(base)])
    assert run.code == 1
    out = run.out.splitlines()
    assert len(out) == validate.MAX_PROBLEMS + 1
    assert out[0].startswith(f"{base / 'many.yaml'}:1:1: unknown section 'key0'; the sections are: ")
    assert out[-1] == (
        f"{base / 'many.yaml'}:{validate.MAX_PROBLEMS + 1}:1: "
        f"more than {validate.MAX_PROBLEMS} problems in this file; fix these and validate again"
    )


def test_hostile_key_is_escaped_in_the_message(ctreport: Any, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text('"\\e[2J\\nkey": 1\n', encoding="utf-8")
    run = ctreport(["validate", str(hostile)])
    assert run.code == 1
    assert "\x1b" not in run.out
    assert run.out.splitlines() == [
        f"{hostile}:1:1: unknown section '\\u001b[2J\\u000akey'; the sections are: country, year, edition, "
        "regions, countries, entities, editions, sources, facts (at \\u001b[2J\\u000akey)"
    ]


def test_wrong_top_level_value_is_reported_once(ctreport: Any, tiny: Path, tmp_path: Path) -> None:
    """Four facts inherit the file's `year:`; a wrong one is reported where it is written, once."""
    base = tmp_path / "base"
    shutil.copytree(tiny, base)
    facts = base / "ma-2021.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace("year: 2021\n", "year: 2020\n"), encoding="utf-8")
    run = ctreport(["validate", str(base)])
    assert run.out.splitlines() == [
        f"{facts}:2:7: year 2020 is not the year crt-2021 covers (2021); check the year or the edition"
    ]


def test_typo_in_an_optional_key_of_a_source_does_not_hide_the_source(
    ctreport: Any, tiny: Path, tmp_path: Path
) -> None:
    base = tmp_path / "base"
    shutil.copytree(tiny, base)
    path = base / "base.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    language: ar\n", "    langauge: ar\n"))
    run = ctreport(["validate", str(base)])
    assert run.out.splitlines() == [
        f"{path}:22:5: unknown key 'langauge' (did you mean 'language'?) (at sources[0].langauge)"
    ]


def test_a_broken_definition_is_reported_once_not_at_every_use(ctreport: Any, tiny: Path, tmp_path: Path) -> None:
    unparsable = tmp_path / "unparsable"
    shutil.copytree(tiny, unparsable)
    (unparsable / "base.yaml").write_text("regions: [\n", encoding="utf-8")
    run = ctreport(["validate", str(unparsable)])
    assert run.code == 1
    assert [line.split(": ", 1)[0] for line in run.out.splitlines()] == [f"{unparsable / 'base.yaml'}:2:1"]

    refused = tmp_path / "refused"
    shutil.copytree(tiny, refused)
    base = (refused / "base.yaml").read_text(encoding="utf-8")
    (refused / "base.yaml").write_text(base.replace("    title: Test article\n", ""), encoding="utf-8")
    run = ctreport(["validate", str(refused)])
    assert run.code == 1
    assert len(run.out.splitlines()) == 1
    assert "missing required field 'title'" in run.out


def test_one_file_reports_every_problem_together(ctreport: Any, tiny: Path, tmp_path: Path) -> None:
    base = tmp_path / "base"
    shutil.copytree(tiny, base)
    (base / "ma-2021.yaml").write_text(
        "country: MA\nyear: 2021\nedition: crt-2021\nfacts:\n"
        "  - id: t-one\n    kind: threatt\n    source: nosuch\n    statment: typo\n"
        "    statement: First.\n    statement: Second.\n",
        encoding="utf-8",
    )
    run = ctreport(["validate", str(base)])
    assert run.code == 1
    messages = [line.split(": ", 1)[1] for line in run.out.splitlines()]
    assert any(m.startswith("'threatt' is not one of") for m in messages)
    assert any(m.startswith("unknown key 'statment'") for m in messages)
    assert any(m.startswith("duplicate key 'statement'") for m in messages)
    lines = [int(line.split(":")[1]) for line in run.out.splitlines()]
    assert lines == sorted(lines)


def test_records_build_and_compare_like_dataclasses() -> None:
    from ct_report import model

    where = model.Origin("a.yaml", 3, 5)
    assert (where.file, where.line, where.column) == ("a.yaml", 3, 5)
    figure = model.Figure(value=55, qualifier="at-least")
    assert figure.text is None  # defaults filled in
    assert figure == model.Figure(qualifier="at-least", value=55)
    assert figure != model.Figure(value=56, qualifier="at-least")
    # origin is not compared: the same fact read from another place is the same fact
    assert model.Source("s", "press", "T", origin=where) == model.Source("s", "press", "T")
    assert model.Source("s", "press", "T") != model.Source("s", "report", "T")
    with pytest.raises(TypeError, match="missing fields \\['qualifier'\\]"):
        model.Figure(value=1)
    with pytest.raises(TypeError, match="unknown fields \\['colour'\\]"):
        model.Figure(value=1, qualifier="exact", colour="red")
    with pytest.raises(TypeError):
        hash(figure)
