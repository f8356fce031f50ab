"""Issue 4: the Morocco series 2016–2023, neighbours, incidents, compare, coverage."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ct_report.model import Figure
from ct_report.query import figure_change


def test_morocco_arrest_series_exactly_as_sourced(ctreport: Any) -> None:
    rows = ctreport(["arrests", "--country", "MA", "--json"]).json()
    series = [(r["year"], r["arrested"], r["arrested_value"], r["arrested_qualifier"], r["source_kind"]) for r in rows]
    assert series == [
        (2016, "161 (reportedly)", 161, "reportedly", "report"),
        (2017, "186", 186, "exact", "report"),
        (2018, "71 (reportedly)", 71, "reportedly", "press"),
        (2019, "roughly double the 2018 number", None, "relative", "press"),
        (2020, "at least 35", 35, "at-least", "report"),
        (2021, "at least 55", 55, "at-least", "press"),
        (2022, "at least 20", 20, "at-least", "press"),
        (2023, "at least 56 (40 acting alone, 16 members of six cells)", 56, "at-least", "press"),
    ]
    by_year = {r["year"]: r for r in rows}
    assert (by_year[2016]["cells_value"], by_year[2018]["cells"], by_year[2020]["cells_value"]) == (
        18,
        "more than 20",
        7,
    )
    assert by_year[2017]["operations"] is None and by_year[2017]["cells"] is None  # not given: absent, not zero
    assert (by_year[2021]["operations_value"], by_year[2022]["operations_value"], by_year[2023]["cells_value"]) == (
        11,
        10,
        6,
    )


def test_since_and_until(ctreport: Any) -> None:
    rows = ctreport(["arrests", "-c", "MA", "--since", "2019", "--until", "2021", "--json"]).json()
    assert [r["year"] for r in rows] == [2019, 2020, 2021]


def test_arrests_bars_only_on_a_terminal() -> None:
    import io

    from ct_report.kinds import FIELDS
    from ct_report.render import Options, Terminal, add_bars, render_rows

    rows = [
        {"year": 2020, "arrested": "at least 35", "arrested_value": 35, "arrested_qualifier": "at-least"},
        {"year": 2019, "arrested": "roughly double", "arrested_value": None, "arrested_qualifier": "relative"},
        {"year": 2017, "arrested": "70", "arrested_value": 70, "arrested_qualifier": "exact"},
    ]
    fields = add_bars(rows, [f for f in FIELDS["arrests"] if f.name in ("year", "arrested")], "arrested")
    assert [r["trend"] for r in rows] == ["█" * 8 + "+", "?", "█" * 16]
    buffer = io.StringIO()
    render_rows(rows, fields, Options("table"), Terminal(buffer, io.StringIO(), is_tty=True, color=False))
    assert "████████+" in buffer.getvalue()


def test_piped_arrests_have_no_bars(ctreport: Any) -> None:
    run = ctreport(["arrests", "-c", "MA"])
    assert "█" not in run.out
    assert "trend" not in run.out.splitlines()[0].split("\t")


def test_incidents_with_descriptions(ctreport: Any) -> None:
    rows = ctreport(["incidents", "-c", "TN", "-y", "2021", "--json"]).json()
    assert rows[0]["incidents_value"] == 2
    assert [e[:10] for e in rows[0]["events"]] == ["2021-03-11", "2021-11-26"]


def test_disagreement_between_sources_is_shown(ctreport: Any) -> None:
    rows = ctreport(["incidents", "-c", "DZ", "-y", "2021", "--json"]).json()
    assert sorted((r["incidents_value"], r["source_kind"]) for r in rows) == [(0, "press"), (3, "press")]
    for row in rows:
        assert row["conflicts_with"], row["id"]
    summary = ctreport(["summary", "-c", "DZ", "-y", "2021"]).out
    assert summary.count("incidents") >= 2


def test_a_year_without_a_figure_is_unknown_not_zero(ctreport: Any) -> None:
    rows = ctreport(["arrests", "-c", "MA", "-y", "2019", "--json"]).json()
    assert rows[0]["arrested_value"] is None
    assert rows[0]["arrested"] == "roughly double the 2018 number"


def test_compare_2020_2021(ctreport: Any) -> None:
    result = ctreport(["compare", "2020", "2021", "--country", "MA", "--json"]).json()
    assert len(result) == 1
    arrested = result[0]["measures"]["arrested"]
    assert (arrested["before"], arrested["after"], arrested["difference"], arrested["exact"]) == (
        "at least 35",
        "at least 55",
        20,
        False,
    )
    assert "lower bounds" in arrested["change"]
    changes = {(g["name"], g["relation"]): g["change"] for g in result[0]["relations"]}
    assert changes[("Belgium", "strong-cooperation")] == "mentioned for 2021, not among the 2020 facts"
    # 2020 records no financing memberships: absence in the data is not reported as a change.
    assert not any("MENAFATF" in name for name, _ in changes)
    assert result[0]["notes"] == [
        "no financing memberships are recorded for 2020, so financing memberships are not compared"
    ]
    text = ctreport(["compare", "2020", "2021", "-c", "MA"]).out
    assert "arrested: at least 35 → at least 55: +20 between lower bounds; the exact change is unknown" in text


@pytest.mark.parametrize(
    ("before", "after", "change", "exact"),
    [
        (
            Figure("at-least", 35),
            Figure("at-least", 55),
            "+20 between lower bounds; the exact change is unknown",
            False,
        ),
        (Figure("exact", 186), Figure("exact", 161), "-25", True),
        (
            Figure("exact", 71),
            Figure("at-least", 35),
            "-36 between the figures as given (exact → at-least); the exact change is unknown",
            False,
        ),
        (
            Figure("exact", 71),
            Figure("relative", None, "roughly double"),
            "not comparable: the source gives no number (roughly double)",
            False,
        ),
        (None, Figure("exact", 3), "not comparable: no figure is recorded", False),
    ],
)
def test_qualifier_aware_change(before: Figure | None, after: Figure, change: str, exact: bool) -> None:
    result = figure_change(before, after)
    assert (result["change"], result["exact"]) == (change, exact)


def test_coverage(ctreport: Any) -> None:
    rows = ctreport(["coverage", "--json"]).json()
    covered = {(r["country"], r["year"]) for r in rows}
    assert {("MA", y) for y in range(2016, 2024)} <= covered
    assert {("MR", 2021), ("TN", 2021), ("DZ", 2021)} <= covered
    kinds = {(r["country"], r["year"]): r["source_kinds"] for r in rows}
    assert kinds[("MA", 2020)] == "report" and kinds[("MA", 2021)] == "press"


@pytest.mark.parametrize("key", [("MA", 2016), ("MA", 2019), ("MA", 2023), ("MR", 2021), ("TN", 2021), ("DZ", 2021)])
def test_summary_for_every_covered_country_year(ctreport: Any, key: tuple[str, int]) -> None:
    overview = ctreport(["summary", "-c", key[0], "-y", str(key[1]), "--json"]).json()
    assert (overview["country"], overview["year"]) == key
    assert overview["sources"]


def test_compare_swaps_years_given_later_first_and_says_so(ctreport: Any) -> None:
    run = ctreport(["compare", "2021", "2020", "-c", "MA", "--json"])
    assert run.code == 0, run.err
    assert [(r["year_a"], r["year_b"]) for r in json.loads(run.out)] == [(2020, 2021)]
    assert run.err == "ctreport: note: comparing 2020 with 2021, the earlier year first\n"


def test_compare_in_tabular_formats(ctreport: Any) -> None:
    run = ctreport(["compare", "2020", "2021", "-c", "MA", "--format", "csv"])
    assert run.code == 0, run.err
    header = run.out.splitlines()[0]
    assert header == "country,year_a,year_b,item,before,after,change,ids"
    assert "arrested,at least 35,at least 55" in run.out


def test_compare_and_coverage_speak_arabic_names(ctreport: Any) -> None:
    out = ctreport(["compare", "2020", "2021", "-c", "MA", "--lang", "ar"]).out
    assert out.startswith("المغرب \u2068(MA): 2020 → 2021\u2069")
    rows = ctreport(["coverage", "-c", "MA", "-y", "2021", "--lang", "ar", "--fields", "country_name,year"]).out
    assert rows.splitlines()[1] == "المغرب\t\u20682021\u2069"


def test_compare_same_year_hint(ctreport: Any) -> None:
    run = ctreport(["compare", "2020", "2020"])
    assert run.code == 2 and "two different years, e.g. ctreport compare 2019 2020" in run.err
