"""Benchmark ctreport: start-up and query time on the bundled base, and scaling on synthetic bases.

Run it with the interpreter ctreport is installed in: `python benchmarks/run.py --help`; the
benchmark itself is the `ctbench` package beside this file (see benchmarks/README.md).
"""

from __future__ import annotations

import sys

# Run as a script, this file's folder is first on sys.path, so its `ctbench` package imports.
from ctbench.cli import main

if __name__ == "__main__":
    sys.exit(main())
