"""The installed `ctreport` script, run as a user runs it: a real process, real pipes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = shutil.which("ctreport", path=str(Path(sys.executable).parent)) or shutil.which("ctreport")
pytestmark = pytest.mark.skipif(SCRIPT is None, reason="ctreport is not installed")


def run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT is not None
    # Without PYTHONUNBUFFERED (set on some machines, rarely by users): output is buffered, so
    # a lost flush would show.
    environment = (
        {k: v for k, v in os.environ.items() if not k.startswith("CTREPORT_") and k != "PYTHONUNBUFFERED"}
        | {"CTREPORT_DATA": os.environ["CTREPORT_DATA"]}
        | env
    )
    return subprocess.run(
        [SCRIPT, *args], capture_output=True, text=True, encoding="utf-8", cwd=cwd, env=environment, timeout=60
    )


def test_installed_script_answers_from_any_directory(tmp_path: Path) -> None:
    """The one run of the installed script on the bundled base: it ships inside the package."""
    result = run("partners", "--region", "europe", "--json", cwd=tmp_path, CTREPORT_DATA="")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and all("m49:europe" in r["regions"] or "crt:europe" in r["regions"] for r in rows)
    assert result.stderr == ""


def test_python_dash_m(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ct_report", "--version"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0 and result.stdout.startswith("ctreport ")


def test_piping_into_head_is_silent() -> None:
    assert SCRIPT is not None
    pipeline = subprocess.run(
        f"'{SCRIPT}' summary --format plain | head -1",
        shell=True,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert pipeline.stdout.count("\n") == 1
    assert pipeline.stderr == ""


def test_no_colour_or_boxes_when_piped() -> None:
    result = run("arrests")
    assert result.returncode == 0
    assert "\x1b" not in result.stdout
    assert not set(result.stdout) & set("─│┃━┏┓")


def test_ascii_only_stdout_degrades_with_a_warning() -> None:
    result = run("summary", PYTHONIOENCODING="ascii")
    assert result.returncode == 0
    assert "warning: stdout encoding" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exit_code_and_stderr() -> None:
    result = run("partners", "--region", "atlantis")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("ctreport: unknown region 'atlantis'")


def test_table_on_an_ascii_stdout_degrades_instead_of_crashing() -> None:
    result = run("arrests", "--format", "table", PYTHONIOENCODING="ascii")
    assert result.returncode == 0, result.stderr
    assert "warning: stdout encoding" in result.stderr
    assert "Traceback" not in result.stderr


def test_click_usage_errors_are_one_line() -> None:
    result = run("arrests", "--since", "abc")
    assert result.returncode == 2 and result.stdout == ""
    assert (
        result.stderr
        == "ctreport: Invalid value for '--since': 'abc' is not a valid int; see ctreport arrests --help\n"
    )


def test_table_into_head_exits_quietly() -> None:
    assert SCRIPT is not None
    pipeline = subprocess.run(
        f"set -o pipefail; '{SCRIPT}' partners --format table | head -1",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert pipeline.returncode == 0, pipeline.stderr
    assert pipeline.stderr == ""


def test_help_and_version_into_a_closed_pipe_exit_0() -> None:
    assert SCRIPT is not None
    for args in ("--version", "-h", "schema"):
        pipeline = subprocess.run(
            f"set -o pipefail; '{SCRIPT}' {args} | true",
            shell=True,
            executable="/bin/bash",
            capture_output=True,
            text=True,
        )
        assert pipeline.returncode == 0, (args, pipeline.stderr)
        assert "Traceback" not in pipeline.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_one_line_not_a_traceback() -> None:
    assert SCRIPT is not None
    for args in ("schema", "arrests --json"):
        result = subprocess.run(f"'{SCRIPT}' {args} > /dev/full", shell=True, capture_output=True, text=True)
        assert result.returncode == 1, args
        assert result.stderr.startswith("ctreport: cannot write the output:"), result.stderr
        assert "Traceback" not in result.stderr


def test_no_arguments_prints_the_overview_on_stdout() -> None:
    result = run()
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: ctreport")
    assert "arrests" in result.stdout


def test_json_on_an_ascii_stdout_escapes_instead_of_losing_text() -> None:
    result = run("financing", "-y", "2021", "--json", PYTHONIOENCODING="ascii")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    assert rows[0]["body_name_ar"] == "مجموعة العمل المالي لمنطقة الشرق الأوسط وشمال إفريقيا"


def test_a_large_answer_arrives_whole_through_a_pipe(tmp_path: Path) -> None:
    """ctreport ends without the interpreter's teardown: everything written must still arrive."""
    base = tmp_path / "base"
    shutil.copytree(Path(__file__).parent / "fixtures" / "tiny", base)
    lines = ["country: MA", "year: 2021", "edition: crt-2021", "facts:"]
    for number in range(400):
        lines += [
            f"  - id: bulk-{number}",
            "    kind: arrests",
            "    source: article",
            f"    statement: {'Arrests reported in the chapter, item number ' * 4}{number}.",
            f"    arrested: {{value: {number}, qualifier: exact}}",
        ]
    (base / "bulk.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for attempt in ("builds the cache", "answers from it"):
        result = run("arrests", "--data", str(base), "--json", CTREPORT_CACHE_DIR=str(tmp_path / "cache"))
        assert result.returncode == 0, (attempt, result.stderr)
        assert len(result.stdout.encode()) > 1 << 16  # more than a pipe holds at once
        assert sum(1 for row in json.loads(result.stdout) if row["id"].startswith("bulk-")) == 400, attempt


def test_a_profiler_still_reports() -> None:
    """The fast exit steps aside under a profiler (or coverage, or a debugger)."""
    result = subprocess.run(
        [sys.executable, "-m", "cProfile", "-s", "cumtime", "-m", "ct_report", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("ctreport ") and "function calls" in result.stdout


@pytest.mark.parametrize(
    ("redirect", "args", "code", "stderr"),
    [
        ("2>&-", "arrests --json", 0, ""),
        ("2>&-", "arrests --country XX", 2, ""),
        (">&-", "--version", 0, ""),
        (">&-", "arrests --json", 1, "ctreport: cannot write the output: stdout is closed\n"),
    ],
)
def test_closed_streams_keep_their_exit_codes(redirect: str, args: str, code: int, stderr: str) -> None:
    assert SCRIPT is not None
    result = subprocess.run(f"'{SCRIPT}' {args} {redirect}", shell=True, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (code, stderr)


def test_a_warm_query_imports_nothing_only_a_build_needs(tmp_path: Path) -> None:
    """Every module a query imports is paid on every keystroke: the YAML parser, the helpers'
    pickling and temporary files, and what names new cache files belong to a build."""
    cache = str(tmp_path / "cache")
    assert run("partners", "--count", CTREPORT_CACHE_DIR=cache).returncode == 0
    warm = run("partners", "--region", "europe", "--json", CTREPORT_CACHE_DIR=cache, PYTHONPROFILEIMPORTTIME="1")
    imported = {line.split("|")[-1].strip() for line in warm.stderr.splitlines() if "|" in line}
    assert warm.returncode == 0 and json.loads(warm.stdout), warm.stderr[-2000:]
    assert "ct_report.cache" in imported
    assert not imported & {"yaml", "pickle", "tempfile", "secrets", "hashlib"}
