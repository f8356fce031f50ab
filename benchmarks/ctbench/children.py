"""Running children: one command to completion, timed, in an environment of its own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_bytes: int | None
    returncode: int
    stdout: Path
    stderr: str


def run_child(cmd: Sequence[str], env: dict[str, str], stdout: Path) -> Run:
    """Run one command to completion: wall time, the child's own peak RSS, exit code, stderr."""
    with stdout.open("wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        peak: int | None = None
        if hasattr(os, "wait4"):
            # wait4 gives this child's own rusage, so peaks of earlier children do not leak in
            # (as they would with RUSAGE_CHILDREN, which keeps the maximum over all of them).
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
            code = os.waitstatus_to_exitcode(status)
            proc.returncode = code
            peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        else:  # pragma: no cover - Windows
            code = proc.wait()
            seconds = time.perf_counter() - start
        err.seek(0)
        message = err.read().decode("utf-8", "replace")
    return Run(seconds, peak, code, stdout, message)


def child_env(work: Path, cache_dir: Path) -> dict[str, str]:
    """The caller's environment without fact-base overrides, with private cache folders and
    room for bases over ctreport's default limit of 256 MiB.

    Bytecode is cached under `work` (PYTHONPYCACHEPREFIX) even when the caller sets
    PYTHONDONTWRITEBYTECODE: an installed ctreport has its .pyc files, and a checkout should
    not be timed recompiling every module on every run, nor get __pycache__ folders written into it.
    """
    drop = ("CTREPORT_DATA", "CTREPORT_ADD", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env["CTREPORT_CACHE_DIR"] = str(cache_dir)
    # ctreport refuses a base over 256 MiB unless told otherwise; the 1,000,000-fact base is 0.5 GB.
    env.setdefault("CTREPORT_MAX_BASE_MB", "4096")
    return env


def ctreport_command() -> tuple[list[str], str]:
    """The ctreport executable beside this interpreter, else on PATH, else `python -m ct_report`."""
    name = "ctreport.exe" if os.name == "nt" else "ctreport"
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)], str(beside)
    found = shutil.which("ctreport")
    if found:
        return [found], found
    return [sys.executable, "-m", "ct_report"], f"{sys.executable} -m ct_report (no ctreport executable found)"


def bundled_data_dir() -> Path:
    """Ask the installed package where its bundled fact base is; fall back to the checkout's data/."""
    probe = "from ct_report.load import bundled_data_dir; print(bundled_data_dir())"
    try:
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
        path = Path(out.stdout.strip())
        if path.is_dir():
            return path
    except (OSError, subprocess.SubprocessError):
        pass
    return REPO / "data"


def json_rows(path: Path) -> int | None:
    """Number of items in a JSON array output, or None when it is not one."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return len(value) if isinstance(value, list) else None


def jsonl_rows(path: Path) -> int:
    try:
        return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    except OSError:
        return 0
