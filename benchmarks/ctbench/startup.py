"""Part 1: start-up and query time on the bundled base, in interleaved rounds."""

from __future__ import annotations

import shutil
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ctbench.children import bundled_data_dir, child_env, json_rows, jsonl_rows, run_child
from ctbench.report import ratio, say, table

YQ_FILTER = '.facts[]? | select(.kind=="partner" and (.partner=="BE" or .partner=="FR" or .partner=="ES"))'
TYPER = 'python -c "import typer"'


@dataclass
class Timed:
    label: str
    cmd: list[str]
    times: list[float] = field(default_factory=list)
    failure: str | None = None
    rows: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times and self.failure is None else None


def commands(ctreport: list[str], data: Path) -> list[Timed]:
    """ctreport, yq when it is on PATH, then the two floors: importing Typer and bare Python."""
    python = sys.executable
    found = [Timed("ctreport partners --region europe --json", [*ctreport, "partners", "--region", "europe", "--json"])]
    yq = shutil.which("yq")
    files = sorted(str(p) for p in (data / "facts").rglob("*.yaml"))
    if yq is None:
        say("note: yq not found on PATH; the yq row is skipped")
    else:
        found.append(Timed(f"yq -c '<partner BE|FR|ES>' ({len(files)} files)", [yq, "-c", YQ_FILTER, *files]))
    found.append(Timed(TYPER, [python, "-c", "import typer"]))
    found.append(Timed("python -c pass", [python, "-c", "pass"]))
    return found


def time_rounds(items: list[Timed], rounds: int, env: dict[str, str], out: Path) -> None:
    """One untimed warm-up round, then `rounds` timed ones; the first command rotates each round,
    so that a slow moment of the machine spreads over every command."""
    for round_number in range(rounds + 1):
        shift = round_number % len(items)
        for item in items[shift:] + items[:shift]:
            if item.failure is not None:
                continue
            run = run_child(item.cmd, env, out)
            if run.returncode != 0:
                item.failure = f"exit {run.returncode}: {run.stderr.strip()[:300]}"
                continue
            if round_number == 0:  # warm-up: page cache, .pyc files; also count the answer once
                count_output(item, out)
                continue
            item.times.append(run.seconds)


def count_output(item: Timed, out: Path) -> None:
    if item.label.startswith("ctreport"):
        item.rows = f"{json_rows(out)} rows"
    elif item.label.startswith("yq"):
        item.rows = f"{jsonl_rows(out)} facts"


def result_rows(items: list[Timed], yq_item: Timed | None) -> list[list[str]]:
    typer_median = next(c for c in items if c.label == TYPER).median
    yq_median = yq_item.median if yq_item else None
    rows = []
    for item in items:
        if item.median is None:
            rows.append([item.label, "failed", "", "", "", item.rows])
            continue
        rows.append(
            [
                item.label,
                f"{item.median * 1000:.1f}",
                f"{min(item.times) * 1000:.1f}",
                ratio(item.median, typer_median),
                ratio(item.median, yq_median),
                item.rows,
            ]
        )
    return rows


def startup(ctreport: list[str], rounds: int, work: Path) -> None:
    say()
    say(f"== Start-up and query on the bundled base: {rounds} interleaved rounds (+1 untimed warm-up), medians ==")
    data = bundled_data_dir()
    say(f"fact base: {data}")
    items = commands(ctreport, data)
    time_rounds(items, rounds, child_env(work, work / "cache-startup"), work / "startup.out")
    yq_item = next((c for c in items if c.label.startswith("yq")), None)
    say(table(["command", "median ms", "min ms", "vs import typer", "vs yq", "output"], result_rows(items, yq_item)))
    for item in items:
        if item.failure:
            say(f"note: {item.label} failed: {item.failure}")
    if yq_item is not None and yq_item.median is not None:
        say(
            "note: ctreport --region europe also lists organisations whose scope lies in Europe; "
            "the yq filter matches the country codes BE, FR and ES only."
        )
