"""Issue 6: one output mechanism for every command: formats, fields, sort, limit, count, CSV safety,
completion, export and the generated CLI reference."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from ct_report import complete
from ct_report.kinds import FIELDS

LIST_COMMANDS = ["arrests", "incidents", "partners", "financing", "coverage", "sources", "search GCTF"]
FORMATS = ["table", "plain", "csv", "json", "ndjson", "markdown", "yaml"]


def table_column(text: str, name: str) -> list[str]:
    """The values of field `name` in a terminal table printed as one card per row (as off a
    terminal): the lines ` name   | value`."""
    return re.findall(rf"^ {re.escape(name)} +\| (.*?) *$", text, flags=re.MULTILINE)


@pytest.mark.parametrize("command", LIST_COMMANDS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_list_command_speaks_every_format(ctreport: Any, command: str, fmt: str) -> None:
    """Each format carries the same rows as --json, with every field, in the same order."""
    rows = ctreport([*command.split(), "--json"]).json()
    assert len(rows) == int(ctreport([*command.split(), "--count"]).out) > 0
    names = list(rows[0])
    first = names[0]
    run = ctreport([*command.split(), "--format", fmt])
    assert run.code == 0, run.err
    if fmt == "json":
        assert json.loads(run.out) == rows
    elif fmt == "ndjson":
        assert [json.loads(line) for line in run.out.splitlines()] == rows
    elif fmt == "yaml":
        assert yaml.safe_load(run.out) == rows
    elif fmt == "csv":
        header, *lines = csv.reader(io.StringIO(run.out))
        assert header == names
        assert [line[0] for line in lines] == [str(r[first]) for r in rows]
    elif fmt == "plain":
        header, *lines = run.out.splitlines()
        assert header == "\t".join(names)
        assert [line.split("\t")[0] for line in lines] == [str(r[first]) for r in rows]
    elif fmt == "markdown":
        lines = run.out.splitlines()
        start = lines.index("| " + " | ".join(names) + " |")
        assert lines[start + 1] == "|" + "---|" * len(names)
        body = lines[start + 2 : start + 2 + len(rows)]
        assert [line.split(" | ")[0].removeprefix("| ") for line in body] == [str(r[first]) for r in rows]
    else:  # the terminal table: every row, by its id (ids are never cut), in answer order
        key = "id" if "id" in names else first
        alternatives = "|".join(re.escape(str(r[key])) for r in rows)
        found = re.findall(rf"(?<![\w-])({alternatives})(?![\w-])", run.out)
        assert list(dict.fromkeys(found)) == list(dict.fromkeys(str(r[key]) for r in rows))


def test_exact_formats_on_the_tiny_base(ctreport: Any, tiny: Path) -> None:
    args = ["financing", "--data", str(tiny), "--fields", "id,body_name,holder,statement"]
    assert ctreport([*args, "--format", "plain"]).out == (
        "id\tbody_name\tholder\tstatement\nt-financing\tFund Body\tfiu\tThe FIU is a member of Fund Body.\n"
    )
    assert ctreport([*args, "--format", "csv"]).raw == (
        "id,body_name,holder,statement\r\nt-financing,Fund Body,fiu,The FIU is a member of Fund Body.\r\n"
    )
    assert ctreport([*args, "--format", "markdown"]).out == (
        "**Countering the financing of terrorism**\n\n"
        "| id | body_name | holder | statement |\n|---|---|---|---|\n"
        "| t-financing | Fund Body | fiu | The FIU is a member of Fund Body. |\n\n"
        "Source: article (press). `ctreport show ID` gives a fact's passage.\n"
    )
    assert ctreport([*args, "--format", "ndjson"]).out == (
        '{"id": "t-financing", "body_name": "Fund Body", "holder": "fiu", "statement": "The FIU is a member of Fund Body."}\n'
    )
    assert ctreport(["financing", "--data", str(tiny), "--format", "yaml", "--fields", "id,holder"]).out == (
        "- id: t-financing\n  holder: fiu\n"
    )
    assert ctreport([*args, "--format", "plain", "--no-header"]).out == (
        "t-financing\tFund Body\tfiu\tThe FIU is a member of Fund Body.\n"
    )


def test_fields_command_lists_every_field(ctreport: Any) -> None:
    run = ctreport(["fields", "partners"])
    assert run.code == 0
    header, *lines = run.out.splitlines()
    assert header == "name\tdescription\tin_table"
    assert [line.split("\t")[0] for line in lines] == [f.name for f in FIELDS["partners"]]
    rows = ctreport(["fields", "partners", "--json"]).json()
    assert rows[0] == {"name": "country", "description": FIELDS["partners"][0].description, "in_table": True}
    bad = ctreport(["fields", "partner"])
    assert bad.code == 2 and "did you mean 'partners'" in bad.err


def test_sort_and_limit(ctreport: Any) -> None:
    rows = ctreport(["arrests", "-c", "MA", "--sort", "-arrested_value", "--limit", "3", "--json"]).json()
    assert [r["year"] for r in rows] == [2017, 2016, 2018]
    rows = ctreport(["arrests", "-c", "MA", "--sort", "arrested_value", "--json"]).json()
    assert rows[-1]["arrested_value"] is None  # unknown sorts last, never as zero
    bad = ctreport(["arrests", "--sort", "yeer"])
    assert bad.code == 2 and "unknown sort field 'yeer' (did you mean 'year'?)" in bad.err


def test_count_matches_ndjson_lines(ctreport: Any) -> None:
    count = ctreport(["partners", "--region", "europe", "--count"]).out
    lines = ctreport(["partners", "--region", "europe", "--format", "ndjson"]).out.splitlines()
    assert int(count) == len(lines) > 0


def test_csv_neutralises_formulas_by_default(tmp_path: Path, ctreport: Any, tiny: Path) -> None:
    extension = tmp_path / "formula.yaml"
    extension.write_text(
        "country: MA\nyear: 2021\nedition: crt-2021\nfacts:\n"
        "  - {id: t-formula, kind: strategy, source: article, statement: '=HYPERLINK(\"http://x\")'}\n"
        "  - {id: t-plus, kind: strategy, source: article, statement: '+1, \"quoted\"'}\n",
        encoding="utf-8",
    )
    args = [
        "search",
        "HYPERLINK",
        "--data",
        str(tiny),
        "--add",
        str(extension),
        "--format",
        "csv",
        "--fields",
        "id,statement",
    ]
    assert ctreport(args).raw == 'id,statement\r\nt-formula,"\'=HYPERLINK(""http://x"")"\r\n'
    assert ctreport([*args, "--csv-formulas"]).raw == 'id,statement\r\nt-formula,"=HYPERLINK(""http://x"")"\r\n'
    quoted = ctreport(
        ["search", "quoted", "--data", str(tiny), "--add", str(extension), "-f", "csv", "--fields", "statement"]
    )
    assert list(csv.reader(io.StringIO(quoted.out))) == [["statement"], ['\'+1, "quoted"']]


@pytest.mark.parametrize(
    ("env", "no_color_flag", "colour"),
    [({}, False, True), ({"NO_COLOR": "1"}, False, False), ({"TERM": "dumb"}, False, False), ({}, True, False)],
)
def test_colour_only_on_a_terminal_without_opt_out(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], no_color_flag: bool, colour: bool
) -> None:
    from ct_report.render import Terminal

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert Terminal.detect(no_color_flag).color is colour
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    assert Terminal.detect(no_color_flag).color is False


class Ctx:
    def __init__(self, command: str, **params: Any) -> None:
        self.info_name = command
        self.params = params


def test_completion_values_come_from_the_fact_base(tiny: Path) -> None:
    assert complete.countries(Ctx("partners"), "m") == ["MA", "ML", "MR"]
    assert complete.years(Ctx("arrests"), "201") == [str(y) for y in range(2016, 2020)]
    assert "europe" in complete.regions(Ctx("partners"), "eu")
    assert "western-europe" in complete.regions(Ctx("partners"), "west")
    assert complete.partner_kinds(Ctx("partners"), "fo") == ["forum"]
    assert sorted(complete.relations("co")) == ["co-chair", "cooperation"]
    assert "ma-2021-arrests" in complete.fact_ids(Ctx("show"), "ma-2021-ar")
    assert complete.fields(Ctx("partners"), "id,partner_k") == ["id,partner_kind"]
    assert complete.sort_fields(Ctx("arrests"), "-ye") == ["-year"]
    assert complete.formats("n") == ["ndjson"]
    assert complete.countries(Ctx("partners", data=[tiny]), "") == ["FR", "MA"]


def test_shell_completion_end_to_end(ctreport: Any) -> None:
    run = ctreport(
        [],
        env={"_CTREPORT_COMPLETE": "complete_bash", "COMP_WORDS": "ctreport partners --region nor", "COMP_CWORD": "3"},
    )
    assert {"northern-africa", "northern-america", "northern-europe"} <= set(run.out.split())


def test_export_round_trip(ctreport: Any, tmp_path: Path) -> None:
    db_path = tmp_path / "out" / "ct.db"
    run = ctreport(["export", str(db_path)])
    assert run.code == 0, run.err
    assert run.out == "" and "wrote" in run.err
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        ids = {row[0] for row in db.execute("SELECT id FROM facts")}
        sources = {row[0] for row in db.execute("SELECT id FROM sources")}
        quotes = {row[0] for row in db.execute("SELECT quote FROM facts WHERE quote IS NOT NULL")}
        found = db.execute("SELECT id FROM facts_fts WHERE facts_fts MATCH 'إيغمونت'").fetchall()
        arrests = db.execute(
            "SELECT arrested_value, arrested_qualifier FROM arrests WHERE fact_id = 'ma-2021-arrests'"
        ).fetchone()
    from ct_report.load import DataSelection, load_base

    base = load_base(DataSelection.choose())
    assert ids == {f.id for f in base.facts}
    assert sources == set(base.sources)
    assert quotes == {f.quote for f in base.facts if f.quote}
    assert found == [("ma-2021-financing-egmont",)]
    assert arrests == (55, "at-least")
    again = ctreport(["export", str(db_path)])
    assert again.code == 0 and sorted(p.name for p in db_path.parent.iterdir()) == ["ct.db"]


def test_cli_reference_is_current() -> None:
    import runpy

    root = Path(__file__).parent.parent
    generate = runpy.run_path(str(root / "docs" / "generate.py"))
    assert (root / "docs" / "cli.md").read_text(encoding="utf-8") == generate["reference"](), (
        "docs/cli.md is stale: run python docs/generate.py > docs/cli.md"
    )


def test_empty_filter_values_are_usage_errors(ctreport: Any) -> None:
    for args in (["arrests", "--country", ""], ["partners", "--region", ""], ["arrests", "--sort", ""]):
        run = ctreport(args)
        assert run.code == 2 and run.out == "", args


def test_commands_accept_only_the_options_they_use(ctreport: Any) -> None:
    for args in (
        ["cite", "ma-2021-arrests", "--country", "MA"],
        ["export", "x.db", "--country", "MA"],
        ["show", "ma-2021-arrests", "--year", "2016"],
    ):
        run = ctreport(args)
        assert run.code == 2 and run.out == "", args


def test_count_and_fail_empty_look_at_matches_not_at_the_limit(ctreport: Any) -> None:
    assert ctreport(["arrests", "-c", "MA", "--count", "--limit", "3"]).out == "8\n"
    assert ctreport(["arrests", "-c", "MA", "--limit", "0", "--fail-empty", "--json"]).code == 0


def test_rows_name_the_file_their_source_comes_from(ctreport: Any, tiny: Path, tmp_path: Path) -> None:
    extension = tmp_path / "mine.yaml"
    extension.write_text(
        "sources:\n  - {id: my-notes, kind: press, title: My notes}\n"
        "facts:\n  - {id: my-partner, kind: partner, source: my-notes, country: MA, year: 2021, edition: crt-2021,"
        " partner: FR, relation: cooperation, statement: Mine.}\n",
        encoding="utf-8",
    )
    rows = ctreport(
        ["partners", "--add", str(extension), "-c", "MA", "--relation", "cooperation", "-y", "2021", "--json"]
    ).json()
    assert [r["source_file"] for r in rows] == [f"{tmp_path.name}:mine.yaml"]
    bundled = ctreport(["partners", "-c", "MA", "-y", "2021", "--relation", "tension", "--json"]).json()
    assert bundled[0]["source_file"] == "base:facts/2021/MA.yaml"
