"""Issue 13: a terminal experience people enjoy. Tables that fit in a real pseudo-terminal,
several values per filter, contradictions refused, help that teaches, Arabic that reads right,
NO_COLOR as specified, the pager, and rows that name their file relative to its root."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import pytest

from ct_report.text import FSI, PDI, isolate_ltr, terminal_safe

SCRIPT = shutil.which("ctreport", path=str(Path(sys.executable).parent)) or shutil.which("ctreport")
LIST_COMMANDS = ["arrests", "incidents", "partners", "financing", "groups", "coverage", "sources", "search GCTF"]
RULE = re.compile(r"^\u200f?[─-]{20,}\s*$")


def in_pty(args: list[str], columns: int, **env: str) -> str:
    """ctreport's stdout in a pseudo-terminal `columns` wide (stdin is not a terminal, so no pager)."""
    assert SCRIPT is not None
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environment = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    process = subprocess.Popen(
        [SCRIPT, *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env={**environment, "NO_COLOR": "1", **env},
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=60) == 0, process.stderr.read() if process.stderr else ""
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@pytest.mark.parametrize("command", LIST_COMMANDS)
@pytest.mark.parametrize("columns", [50, 80, 120])
def test_list_commands_fit_the_terminal(command: str, columns: int, ctreport: Any) -> None:
    out = in_pty(command.split(), columns)
    lines = out.splitlines()
    assert lines, out
    assert max(len(line) for line in lines) <= columns, out
    rules = [line for line in lines if RULE.match(line)]
    rows = len(ctreport([*command.split(), "--format", "json"]).json())
    if columns >= 80:
        # A real table: one rule under the header, never blocks.
        assert len(rules) == 1, out
    elif len(rules) > 1:
        # Blocks, the last resort: a rule between two records.
        assert len(rules) == rows - 1, out


@pytest.mark.parametrize("term", ["dumb", "xterm"])
def test_the_table_is_laid_out_for_the_terminal_width_whatever_term_says(term: str) -> None:
    """Rich lays out a TERM=dumb terminal at 80 columns unless it is given a height too."""
    lines = in_pty(["partners"], 120, TERM=term).splitlines()
    rule = next(line for line in lines if RULE.match(line))
    assert 80 < len(rule.rstrip()) <= 120


def test_shared_values_go_to_the_title_once() -> None:
    lines = in_pty(["arrests", "-c", "MA", "-y", "2020,2021"], 80).splitlines()
    assert lines[0].strip() == "Terrorism-related arrests: Morocco"
    header = " ".join(lines[1:3]).split()
    assert "year" in header and "arrested" in header and "country" not in header
    one_year = in_pty(["partners", "-c", "MA", "-y", "2021"], 80).splitlines()
    assert one_year[0].startswith("Counterterrorism cooperation partners: Morocco, 2021")
    assert "country" not in one_year[1].split() and "year" not in one_year[1].split()


def test_urls_leave_the_table_unless_wide(ctreport: Any) -> None:
    narrow = in_pty(["sources"], 80)
    assert "https://" not in narrow
    assert "--wide shows them" in narrow
    wide = in_pty(["sources", "--wide"], 200)
    assert "https://www.refworld.org/" in wide


def test_long_values_are_shortened_in_the_terminal_only(ctreport: Any) -> None:
    out = in_pty(["partners", "-c", "MA", "-y", "2021", "--fields", "id,partner_name,statement"], 80)
    assert "…" in out
    assert "…" not in in_pty(["partners", "-c", "MA", "-y", "2021", "--fields", "id,statement", "--wide"], 80)
    rows = ctreport(["partners", "-c", "MA", "-y", "2021", "--json"]).json()
    assert not any("…" in str(value) for row in rows for value in row.values())
    assert "…" not in ctreport(["partners", "-c", "MA", "-y", "2021"]).out


def test_ids_are_never_broken_in_a_table(ctreport: Any) -> None:
    out = in_pty(["partners"], 80)
    for row in ctreport(["partners", "--json"]).json():
        assert row["id"] in out


# Several values per filter


@pytest.mark.parametrize(
    ("args", "countries"),
    [
        (["-c", "MA,DZ"], {"MA", "DZ"}),
        (["-c", "MA", "-c", "DZ"], {"MA", "DZ"}),
        (["-c", "northern-africa"], {"MA", "DZ", "TN"}),
        (["-c", "maghreb"], {"MA", "DZ", "TN"}),
        (["-c", "Morocco,MR"], {"MA", "MR"}),
    ],
)
def test_several_countries_and_regions(ctreport: Any, args: list[str], countries: set[str]) -> None:
    rows = ctreport(["coverage", *args, "-y", "2021", "--json"]).json()
    assert {r["country"] for r in rows} == countries


def test_several_years(ctreport: Any) -> None:
    both = ctreport(["arrests", "-c", "MA", "-y", "2019,2021", "--json"]).json()
    assert [r["year"] for r in both] == [2019, 2021]
    assert ctreport(["arrests", "-c", "MA", "-y", "2019", "-y", "2021", "--json"]).json() == both
    summaries = ctreport(["summary", "-c", "MA", "-y", "2020,2021", "--json"]).json()
    assert [s["year"] for s in summaries] == [2020, 2021]


def test_unknown_country_lists_covered_countries_first(ctreport: Any) -> None:
    run = ctreport(["arrests", "-c", "Atlantis"])
    assert run.code == 2 and run.out == ""
    assert "countries reported on: Algeria (DZ), Mauritania (MR), Morocco (MA), Tunisia (TN); also known" in run.err


# Contradictions


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["arrests", "--json", "-f", "csv"], "--json and --format csv ask for two formats"),
        (["arrests", "--count", "--fields", "id"], "--count prints only a number"),
        (
            ["arrests", "--since", "2022", "--until", "2020"],
            "--year/--since/--until: the first year, 2022, is after the last, 2020",
        ),
        (
            ["arrests", "-y", "2019", "--since", "2020"],
            "--year/--since/--until: year 2019 is outside the years from 2020",
        ),
        (["arrests", "-y", "2019,abc"], "--year takes years such as 2021 or 2019,2021, not 'abc'"),
        (["summary", "MA", "2021"], "did you mean ctreport summary --country MA --year 2021?"),
    ],
)
def test_contradictions_are_refused_with_exit_2(args: list[str], message: str) -> None:
    assert SCRIPT is not None
    result = subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("ctreport: ") and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1


# Help


def _cut(help_text: str) -> list[str]:
    """Words ending in '...' other than Click's marks of a repeatable argument."""
    marks = {"[ARGS]...", "[paths]...", "paths..."}
    return [word for word in re.findall(r"\S*\.\.\.", help_text) if word not in marks]


def _commands() -> list[str]:
    from ct_report.cli import app

    return [str(info.name) for info in app.registered_commands]


@pytest.mark.parametrize("command", _commands())
def test_each_command_help_has_examples_and_nothing_cut(ctreport: Any, command: str) -> None:
    run = ctreport([command, "--help"])
    assert run.code == 0
    assert run.out.count("Example: ctreport ") >= 2, run.out
    assert not _cut(run.out)


def test_top_level_help_teaches(ctreport: Any) -> None:
    out = ctreport(["--help"]).out
    flat = " ".join(out.split())
    for command in _commands():
        from ct_report.cli import app
        from ct_report.typer_glue import first_sentence

        info = next(i for i in app.registered_commands if i.name == command)
        assert info.callback is not None
        assert first_sentence(info.callback.__doc__ or "") in flat, command
    assert not _cut(out)
    assert "ctreport summary -c MA -y 2021" in out
    assert re.search(r"^\s+70\s+internal error", out, re.M) and re.search(r"^\s+130\s+interrupted", out, re.M)


def test_filters_then_output_then_fact_base_options(ctreport: Any) -> None:
    out = ctreport(["partners", "--help"]).out
    options = [m.group(1) for m in re.finditer(r"^  (?:-\w, )?(--[\w-]+)", out, re.M)]
    order = [
        options.index(option) for option in ("--country", "--region", "--format", "--fields", "--data", "--no-cache")
    ]
    assert order == sorted(order), options


def test_version_names_the_editions(ctreport: Any) -> None:
    out = ctreport(["--version"]).out
    assert "fact base: editions crt-2016 to crt-2023 (events of 2016–2023), latest published 2023-02-27" in out


def test_cli_help_passes_through_the_summary_example(ctreport: Any) -> None:
    # The examples are real: each one in summary's help runs.
    assert ctreport(["summary", "-c", "MA", "-y", "2021", "--lang", "ar"]).code == 0


# Arabic


def test_arabic_ids_stay_whole_and_in_place_in_visual_order(ctreport: Any) -> None:
    from bidi import get_display

    out = in_pty(["summary", "-c", "MA", "-y", "2021", "--lang", "ar"], 120)
    ids = {
        item["id"]
        for s in ctreport(["summary", "-c", "MA", "-y", "2021", "--json"]).json()["sections"].values()
        for item in s
    }
    checked = 0
    for line in out.splitlines():
        visual = get_display(line)
        for fact_id in ids:
            if fact_id in line:
                assert fact_id in visual, (line, visual)
                checked += 1
    assert checked >= len(ids)
    first = out.splitlines()[0]
    assert first.startswith("\u200f") and "التقارير القطرية عن الإرهاب" in first
    # Right to left: the country's name, first in the line, is shown at the right end.
    assert get_display(first).rstrip("\u200f ").endswith("المغرب"[::-1])


def test_arabic_table_reads_right_to_left_with_arabic_labels_and_values() -> None:
    from bidi import get_display

    out = in_pty(["partners", "-c", "MA", "-y", "2021", "--lang", "ar"], 120)
    lines = out.splitlines()
    assert all(line.startswith("\u200f") for line in lines if line.strip())
    assert "شركاء التعاون في مكافحة الإرهاب" in lines[0]
    assert "العلاقة" in out and "تعاون قوي" in out and "strong-cooperation" not in out
    header = get_display(lines[1]).strip("\u200f ")
    # The first column (the partner) is read first: at the right.
    assert header.endswith("الشريك"[::-1])
    assert f"{FSI}ma-2021-partner-us{PDI}" in out


def test_english_statements_are_marked_in_arabic_output(ctreport: Any) -> None:
    out = ctreport(["summary", "-c", "MA", "-y", "2021", "--lang", "ar"]).out
    assert "(بالإنجليزية) " in out
    row = ctreport(["partners", "-c", "MR", "-y", "2021", "--lang", "ar", "--fields", "statement"]).out.splitlines()[1]
    assert row.startswith("(بالإنجليزية) ")


def test_isolates_from_data_are_stripped_and_ours_added() -> None:
    hostile = "\u2066id-1\u2069 عربي \u2067x"
    cleaned = isolate_ltr(terminal_safe(hostile))
    assert cleaned == f"{FSI}id-1{PDI} عربي {FSI}x{PDI}"
    assert isolate_ltr("المغرب (MA)، 2021: نص") == f"المغرب {FSI}(MA){PDI}، {FSI}2021{PDI}: نص"


# NO_COLOR and the passage of show


@pytest.mark.parametrize(("value", "colour"), [("", True), ("1", False), ("0", False)])
def test_no_color_only_when_not_empty(monkeypatch: pytest.MonkeyPatch, value: str, colour: bool) -> None:
    from ct_report.render import Terminal

    monkeypatch.setenv("NO_COLOR", value)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert Terminal.detect().color is colour


def test_show_marks_the_passage_without_colour() -> None:
    out = in_pty(["show", "ma-2021-arrests"], 200)
    assert re.search(r">>[^<]*55[^<]*<<", out), out
    coloured = in_pty(["show", "ma-2021-arrests"], 200, NO_COLOR="")
    assert ">>" not in coloured and "\x1b[7m" in coloured


# Pager


def test_long_output_goes_through_the_pager(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ct_report.render import Terminal, write

    paged = tmp_path / "paged"
    pager = f"{sys.executable} -c \"import sys; open({str(paged)!r}, 'w').write(sys.stdin.read())\""
    monkeypatch.setenv("LINES", "5")
    buffer = io.StringIO()
    term = Terminal(buffer, io.StringIO(), is_tty=True, color=False, pager=pager)
    write(term, "short\n")
    assert buffer.getvalue() == "short\n" and not paged.exists()
    write(term, "line\n" * 10)
    assert paged.read_text() == "line\n" * 10 and buffer.getvalue() == "short\n"


def test_no_pager_when_piped_or_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from ct_report.render import Terminal

    monkeypatch.setenv("PAGER", "more")
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    assert Terminal.detect(no_pager=False).pager is None
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert Terminal.detect(no_pager=False).pager == "more"
    assert Terminal.detect(no_pager=True).pager is None


# source_file


def test_source_file_is_relative_to_its_root() -> None:
    from ct_report.load import bundled_data_dir, file_label

    bundled = bundled_data_dir()
    assert file_label(bundled / "facts" / "2021" / "MA.yaml", bundled) == "bundled:facts/2021/MA.yaml"
    assert file_label(Path("/x/notes/a/b.yaml"), Path("/x/notes")) == "notes:a/b.yaml"
