"""The core commands, end to end through the CLI, against the bundled fact base."""

from __future__ import annotations

import json
from typing import Any

import pytest


def test_version(ctreport: Any) -> None:
    run = ctreport(["--version"])
    assert run.code == 0
    assert run.out.startswith("ctreport ")


def test_arrests_json_keeps_qualifier_and_source(ctreport: Any) -> None:
    rows = ctreport(["arrests", "--country", "MA", "--year", "2021", "--json"]).json()
    assert len(rows) == 1
    row = rows[0]
    assert row["arrested"] == "at least 55"
    assert (row["arrested_value"], row["arrested_qualifier"]) == (55, "at-least")
    assert (row["operations_value"], row["operations_qualifier"]) == (11, "exact")
    assert row["targets"] == ["public buildings", "public figures", "government security-service buildings"]
    assert row["comparison"] == "lower than in the years before the COVID-19 pandemic"
    assert row["source"] == "press-ar-b83b063b" and row["source_kind"] == "press"
    assert row["id"] == "ma-2021-arrests"
    assert "55" in row["quote"]


def test_arrests_plain_when_piped(ctreport: Any) -> None:
    run = ctreport(["arrests", "--year", "2021", "--country", "MA"])
    assert run.code == 0, run.err
    header, *lines = run.out.splitlines()
    assert len(lines) == 1
    row = dict(zip(header.split("\t"), lines[0].split("\t"), strict=True))
    assert (row["country"], row["country_name"], row["year"], row["arrested"]) == (
        "MA",
        "Morocco",
        "2021",
        "at least 55",
    )
    assert row["country_name_ar"] == "المغرب"
    for char in "─│┃━\x1b":
        assert char not in run.out


@pytest.mark.parametrize("region", ["europe", "Europe", "EUROPE", "m49:europe", "crt:europe", "western-europe"])
def test_partners_region_europe(ctreport: Any, region: str) -> None:
    rows = ctreport(["partners", "--region", region, "--country", "MA", "--year", "2021", "--json"]).json()
    names = sorted(r["partner_name"] for r in rows)
    expected = ["Belgium", "France"] if region == "western-europe" else ["Belgium", "France", "Spain"]
    assert names == expected


def test_partners_region_mena_matches_organisation_scope(ctreport: Any) -> None:
    rows = ctreport(["partners", "--region", "Middle East and North Africa", "--json", "-c", "MA", "-y", "2021"]).json()
    assert sorted(r["partner_name"] for r in rows) == ["Algeria"]


def test_partners_region_africa_includes_exercise_and_partnership(ctreport: Any) -> None:
    rows = ctreport(["partners", "--region", "africa", "--json", "-c", "MA", "-y", "2021"]).json()
    assert {r["partner"] for r in rows} >= {"african-lion", "tsctp", "DZ"}


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--kind", "country", {"US", "BE", "FR", "ES", "DZ"}),
        ("--kind", "forum", {"gctf"}),
        ("--relation", "co-chair", {"gctf", "defeat-isis-africa-focus-group"}),
        ("--relation", "tension", {"DZ"}),
    ],
)
def test_partners_filters(ctreport: Any, option: str, value: str, expected: set[str]) -> None:
    rows = ctreport(["partners", option, value, "-c", "MA", "-y", "2021", "--json"]).json()
    assert {r["partner"] for r in rows} == expected


def test_gctf_co_chair_names_canada(ctreport: Any) -> None:
    rows = ctreport(["partners", "--relation", "co-chair", "-c", "MA", "-y", "2021", "--json"]).json()
    gctf = next(r for r in rows if r["partner"] == "gctf")
    assert gctf["alongside"] == ["Canada"]


def test_financing_bodies_and_holders(ctreport: Any) -> None:
    rows = ctreport(["financing", "-c", "MA", "-y", "2021", "--json"]).json()
    assert {(r["acronym"], r["holder"]) for r in rows} == {("MENAFATF", "state"), ("Egmont", "fiu"), ("CIFG", "state")}


@pytest.mark.parametrize("country", ["MA", "ma", "MAR", "Morocco", "morocco", "المغرب"])
def test_country_forms(ctreport: Any, country: str) -> None:
    rows = ctreport(["financing", "--country", country, "--year", "2021", "--json"]).json()
    assert rows and {r["country"] for r in rows} == {"MA"}


def test_summary_is_one_object_with_every_section(ctreport: Any) -> None:
    overview = ctreport(["summary", "-c", "MA", "-y", "2021", "--json"]).json()
    assert isinstance(overview, dict)
    assert (overview["country"], overview["year"], overview["edition"]) == ("MA", 2021, "crt-2021")
    for section in ("strategy", "threat", "incidents", "arrests", "partner", "financing", "cve", "capacity"):
        assert overview["sections"][section], section
    assert {s["id"] for s in overview["sources"]} >= {"press-ar-b83b063b"}


def test_summary_text(ctreport: Any) -> None:
    run = ctreport(["summary", "-c", "MA", "-y", "2021"])
    assert run.code == 0, run.err
    assert run.out.startswith("Morocco (MA), 2021: Country Reports on Terrorism 2021\n")
    assert "at least 55 people in 11 counterterrorism operations" in run.out
    assert "[ma-2021-arrests; press-ar-b83b063b, press]" in run.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["partners", "--region", "eurpe"], "unknown region 'eurpe' (did you mean 'europe'?)"),
        (["arrests", "--country", "Moroco"], "unknown country 'Moroco' (did you mean 'Morocco'?)"),
        (["arrests", "--year", "1850"], "no facts for year 1850; years covered:"),
        (["partners", "--kind", "forrum"], "unknown kind 'forrum' (did you mean 'forum'?)"),
        (["partners", "--relation", "memb"], "unknown relation 'memb' (did you mean 'member'?)"),
        (["arrests", "--format", "jsn"], "unknown format 'jsn' (did you mean 'json'?)"),
        (["arrests", "--fields", "id,cuontry"], "unknown field 'cuontry' for arrests (did you mean 'country'?)"),
    ],
)
def test_usage_errors_are_one_line_exit_2(ctreport: Any, args: list[str], message: str) -> None:
    run = ctreport(args)
    assert run.code == 2
    assert run.out == ""
    assert run.err.startswith("ctreport: ")
    assert message in run.err
    assert run.err.count("\n") == 1
    assert "Traceback" not in run.err


def test_nothing_matched(ctreport: Any) -> None:
    run = ctreport(["partners", "--country", "US", "--json"])
    assert run.code == 0
    assert json.loads(run.out) == []
    assert "nothing matched" in run.err
    failing = ctreport(["partners", "--country", "US", "--json", "--fail-empty"])
    assert failing.code == 3 and failing.out == ""


def test_fields_select_and_order(ctreport: Any) -> None:
    run = ctreport(["partners", "--region", "europe", "--fields", "id,partner_name", "--no-header", "-y", "2021"])
    assert run.out.splitlines() == [
        "ma-2021-partner-be\tBelgium",
        "ma-2021-partner-fr\tFrance",
        "ma-2021-partner-es\tSpain",
    ]


def test_lang_ar_names_and_passages_in_tables_json_keeps_both(ctreport: Any) -> None:
    run = ctreport(["financing", "-c", "MA", "-y", "2021", "--lang", "ar", "--fields", "body_name,statement"])
    first = run.out.splitlines()[1].split("\t")
    assert first == [
        "مجموعة العمل المالي لمنطقة الشرق الأوسط وشمال إفريقيا",
        "المغرب عضو في مجموعة العمل المالي لمنطقة الشرق الأوسط وشمال إفريقيا \u2068(MENAFATF)\u2069",
    ]
    row = ctreport(["financing", "-c", "MA", "-y", "2021", "--lang", "ar", "--json"]).json()[0]
    assert row["body_name"] == "Middle East and North Africa Financial Action Task Force"
    assert row["body_name_ar"] == first[0]
    assert row["statement_ar"] == first[1].replace("\u2068", "").replace("\u2069", "")


def _raise(error: BaseException) -> None:
    raise error


def test_a_commands_own_exit_code_is_kept_not_called_internal() -> None:
    import typer

    from ct_report.options import Common
    from ct_report.output import run_command as _run

    with pytest.raises(typer.Exit) as raised:
        _run(Common(), lambda: _raise(typer.Exit(3)))
    assert raised.value.exit_code == 3


def test_what_a_command_opened_is_closed_when_it_ends() -> None:
    import contextlib

    from ct_report.options import Common
    from ct_report.output import run_command as _run

    closed: list[str] = []
    with contextlib.ExitStack() as resources:
        common = Common(resources=resources)
        _run(common, lambda: resources.callback(closed.append, "base"))
        assert closed == ["base"]
