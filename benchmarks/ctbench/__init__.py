"""The benchmark behind `benchmarks/run.py`, in the order a run uses it.

- `children`: running one child process and reading what it printed (wall time, peak memory);
- `report`: the environment header and the plain-text tables;
- `startup`: part 1, start-up and query time on the bundled base;
- `synthetic`: writing a synthetic fact base of N facts that passes `ctreport validate`;
- `scaling`: part 2, cold and warm runs on synthetic bases of growing size;
- `cli`: the command-line options and `main`.

Standard library only (PyYAML is used when present, for the parse-only baseline).
"""
