"""The query layer's pure functions, called directly: figures worded and compared, rows sorted,
user input resolved to codes and region ids, coverage laid out as a grid. The fact base is the
fixture base (see conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ct_report.errors import UsageError
from ct_report.load import DataSelection, load_base
from ct_report.model import FactBase, Figure
from ct_report.query import Field, arrange, coverage_grid, figure_change, figure_text, resolve_country, resolve_region

# --- figure_text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qualifier", "expected"),
    [
        ("exact", "1,250"),
        ("at-least", "at least 1,250"),
        ("more-than", "more than 1,250"),
        ("about", "about 1,250"),
        ("reportedly", "1,250 (reportedly)"),
        ("relative", "1,250"),
        ("unconfirmed", "1,250 (unconfirmed)"),
    ],
)
def test_figure_text_words_every_qualifier(qualifier: Any, expected: str) -> None:
    assert figure_text(Figure(qualifier=qualifier, value=1250)) == expected


def test_figure_text_adds_the_sources_words_and_whom_it_credits() -> None:
    assert figure_text(Figure(qualifier="relative", value=40, text="twice the 2018 number")) == (
        "40 (twice the 2018 number)"
    )
    assert figure_text(Figure(qualifier="about", value=7, attributed_to="local media")) == (
        "about 7, according to local media"
    )
    assert figure_text(Figure(qualifier="at-least", value=3, text="three or more", attributed_to="the ministry")) == (
        "at least 3 (three or more), according to the ministry"
    )


def test_figure_text_without_a_number_is_the_sources_words() -> None:
    assert figure_text(None) is None
    assert figure_text(Figure(qualifier="relative", text="roughly double")) == "roughly double"
    assert figure_text(Figure(qualifier="relative", text="fewer", attributed_to="the police")) == (
        "fewer, according to the police"
    )


# --- figure_change -------------------------------------------------------------------------


def test_change_between_exact_figures_is_exact() -> None:
    row = figure_change(Figure(qualifier="exact", value=35), Figure(qualifier="exact", value=1_055))
    assert row == {"before": "35", "after": "1,055", "difference": 1020, "exact": True, "change": "+1,020"}
    same = figure_change(Figure(qualifier="exact", value=9), Figure(qualifier="exact", value=9))
    assert (same["difference"], same["exact"], same["change"]) == (0, True, "no change")
    fall = figure_change(Figure(qualifier="exact", value=9), Figure(qualifier="exact", value=4))
    assert (fall["difference"], fall["change"]) == (-5, "-5")


def test_change_between_lower_bounds_is_not_exact() -> None:
    row = figure_change(Figure(qualifier="at-least", value=35), Figure(qualifier="more-than", value=55))
    assert row == {
        "before": "at least 35",
        "after": "more than 55",
        "difference": 20,
        "exact": False,
        "change": "+20 between lower bounds; the exact change is unknown",
    }


def test_change_between_mixed_qualifiers_names_them() -> None:
    row = figure_change(Figure(qualifier="about", value=100), Figure(qualifier="exact", value=80))
    assert (row["difference"], row["exact"]) == (-20, False)
    assert row["change"] == "-20 between the figures as given (about → exact); the exact change is unknown"


def test_change_with_a_missing_figure_or_number_is_not_comparable() -> None:
    five = Figure(qualifier="exact", value=5)
    missing = figure_change(None, five, 2019, 2021)
    assert missing == {
        "before": None,
        "after": "5",
        "difference": None,
        "exact": False,
        "change": "not comparable: no figure is recorded for 2019",
    }
    assert figure_change(five, None)["change"] == "not comparable: no figure is recorded"
    wordy = figure_change(five, Figure(qualifier="relative", text="far fewer"), 2019, 2021)
    assert wordy["change"] == "not comparable: the source gives no number for 2021 (far fewer)"
    assert wordy["difference"] is None


exact_figures = st.builds(Figure, qualifier=st.just("exact"), value=st.integers(0, 10**6))
any_figures = st.builds(
    Figure,
    qualifier=st.sampled_from(["exact", "at-least", "more-than", "about", "reportedly"]),
    value=st.integers(0, 10**6),
)


@given(exact_figures, exact_figures)
def test_change_between_two_exact_figures_is_their_difference(before: Figure, after: Figure) -> None:
    assert before.value is not None and after.value is not None
    row = figure_change(before, after)
    assert row["exact"] is True
    assert row["difference"] == after.value - before.value
    assert row["change"] == (f"{after.value - before.value:+,}" if after.value != before.value else "no change")


@given(any_figures, any_figures)
def test_change_is_exact_only_between_exact_figures(before: Figure, after: Figure) -> None:
    assert before.value is not None and after.value is not None
    row = figure_change(before, after)
    assert row["difference"] == after.value - before.value
    assert row["exact"] is (before.qualifier == after.qualifier == "exact")
    assert row["exact"] or row["change"].endswith("the exact change is unknown")


# --- arrange -------------------------------------------------------------------------------

FIELDS = [Field("id", "Id"), Field("n", "A number"), Field("name", "A name")]


def test_arrange_sorts_ascending_and_descending_with_missing_values_last() -> None:
    rows: list[dict[str, Any]] = [
        {"id": "a", "n": 3},
        {"id": "b", "n": None},
        {"id": "c", "n": 1},
        {"id": "d"},
        {"id": "e", "n": 2},
    ]
    assert [r["id"] for r in arrange(rows, FIELDS, "n", None)] == ["c", "e", "a", "b", "d"]
    assert [r["id"] for r in arrange(rows, FIELDS, "-n", None)] == ["a", "e", "c", "b", "d"]
    assert [r["id"] for r in arrange(rows, FIELDS, "-n", 2)] == ["a", "e"]
    assert [r["id"] for r in arrange(rows, FIELDS, None, 3)] == ["a", "b", "c"]
    assert arrange(rows, FIELDS, None, None) == rows


def test_arrange_puts_empty_strings_and_lists_last_too() -> None:
    rows = [{"id": "a", "name": ""}, {"id": "b", "name": "x"}, {"id": "c", "name": []}, {"id": "d", "name": "w"}]
    assert [r["id"] for r in arrange(rows, FIELDS, "name", None)] == ["d", "b", "a", "c"]


def test_arrange_refuses_an_unknown_field_and_suggests_one() -> None:
    with pytest.raises(UsageError, match=r"unknown sort field 'nam' \(did you mean 'name'\?\); valid: id, n, name"):
        arrange([], FIELDS, "-nam", None)


numbers = st.one_of(st.none(), st.integers(-50, 50))
number_rows = st.lists(numbers, max_size=30).map(lambda ns: [{"id": i, "n": n} for i, n in enumerate(ns)])


@given(number_rows, st.booleans())
def test_arrange_is_a_permutation_with_missing_values_last(rows: list[dict[str, Any]], descending: bool) -> None:
    result = arrange(rows, FIELDS, "-n" if descending else "n", None)
    assert sorted(r["id"] for r in result) == [r["id"] for r in rows]
    present = [r["n"] for r in result if r["n"] is not None]
    assert present == sorted(present, reverse=descending)
    assert all(r["n"] is None for r in result[len(present) :])


@given(st.lists(st.integers(-50, 50), unique=True, max_size=30))
def test_descending_is_ascending_reversed_for_distinct_values(values: list[int]) -> None:
    rows = [{"id": i, "n": n} for i, n in enumerate(values)]
    assert arrange(rows, FIELDS, "-n", None) == arrange(rows, FIELDS, "n", None)[::-1]


@given(number_rows, st.integers(0, 40))
def test_limit_cuts_the_sorted_rows(rows: list[dict[str, Any]], limit: int) -> None:
    assert arrange(rows, FIELDS, "n", limit) == arrange(rows, FIELDS, "n", None)[:limit]


# --- resolve_country, resolve_region -------------------------------------------------------


@pytest.fixture
def base() -> FactBase:
    """The fixture base, which the autouse fixture of conftest.py names in CTREPORT_DATA."""
    return load_base(DataSelection.choose())


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("MA", "MA"),
        ("ma", "MA"),
        ("MAR", "MA"),
        (" Morocco ", "MA"),
        ("morocco", "MA"),
        ("المغرب", "MA"),
        ("USA", "US"),
        ("united states of america", "US"),
        ("The Netherlands", "NL"),
        ("Türkiye", "TR"),
    ],
)
def test_resolve_country_by_code_alpha3_name_arabic_name_or_alias(base: FactBase, text: str, code: str) -> None:
    assert resolve_country(base, text) == code


def test_resolve_country_refuses_an_unknown_or_empty_name(base: FactBase) -> None:
    with pytest.raises(UsageError) as error:
        resolve_country(base, "Marocco")
    assert error.value.message.startswith(
        "unknown country 'Marocco' (did you mean 'Morocco'?); countries reported on: Algeria (DZ), "
    )
    with pytest.raises(UsageError):
        resolve_country(base, "  ")


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("europe", {"crt:europe", "m49:europe"}),
        ("Europe", {"crt:europe", "m49:europe"}),
        ("crt:europe", {"crt:europe"}),
        ("m49:europe", {"m49:europe"}),
        ("mena", {"crt:middle-east-and-north-africa"}),
        ("Middle East and North Africa", {"crt:middle-east-and-north-africa"}),
        ("north-africa", {"m49:northern-africa"}),
        ("أوروبا", {"crt:europe", "m49:europe"}),
    ],
)
def test_resolve_region_by_id_scheme_name_or_alias(base: FactBase, text: str, ids: set[str]) -> None:
    assert resolve_region(base, text) == ids


def test_resolve_region_refuses_an_unknown_or_empty_region(base: FactBase) -> None:
    with pytest.raises(UsageError, match=r"^unknown region 'europa' \(did you mean 'europe'\?\); known: africa, "):
        resolve_region(base, "europa")
    with pytest.raises(UsageError):
        resolve_region(base, "")


# --- coverage_grid -------------------------------------------------------------------------


def coverage(country: str, name: str, year: int, kinds: str, facts: int) -> dict[str, Any]:
    return {"country": country, "country_name": name, "year": year, "source_kinds": kinds, "facts": facts}


def test_coverage_grid_is_one_row_per_country_and_one_column_per_year() -> None:
    rows = [
        coverage("MA", "Morocco", 2021, "report+press", 26),
        coverage("MA", "Morocco", 2019, "government", 3),
        coverage("DZ", "Algeria", 2021, "press", 4),
        coverage("DZ", "Algeria", 2019, "", 0),
    ]
    grid, columns = coverage_grid(rows)
    assert [c.name for c in columns] == ["country", "2019", "2021"]
    assert grid == [
        {"country": "MA Morocco", "2021": "R+P 26", "2019": "G 3"},
        {"country": "DZ Algeria", "2021": "P 4", "2019": "none"},
    ]
    assert coverage_grid([]) == ([], [Field("country", "Country")])
