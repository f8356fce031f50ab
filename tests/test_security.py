"""Issue 12: safe in a hostile world. Each test plays one attack: export never destroys, the
cache cannot be forged, no input hangs ctreport or exhausts memory, a base stays inside its
folder, nothing is printed raw, small crashes, validation gaps.

Attacks that could hang run the CLI in a subprocess with a timeout (and a memory limit where
the old behaviour was to read without end): a hang fails the test instead of the suite."""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import unicodedata
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ct_report import cache, load
from ct_report.fields import Field
from ct_report.load import DataSelection, load_base
from ct_report.render import Options, Terminal, render_rows

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False
MEMORY_LIMIT = 1 << 30


@pytest.fixture
def base_dir(tmp_path: Path, tiny: Path) -> Path:
    target = tmp_path / "base"
    shutil.copytree(tiny, target)
    return target


def limited(memory: bool = False, file_size: int | None = None) -> Callable[[], None]:
    def apply() -> None:
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        if file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write over the limit fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    return apply


def cli(
    args: list[str], timeout: float = 30, preexec: Callable[[], None] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed CLI in a process of its own; a hang raises TimeoutExpired. Without
    bytecode writing (-B): under a file-size limit CPython renames a truncated .pyc into
    place, which breaks every later import of that module."""
    return subprocess.run(
        [sys.executable, "-B", "-m", "ct_report", *args],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        preexec_fn=preexec,
        cwd=cwd,
    )


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


# --- 1. export never destroys ------------------------------------------------------------


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


@pytest.mark.parametrize("target", ["fifo", "folder", "symlink", "device"])
def test_export_refuses_a_destination_that_is_not_a_regular_file(
    ctreport: Any, tmp_path: Path, tiny: Path, target: str
) -> None:
    destination = tmp_path / "out.db"
    if target == "fifo":
        os.mkfifo(destination)
    elif target == "folder":
        destination.mkdir()
    elif target == "symlink":
        (tmp_path / "real.db").write_bytes(b"")
        destination.symlink_to(tmp_path / "real.db")
    elif not ROOT:
        pytest.skip("creating a device file needs root")
    else:
        os.mknod(destination, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null
    before = os.lstat(destination)
    run = ctreport(["export", str(destination), "--data", str(tiny)])
    assert run.code == 1, run.err
    assert run.out == ""
    assert one_line(run.err).startswith(f"ctreport: {destination} is ")
    after = os.lstat(destination)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert leftovers(tmp_path) == []


def test_export_refuses_to_replace_a_file_that_is_not_a_database(ctreport: Any, tmp_path: Path, tiny: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("my notes\n", encoding="utf-8")
    run = ctreport(["export", str(notes), "--data", str(tiny)])
    assert run.code == 1
    assert one_line(run.err) == (
        f"ctreport: {notes} exists and is not an SQLite database; give another path, or --force to replace it"
    )
    assert notes.read_text(encoding="utf-8") == "my notes\n"
    forced = ctreport(["export", str(notes), "--data", str(tiny), "--force"])
    assert forced.code == 0, forced.err
    assert notes.read_bytes().startswith(b"SQLite format 3\x00")


def test_export_keeps_the_mode_of_a_replaced_database_and_a_new_one_follows_the_umask(
    ctreport: Any, tmp_path: Path, tiny: Path
) -> None:
    old_umask = os.umask(0o027)
    try:
        fresh = tmp_path / "fresh.db"
        assert ctreport(["export", str(fresh), "--data", str(tiny)]).code == 0
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o640
        fresh.chmod(0o604)
        assert ctreport(["export", str(fresh), "--data", str(tiny)]).code == 0
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o604
    finally:
        os.umask(old_umask)


def test_export_on_a_full_disk_says_so_in_one_line(tmp_path: Path, tiny: Path) -> None:
    existing = tmp_path / "kept.db"
    sqlite3.connect(existing).close()  # an empty database: replaced only by a complete one
    existing.write_bytes(existing.read_bytes())
    before = existing.read_bytes()
    for destination in (tmp_path / "new.db", existing):
        run = cli(
            ["export", str(destination), "--data", str(tiny), "--no-cache"],
            preexec=limited(file_size=16 * 1024),
        )
        assert run.returncode == 1, run.stderr
        assert one_line(run.stderr).startswith(f"ctreport: cannot write {destination}: ")
        assert run.stderr.rstrip().endswith("; nothing was replaced")
    assert not (tmp_path / "new.db").exists()
    assert existing.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.db"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_export_stopped_by_a_signal_leaves_nothing_behind(tmp_path: Path, tiny: Path, signum: int) -> None:
    # The signal arrives in the middle of writing, with the journal open.
    script = (
        "import os, sys\n"
        "from ct_report import export, cli\n"
        "fill = export._fill\n"
        "def killed(db, base):\n"
        "    fill(db, base)\n"
        f"    os.kill(os.getpid(), {int(signum)})\n"
        "export._fill = killed\n"
        "sys.argv = ['ctreport', 'export', sys.argv[1], '--data', sys.argv[2], '--no-cache']\n"
        "cli.main()\n"
    )
    destination = tmp_path / "out" / "stopped.db"
    destination.parent.mkdir()
    run = subprocess.run(
        [sys.executable, "-c", script, str(destination), str(tiny)], capture_output=True, text=True, timeout=30
    )
    assert run.returncode == 128 + signum, run.stderr
    assert one_line(run.stderr) == f"ctreport: stopped by {signal.Signals(signum).name}; nothing was written"
    assert list(destination.parent.iterdir()) == []


# --- 2. the cache cannot be forged -------------------------------------------------------


def only_cache() -> Path:
    (path,) = sorted(cache.cache_dir().glob("base-*.json"))
    return path


def forge(index: Path, old: bytes, new: bytes) -> Path:
    """Rewrite a cache as an attacker would: the data file holding `old`, same length, its
    segments' checksums and the index's own recomputed. Returns the data file."""
    assert len(old) == len(new)
    raw = index.read_bytes()
    newline = raw.rfind(b"\n", 0, len(raw) - 1)
    header = json.loads(raw[newline + 1 : -1])
    (number, name), *_ = [
        (n, name) for n, (name, _) in enumerate(header["data"]) if old in (index.parent / name).read_bytes()
    ]
    data = (index.parent / name).read_bytes().replace(old, new)
    for section in header["sections"].values():
        for segment in section:
            if segment[0] == number:
                segment[3] = zlib.crc32(data[segment[1] : segment[2]])
    target = index.parent / name
    for path, content in ((target, data), (index, raw[: raw.index(b"\n") + 1] + cache._trailer_line(header))):
        mode = stat.S_IMODE(path.stat().st_mode)
        path.write_bytes(content)
        path.chmod(mode)
    return target


def test_the_cache_folder_is_created_private(ctreport: Any, tiny: Path) -> None:
    assert ctreport(["arrests", "--count", "--data", str(tiny)]).code == 0
    assert stat.S_IMODE(cache.cache_dir().stat().st_mode) == 0o700


@pytest.mark.parametrize("who", ["group-writable file", "group-writable index", "other user's file", "shared folder"])
def test_a_cache_others_can_write_is_not_trusted(ctreport: Any, base_dir: Path, who: str) -> None:
    args = ["arrests", "--data", str(base_dir), "--fields", "id,arrested", "--no-header"]
    assert ctreport(args).out == "t-arrests\tat least 55\n"
    path = only_cache()
    forged = forge(path, b"at least 55", b"at least 99")
    if who == "group-writable file":
        forged.chmod(0o664)
    elif who == "group-writable index":
        path.chmod(0o664)
    elif who == "other user's file":
        if not ROOT:
            pytest.skip("giving a file to another user needs root")
        os.chown(forged, 4242, 4242)
    else:
        path.parent.chmod(0o777)
    run = ctreport(args)
    assert run.code == 0, run.err
    assert run.out == "t-arrests\tat least 55\n"  # from the YAML, not the forged cache
    warning = one_line(run.err)
    assert warning.startswith("ctreport: warning: ") and (
        "writable by other users" in warning or "another user" in warning
    )
    if who == "shared folder":
        assert "not using it" in warning
        assert b"at least 99" in forged.read_bytes()  # neither read nor written


@pytest.mark.parametrize(
    "unsafe",
    [
        "\x1b[2J\x1b]0;\x07",  # C0: erase the screen, set the window title
        "\x7f",  # DEL
        "\x9b2J",  # the C1 control introducing a sequence (CSI), two bytes in UTF-8
        "\u202e",  # RIGHT-TO-LEFT OVERRIDE, three bytes
        "\u2067",  # RIGHT-TO-LEFT ISOLATE
    ],
)
@pytest.mark.parametrize("part_bytes", [1 << 20, 1], ids=["one part", "one row a part"])
def test_stored_rows_with_escapes_never_reach_stdout_raw(
    ctreport: Any, base_dir: Path, unsafe: str, part_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ct_report import render, segments

    # One row a part: the forged row, the last, is checked after a clean one, which must not
    # be written before it is (the answer would then be written twice, and not be JSON). The
    # whole answer is read a segment a run, so segments are made a row each too.
    monkeypatch.setattr(render, "_PART_BYTES", part_bytes)
    if part_bytes == 1:
        monkeypatch.setattr(segments, "SEGMENT_BYTES", 1)
    args = ["partners", "--data", str(base_dir), "--json"]
    assert ctreport(args).code == 0
    written, clean = (unsafe + "operation").encode(), "operation with France [/x] [bold]not markup[/bold]"
    forged = b"Strong cooperation"
    if part_bytes == 1:
        written, clean, forged = (unsafe + "X").encode(), "X.", b"Member of Forum X"
    forge(only_cache(), forged[-len(written) :].rjust(len(written), b"x"), written)
    run = ctreport(args)
    assert run.code == 0, run.err
    assert not any(character in run.raw for character in unsafe if unicodedata.category(character) in ("Cc", "Cf"))
    assert any(row["statement"].endswith(clean) for row in run.json())
    assert run.json()[-1]["statement"].endswith(clean) == (part_bytes == 1)


@pytest.mark.parametrize("output", [["--json"], ["--format", "ndjson"]], ids=" ".join)
def test_a_stored_row_broken_by_a_raw_line_break_is_never_written(
    ctreport: Any, base_dir: Path, output: list[str]
) -> None:
    args = ["partners", "--data", str(base_dir), *output]
    first = ctreport(args)
    assert first.code == 0
    forge(only_cache(), b"Strong cooperation", b"Strong\ncooperation")  # in every section holding it
    run = ctreport(args)
    # Never invalid JSON: the break is found when the rows are counted, and the cache goes.
    assert run.code != 0 and run.raw == ""
    assert "broke while in use" in one_line(run.err) and "run the command again" in run.err
    again = ctreport(args)
    assert (again.code, again.raw) == (0, first.raw)


@pytest.mark.parametrize(
    "args", [["partners", "--json"], ["partners", "--format", "csv"], ["search", "France", "--json"]], ids=" ".join
)
def test_a_stored_row_that_is_not_utf8_is_a_broken_cache(ctreport: Any, base_dir: Path, args: list[str]) -> None:
    args = [*args, "--data", str(base_dir)]
    first = ctreport(args)
    assert first.code == 0
    forge(only_cache(), b"Strong cooperation", b"\xffStrong cooperatio")  # checksums recomputed
    run = ctreport(args)
    assert run.code != 0 and run.raw == ""
    assert "broke while in use" in one_line(run.err) and "internal error" not in run.err
    again = ctreport(args)
    assert (again.code, again.raw) == (0, first.raw)


def test_a_fifo_in_place_of_the_cache_file_does_not_hang(base_dir: Path) -> None:
    args = ["arrests", "--data", str(base_dir), "--count"]
    assert cli(args).returncode == 0
    path = only_cache()
    path.unlink()
    os.mkfifo(path)
    run = cli(args, timeout=20)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "1\n"
    assert "not a regular file" in one_line(run.stderr)
    assert stat.S_ISREG(path.stat().st_mode)  # rebuilt in its place


# --- 3. a cache built while a file changes is never kept ----------------------------------


def test_a_file_changed_while_the_cache_is_built_leaves_no_stale_cache(
    base_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = base_dir / "ma-2021.yaml"
    original = load.read_texts

    def edited_meanwhile(*args: Any, **kwargs: Any) -> Any:
        # The YAML was read; another program saves the file before the cache is written.
        facts.write_text(facts.read_text(encoding="utf-8").replace("At least 55", "At least 56"), encoding="utf-8")
        os.utime(facts, ns=(2_000_000_000_000_000_000, 2_000_000_000_000_000_000))
        monkeypatch.setattr(load, "read_texts", original)
        return original(*args, **kwargs)

    monkeypatch.setattr(load, "read_texts", edited_meanwhile)
    selection = DataSelection((base_dir,))
    load_base(selection)
    statements = {f.id: f.statement for f in load_base(selection).facts}
    assert statements["t-arrests"] == "At least 56 people were arrested."


# --- 4. no hang, no unbounded memory --------------------------------------------------------


@pytest.mark.parametrize("attack", ["fifo", "device", "sparse", "fifo-text"])
def test_hostile_files_are_refused_before_reading(base_dir: Path, attack: str) -> None:
    if attack == "fifo":
        target, expected = base_dir / "x.yaml", "x.yaml:1:1: a FIFO (named pipe), not a regular file"
        os.mkfifo(target)
    elif attack == "device":
        if not ROOT:
            pytest.skip("creating a device file needs root")
        target, expected = base_dir / "x.yaml", "x.yaml:1:1: a character device, not a regular file"
        os.mknod(target, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero
    elif attack == "sparse":
        target = base_dir / "x.yaml"
        with target.open("wb") as sparse:
            sparse.truncate(3 << 30)
        expected = "x.yaml:1:1: file is 3,221,225,472 bytes, over the limit of 8,388,608; split it into smaller files"
    else:
        target = base_dir / "article.txt"
        target.unlink()
        os.mkfifo(target)
        expected = "source text 'article.txt' cannot be read"
    run = cli(["validate", str(base_dir)], preexec=limited(memory=True), timeout=30)
    assert run.returncode == 1, run.stderr
    assert expected in run.stdout
    assert "internal error" not in run.stderr


def test_a_symlink_to_dev_zero_is_refused(base_dir: Path) -> None:
    (base_dir / "zero.yaml").symlink_to("/dev/zero")
    run = cli(["validate", str(base_dir)], preexec=limited(memory=True), timeout=30)
    assert run.returncode == 1, run.stderr
    assert f"{base_dir / 'zero.yaml'}:1:1: symbolic link to a file outside the fact-base folder" in run.stdout


def test_a_base_over_the_total_limit_is_refused(ctreport: Any, base_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "MAX_BASE_BYTES", 2000)
    run = ctreport(["validate", str(base_dir)])
    assert run.code == 1
    assert "the fact base is over the limit of 2,000 bytes in all" in run.out


def test_the_total_limit_can_be_raised_for_a_larger_base(
    ctreport: Any, base_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load, "MAX_BASE_BYTES", 2000)
    refused = ctreport(["validate", str(base_dir)])
    assert refused.code == 1 and "raise the limit with CTREPORT_MAX_BASE_MB" in refused.out
    monkeypatch.setenv("CTREPORT_MAX_BASE_MB", "1")
    run = ctreport(["validate", str(base_dir)])
    assert run.code == 0 and "ok:" in run.out + run.err


@pytest.mark.parametrize("value", ["lots", "0", "-5", "1.5", "\x1b[2J", pytest.param("9" * 5000, id="5000-digits")])
def test_a_total_limit_that_is_not_a_number_is_a_usage_error(ctreport: Any, base_dir: Path, value: str) -> None:
    assert ctreport(["arrests", "--count", "--data", str(base_dir)]).code == 0  # the cache would answer
    run = ctreport(["arrests", "--count", "--data", str(base_dir)], env={"CTREPORT_MAX_BASE_MB": value})
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("ctreport: CTREPORT_MAX_BASE_MB is '") and run.err.count("\n") == 1
    assert "\x1b" not in run.err


# --- 5. a fact base stays inside its folder -----------------------------------------------


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_symlink_out_of_the_base_is_refused_and_validate_says_so(
    ctreport: Any, base_dir: Path, tmp_path: Path, what: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "more.yaml").write_text("countries:\n  - {code: ES, alpha3: ESP, name: {en: Spain}, regions: []}\n")
    link = base_dir / ("more.yaml" if what == "file" else "more")
    link.symlink_to(outside / "more.yaml" if what == "file" else outside)
    run = ctreport(["validate", str(base_dir)])
    assert run.code == 1
    assert f"{link}:1:1: symbolic link to a {what} outside the fact-base folder ({outside}" in run.out
    assert ctreport(["arrests", "--data", str(base_dir)]).code == 1


def test_symlinks_inside_the_base_are_followed_once(ctreport: Any, base_dir: Path) -> None:
    (base_dir / "again").symlink_to(base_dir)  # a loop, and a second way to every file
    (base_dir / "alias.yaml").symlink_to(base_dir / "ma-2021.yaml")
    run = cli(["validate", str(base_dir)], timeout=30)
    assert run.returncode == 0, run.stdout
    assert run.stderr.startswith("ok: 2 files,")


def test_a_single_file_base_reads_texts_only_inside_its_folder(ctreport: Any, base_dir: Path) -> None:
    inner = base_dir / "inner"
    inner.mkdir()
    single = inner / "base.yaml"
    single.write_text(
        (base_dir / "base.yaml").read_text(encoding="utf-8").replace("text: article.txt", "text: ../article.txt")
    )
    run = ctreport(["validate", str(single)])
    assert run.code == 1
    assert "source text '../article.txt' cannot be read" in run.out


# --- 6. nothing printed raw ------------------------------------------------------------------

FORGED_NAME = "bad\x1b[31m\n::error file=evil.yaml,line=1::forged.yaml"


def test_a_hostile_file_name_cannot_drive_the_terminal_or_forge_annotations(ctreport: Any, base_dir: Path) -> None:
    (base_dir / FORGED_NAME).write_text("facts: [\n", encoding="utf-8")
    for args in (["validate", str(base_dir)], ["arrests", "--data", str(base_dir)]):
        run = ctreport(args)
        assert run.code == 1
        for text in (run.raw, run.err):
            assert "\x1b" not in text
            assert not any(line.startswith("::") for line in text.splitlines()), text
        assert "bad\\u001b[31m\\u000a::error file=evil.yaml" in run.raw + run.err


def test_arguments_echoed_in_errors_are_escaped(ctreport: Any) -> None:
    for args in (
        ["arrests", "--country", "X\x1b[2J\n::error ::x"],
        ["nope\x1b[2J"],
        ["export", "x.db", "--bad\x1b]0;t\x07"],
    ):
        run = ctreport(args)
        assert run.code in (1, 2), run.err
        assert "\x1b" not in run.err and "\x07" not in run.err
        assert not any(line.startswith("::") for line in run.err.splitlines())


def test_markdown_escapes_html_and_links() -> None:
    buffer = io.StringIO()
    row = {"v": "<script>alert(1)</script> & [click](javascript:alert(1)) <javascript:alert(1)>"}
    render_rows([row], [Field("v", "")], Options("markdown"), Terminal(buffer, io.StringIO(), False, False))
    out = buffer.getvalue()
    assert "<" not in out and ">" not in out and "](" not in out.replace("\\](", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; \\[click\\](javascript:alert(1))" in out


@pytest.mark.parametrize("cell", [" =1+1", "\u3000=1", "\n=1", "＝1+1", "＋1", "－1", "＠SUM(A1)", "=1", "\t1"])
def test_csv_neutralises_formulas_behind_blanks_and_full_width_signs(cell: str) -> None:
    buffer = io.StringIO()
    render_rows(
        [{"v": cell}], [Field("v", "")], Options("csv", header=False), Terminal(buffer, io.StringIO(), False, False)
    )
    assert buffer.getvalue().lstrip('"').startswith("'"), buffer.getvalue()


# --- 7. small crashes -------------------------------------------------------------------------


@pytest.mark.parametrize("columns", ["abc", "0", "-5", "", "٣"])
def test_a_bad_columns_setting_falls_back_to_80(ctreport: Any, columns: str) -> None:
    run = ctreport(["arrests", "-c", "MA", "--format", "table"], env={"COLUMNS": columns})
    assert run.code == 0, run.err
    assert run.out == ctreport(["arrests", "-c", "MA", "--format", "table"], env={"COLUMNS": "80"}).out


def test_help_to_a_full_disk_is_one_line(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "ct_report", "--help"], stdout=full, stderr=subprocess.PIPE, text=True, timeout=30
        )
    assert run.returncode == 1
    assert one_line(run.stderr) == "ctreport: cannot write the output: No space left on device"


def test_a_huge_cell_renders_quickly_and_is_cut_on_a_table() -> None:
    script = (
        "import io\n"
        "from ct_report.fields import Field\n"
        "from ct_report.render import Options, Terminal, render_rows\n"
        "buffer = io.StringIO()\n"
        "rows = [{'id': 'x', 'statement': 'word ' * 1_200_000}]\n"
        "render_rows(rows, [Field('id', ''), Field('statement', '')], Options('table'),"
        " Terminal(buffer, io.StringIO(), True, False))\n"
        "print(buffer.getvalue().count('word'), buffer.getvalue().count('…'))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=10)
    assert run.returncode == 0, run.stderr
    words, ellipses = map(int, run.stdout.split())
    # The terminal shows the start of the cell (a few lines, at most 2,000 characters) and '…'.
    assert 0 < words <= 400 and ellipses == 1


# --- 8. validation gaps -----------------------------------------------------------------------


def base_with(base_dir: Path, countries: str) -> Path:
    extra = base_dir / "extra.yaml"
    extra.write_text("countries:\n" + countries, encoding="utf-8")
    return extra


@pytest.mark.parametrize(
    ("countries", "expected"),
    [
        (
            "  - {code: XM, alpha3: MAR, name: {en: Marocco}, regions: []}\n",
            "extra.yaml:2:24: duplicate country alpha3 'MAR', first defined at",
        ),
        (
            "  - {code: XM, alpha3: XMA, name: {en: Xm}, regions: [], aliases: [morocco]}\n",
            "extra.yaml:2:67: alias 'morocco' of XM is the name of MA;",
        ),
        (
            "  - {code: XM, alpha3: XMA, name: {en: Xm}, regions: [], aliases: [FRA]}\n",
            "extra.yaml:2:67: alias 'FRA' of XM is the code of FR;",
        ),
        (
            "  - {code: XM, alpha3: XMA, name: {en: Mоrocco}, regions: []}\n",
            "extra.yaml:2:40: 'Mоrocco' mixes Cyrillic and Latin letters in one word; retype it in one script",
        ),
    ],
)
def test_ambiguous_or_disguised_countries_are_refused(
    ctreport: Any, base_dir: Path, countries: str, expected: str
) -> None:
    base_with(base_dir, countries)
    run = ctreport(["validate", str(base_dir)])
    assert run.code == 1
    assert any(line.startswith(str(base_dir / expected)) for line in run.out.splitlines()), run.out


def test_a_field_given_twice_is_a_usage_error(ctreport: Any, tiny: Path) -> None:
    run = ctreport(["arrests", "--data", str(tiny), "--fields", "id,id"])
    assert run.code == 2 and run.out == ""
    assert one_line(run.err) == "ctreport: field 'id' is given twice in --fields; give each field once"


def test_a_sort_field_with_two_dashes_is_a_usage_error(ctreport: Any, tiny: Path) -> None:
    run = ctreport(["arrests", "--data", str(tiny), "--sort=--year"])
    assert run.code == 2 and run.out == ""
    assert one_line(run.err).startswith("ctreport: unknown sort field '-year' (did you mean 'year'?)")
