"""Benchmark ctreport: start-up and query time on the bundled base, and scaling on synthetic bases.

Standard library only; run it with the interpreter ctreport is installed in:

    python benchmarks/run.py [--quick] [--rounds N] [--sizes 1000,10000,100000] [--seed S] [--cold-rounds K]

Part 1 times four commands in interleaved rounds (round-robin, starting command rotated each
round, after one untimed warm-up round) and reports medians: `ctreport partners --region europe
--json`, the equivalent `yq` query over the same YAML files, `python -c "import typer"` and
`python -c pass`.

Part 2 writes synthetic fact bases of N facts that pass `ctreport validate`, then times
`ctreport partners --data DIR --json` cold (first run, with an empty cache: the median of
`--cold-rounds` runs, each followed by PyYAML's CSafeLoader over the same files in-process as a
"parse only" baseline) and warm (median of the next runs), and records the child's peak memory. See benchmarks/README.md for what each column means.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ctbench.children import ctreport_command
from ctbench.report import environment_header, say
from ctbench.scaling import COLD_ROUNDS, base_seed, scaling
from ctbench.startup import startup
from ctbench.synthetic import generate

DEFAULT_SIZES = (1000, 10_000, 100_000)
QUICK_SIZES = (1000, 10_000)
DEFAULT_ROUNDS = 15
QUICK_ROUNDS = 5


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of whole numbers: {text!r}") from None
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    made.add_argument("--quick", action="store_true", help="sizes 1000,10000 and 5 rounds")
    made.add_argument("--rounds", type=int, help=f"interleaved rounds for part 1 (default {DEFAULT_ROUNDS})")
    made.add_argument(
        "--sizes", type=parse_sizes, help=f"facts per synthetic base (default {','.join(map(str, DEFAULT_SIZES))})"
    )
    made.add_argument("--seed", type=int, default=1, help="seed of the synthetic bases (default 1)")
    made.add_argument(
        "--cold-rounds",
        type=int,
        default=COLD_ROUNDS,
        help=f"cold runs per size, each paired with CSafeLoader's parse (default {COLD_ROUNDS}; 1 for a quick look)",
    )
    made.add_argument("--skip-startup", action="store_true", help="skip part 1")
    made.add_argument("--skip-scaling", action="store_true", help="skip part 2")
    made.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="generate a base of each size into DIR/base-N and keep it (for profiling)",
    )
    return made


def main(argv: Sequence[str] | None = None) -> int:
    options = parser()
    args = options.parse_args(argv)
    rounds: int = args.rounds or (QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS)
    sizes: list[int] = args.sizes or list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    if rounds < 1:
        options.error("--rounds must be at least 1")
    if args.cold_rounds < 1:
        options.error("--cold-rounds must be at least 1")

    ctreport, described = ctreport_command()
    environment_header(described)
    work = Path(tempfile.mkdtemp(prefix="ctreport-bench-"))
    try:
        if args.keep is not None:
            for n in sizes:
                base = generate(args.keep.resolve() / f"base-{n}", n, base_seed(args.seed, n))
                say(f"kept {n} facts: {len(base.yaml_files)} YAML files in {base.root}")
        if not args.skip_startup:
            startup(ctreport, rounds, work)
        if not args.skip_scaling:
            scaling(ctreport, sizes, args.seed, work, args.cold_rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0
