"""The helper process that reads half of a large base's files into the file store: the base is
the same with it, without it, and whatever the helper leaves undone."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ct_report import incremental, load, prefill

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper runs on Linux only")

ANSWERS = [
    ["partners", "--json"],
    ["arrests", "--format", "csv"],
    ["summary", "--json"],
    ["validate", "--json"],
]


@pytest.fixture
def helped(monkeypatch: pytest.MonkeyPatch, helpers_start: None) -> list[str]:
    """Every base is large enough for helpers, on a machine with two cores; the names of the
    files this process parses itself, which it parses slowly, so that helpers claim some."""
    parsed: list[str] = []
    real = incremental.parse_file
    main = os.getpid()

    def counted(data: bytes, name: str, label: str) -> Any:
        if os.getpid() == main:  # the helpers count in their own copies
            parsed.append(name)
            time.sleep(0.02)
        return real(data, name, label)

    monkeypatch.setattr(incremental, "parse_file", counted)
    return parsed


def yaml_files() -> list[str]:
    return load.list_files((Path(os.environ["CTREPORT_DATA"]),)).names


def answers(ctreport: Any, *extra: str) -> list[tuple[int, str, str]]:
    runs = [ctreport([*args, *extra]) for args in ANSWERS]
    return [(run.code, run.raw, run.err) for run in runs]


@pytest.mark.parametrize("jobs", ["", "2", "3", "5"])
def test_helpers_read_their_share_of_the_files_and_the_answers_are_the_same(
    ctreport: Any, helped: list[str], monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    uncached = answers(ctreport, "--no-cache")
    helped.clear()
    monkeypatch.setenv("CTREPORT_JOBS", jobs)
    assert answers(ctreport) == uncached
    files = yaml_files()
    # The others came from the helpers (by default, one per core); each of this process's once.
    assert len(files) > 5 and len(set(helped)) == len(helped) < len(files)


def test_each_process_claims_the_next_positions_as_it_goes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefill, "MAX_CLAIMS", 4)
    claims = prefill._Claims(10)  # claims of 3 positions: 0-2, 3-5, 6-8, 9
    helpers = prefill.Helpers(2, claims, None)
    try:
        assert claims.next() == range(0, 3)  # as a helper claims
        assert [helpers.takes(position) for position in range(3)] == [True] * 3
        assert [helpers.takes(position) for position in range(3, 6)] == [False] * 3  # this process's claim
        assert claims.next() == range(6, 9)
        assert [helpers.takes(position) for position in range(6, 10)] == [True, True, True, False]
        assert claims.next() == range(0)  # nothing left to claim
    finally:
        helpers.close()


def test_one_job_reads_in_this_process_alone(ctreport: Any, helped: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTREPORT_JOBS", "1")
    monkeypatch.setattr(os, "fork", lambda: pytest.fail("a helper was started"))
    assert ctreport(["partners", "--count"]).code == 0
    assert helped == yaml_files()


def test_a_helper_that_cannot_be_started_leaves_its_files_here(
    ctreport: Any, helped: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    uncached = answers(ctreport, "--no-cache")
    helped.clear()
    monkeypatch.setenv("CTREPORT_JOBS", "3")
    real_fork, forks = os.fork, []

    def second_fails() -> int:
        forks.append(1)
        if len(forks) == 2:
            raise OSError("no more processes")
        return real_fork()

    monkeypatch.setattr(os, "fork", second_fails)
    assert answers(ctreport) == uncached
    assert len(set(helped)) == len(helped) < len(yaml_files())


@pytest.mark.parametrize(
    "value", ["0", "two", "65", "-1", "1.5", "\x1b[2J", pytest.param("9" * 5000, id="5000-digits")]
)
def test_a_bad_jobs_setting_is_a_clear_error(ctreport: Any, value: str) -> None:
    assert ctreport(["arrests", "--count"]).code == 0  # even when the cache answers
    for args in (["arrests", "--count"], ["validate"]):
        run = ctreport(args, env={"CTREPORT_JOBS": value})
        assert run.code == 2, run.err
        assert run.err.startswith("ctreport: CTREPORT_JOBS is '") and run.err.count("\n") == 1
        assert "\x1b" not in run.err


def test_what_the_helper_leaves_undone_is_read_here(
    ctreport: Any, helped: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    uncached = answers(ctreport, "--no-cache")
    helped.clear()
    monkeypatch.setattr(load, "_filler", lambda store: lambda path, root: None)  # a helper that does nothing
    assert answers(ctreport) == uncached
    assert sorted(helped) == sorted(yaml_files())  # each once: its own first, then the helper's


@pytest.mark.parametrize("damage", ["not-utf-8", "over-the-total-limit", "none"])
def test_with_helpers_the_texts_give_the_problems_they_give_without(
    ctreport: Any, helpers_start: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    base = tmp_path / "base"
    shutil.copytree(Path(os.environ["CTREPORT_DATA"]), base)
    text = base / "texts" / "b83b063b8d390f1e.ar.txt"
    if damage == "not-utf-8":
        text.write_bytes(b"\xff\xfe not UTF-8")
    elif damage == "over-the-total-limit":
        yaml_bytes = sum(path.stat().st_size for path, _ in load.list_files((base,)).files)
        monkeypatch.setattr(load, "MAX_BASE_BYTES", yaml_bytes + text.stat().st_size - 1)
    uncached = ctreport(["validate", "--json", "--no-cache", str(base)])
    run = ctreport(["validate", "--json", str(base)])
    assert (run.code, run.raw) == (uncached.code, uncached.raw)
    assert run.code == (0 if damage == "none" else 1)
    if damage != "none":
        assert "b83b063b8d390f1e.ar.txt" in run.raw


def test_a_stuck_helper_is_stopped(ctreport: Any, helped: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    uncached = answers(ctreport, "--no-cache")
    real_fork, started = os.fork, []

    def recorded() -> int:
        pid = real_fork()
        if pid:
            started.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recorded)
    monkeypatch.setattr(load, "_filler", lambda store: lambda path, root: time.sleep(600))
    assert answers(ctreport)[0] == uncached[0]
    assert started  # the build, and `validate`, each started one
    for pid in started:
        with pytest.raises(ProcessLookupError):  # stopped and reaped, not left sleeping
            os.kill(pid, 0)


def test_a_failing_helper_changes_nothing(ctreport: Any, helped: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    uncached = answers(ctreport, "--no-cache")

    def failing(path: Path, root: Path) -> None:
        raise RuntimeError("the helper broke")

    monkeypatch.setattr(load, "_filler", lambda store: failing)
    assert answers(ctreport) == uncached


def test_a_helper_that_ended_is_never_signalled(monkeypatch: pytest.MonkeyPatch) -> None:
    helpers = prefill.Helpers(2, prefill._Claims(1), None)
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    helpers.pids.append(pid)
    signalled: list[int] = []
    monkeypatch.setattr(os, "kill", lambda pid, signum: signalled.append(pid))
    helpers.wait()
    helpers.close()
    # Once reaped, its process id may be another process's: it must not be killed.
    assert signalled == [] and helpers.pids == []


def test_an_interrupted_first_run_keeps_what_its_helper_read(
    ctreport: Any, monkeypatch: pytest.MonkeyPatch, helpers_start: None
) -> None:
    """Ctrl-C in the main process stops the helpers too; a helper seals the store pack it
    wrote (it is not left as a temporary file), so the next run does not parse those files
    again."""
    from ct_report import cache

    real, main = incremental.parse_file, os.getpid()

    def interrupted(data: bytes, name: str, label: str) -> Any:
        time.sleep(0.02)
        if os.getpid() == main:  # the helper has read a few files by then, and goes on
            time.sleep(0.1)
            raise KeyboardInterrupt
        return real(data, name, label)

    monkeypatch.setattr(incremental, "parse_file", interrupted)
    run = ctreport(["partners", "--count"])
    assert run.code == 130 and run.err == ""
    (folder,) = cache.cache_dir().glob("*.files")
    names = [path.name for path in folder.iterdir()]
    assert names and all(name.endswith(".pack") for name in names)
    read = [key for name in names for key in cache._pack_index(str(folder / name))]
    assert 0 < len(read) < len(yaml_files())
    parsed: list[str] = []
    monkeypatch.setattr(incremental, "parse_file", lambda *args: parsed.append(args[1]) or real(*args))
    monkeypatch.setenv("CTREPORT_JOBS", "1")
    assert ctreport(["partners", "--count"]).code == 0
    assert len(parsed) == len(yaml_files()) - len(read)
