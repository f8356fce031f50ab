"""What a run prints: the environment header, plain-text tables and ratios."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from collections.abc import Sequence

from ctbench.children import REPO


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """A plain-text table; the first `left` columns are left-aligned, the rest right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def ratio(value: float | None, reference: float | None) -> str:
    if value is None or reference is None or reference <= 0:
        return "n/a"
    return f"{value / reference:.2f}x"


def say(text: str = "") -> None:
    print(text, flush=True)


def environment_header(ctreport: str) -> None:
    say(f"date:       {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    say(f"platform:   {platform.platform()}")
    say(f"python:     {platform.python_implementation()} {platform.python_version()} ({sys.executable})")
    say(f"cpus:       {os.cpu_count()}")
    say(f"ctreport:   {ctreport}")
    ignored = " (PYTHONDONTWRITEBYTECODE ignored)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    say(f"bytecode:   children cache .pyc files in the temporary folder{ignored}")
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        if commit:
            say(f"commit:     {commit}{' (modified)' if dirty else ''}")
    except (OSError, subprocess.SubprocessError):
        pass
