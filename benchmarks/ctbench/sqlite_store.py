"""What a SQLite store would cost ctreport at least: a Python process answering one partner
question from ctreport's own export through the standard library's sqlite3 module, and
writing the rows as JSON the way ctreport does (one object per line, non-ASCII kept).

It checks nothing (not that the export is current, not its owner) and imports no command-line
framework, so it is a floor, not an estimate: run as `python sqlite_store.py DB QUESTION`,
where QUESTION is a key of `commands.SQL`."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from ctbench.commands import SQL  # noqa: E402


def main(database: str, question: str) -> None:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    cursor = connection.execute(SQL[question])
    names = [column[0] for column in cursor.description]
    out = sys.stdout
    if question.endswith("--count"):
        out.write(f"{cursor.fetchone()[0]}\n")
        return
    out.write("[")
    separator = "\n"
    for row in cursor:
        out.write(separator + json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False))
        separator = ",\n"
    out.write("\n]\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
