"""Issue 16: across countries and years: group counts, pivots, countries side by side,
timelines. Run on the fixture base (Morocco 2016–2023, neighbours in 2021)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from ct_report.analysis import short_figure, sparkline
from ct_report.model import Figure

# --- group counts -------------------------------------------------------------------------

PARTNER_COUNTS = [
    ("Global Counterterrorism Forum (GCTF)", 4, 5, ["MA"]),
    ("Spain", 3, 3, ["MA"]),
    ("United States", 3, 4, ["MA", "MR"]),
    ("African Lion", 2, 2, ["MA"]),
    ("Algeria", 2, 2, ["MA"]),
    ("Belgium", 2, 2, ["MA"]),
    ("France", 2, 2, ["MA"]),
    ("Global Coalition to Defeat ISIS", 2, 2, ["MA"]),
    ("Trans-Sahara Counterterrorism Partnership (TSCTP)", 2, 2, ["MA"]),
    ("5+5 Defence Initiative", 1, 1, ["MA"]),
    ("Defeat-ISIS Coalition Africa Focus Group", 1, 1, ["MA"]),
    ("Defeat-ISIS Coalition working group on countering violent extremism", 1, 1, ["MA"]),
    ("Morocco", 1, 1, ["DZ"]),
]


def test_partners_by_name_counts_country_years_not_rows(ctreport: Any) -> None:
    rows = ctreport(["partners", "--by", "partner_name", "--json"]).json()
    assert [(r["partner_name"], r["count"], r["rows"], r["countries"]) for r in rows] == PARTNER_COUNTS
    # The GCTF is named five times in four country-years (2016 twice: co-chair and founder).
    gctf = rows[0]
    assert gctf["ids"] == [
        "ma-2016-partner-gctf",
        "ma-2016-partner-gctf-founding",
        "ma-2017-partner-gctf",
        "ma-2020-partner-gctf",
        "ma-2021-partner-gctf",
    ]
    assert list(gctf) == ["partner_name", "count", "rows", "countries", "ids"]


def test_group_counts_in_every_format(ctreport: Any) -> None:
    args = ["partners", "--by", "country,year", "--fields", "country,year,count,rows,countries"]
    assert ctreport([*args, "--format", "plain"]).out == (
        "country\tyear\tcount\trows\tcountries\n"
        "DZ\t2021\t1\t1\tDZ\n"
        "MA\t2016\t1\t3\tMA\n"
        "MA\t2017\t1\t7\tMA\n"
        "MA\t2019\t1\t3\tMA\n"
        "MA\t2020\t1\t1\tMA\n"
        "MA\t2021\t1\t11\tMA\n"
        "MA\t2022\t1\t1\tMA\n"
        "MR\t2021\t1\t1\tMR\n"
    )
    csv_rows = list(
        csv.reader(io.StringIO(ctreport([*args, "--format", "csv", "--sort", "-rows", "--limit", "2"]).raw))
    )
    assert csv_rows == [
        ["country", "year", "count", "rows", "countries"],
        ["MA", "2021", "1", "11", "MA"],
        ["MA", "2017", "1", "7", "MA"],
    ]
    assert ctreport([*args, "--format", "ndjson", "--limit", "1"]).out == (
        '{"country": "DZ", "year": 2021, "count": 1, "rows": 1, "countries": ["DZ"]}\n'
    )
    assert ctreport([*args, "--format", "yaml", "--limit", "1"]).out == (
        "- country: DZ\n  year: 2021\n  count: 1\n  rows: 1\n  countries:\n  - DZ\n"
    )
    markdown = ctreport(["financing", "--by", "acronym,holder", "--format", "markdown"]).out
    assert markdown.startswith(
        "**Countering the financing of terrorism: group counts by acronym,holder**\n\n"
        "| acronym | holder | count | rows | countries | ids |\n|---|---|---|---|---|---|\n"
        "| MENAFATF | state | 3 | 3 | MA; MR | ma-2021-financing-menafatf; ma-2023-financing-menafatf; mr-2020-financing-menafatf |\n"
        "| Egmont | fiu | 2 | 2 | MA | ma-2021-financing-egmont; ma-2023-financing-egmont |\n"
        "| CIFG | state | 1 | 1 | MA | ma-2021-financing-cifg |\n"
    )
    # The sources of the grouped rows stay in the footer.
    assert "Source: " in markdown.splitlines()[-1]
    table = ctreport(["financing", "--by", "acronym", "--format", "table"]).out
    words = " ".join(table.split())  # the title wraps to the table's width
    assert "group counts by acronym" in words and "MENAFATF" in words


def test_group_counts_by_region(ctreport: Any) -> None:
    rows = ctreport(["incidents", "--by", "region", "--json"]).json()
    assert [(r["region"], r["count"], r["rows"], r["countries"]) for r in rows] == [
        # Algeria 2021 has two incident figures that disagree: two rows, one country-year.
        ("crt:middle-east-and-north-africa", 8, 9, ["DZ", "MA", "TN"]),
        ("crt:africa", 1, 1, ["MR"]),
    ]
    m49 = ctreport(["incidents", "--by", "m49_region", "--fields", "m49_region,count", "-f", "csv"]).raw
    assert m49 == "m49_region,count\r\nm49:northern-africa,8\r\nm49:western-africa,1\r\n"


def test_a_list_field_counts_each_value(ctreport: Any) -> None:
    # A partner's regions: France counts under Western Europe, Europe and the CRT's Europe.
    rows = ctreport(
        ["partners", "--year", "2021", "--relation", "strong-cooperation", "--by", "regions", "--json"]
    ).json()
    counts = {r["regions"]: r["rows"] for r in rows}
    assert counts["crt:europe"] == 3 and counts["m49:western-europe"] == 2 and counts["m49:southern-europe"] == 1


def test_group_counts_without_countries(ctreport: Any) -> None:
    rows = ctreport(["sources", "--by", "kind", "--json"]).json()
    assert [(r["kind"], r["count"]) for r in rows] == [("press", 11), ("report", 7)]
    assert "countries" not in rows[0]


def test_group_count_errors(ctreport: Any) -> None:
    run = ctreport(["partners", "--by", "partnr"])
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("ctreport: unknown field 'partnr' to group by (did you mean 'partner'?); valid: ")
    assert len(run.err.splitlines()) == 1
    run = ctreport(["partners", "--by", "country,"])
    assert run.code == 2 and "empty field in 'country,'" in run.err
    # region is derived from the country: sources have none.
    assert ctreport(["sources", "--by", "region"]).code == 2


def test_group_counts_count_groups(ctreport: Any) -> None:
    assert ctreport(["partners", "--by", "partner_name", "--count"]).out == f"{len(PARTNER_COUNTS)}\n"


def unisolated(text: str) -> str:
    """Arabic plain text without the isolates (FSI, PDI) that keep left-to-right runs in place."""
    return text.replace("\u2068", "").replace("\u2069", "")


def test_group_counts_speak_arabic(ctreport: Any) -> None:
    out = ctreport(["incidents", "--by", "country_name", "--lang", "ar", "--fields", "country_name,count"]).out
    assert unisolated(out.splitlines()[1]) == "المغرب\t6"
    # JSON keeps the English field; the Arabic one is a field of its own.
    rows = ctreport(["incidents", "--by", "country_name_ar", "--lang", "ar", "--json"]).json()
    assert rows[0]["country_name_ar"] == "المغرب"


@pytest.mark.parametrize("command", ["arrests", "incidents", "partners", "financing", "groups", "coverage"])
def test_every_fact_list_takes_group_counts(ctreport: Any, command: str) -> None:
    run = ctreport([command, "--by", "country", "--json"])
    assert run.code == 0, run.err
    rows = json.loads(run.out) if run.out else []
    full = ctreport([command, "--json"])
    total = len(json.loads(full.out)) if full.out else 0
    assert sum(r["rows"] for r in rows) == total


# --- pivots ---------------------------------------------------------------------------------

ANALYSIS = Path(__file__).parent / "fixtures" / "analysis"
NEIGHBOURS = ["--add", str(ANALYSIS)]
"""Invented Algerian and Tunisian figures added to the fixture base (see its README)."""

ARRESTS_GRID = [
    ["country", "country_name", "country_name_ar", "2016", "2017", "2018", "2019", "2020", "2021", "2022", "2023"],
    ["DZ", "Algeria", "الجزائر", "—", "—", "—", "—", "~1000", ">800", "—", "—"],
    ["MA", "Morocco", "المغرب", "161*", "186", "71*", "~2× 2018", "≥35", "≥55", "≥20", "≥56"],
    ["MR", "Mauritania", "موريتانيا", "—", "—", "—", "—", "—", "—", "—", "—"],
    ["TN", "Tunisia", "تونس", "—", "—", "—", "—", "—", "120", "—", "—"],
]
ARRESTS_NOTES = [
    "≥N: at least N, a lower bound",
    ">N: more than N, a lower bound",
    "~N: about N",
    "N*: reportedly N (the source attributes the figure to others)",
    "~2× 2018: no number, only a comparison with another year, as the source words it",
    "—: no figure recorded (not zero)",
]


def test_arrests_pivot_in_every_format(ctreport: Any) -> None:
    args = ["arrests", "--pivot", *NEIGHBOURS]
    run = ctreport([*args, "--format", "csv"])
    assert list(csv.reader(io.StringIO(run.raw))) == ARRESTS_GRID
    # One footnote per kind of qualifier, beside the grid rather than inside it.
    assert run.err.splitlines() == [f"ctreport: note: {note}" for note in ARRESTS_NOTES]
    assert ctreport([*args, "--format", "plain"]).out == "".join("\t".join(r) + "\n" for r in ARRESTS_GRID)
    header, *rows = ARRESTS_GRID
    assert ctreport([*args, "--json"]).json() == [dict(zip(header, row, strict=True)) for row in rows]
    ndjson = ctreport([*args, "--format", "ndjson"]).out.splitlines()
    assert [json.loads(line) for line in ndjson] == [dict(zip(header, row, strict=True)) for row in rows]
    markdown = ctreport([*args, "--format", "markdown"]).out.split("\n")
    assert markdown[:8] == [
        "**People arrested for terrorism**",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        # Markdown escapes HTML: a lower bound is written &gt;800, and reads >800 once rendered.
        *("| " + " | ".join(cell.replace(">", "&gt;") for cell in row) + " |" for row in rows),
    ]
    assert markdown[9].startswith("; ".join(ARRESTS_NOTES).replace(">", "&gt;") + ". Source: ecoi-2065420 (report), ")
    assert "t-press-tn (press)" in markdown[9]
    table = ctreport([*args, "--format", "table"])
    assert table.code == 0 and "~2× 2018" in table.out and "≥N: at least N" in table.out
    assert table.err == ""


def test_incidents_pivot_keeps_disagreement_and_zero(ctreport: Any) -> None:
    run = ctreport(["incidents", "--pivot", "--since", "2020", "--format", "csv"])
    assert list(csv.reader(io.StringIO(run.raw))) == [
        ["country", "country_name", "country_name_ar", "2020", "2021", "2022", "2023"],
        # Algeria: the CRT's 0; the Global Terrorism Index's 3 is another source, left out and said so.
        ["DZ", "Algeria", "الجزائر", "—", "0", "—", "—"],
        # 0 where the source says none; '?' where it does not confirm a figure; never 0 for a gap.
        ["MA", "Morocco", "المغرب", "0", "0", "0", "?"],
        ["MR", "Mauritania", "موريتانيا", "—", "0", "—", "—"],
        ["TN", "Tunisia", "تونس", "—", "2", "—", "—"],
    ]
    assert run.err.splitlines() == [
        "ctreport: note: ?: not confirmed by the source",
        "ctreport: note: —: no figure recorded (not zero)",
        "ctreport: note: figures from other sources than the report (national authorities' counts, other indexes) "
        "are left out; the list command gives them",
    ]


def test_pivot_filters_and_rows_options(ctreport: Any) -> None:
    run = ctreport(["arrests", "--pivot", "-c", "MA", "--until", "2017", "--fields", "country,2016,2017", "-f", "csv"])
    assert run.raw == "country,2016,2017\r\nMA,161*,186\r\n"
    assert ctreport(["arrests", "--pivot", "--count", *NEIGHBOURS]).out == "4\n"
    ar = ctreport(["arrests", "--pivot", "-c", "MA", "-y", "2021", "--lang", "ar", "-f", "plain"]).out
    assert unisolated(ar.splitlines()[1]) == "MA\tالمغرب\tالمغرب\t≥55"
    run = ctreport(["arrests", "--pivot", "--by", "country"])
    assert run.code == 2 and run.err == "ctreport: --pivot and --by give two different answers; choose one\n"


@pytest.mark.parametrize(
    ("figure", "cell", "note"),
    [
        (Figure("exact", 186), "186", None),
        (Figure("exact", 0, "none reported"), "0", None),
        (Figure("at-least", 55), "≥55", "at-least"),
        (Figure("more-than", 20), ">20", "more-than"),
        (Figure("about", 1000), "~1000", "about"),
        (Figure("reportedly", 71), "71*", "reportedly"),
        (Figure("unconfirmed", 4), "4?", "unconfirmed"),
        (Figure("unconfirmed", None, "not confirmed by the source"), "?", "unconfirmed"),
        (Figure("relative", None, "roughly double the 2018 number"), "~2× 2018", "relative"),
        (Figure("relative", None, "twice as many as in 2019"), "2× 2019", "relative"),
        (Figure("relative", None, "fewer than the year before"), "fewer than the year before", "relative"),
    ],
)
def test_short_figures(figure: Figure, cell: str, note: str | None) -> None:
    assert short_figure(figure) == (cell, note)


def test_sparklines() -> None:
    assert sparkline([161, 186, 71, None, 35, 55, 20, 56]) == "▇█▄ ▂▃▂▃"
    assert sparkline([None, None]) == "  "
    assert sparkline([0, 0]) == "▁▁"


def test_terminal_tables_of_figures_get_a_sparkline_per_country(ctreport: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from ct_report.render import Terminal

    monkeypatch.setattr(
        Terminal, "detect", classmethod(lambda cls, no_color=False, **_: cls(sys.stdout, sys.stderr, True, False))
    )
    monkeypatch.setenv("COLUMNS", "250")
    lines = ctreport(["arrests", *NEIGHBOURS, "--since", "2020"]).out.splitlines()
    header = next(line for line in lines if "sparkline" in line)
    assert header.split() == [
        "country",
        "year",
        "arrested",
        "trend",
        "operations",
        "cells",
        "source_kind",
        "id",
        "sparkline",
    ]
    rows = [line.split() for line in lines if line.strip().startswith(("DZ", "MA", "TN"))]
    # The first row of each country carries its sparkline over 2020–2023; gaps are spaces.
    assert [r[-1] for r in rows if r[1] == "2020"] == ["█▇", "▅█▃█"]
    # Later rows of a country leave the cell blank (not "—", which would read as no figure).
    assert any(line.rstrip().endswith("ma-2021-arrests") for line in lines)
    pivot = ctreport(["arrests", "--pivot", *NEIGHBOURS, "--since", "2020"]).out
    assert "▅█▃█" in pivot and "trend" in pivot


# --- countries side by side -----------------------------------------------------------------


def test_compare_countries_with_a_figure_missing_on_one_side(ctreport: Any) -> None:
    result = ctreport(["compare", "--year", "2021", "MA", "DZ", "--json"]).json()
    assert [c["country"] for c in result["countries"]] == ["MA", "DZ"]
    arrested = result["measures"]["arrested"]
    assert arrested["figures"] == {"MA": "at least 55", "DZ": None}
    assert arrested["ids"] == {"MA": "ma-2021-arrests", "DZ": None}
    (difference,) = arrested["differences"]
    assert (difference["from"], difference["to"], difference["difference"]) == ("MA", "DZ", None)
    assert difference["change"] == "not comparable: no figure is recorded for DZ"
    # Algeria's incidents: the CRT's 0 is compared, the index that disagrees is named.
    incidents = result["measures"]["incidents"]
    assert incidents["ids"] == {"MA": "ma-2021-incidents", "DZ": "dz-2021-incidents-crt"}
    assert incidents["disputed"] == ["dz-2021-incidents-gti"]
    assert incidents["differences"][0]["change"] == "the same"
    relations = {(r["name"], r["relation"]): r for r in result["relations"]}
    assert relations[("Spain", "strong-cooperation")]["named_by"] == ["MA"]
    assert relations[("Spain", "strong-cooperation")]["not_named_by"] == ["DZ"]
    assert relations[("Morocco", "tension")]["ids"] == ["dz-2021-partner-ma"]
    # Algeria records no financing memberships: they are not compared, and a note says so.
    assert not any(r["kind"] == "financing" for r in result["relations"])
    assert result["notes"] == [
        "financing memberships are recorded for MA only in 2021, so financing memberships are not compared"
    ]


def test_compare_countries_keeps_qualifiers(ctreport: Any) -> None:
    result = ctreport(["compare", "--year", "2021", "Morocco", "DZ", "TN", *NEIGHBOURS, "--json"]).json()
    assert [d["change"] for d in result["measures"]["arrested"]["differences"]] == [
        "+745 between lower bounds; the exact change is unknown",
        "+65 between the figures as given (at-least → exact); the exact change is unknown",
    ]
    groups = [(r["name"], r["named_by"], r["not_named_by"]) for r in result["relations"] if r["kind"] == "group"]
    # Tunisia records no groups: neither named nor 'not named' by it.
    assert groups == [
        ("Al-Qa'ida in the Islamic Maghreb (AQIM)", ["DZ"], ["MA"]),
        ("Islamic State (ISIS)", ["MA"], ["DZ"]),
    ]
    assert "no groups are recorded for TN in 2021, so its groups are not compared" in result["notes"]


def test_compare_countries_as_text_and_rows(ctreport: Any) -> None:
    lines = ctreport(["compare", "--year", "2021", "MA", "DZ"]).out.splitlines()
    assert lines[:3] == [
        "2021: Morocco (MA), Algeria (DZ)",
        "  arrested: MA at least 55 [ma-2021-arrests]; DZ no figure",
        "    MA → DZ: not comparable: no figure is recorded for DZ",
    ]
    assert "  Morocco: tension: named for DZ [dz-2021-partner-ma]; not among the MA facts" in lines
    assert lines[-1] == (
        "  note: financing memberships are recorded for MA only in 2021, so financing memberships are not compared"
    )
    rows = list(csv.reader(io.StringIO(ctreport(["compare", "--year", "2021", "MA", "DZ", "TN", "-f", "csv"]).raw)))
    assert rows[0] == ["year", "item", "MA", "DZ", "TN", "difference", "ids"]
    assert rows[1] == [
        "2021",
        "arrested",
        "at least 55",
        "",
        "",
        "MA → DZ: not comparable: no figure is recorded for DZ; MA → TN: not comparable: no figure is recorded for TN",
        "ma-2021-arrests",
    ]
    assert [
        "2021",
        "Spain: strong-cooperation",
        "named",
        "not mentioned",
        "not recorded",
        "",
        "ma-2021-partner-es",
    ] in rows
    assert unisolated(ctreport(["compare", "--year", "2021", "MA", "DZ", "--lang", "ar"]).out).startswith(
        "2021: المغرب (MA), الجزائر (DZ)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["abc", "2021"], "compare takes two years (ctreport compare 2020 2021), or --year and two or more countries"),
        (["2020"], "compare takes two years"),
        (["MA", "DZ"], "compare takes two years"),
        (["--year", "2021", "MA", "2020"], "with --year, compare takes one year and the countries as arguments"),
        (
            ["--year", "2021", "MA", "DZ", "-c", "TN"],
            "with --year, compare takes one year and the countries as arguments",
        ),
        (["--year", "2021", "MA", "Morocco"], "comparing countries needs two or more different countries"),
        (["--year", "2021", "MA", "Atlantis"], "unknown country 'Atlantis'"),
        (["--year", "1990", "MA", "DZ"], "no facts for year 1990"),
    ],
)
def test_the_two_forms_of_compare_cannot_be_confused(ctreport: Any, args: list[str], message: str) -> None:
    run = ctreport(["compare", *args])
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("ctreport: ") and message in run.err and len(run.err.splitlines()) == 1


# --- timelines ------------------------------------------------------------------------------


def test_timeline_is_the_year_comparison_of_each_pair_of_years(ctreport: Any) -> None:
    (timeline,) = ctreport(["timeline", "--country", "MA", *NEIGHBOURS, "--json"]).json()
    assert timeline["years"] == [2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023]
    assert len(timeline["steps"]) == 7
    for step, (a, b) in zip(timeline["steps"], itertools.pairwise(timeline["years"]), strict=True):
        (compared,) = ctreport(["compare", str(a), str(b), "-c", "MA", *NEIGHBOURS, "--json"]).json()
        assert step == compared
    rows = ctreport(["timeline", "-c", "MA", "--since", "2021", *NEIGHBOURS, "-f", "csv"]).raw
    compared_rows = [
        ctreport(["compare", a, b, "-c", "MA", *NEIGHBOURS, "-f", "csv"]).raw.split("\r\n", 1)
        for a, b in (("2021", "2022"), ("2022", "2023"))
    ]
    assert rows == compared_rows[0][0] + "\r\n" + "".join(body for _, body in compared_rows)


def test_timeline_text_says_what_is_added_and_dropped(ctreport: Any) -> None:
    lines = ctreport(["timeline", "-c", "MA", "--since", "2021", "--until", "2022", *NEIGHBOURS]).out.splitlines()
    assert lines[:2] == ["Morocco (MA): 2021–2022", "  2021 → 2022"]
    assert "    + Global Coalition to Defeat ISIS: host [ma-2022-partner-defeat-isis-ministerial]" in lines
    assert "    − Spain: strong-cooperation [ma-2021-partner-es]" in lines
    assert "    + Al-Qa'ida in the Islamic Maghreb (AQIM): named [t-ma-2022-group-aqim]" in lines
    assert "    operations: 11 → 10: -1 [ma-2021-arrests, ma-2022-arrests]" in lines


def test_timeline_of_every_country(ctreport: Any) -> None:
    timelines = ctreport(["timeline", "--json"]).json()
    # Only countries with two years or more; Mauritania has 2020 and 2021.
    assert [(t["country"], len(t["steps"])) for t in timelines] == [("MA", 7), ("MR", 1)]
    single = ctreport(["timeline", "-c", "TN"])
    assert single.out == "Tunisia (TN): 2021\n  only 2021 has facts: nothing to compare\n"


def test_a_field_given_twice_to_group_by_is_refused(ctreport: Any) -> None:
    run = ctreport(["partners", "--by", "country,country"])
    assert run.code == 2 and run.out == ""
    assert run.err == "ctreport: field 'country' is given twice to group by; give each field once\n"
