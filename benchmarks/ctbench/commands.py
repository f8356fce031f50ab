"""Warm commands on a synthetic base: every command against `partners --json`, and three
partner questions against `sqlite3 -json` answering them from ctreport's own export."""

from __future__ import annotations

import re
import shutil
import statistics
import sys
from pathlib import Path

from ctbench.children import run_child
from ctbench.report import ratio, table
from ctbench.synthetic import Generated

ROUNDS = 5
HEADERS = ["command", "median s", "vs partners --json", "sqlite3 -json s", "vs sqlite3", "Python sqlite3 s"]

_PARTNER_ROWS = """
SELECT f.country, c.name_en AS country_name, c.name_ar AS country_name_ar, f.year, p.partner,
       coalesce(pc.name_en, pe.name_en) AS partner_name, coalesce(pe.kind, 'country') AS partner_kind,
       p.relation, p.detail, p.alongside, f.statement, f.quote, f.note, f.section, f.key_phrase,
       f.source, s.kind AS source_kind, s.title AS source_title, s.url AS source_url, f.edition, f.id
FROM partners p JOIN facts f ON f.id = p.fact_id JOIN countries c ON c.code = f.country
JOIN sources s ON s.id = f.source
LEFT JOIN countries pc ON pc.code = p.partner LEFT JOIN entities pe ON pe.id = p.partner
"""
_EUROPE = """
WITH RECURSIVE europe(id) AS (
  SELECT id FROM regions WHERE id IN ('crt:europe', 'm49:europe')
  UNION SELECT regions.id FROM regions JOIN europe ON regions.parent = europe.id)
"""
SQL = {
    "partners --json": f"{_PARTNER_ROWS} ORDER BY f.country, f.year;",
    "partners --region europe --json": f"{_EUROPE} {_PARTNER_ROWS} WHERE p.partner IN "
    "(SELECT country FROM country_regions WHERE region IN europe) ORDER BY f.country, f.year;",
    "partners --year 2010 --count": "SELECT count(*) AS count FROM partners p JOIN facts f ON f.id = p.fact_id "
    "WHERE f.year = 2010;",
}
"""The same questions in SQL, roughly: the export keeps no entity scopes, so the region query
finds partner countries only."""


def commands(base: Generated) -> dict[str, list[str]]:
    """Each command, with a country-year and a fact id that the base holds."""
    first = next(path for path in base.yaml_files if path.parent.parent.name == "facts")
    text = first.read_text(encoding="utf-8")
    country, year = first.stem, int(first.parent.name)
    match = re.search(r"^  - id: (\S+)", text.partition("\nfacts:")[2], re.MULTILINE)
    fact_id = match.group(1) if match else ""
    return {
        "partners --json": ["partners", "--json"],
        "partners --region europe --json": ["partners", "--region", "europe", "--json"],
        "partners --year 2010 --count": ["partners", "--year", "2010", "--count"],
        f"summary -c {country} -y {year} --json": ["summary", "-c", country, "-y", str(year), "--json"],
        "compare 2009 2010 --json": ["compare", "2009", "2010", "--json"],
        "search investigations --json": ["search", "investigations", "--json"],
        "coverage --json": ["coverage", "--json"],
        f"show {fact_id} --json": ["show", fact_id, "--json"],
        "sources --json": ["sources", "--json"],
    }


def warm_commands(ctreport: list[str], base: Generated, env: dict[str, str], work: Path) -> str:
    """A table: each command's median over ROUNDS interleaved rounds on the warm cache, and for
    the partner questions `sqlite3 -json` on the exported database and the floor of a SQLite
    store (`sqlite_store.py`: Python answering from that database), in the same rounds."""
    data = ["--data", str(base.root)]
    runs: dict[str, list[str]] = {label: [*ctreport, *argv, *data] for label, argv in commands(base).items()}
    sqlite = shutil.which("sqlite3")
    database = work / f"export-{base.facts}.db"
    if sqlite and run_child([*ctreport, "export", str(database), *data], env, work / "export.out").returncode == 0:
        runs |= {f"sqlite3: {label}": [sqlite, "-json", str(database), query] for label, query in SQL.items()}
        store = str(Path(__file__).with_name("sqlite_store.py"))
        runs |= {f"python: {label}": [sys.executable, store, str(database), label] for label in SQL}
    times: dict[str, list[float]] = {label: [] for label in runs}
    labels = list(runs)
    for round_number in range(ROUNDS):
        for label in labels[round_number % len(labels) :] + labels[: round_number % len(labels)]:
            run = run_child(runs[label], env, work / "command.out")
            if run.returncode not in (0, 3):
                raise SystemExit(f"{label} failed on {base.facts} facts (exit {run.returncode}):\n{run.stderr[:2000]}")
            times[label].append(run.seconds)
    median = {label: statistics.median(seconds) for label, seconds in times.items()}
    reference = median["partners --json"]
    rows = []
    for label in commands(base):
        against = median.get(f"sqlite3: {label}")
        floor = median.get(f"python: {label}")
        rows.append(
            [
                label,
                f"{median[label]:.3f}",
                ratio(median[label], reference),
                f"{against:.3f}" if against is not None else "",
                ratio(median[label], against) if against is not None else "",
                f"{floor:.3f}" if floor is not None else "",
            ]
        )
    return table(HEADERS, rows)
