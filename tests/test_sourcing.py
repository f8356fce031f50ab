"""Issue 11: every fact citable: locators, source kinds, groups, coverage gaps, citations via
the report. Run on tests/fixtures/sourcing, a base made for these features."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

SOURCING = Path(__file__).parent / "fixtures" / "sourcing"


@pytest.fixture(autouse=True)
def sourcing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTREPORT_DATA", str(SOURCING))


def test_groups_command_lists_the_groups_named(ctreport: Any) -> None:
    rows = ctreport(["groups", "--country", "DZ", "--year", "2019", "--json"]).json()
    assert [(r["group"], r["acronym"], r["detail"], r["section"], r["id"]) for r in rows] == [
        ("aqim", "AQIM", "present but under pressure", "Overview", "s-group-aqim")
    ]


@pytest.mark.parametrize("fmt", ["plain", "csv", "json", "ndjson", "markdown", "yaml", "table"])
def test_groups_and_locators_in_every_format(ctreport: Any, fmt: str) -> None:
    run = ctreport(["groups", "--format", fmt, "--fields", "group_name,section,key_phrase,id"])
    assert run.code == 0, run.err
    assert "Al-Qa'ida in the Islamic Maghreb" in run.out and "Overview" in run.out


def test_rows_carry_section_and_key_phrase(ctreport: Any) -> None:
    (row,) = ctreport(["incidents", "--json"]).json()
    assert row["section"] == "2019 Terrorist Incidents"
    assert row["key_phrase"] == "neither group conducted any attacks"
    assert row["events"] == [
        "2019-01-16, Tarek Ibn Ziad: 1 killed: A shepherd was killed. (group: Al-Qa'ida in the Islamic Maghreb (AQIM))"
    ]


def test_show_prints_the_locator(ctreport: Any) -> None:
    lines = ctreport(["show", "s-incidents"]).out.splitlines()
    assert 'Where in the source: 2019 Terrorist Incidents, at "neither group conducted any attacks"' in lines


def test_a_figure_keeps_whom_the_report_credits(ctreport: Any) -> None:
    rows = ctreport(["arrests", "--json"]).json()
    assert [(r["id"], r["arrested"]) for r in rows] == [
        ("s-arrests", "150 (reportedly), according to the defence ministry"),
        ("s-arrests-ministry", "160"),
    ]


def test_government_figures_are_their_own_kind(ctreport: Any) -> None:
    rows = {r["id"]: r for r in ctreport(["arrests", "--json"]).json()}
    assert rows["s-arrests-ministry"]["source_kind"] == "government"
    assert rows["s-arrests"]["conflicts_with"] == ["s-arrests-ministry"]


def test_financing_names_the_fiu(ctreport: Any) -> None:
    (row,) = ctreport(["financing", "--json"]).json()
    assert (row["holder"], row["member"], row["member_name"]) == (
        "fiu",
        "dz-ctrf",
        "Financial Intelligence Processing Unit (CTRF)",
    )


def test_coverage_shows_gaps_for_every_declared_country_year(ctreport: Any) -> None:
    rows = ctreport(["coverage", "--json"]).json()
    assert [(r["country"], r["year"], r["facts"], r["source_kinds"]) for r in rows] == [
        ("DZ", 2019, 5, "report+government"),
        ("DZ", 2020, 0, ""),
        ("TN", 2019, 2, "report+press"),
        ("TN", 2020, 0, ""),
    ]


def test_cite_a_press_fact_names_the_report_first(ctreport: Any) -> None:
    run = ctreport(["cite", "s-tn-threat", "--style", "apa"])
    assert run.out == (
        "US Department of State. (2020). Country Reports on Terrorism 2019: Tunisia. "
        "https://www.state.gov/reports/country-reports-on-terrorism-2019/ As reported by Example News. (2020). "
        "An article on the Tunisia chapter. https://news.example.org/2020/06/25/tunisia-chapter\n"
    )


def test_cite_bibtex_of_a_report_fact_carries_the_section(ctreport: Any) -> None:
    run = ctreport(["cite", "s-group-aqim", "--style", "bibtex"])
    assert "  note = {section 'Overview'; report; ctreport fact s-group-aqim}" in run.out.splitlines()


def test_summary_has_groups_and_legislation_sections(ctreport: Any) -> None:
    text = ctreport(["summary", "--format", "plain"]).out
    assert "  Terrorist groups\n  • AQIM remained" in text
    assert "  Legislation and prosecutions\n  • A law was amended." in text


def test_compare_speaks_of_groups(ctreport: Any, tmp_path: Path) -> None:
    later = tmp_path / "dz-2020.yaml"
    head = "country: DZ\nyear: 2020\nedition: crt-2020\nfacts:\n"
    threat = "  - {id: s-2020-threat, kind: threat, source: ministry-dz-2019, statement: Threat.}\n"
    later.write_text(head + threat, encoding="utf-8")
    (result,) = ctreport(["compare", "2019", "2020", "--add", str(later), "--json"]).json()
    assert "no groups are recorded for 2020, so groups are not compared" in result["notes"]
    group = "  - {id: s-2020-group, kind: group, source: ministry-dz-2019, group: aqim, statement: AQIM.}\n"
    later.write_text(head + threat + group, encoding="utf-8")
    (result,) = ctreport(["compare", "2019", "2020", "--add", str(later), "--json"]).json()
    assert result["relations"] == [] and not any("groups" in note for note in result["notes"])


def test_export_has_groups_and_locators(ctreport: Any, tmp_path: Path) -> None:
    target = tmp_path / "out.db"
    assert ctreport(["export", str(target)]).code == 0
    with sqlite3.connect(target) as db:
        assert db.execute('SELECT fact_id, "group" FROM groups').fetchall() == [("s-group-aqim", "aqim")]
        assert db.execute("SELECT section, key_phrase FROM facts WHERE id = 's-incidents'").fetchone() == (
            "2019 Terrorist Incidents",
            "neither group conducted any attacks",
        )
        assert db.execute("SELECT member FROM financing").fetchone() == ("dz-ctrf",)
        assert db.execute("SELECT arrested_attributed_to FROM arrests WHERE fact_id = 's-arrests'").fetchone() == (
            "the defence ministry",
        )


def test_fields_describes_the_groups_command(ctreport: Any) -> None:
    names = [r["name"] for r in ctreport(["fields", "groups", "--json"]).json()]
    assert {"group_name", "acronym", "detail", "section", "key_phrase", "id"} <= set(names)


def _validate_one(ctreport: Any, tmp_path: Path, fact: str, source: str = "") -> list[str]:
    (tmp_path / "extra.yaml").write_text(
        "country: DZ\nyear: 2019\nedition: crt-2019\n" + source + "facts:\n" + fact, encoding="utf-8"
    )
    run = ctreport(["validate", "--add", str(tmp_path / "extra.yaml")])
    assert run.code == 1
    return [line.split(": ", 1)[1] for line in run.out.splitlines()]


def test_a_report_fact_without_a_section_is_refused(ctreport: Any, tmp_path: Path) -> None:
    problems = _validate_one(
        ctreport, tmp_path, "  - {id: x-1, kind: threat, source: chapter-dz-2019, statement: A threat.}\n"
    )
    assert problems == [
        "a fact from the report 'chapter-dz-2019' needs 'section': the chapter heading it comes from, "
        "e.g. 'Overview' or '2021 Terrorist Incidents'"
    ]


def test_a_long_key_phrase_is_refused(ctreport: Any, tmp_path: Path) -> None:
    phrase = " ".join(["word"] * 13)
    problems = _validate_one(
        ctreport,
        tmp_path,
        f"  - {{id: x-1, kind: threat, source: ministry-dz-2019, key_phrase: {phrase}, statement: A threat.}}\n",
    )
    assert problems == ["key_phrase has 13 words; keep it to at most 12, enough to find the passage"]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.h24info.ma/",
        "https://agora.ma",
        "http://example.org/?",
        "https://www.yabiladi.com/?lang=fr",
        "https://www.yabiladi.com/index.php",
        "https://www.yabiladi.com/fr/",
        "https://www.yabiladi.com/#x",
    ],
)
def test_an_outlet_home_page_is_not_an_address(ctreport: Any, tmp_path: Path, url: str) -> None:
    source = f"sources:\n  - {{id: outlet, kind: press, title: An article, url: '{url}'}}\n"
    problems = _validate_one(ctreport, tmp_path, "  - {id: x-1, kind: threat, source: outlet, statement: T.}\n", source)
    assert problems == [
        f"'{url}' is a home page, not the document; give the article's full address, "
        "or remove 'url' and say in 'note' why it is unknown"
    ]


def test_a_group_fact_needs_its_group(ctreport: Any, tmp_path: Path) -> None:
    problems = _validate_one(
        ctreport, tmp_path, "  - {id: x-1, kind: group, source: ministry-dz-2019, statement: A group.}\n"
    )
    assert problems == ["a group fact needs 'group'; add it"]


def test_json_stays_json_with_new_fields(ctreport: Any) -> None:
    run = ctreport(["groups", "--format", "ndjson"])
    assert [json.loads(line)["id"] for line in run.out.splitlines()] == ["s-group-aqim"]


def test_a_pivot_keeps_other_sources_figures_apart(ctreport: Any) -> None:
    run = ctreport(["arrests", "--pivot", "--format", "csv"])
    assert run.raw.splitlines()[1] == "DZ,Algeria,الجزائر,150*"
    assert "ctreport: note: figures from other sources than the report" in run.err


def test_only_facts_giving_the_same_figure_dispute_it() -> None:
    from ct_report.load import DataSelection, load_base
    from ct_report.query import disputed_by

    base = load_base(DataSelection.choose())
    reported = base.fact("s-arrests")
    assert reported is not None
    assert disputed_by(base, [reported], "arrested") == ["s-arrests-ministry"]
    assert disputed_by(base, [reported], "cells") == []


@pytest.mark.parametrize(
    "url",
    [
        "https://www.yabiladi.com/articles/details/137496",
        "https://example.org/fr/article-1",
        "https://a.org/x",
        "https://lj-bc.tv/?p=248496",
        "https://www.example.org/index.php?id=12&lang=fr",
    ],
)
def test_an_article_address_is_not_a_home_page(url: str) -> None:
    from ct_report.validate import is_home_page

    assert not is_home_page(url)
