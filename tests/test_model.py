"""The model's records behave as dataclasses do, for people and for the type checker."""

from __future__ import annotations

from pathlib import Path

import pytest

from ct_report.model import Fact, Figure


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
