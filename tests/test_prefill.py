"""The helper process that reads half of a large base's files into the file store: the base is
the same with it, without it, and whatever the helper leaves undone."""

from __future__ import annotations

import os
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
def helped(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every base is large enough for a helper, on a machine with two cores; the names of the
    files this process parses itself."""
    monkeypatch.setattr(prefill, "MIN_FILES", 1)
    monkeypatch.setattr(prefill, "_cores", lambda: 2)
    parsed: list[str] = []
    real = incremental.parse_file

    def counted(data: bytes, name: str, label: str) -> Any:
        parsed.append(name)  # in this process only: the helper counts in its own copy
        return real(data, name, label)

    monkeypatch.setattr(incremental, "parse_file", counted)
    return parsed


def yaml_files() -> list[str]:
    return load.list_files((Path(os.environ["CTREPORT_DATA"]),)).names


def answers(ctreport: Any, *extra: str) -> list[tuple[int, str, str]]:
    runs = [ctreport([*args, *extra]) for args in ANSWERS]
    return [(run.code, run.raw, run.err) for run in runs]


def test_the_helper_reads_every_other_file_and_the_answers_are_the_same(ctreport: Any, helped: list[str]) -> None:
    uncached = answers(ctreport, "--no-cache")
    helped.clear()
    assert answers(ctreport) == uncached
    files = yaml_files()
    assert len(files) > 2 and helped == files[::2]  # the others came from the store, parsed by the helper


def test_what_the_helper_leaves_undone_is_read_here(
    ctreport: Any, helped: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    uncached = answers(ctreport, "--no-cache")
    helped.clear()
    monkeypatch.setattr(load, "_filler", lambda store: lambda path, root: None)  # a helper that does nothing
    assert answers(ctreport) == uncached
    assert sorted(helped) == sorted(yaml_files())  # each once: its own first, then the helper's


def test_a_stuck_helper_is_stopped(ctreport: Any, helped: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    uncached = answers(ctreport, "--no-cache")
    started = time.monotonic()
    monkeypatch.setattr(load, "_filler", lambda store: lambda path, root: time.sleep(60))
    assert answers(ctreport)[0] == uncached[0]
    assert time.monotonic() - started < 30


def test_a_failing_helper_changes_nothing(ctreport: Any, helped: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    uncached = answers(ctreport, "--no-cache")

    def failing(path: Path, root: Path) -> None:
        raise RuntimeError("the helper broke")

    monkeypatch.setattr(load, "_filler", lambda store: failing)
    assert answers(ctreport) == uncached
