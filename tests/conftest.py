from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from ct_report.cli import app

# CI runs the property tests with a fixed seed, so a submission's result does not depend on
# luck; locally they explore new examples on every run.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

FIXTURES = Path(__file__).parent / "fixtures"
TINY = FIXTURES / "tiny"
BASE = FIXTURES / "base"
"""The behaviour tests' fact base: a frozen copy of the bundled base as it stood when the North
Africa research began, so that editing the bundled data breaks only the data tests."""


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's environment: no colour settings, a private cache, and the
    fixture base in place of the bundled one (see `bundled` for the data tests)."""
    for name in ("CTREPORT_ADD", "NO_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CTREPORT_DATA", str(BASE))
    monkeypatch.setenv("CTREPORT_CACHE_DIR", str(tmp_path / "cache"))
    yield


@pytest.fixture
def bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    """For the data tests: the fact base that ships with ctreport."""
    monkeypatch.delenv("CTREPORT_DATA")


class Run:
    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        result = CliRunner().invoke(app, args, env=env)
        self.result = result
        self.code = result.exit_code
        self.out = result.stdout
        self.raw = result.stdout_bytes.decode("utf-8")
        """stdout exactly as written; `out` has line endings normalised to \\n."""
        self.err = result.stderr

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)


@pytest.fixture
def ctreport() -> Any:
    return Run


@pytest.fixture
def tiny() -> Path:
    return TINY


@pytest.fixture
def helpers_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every base is large enough for helper processes (`prefill`), on a machine with two
    cores, whatever CTREPORT_JOBS says outside; skipped where helpers never run."""
    import sys

    from ct_report import prefill

    if not sys.platform.startswith("linux"):
        pytest.skip("the helpers run on Linux only")
    monkeypatch.setattr(prefill, "MIN_FILES", 1)
    monkeypatch.setattr(prefill, "_cores", lambda: 2)
    monkeypatch.delenv("CTREPORT_JOBS", raising=False)
