"""Write the whole fact base to a SQLite database, for sqlite3, Datasette and friends."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import typing
from pathlib import Path

from ct_report import safefile
from ct_report.errors import writing
from ct_report.kinds import IN_MODEL_ORDER, Kind
from ct_report.model import Fact, FactBase, Figure

SCHEMA = """
PRAGMA foreign_keys = ON;
CREATE TABLE regions (id TEXT PRIMARY KEY, scheme TEXT NOT NULL, code TEXT, name_en TEXT NOT NULL, name_ar TEXT,
    parent TEXT REFERENCES regions(id));
CREATE TABLE countries (code TEXT PRIMARY KEY, alpha3 TEXT NOT NULL, name_en TEXT NOT NULL, name_ar TEXT);
CREATE TABLE country_regions (country TEXT NOT NULL REFERENCES countries(code), region TEXT NOT NULL REFERENCES regions(id),
    PRIMARY KEY (country, region));
CREATE TABLE entities (id TEXT PRIMARY KEY, kind TEXT NOT NULL, name_en TEXT NOT NULL, name_ar TEXT, acronym TEXT,
    parent TEXT REFERENCES entities(id), country TEXT REFERENCES countries(code));
CREATE TABLE editions (id TEXT PRIMARY KEY, title TEXT NOT NULL, covers INTEGER NOT NULL, publisher TEXT NOT NULL,
    published TEXT, url TEXT);
CREATE TABLE sources (id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, publisher TEXT, language TEXT,
    date TEXT, edition TEXT REFERENCES editions(id), summarises TEXT REFERENCES sources(id), url TEXT, note TEXT,
    text TEXT);
CREATE TABLE facts (id TEXT PRIMARY KEY, kind TEXT NOT NULL, country TEXT NOT NULL REFERENCES countries(code),
    year INTEGER NOT NULL, edition TEXT NOT NULL REFERENCES editions(id), source TEXT NOT NULL REFERENCES sources(id),
    statement TEXT NOT NULL, quote TEXT, note TEXT, section TEXT, key_phrase TEXT);
CREATE TABLE fact_sources (fact_id TEXT NOT NULL REFERENCES facts(id), source_id TEXT NOT NULL REFERENCES sources(id),
    role TEXT NOT NULL, PRIMARY KEY (fact_id, source_id));
CREATE TABLE conflicts (fact_id TEXT NOT NULL REFERENCES facts(id), other_fact_id TEXT NOT NULL REFERENCES facts(id),
    PRIMARY KEY (fact_id, other_fact_id));
CREATE VIRTUAL TABLE facts_fts USING fts5(id UNINDEXED, statement, quote, note, tokenize = 'unicode61 remove_diacritics 2');
"""


FIGURE_PARTS = ("value", "qualifier", "text", "attributed_to")
_FACT_TYPES = {f.name: f.type for f in dataclasses.fields(Fact)}


def _is_figure(name: str) -> bool:
    return Figure in typing.get_args(_FACT_TYPES[name])


def kind_table_sql(kind: Kind) -> str:
    """The table of a kind's own fields, from its declaration: a figure as four columns, a list
    as JSON text, a reference to an entity as a foreign key, a required field NOT NULL."""
    columns = ["fact_id TEXT PRIMARY KEY REFERENCES facts(id)"]
    for name in kind.export_columns:
        if _is_figure(name):
            types = ("INTEGER", "TEXT", "TEXT", "TEXT")
            columns += [f'"{name}_{part}" {sql}' for part, sql in zip(FIGURE_PARTS, types, strict=True)]
            continue
        column = f'"{name}" TEXT'
        if name in kind.required:
            column += " NOT NULL"
        if kind.refers(name) == "entity":
            column += " REFERENCES entities(id)"
        columns.append(column)
    return f"CREATE TABLE {kind.export_table} ({', '.join(columns)});"


def _kind_values(fact: Fact, kind: Kind) -> tuple[object, ...]:
    values: list[object] = [fact.id]
    for name in kind.export_columns:
        value = getattr(fact, name)
        if _is_figure(name):
            values += [getattr(value, part) if value else None for part in FIGURE_PARTS]
        elif isinstance(value, tuple):
            values.append(json.dumps([_plain(item) for item in value], ensure_ascii=False))
        else:
            values.append(value)
    return tuple(values)


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.compare}
    return value


EXPORTED = [kind for kind in IN_MODEL_ORDER if kind.export_table]
TABLES = ("sources", "facts", *(kind.export_table or "" for kind in EXPORTED), "facts_fts")


SQLITE_MAGIC = b"SQLite format 3\x00"
_TEMPORARY_COMPANIONS = ("-journal", "-wal", "-shm")


def check_destination(destination: Path, force: bool = False) -> int | None:
    """The permission bits to give the new file (None for a new file); WriteError for what
    must not be replaced (see `safefile.check_destination`): an SQLite database may be."""
    with writing():
        return safefile.check_destination(
            destination, force, lambda head: head.startswith(SQLITE_MAGIC), "an SQLite database"
        )


def export_sqlite(base: FactBase, destination: Path, force: bool = False) -> dict[str, int]:
    """Write `base` to `destination`, replacing it atomically; return the row count of each
    table. Nothing at `destination` is changed unless the new database is complete."""
    mode = check_destination(destination, force)

    def write(temporary: str) -> dict[str, int]:
        connection = sqlite3.connect(temporary)
        try:
            _fill(connection, base)
            counts = {
                table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
                for table in TABLES
            }
            connection.commit()
        finally:
            connection.close()
        return counts

    with writing():
        return safefile.replace_atomically(destination, mode, write, _TEMPORARY_COMPANIONS, (sqlite3.Error,))


def _fill(db: sqlite3.Connection, base: FactBase) -> None:
    db.executescript(SCHEMA + "\n".join(kind_table_sql(kind) for kind in EXPORTED))
    # Checked at commit, so rows can go in whatever order (a region before its parent).
    db.execute("PRAGMA defer_foreign_keys = ON")
    _fill_places(db, base)
    _fill_sources(db, base)
    _fill_facts(db, base)


def _fill_places(db: sqlite3.Connection, base: FactBase) -> None:
    """Regions, countries and the bodies facts name."""
    regions = list(base.regions.values())
    db.executemany(
        "INSERT INTO regions VALUES (?, ?, ?, ?, ?, ?)",
        [(r.id, r.scheme, r.code, r.name.en, r.name.ar, r.parent) for r in regions],
    )
    db.executemany(
        "INSERT INTO countries VALUES (?, ?, ?, ?)",
        [(c.code, c.alpha3, c.name.en, c.name.ar) for c in base.countries.values()],
    )
    db.executemany(
        "INSERT INTO country_regions VALUES (?, ?)", [(c.code, r) for c in base.countries.values() for r in c.regions]
    )
    entities = list(base.entities.values())
    db.executemany(
        "INSERT INTO entities VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(e.id, e.kind, e.name.en, e.name.ar, e.acronym, e.parent, e.country) for e in entities],
    )


def _fill_sources(db: sqlite3.Connection, base: FactBase) -> None:
    """The report editions and every source document, with its shipped text."""
    db.executemany(
        "INSERT INTO editions VALUES (?, ?, ?, ?, ?, ?)",
        [(e.id, e.title, e.covers, e.publisher, e.published, e.url) for e in base.editions.values()],
    )
    sources = list(base.sources.values())
    db.executemany(
        "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                s.id,
                s.kind,
                s.title,
                s.publisher,
                s.language,
                s.date,
                s.edition,
                s.summarises,
                s.url,
                s.note,
                base.texts.get(s.id),
            )
            for s in sources
        ],
    )


def _fill_facts(db: sqlite3.Connection, base: FactBase) -> None:
    """Every fact, its sources and disagreements, each kind's own table, and the text index."""
    db.executemany(
        "INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                f.id,
                f.kind,
                f.country,
                f.year,
                f.edition,
                f.source,
                f.statement,
                f.quote,
                f.note,
                f.section,
                f.key_phrase,
            )
            for f in base.facts
        ],
    )
    db.executemany(
        "INSERT INTO fact_sources VALUES (?, ?, ?)",
        [(f.id, f.source, "primary") for f in base.facts]
        + [(f.id, s, "corroborating") for f in base.facts for s in f.corroborated_by],
    )
    db.executemany("INSERT INTO conflicts VALUES (?, ?)", [(f.id, o) for f in base.facts for o in f.conflicts_with])
    for kind in EXPORTED:
        facts = base.of_kind(kind.name)
        marks = ", ".join("?" * (1 + sum(4 if _is_figure(n) else 1 for n in kind.export_columns)))
        insert = f"INSERT INTO {kind.export_table} VALUES ({marks})"  # noqa: S608 - names from the registry
        db.executemany(insert, [_kind_values(fact, kind) for fact in facts])
    db.executemany(
        "INSERT INTO facts_fts VALUES (?, ?, ?, ?)", [(f.id, f.statement, f.quote, f.note) for f in base.facts]
    )
