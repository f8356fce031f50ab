"""The model's records behave as dataclasses do, for people and for the type checker."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ct_report.model import Fact, Figure, Positions


def test_records_have_a_readable_repr() -> None:
    assert repr(Figure(qualifier="at-least", value=55)) == (
        "Figure(qualifier='at-least', value=55, text=None, attributed_to=None)"
    )


def test_mypy_refuses_a_misspelt_or_mistyped_field(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    snippet = tmp_path / "snippet.py"
    snippet.write_text(
        "from ct_report.model import Fact, Figure\n"
        "Fact(idd='x', kind='threat', source='s', statement='t', country='MA', year=2021, edition='e')\n"
        "Figure(qualifier='exact', value='55')\n",
        encoding="utf-8",
    )
    out, _, status = api.run(["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "c"), str(snippet)])
    assert status == 1
    assert 'Unexpected keyword argument "idd" for "Fact"' in out
    assert 'Argument "value" to "Figure" has incompatible type "str"' in out


def test_an_unknown_field_fails_at_run_time_too() -> None:
    with pytest.raises(TypeError, match="unknown fields"):
        Fact(idd="x")  # type: ignore[call-arg]


def test_a_record_from_trusted_fields_equals_one_built_with_checks() -> None:
    values = {"qualifier": "at-least", "value": 55}
    trusted = Figure.from_fields(dict(values))
    assert trusted == Figure(qualifier="at-least", value=55)
    assert (trusted.text, trusted.attributed_to) == (None, None)  # the defaults are filled in


POSITIONS = st.dictionaries(
    st.text(min_size=1, max_size=12), st.tuples(st.integers(1, 2**31), st.integers(1, 2**16)), max_size=20
)


@given(where=POSITIONS, other=st.text(max_size=12))
def test_positions_give_where_each_field_was_written_and_come_back_from_the_store(
    where: dict[str, tuple[int, int]], other: str
) -> None:
    written = Positions(where, [number for position in where.values() for number in position])
    for positions in (written, Positions.from_plain(written.plain())):
        assert {name: positions.get(name) for name in where} == where
        assert positions.get(other, (1, 1)) == where.get(other, (1, 1))


def test_positions_of_another_shape_are_refused() -> None:
    with pytest.raises(ValueError):
        Positions.from_plain([["id", "kind"], [7, 9, 8]])
