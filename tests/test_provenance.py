"""Issue 5: from any answer to its source passage: show, sources, search, cite."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ct_report.text import decomposed_letters, fold


def test_show_a_fact_from_the_article(ctreport: Any) -> None:
    record = ctreport(["show", "ma-2021-arrests", "--json"]).json()
    assert record["statement"].startswith("Security services arrested at least 55")
    assert record["source"]["id"] == "press-ar-b83b063b" and record["source"]["language"] == "ar"
    context = record["context"]
    assert record["quote"] in context["sentence"]
    assert context["before"].endswith("عام 2021.")
    assert context["after"].startswith("وأكد التقرير أن عدد الاعتقالات")
    assert record["details"]["arrested"] == "at least 55"


def test_show_a_fact_from_a_press_source_without_text(ctreport: Any) -> None:
    record = ctreport(["show", "ma-2021-targets-foreigners", "--json"]).json()
    assert record["source"]["url"] == "https://www.yabiladi.com/articles/details/137496"
    assert record["quote"] is None and record["context"] is None


def test_show_text_lists_passage_and_source(ctreport: Any) -> None:
    out = ctreport(["show", "ma-2021-partner-gctf"]).out
    assert "المملكة تشارك حاليًا في رئاسة المنتدى العالمي لمكافحة الإرهاب (GCTF) مع كندا" in out
    assert "press-ar-b83b063b (press)" in out


def test_show_unknown_id(ctreport: Any) -> None:
    run = ctreport(["show", "ma-2021-arrest"])
    assert run.code == 2 and run.out == ""
    assert "unknown fact id 'ma-2021-arrest' (did you mean 'ma-2021-arrests'?)" in run.err


@pytest.mark.parametrize("command", ["arrests", "partners", "financing", "incidents", "search GCTF"])
def test_every_fact_id_shown_resolves_with_show(ctreport: Any, command: str) -> None:
    rows = ctreport([*command.split(), "--json"]).json()
    assert rows
    for row in rows:
        assert ctreport(["show", row["id"], "--json"]).json()["id"] == row["id"]


def test_summary_ids_resolve(ctreport: Any) -> None:
    overview = ctreport(["summary", "-c", "MA", "-y", "2021", "--json"]).json()
    for items in overview["sections"].values():
        for item in items:
            assert ctreport(["show", item["id"]]).code == 0


def test_sources_count_facts(ctreport: Any) -> None:
    rows = {r["id"]: r for r in ctreport(["sources", "--json"]).json()}
    assert rows["press-ar-b83b063b"]["facts"] == 23
    assert rows["press-ar-b83b063b"]["language"] == "ar"
    assert rows["yabiladi-137496"]["kind"] == "press"


@pytest.mark.parametrize(
    ("query", "expected_id"),
    [
        ("الارهاب", "ma-2021-report-release"),  # alef with hamza folded
        ("الاسد الافريقي", "ma-2021-partner-african-lion"),  # أ folded
        ("مستوحاه", "ma-2021-threat"),  # ta marbuta folded to ha
        ("oulemas", "ma-2021-cve-rabita"),  # accent folded
        ("OULÉMAS", "ma-2021-cve-rabita"),
        ("GCTF", "ma-2021-partner-gctf"),  # acronym finds the forum
        ("Egmont", "ma-2021-financing-egmont"),
        ("Global Counterterrorism Forum", "ma-2021-partner-gctf"),
    ],
)
def test_search_folds_both_languages(ctreport: Any, query: str, expected_id: str) -> None:
    ids = [r["id"] for r in ctreport(["search", query, "--json"]).json()]
    assert expected_id in ids


def test_search_ranks_a_name_match_above_a_passing_mention(ctreport: Any) -> None:
    rows = ctreport(["search", "canada", "--json"]).json()
    assert rows[0]["matched_in"] == ["name"]
    tail = [r for r in rows if r["matched_in"] != ["name"]]
    assert all(r["score"] < rows[0]["score"] for r in tail)


@pytest.mark.parametrize("query", ["terrorism", "the", "counterterrorism"])
def test_search_lists_the_best_score_first_then_by_id(ctreport: Any, query: str) -> None:
    rows = ctreport(["search", query, "--json"]).json()
    scores = [r["score"] for r in rows]
    assert len(set(scores)) > 1 and len(set(scores)) < len(scores)  # both orders are tested
    assert rows == sorted(rows, key=lambda r: (-r["score"], r["id"]))


def test_search_no_match(ctreport: Any) -> None:
    run = ctreport(["search", "zzzqqq", "--json"])
    assert run.code == 0 and run.out.strip() == "[]" and "nothing matched" in run.err
    failing = ctreport(["search", "zzzqqq", "--fail-empty"])
    assert failing.code == 3 and failing.out == ""


REPORT_2021 = "US Department of State, Bureau of Counterterrorism"
YABILADI = "Yabiladi article on the CRT 2021 Morocco chapter"
YABILADI_URL = "https://www.yabiladi.com/articles/details/137496"


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        (
            "plain",
            f"{REPORT_2021}. Country Reports on Terrorism 2021: Morocco. 2023. As reported by Yabiladi. {YABILADI}. "
            f"n.d. {YABILADI_URL} (press; fact ma-2021-targets-foreigners)",
        ),
        (
            "apa",
            f"{REPORT_2021}. (2023). Country Reports on Terrorism 2021: Morocco. As reported by Yabiladi. (n.d.). "
            f"{YABILADI}. {YABILADI_URL}",
        ),
        (
            "bibtex",
            "@techreport{crt-2021-morocco,\n  title = {Country Reports on Terrorism 2021: Morocco},\n"
            f"  author = {{{{{REPORT_2021}}}}},\n  institution = {{{{{REPORT_2021}}}}},\n  year = {{2023}},\n"
            f"  note = {{as reported by Yabiladi. {YABILADI}. n.d. {YABILADI_URL}; press; "
            "ctreport fact ma-2021-targets-foreigners}\n}",
        ),
    ],
)
def test_cite_names_the_report_first_for_a_press_fact(ctreport: Any, style: str, expected: str) -> None:
    run = ctreport(["cite", "ma-2021-targets-foreigners", "--style", style])
    assert run.code == 0, run.err
    assert run.out == expected + "\n"


def test_cite_a_report_fact_names_its_section(ctreport: Any) -> None:
    run = ctreport(["cite", "ma-2016-arrests"])
    assert run.out == (
        f"{REPORT_2021}. Country Reports on Terrorism 2016: Morocco. n.d. "
        "https://www.refworld.org/reference/annualreport/usdos/2017/en/117958 "
        "(report, section 'Legislation, Law Enforcement, and Border Security'; fact ma-2016-arrests)\n"
    )


def test_search_name_words_not_substrings(ctreport: Any) -> None:
    ids = [r["id"] for r in ctreport(["search", "US", "--json"]).json()]
    assert "ma-2021-partner-us" in ids
    assert "ma-2021-partner-defeat-isis-africa" not in ids  # "Focus" contains "us"


def test_search_finds_incident_descriptions_and_shows_disagreement(ctreport: Any) -> None:
    assert [r["id"] for r in ctreport(["search", "cleaver", "--json"]).json()] == ["tn-2021-incidents"]
    rows = ctreport(["search", "Global Terrorism Index", "--json"]).json()
    assert rows and all(r["conflicts_with"] for r in rows if r["kind"] == "incidents")


def test_lang_ar_in_summary_and_show(ctreport: Any) -> None:
    summary = ctreport(["summary", "-c", "MA", "-y", "2021", "--lang", "ar"]).out
    assert summary.startswith("المغرب \u2068(MA), 2021\u2069: التقارير القطرية عن الإرهاب \u20682021\u2069")
    assert "اعتقلت السلطات الأمنية المغربية ما لا يقل عن \u206855\u2069 شخصًا" in summary
    shown = ctreport(["show", "ma-2021-arrests", "--lang", "ar"]).out.splitlines()[1]
    assert shown.strip().startswith("اعتقلت")


def test_search_says_it_matched_an_incident_description(ctreport: Any) -> None:
    (row,) = ctreport(["search", "cleaver", "--json"]).json()
    assert row["matched_in"] == ["events"]


def test_show_header_in_arabic(ctreport: Any) -> None:
    assert ctreport(["show", "ma-2021-arrests", "--lang", "ar"]).out.startswith(
        "\u2068ma-2021-arrests\u2069 (اعتقالات): المغرب \u2068(MA), 2021, crt-2021\u2069"
    )


def test_cite_as_json(ctreport: Any) -> None:
    record = ctreport(["cite", "ma-2021-targets-foreigners", "--style", "apa", "--json"]).json()
    assert record == {
        "id": "ma-2021-targets-foreigners",
        "source": "yabiladi-137496",
        "style": "apa",
        "citation": f"{REPORT_2021}. (2023). Country Reports on Terrorism 2021: Morocco. As reported by Yabiladi. "
        f"(n.d.). {YABILADI}. {YABILADI_URL}",
    }


def _fold_by_every_character(text: str) -> str:
    """What `fold` does, looking at every character of the text for a combining mark."""
    if text.isascii():
        return text.casefold()
    decomposed = decomposed_letters(text)
    marks = {ord(c): None for c in set(decomposed) if unicodedata.combining(c) and not "\u0600" <= c <= "\u06ff"}
    return decomposed.translate(marks)


@given(st.text() | st.text(alphabet="aéÉ\u0301\u0300\u05c4\u0711ًُإأآةىـﻷﷺǅﬁ ", max_size=30))
def test_fold_strips_every_combining_mark_but_arabic_ones(text: str) -> None:
    assert fold(text) == _fold_by_every_character(text)


_TEXT = st.text(alphabet="ab c", max_size=12)


@given(
    word=st.text(alphabet="abc", min_size=1, max_size=5),
    entries=st.lists(st.tuples(st.lists(_TEXT, min_size=4, max_size=4), st.binary(max_size=3)), max_size=8),
)
def test_a_single_word_no_name_holds_scores_as_any_search(word: str, entries: list[tuple[list[str], bytes]]) -> None:
    from ct_report.provenance import _matches, _text_matches, _Word

    stored = [([f"id-{n}", [], *texts], row) for n, (texts, row) in enumerate(entries)]
    assert _text_matches(_Word.of(word), stored) == _matches([_Word.of(word)], stored, {})
