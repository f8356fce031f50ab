"""Part 2: scaling on synthetic fact bases, cold and warm, against bare YAML parsing."""

from __future__ import annotations

import importlib
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from ctbench.children import child_env, json_rows, run_child
from ctbench.commands import ROUNDS, warm_commands
from ctbench.report import ratio, say, table
from ctbench.synthetic import Generated, generate

WARM_RUNS = 3
EDIT_RUNS = 3
COLD_ROUNDS = 3
"""Cold runs, each with an empty cache and each followed by CSafeLoader over the same files:
on a shared machine one pair can be a fifth off the next, so the table gives the medians."""
HEADERS = [
    "N facts",
    "files",
    "MB",
    "cold s",
    "warm s",
    "edit s",
    "edit / warm",
    "cold peak MB",
    "warm peak MB",
    "CSafeLoader parse s",
    "cold / parse",
    "warm speed-up vs parse",
]


def base_seed(seed: int, n: int) -> int:
    """Each size its own stream of random draws, the same for `--keep` and for the timed base."""
    return seed * 1_000_003 + n


def parse_only(files: list[Path]) -> float | None:
    """Seconds for PyYAML's CSafeLoader over the files (read included); None without libyaml."""
    try:
        yaml: Any = importlib.import_module("yaml")  # lazily: only this baseline needs PyYAML
    except ImportError:
        return None
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return None
    start = time.perf_counter()
    for path in files:
        yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return time.perf_counter() - start


def validate_once(ctreport: list[str], base: Generated, work: Path) -> None:
    run = run_child(
        [*ctreport, "validate", str(base.root)], child_env(work, work / "cache-validate"), work / "validate.out"
    )
    if run.returncode != 0 or "ok:" not in run.stderr:
        lines = run.stderr.strip().splitlines()
        shown = "\n".join(lines[:20]) + (f"\n... {len(lines) - 20} more lines" if len(lines) > 20 else "")
        raise SystemExit(f"synthetic base of {base.facts} facts does not validate (exit {run.returncode}):\n{shown}")
    say(f"validate {base.facts} facts: {run.stderr.strip()} ({run.seconds:.2f} s)")


def edit_one_file(cmd: list[str], env: dict[str, str], out: Path, base: Generated) -> float:
    """Seconds of the first run after one statement of one country-year file changed, as a
    maintainer's edit-then-query loop does (the answer changes, so the cache must follow): the
    median of EDIT_RUNS such edits, each of another file, spread over `facts/`."""
    facts = [path for path in base.yaml_files if path.parent.parent.name == "facts"]
    seconds = []
    for number in range(1, EDIT_RUNS + 1):
        edited = facts[number * len(facts) // (EDIT_RUNS + 1)]
        text = edited.read_text(encoding="utf-8")
        edited.write_text(text.replace("statement: ", "statement: Edited. ", 1), encoding="utf-8")
        run = run_child(cmd, env, out)
        if run.returncode != 0:
            raise SystemExit(f"ctreport failed after editing {edited} (exit {run.returncode}):\n{run.stderr[:2000]}")
        seconds.append(run.seconds)
    return statistics.median(seconds)


def one_size(
    ctreport: list[str], n: int, seed: int, work: Path, validate: bool, cold_rounds: int = COLD_ROUNDS
) -> tuple[list[str], str]:
    """Write a base of `n` facts, time `cold_rounds` cold runs (each paired with CSafeLoader's
    parse) and WARM_RUNS warm runs on it: one table row; then every command warm
    (`commands.warm_commands`): a table of its own."""
    base = generate(work / f"base-{n}", n, base_seed(seed, n))
    say(
        f"generated {n} facts: {len(base.yaml_files)} YAML files, {base.yaml_bytes / 1e6:.1f} MB "
        f"in {base.seconds:.2f} s ({base.root})"
    )
    if validate:
        validate_once(ctreport, base, work)
    cmd = [*ctreport, "partners", "--data", str(base.root), "--json"]
    out = work / f"partners-{n}.json"
    colds, parses, runs = [], [], []
    for number in range(cold_rounds + WARM_RUNS):
        if number < cold_rounds:  # an empty cache each time; the warm runs use the last
            cache = work / f"cache-{n}-{number}"
            cache.mkdir()
            env = child_env(work, cache)
        run = run_child(cmd, env, out)
        if run.returncode != 0:
            raise SystemExit(f"ctreport failed on {n} facts (exit {run.returncode}):\n{run.stderr[:2000]}")
        (colds if number < cold_rounds else runs).append(run)
        if number < cold_rounds:
            parses.append(parse_only(base.yaml_files))
    answer = json_rows(out)
    edit = edit_one_file(cmd, env, out, base)
    cold = statistics.median(r.seconds for r in colds)
    known = [p for p in parses if p is not None]
    parse = statistics.median(known) if known else None
    pairs = [r.seconds / p for r, p in zip(colds, parses, strict=True) if p]
    warm = statistics.median(r.seconds for r in runs)
    cold_peaks = [r.peak_bytes for r in colds if r.peak_bytes is not None]
    warm_peaks = [r.peak_bytes for r in runs if r.peak_bytes is not None]
    say(
        f"  {n} facts: cold {', '.join(f'{r.seconds:.2f}' for r in colds)} s"
        + (f" (CSafeLoader {', '.join(f'{p:.2f}' for p in known)} s)" if known else "")
        + f", warm {', '.join(f'{r.seconds:.2f}' for r in runs)} s, {answer} partner rows"
    )
    say(f"  {n} facts: timing every command warm ({ROUNDS} interleaved rounds) ...")
    commands_table = warm_commands(ctreport, base, env, work)
    shutil.rmtree(base.root, ignore_errors=True)
    return [
        f"{n:,}",
        f"{len(base.yaml_files):,}",
        f"{base.yaml_bytes / 1e6:.1f}",
        f"{cold:.2f}",
        f"{warm:.2f}",
        f"{edit:.2f}",
        ratio(edit, warm),
        f"{max(cold_peaks) / 2**20:.0f}" if cold_peaks else "n/a",
        f"{max(warm_peaks) / 2**20:.0f}" if warm_peaks else "n/a",
        f"{parse:.2f}" if parse is not None else "n/a",
        f"{statistics.median(pairs):.2f}x" if pairs else "n/a",
        ratio(parse, warm),
    ], commands_table


def scaling(ctreport: list[str], sizes: list[int], seed: int, work: Path, cold_rounds: int = COLD_ROUNDS) -> None:
    say()
    say(
        f"== Scaling on synthetic fact bases (seed {seed}; cold = median of {cold_rounds} runs with an empty cache, "
        f"each followed by CSafeLoader, and cold / parse the median of those pairs; warm = median of {WARM_RUNS}) =="
    )
    # Untimed: fills the bytecode cache, so that the first cold run does not also compile ctreport.
    run_child([*ctreport, "partners", "--json"], child_env(work, work / "cache-bundled"), work / "bundled.out")
    # Only the smallest base is validated: the others are written by the same code.
    results = [one_size(ctreport, n, seed, work, index == 0, cold_rounds) for index, n in enumerate(sizes)]
    rows = [row for row, _ in results]
    say()
    say(table(HEADERS, rows, left=0))
    if not any(p == "n/a" for p in (r[HEADERS.index("CSafeLoader parse s")] for r in rows)):
        say("note: speed-up = parse s / warm s; above 1x the warm run beats bare YAML parsing.")
    for n, (_, commands_table) in zip(sizes, results, strict=True):
        say()
        say(f"== Every command warm on {n:,} facts (median of {ROUNDS} interleaved rounds) ==")
        say(commands_table)
