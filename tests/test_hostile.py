"""Fact-base text is data: markup stays literal, control characters never reach the terminal."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ct_report.fields import Field
from ct_report.render import Options, Terminal, render_rows


def test_markup_in_fact_strings_prints_literally_in_plain(ctreport: Any, tiny: Path) -> None:
    run = ctreport(["partners", "--data", str(tiny), "--fields", "statement,partner_name"])
    assert run.code == 0, run.err
    assert "[/x] [bold]not markup[/bold]" in run.out
    assert "[bold]Forum[/bold] X (FX)" in run.out


def test_markup_in_fact_strings_prints_literally_in_a_terminal_table() -> None:
    buffer = io.StringIO()
    term = Terminal(buffer, io.StringIO(), is_tty=True, color=True)
    rows = [{"name": "[bold]x[/bold] [/y] [red]", "id": "a"}]
    render_rows(rows, [Field("name", ""), Field("id", "")], Options("table", title="[t]", footer="[/f]"), term)
    out = buffer.getvalue()
    assert "[bold]x[/bold] [/y] [red]" in out
    assert "[t]" in out and "[/f]" in out


def test_control_characters_are_stripped_from_every_format() -> None:
    hostile = "a\x1b[31mred\x1b[0m\x07b\u202ec"
    for fmt in ("table", "plain", "csv", "json", "ndjson", "markdown", "yaml"):
        buffer = io.StringIO()
        term = Terminal(buffer, io.StringIO(), is_tty=fmt == "table", color=True)
        render_rows([{"v": hostile}], [Field("v", "")], Options(fmt), term)
        out = buffer.getvalue()
        assert "\x1b[31m" not in out and "\x07" not in out and "\u202e" not in out, fmt
        assert "aredbc" in out, fmt
