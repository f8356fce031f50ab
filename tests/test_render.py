"""The render layer, called directly: cells, every row format written into an in-memory
`Terminal`, spreadsheet formulas, markdown escaping, and how table columns share the width."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ct_report.query import Field
from ct_report.render import Options, Terminal, _fit_widths, cell_text, render_rows

FIELDS = [Field("id", "Id"), Field("n", "A number"), Field("tags", "A list"), Field("ok", "A flag")]
ROWS: list[dict[str, Any]] = [
    {"id": "a-1", "n": 5, "tags": ["x", "y"], "ok": True},
    {"id": "b-2", "n": None, "tags": [], "ok": False},
]


def rendered(fmt: str, rows: list[dict[str, Any]] = ROWS, fields: list[Field] = FIELDS, **options: Any) -> str:
    """What render_rows writes to stdout off a terminal; nothing may go to stderr."""
    term = Terminal(stdout=io.StringIO(), stderr=io.StringIO(), is_tty=False, color=False)
    render_rows(rows, fields, Options(fmt, **options), term)
    assert term.stderr.getvalue() == ""
    return term.stdout.getvalue()


# --- cell_text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("plain", "plain"),
        (1250, "1250"),
        (True, "true"),
        (False, "false"),
        (["a", None, 3], "a; ; 3"),
        ([], ""),
        ("\x1b[31mred\x1b[0m", "red"),
        ("bell\x07 and\ttab", "bell and\ttab"),
    ],
)
def test_cell_text(value: Any, text: str) -> None:
    assert cell_text(value) == text


def test_cell_text_list_separator_applies_to_the_outer_list() -> None:
    assert cell_text(["a", "b"], ", ") == "a, b"


# --- every format --------------------------------------------------------------------------


def test_plain_is_tab_separated_with_a_header() -> None:
    assert rendered("plain") == "id\tn\ttags\tok\na-1\t5\tx; y\ttrue\nb-2\t\t\tfalse\n"
    assert rendered("plain", header=False) == "a-1\t5\tx; y\ttrue\nb-2\t\t\tfalse\n"


def test_plain_keeps_each_row_on_one_line() -> None:
    rows = [{"id": "a\nb\tc  d"}]
    assert rendered("plain", rows, [Field("id", "Id")]) == "id\na b c d\n"


def test_csv_quotes_and_ends_lines_with_crlf() -> None:
    assert rendered("csv") == "id,n,tags,ok\r\na-1,5,x; y,true\r\nb-2,,,false\r\n"
    rows = [{"id": 'say "hi", twice'}]
    assert rendered("csv", rows, [Field("id", "Id")], header=False) == '"say ""hi"", twice"\r\n'


def test_json_is_one_row_per_line_off_a_terminal() -> None:
    assert rendered("json") == (
        "[\n"
        '{"id": "a-1", "n": 5, "tags": ["x", "y"], "ok": true},\n'
        '{"id": "b-2", "n": null, "tags": [], "ok": false}\n'
        "]\n"
    )
    assert rendered("json", []) == "[]\n"


def test_json_on_a_terminal_is_indented() -> None:
    term = Terminal(stdout=io.StringIO(), stderr=io.StringIO(), is_tty=True, color=False)
    render_rows(ROWS[:1], FIELDS[:2], Options("json"), term)
    assert term.stdout.getvalue() == '[\n  {\n    "id": "a-1",\n    "n": 5\n  }\n]\n'


def test_json_keeps_only_the_fields_asked_for_in_their_order() -> None:
    fields = [Field("ok", "A flag"), Field("id", "Id"), Field("missing", "Not in the rows")]
    assert rendered("ndjson", fields=fields) == (
        '{"ok": true, "id": "a-1", "missing": null}\n{"ok": false, "id": "b-2", "missing": null}\n'
    )


def test_ndjson_is_one_object_a_line() -> None:
    assert rendered("ndjson") == (
        '{"id": "a-1", "n": 5, "tags": ["x", "y"], "ok": true}\n{"id": "b-2", "n": null, "tags": [], "ok": false}\n'
    )
    assert rendered("ndjson", []) == ""


def test_json_strips_control_characters_json_would_print_raw() -> None:
    rows = [{"id": "a\u202eb\x9bc"}]
    assert rendered("ndjson", rows, [Field("id", "Id")]) == '{"id": "abc"}\n'


def test_markdown_has_title_table_and_footer() -> None:
    assert rendered("markdown", title="Some rows", footer="Source: test.") == (
        "**Some rows**\n\n"
        "| id | n | tags | ok |\n"
        "|---|---|---|---|\n"
        "| a-1 | 5 | x; y | true |\n"
        "| b-2 |  |  | false |\n\n"
        "Source: test.\n"
    )
    assert rendered("markdown", []) == "| id | n | tags | ok |\n|---|---|---|---|\n"


def test_markdown_escapes_pipes_and_backslashes_and_joins_lines() -> None:
    rows = [{"id": "a|b", "n": "c\\d", "tags": "one\ntwo", "ok": None}]
    assert rendered("markdown", rows, title="x|y") == (
        "**x\\|y**\n\n| id | n | tags | ok |\n|---|---|---|---|\n| a\\|b | c\\\\d | one two |  |\n"
    )


def test_yaml_is_a_list_of_mappings_in_field_order() -> None:
    assert rendered("yaml") == (
        "- id: a-1\n  n: 5\n  tags:\n  - x\n  - y\n  ok: true\n- id: b-2\n  n: null\n  tags: []\n  ok: false\n"
    )
    assert rendered("yaml", [{"id": "ب\x1b[2J"}], [Field("id", "Id")]) == "- id: ب\n"


def test_table_off_a_terminal_is_ascii_with_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit --format table when piped: ASCII box, lists joined with commas, a dash for
    an empty cell, no escape sequences."""
    monkeypatch.setenv("COLUMNS", "80")  # off a terminal, the table is as wide as COLUMNS says
    assert rendered("table", title="Rows") == (
        "Rows               \nid  |n |tags |ok   \n----+--+-----+-----\na-1 |5 |x, y |true \nb-2 |— |—    |false\n"
    )


# --- CSV formulas --------------------------------------------------------------------------

FORMULAS = ["=SUM(A1:A9)", "+1", "-2", "@cmd", "\tx", "safe = text"]


def test_csv_neutralises_cells_a_spreadsheet_would_run() -> None:
    rows = [{"id": value} for value in FORMULAS]
    assert rendered("csv", rows, [Field("id", "Id")], header=False) == (
        "'=SUM(A1:A9)\r\n'+1\r\n'-2\r\n'@cmd\r\n'\tx\r\nsafe = text\r\n"
    )
    assert rendered("csv", rows, [Field("id", "Id")], header=False, csv_formulas=True) == (
        "=SUM(A1:A9)\r\n+1\r\n-2\r\n@cmd\r\n\tx\r\nsafe = text\r\n"
    )


def test_csv_neutralises_a_formula_after_a_list_is_joined() -> None:
    rows = [{"id": ["=1", "b"], "n": -3}]
    assert rendered("csv", rows, FIELDS[:2], header=False) == "'=1; b,'-3\r\n"


# --- _fit_widths ---------------------------------------------------------------------------


def test_fit_widths_keeps_natural_widths_that_fit() -> None:
    assert _fit_widths([4, 10], [10, 40], 50) == [10, 40]
    assert _fit_widths([4, 10], [10, 40], 60) == [10, 40]


def test_fit_widths_shares_the_spare_room_by_what_each_column_wants() -> None:
    # 16 columns to share: the first wants 6 more, the second 30 more.
    assert _fit_widths([4, 10], [10, 40], 30) == [4 + 16 * 6 // 36, 10 + 16 * 30 // 36] == [6, 23]


def test_fit_widths_never_goes_below_the_minimum() -> None:
    assert _fit_widths([4, 10], [10, 40], 5) == [4, 10]


widths = st.lists(st.tuples(st.integers(1, 40), st.integers(0, 80)), min_size=1, max_size=8)


@given(widths, st.integers(0, 400))
def test_fit_widths_stays_between_minimum_and_natural_and_fits(columns: list[tuple[int, int]], available: int) -> None:
    minimum = [m for m, _ in columns]
    natural = [m + extra for m, extra in columns]
    fitted = _fit_widths(minimum, natural, available)
    assert all(m <= w <= n for m, w, n in zip(minimum, fitted, natural, strict=True))
    assert sum(fitted) <= max(available, sum(minimum))
    if sum(natural) <= available:
        assert fitted == natural


def test_a_table_folds_long_prose_words_before_it_gives_way_to_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 80 columns, a 33-character id and prose with long words still make a table: the
    words fold at 8 characters rather than every row becoming a block."""
    monkeypatch.setenv("COLUMNS", "80")
    fields = [Field(name, name) for name in ("country", "year", "arrested", "operations", "cells", "id")]
    long_words = "(reportedly), according to Internationally-recognised authorities"
    rows = [
        {
            "country": c,
            "year": y,
            "arrested": f"{o}00 {long_words}",
            "operations": o,
            "cells": f"{o} {long_words}",
            "id": i,
        }
        for c, y, o, i in (("DZ", 2016, "3", "tn-2016-arrests-interior-ministry"), ("MA", 2017, "4", "ma-2017-x"))
    ]
    text = rendered("table", rows, fields)
    header = next(line for line in text.splitlines() if line.startswith("country"))
    assert header.split("|")[-1].strip() == "id"  # one header row: a table, not blocks
    assert "tn-2016-arrests-interior-ministry" in text  # the id is never cut
    assert all(len(line) <= 80 for line in text.splitlines())


_JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from('\x1b[2J\x07\u202e\x9b"\\\n'))
)
_JSON_VALUES = st.recursive(
    _JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(value=_JSON_VALUES, ascii_only=st.booleans())
def test_pretty_json_writes_what_json_dumps_writes_of_the_cleaned_value(value: Any, ascii_only: bool) -> None:
    from ct_report.text import clean, pretty_json

    assert pretty_json(value, ascii_only) == json.dumps(clean(value), ensure_ascii=ascii_only, indent=2)


def test_pretty_json_leaves_what_it_does_not_know_to_json_dumps() -> None:
    from ct_report.text import pretty_json

    value = {"pair": ("a", 1), "n": [1.5, float("nan")]}
    assert pretty_json(value) == json.dumps(value, indent=2)
