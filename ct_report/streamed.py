"""A first build that holds one file's facts at a time.

A full build (`load.check`, then `cache.write`) holds every document of the base until the
cache is written: about 2 KB a fact, most of it the facts' text. This one reads in two passes.
The first reads every file into the file store, as a full build does, but keeps only each
file's definitions and sources, its facts' ids and its country-years (`Kept`); the checks that
span files run on those. The second takes each file's document from the store again, checks
its facts against the whole base's definitions and ids, and hands its lines to the cache
writer, which sets the rows aside in answer order (`cache.write_streamed`).

It gives the cache a full build gives, or nothing: any problem in the base, or a file the store
cannot give back, declines it (`Declined`), and the caller builds the base whole, which also
reports every problem as it always does. The rows of a country-year depend on the facts of
that country-year alone, so files that share country-years have their rows worked out
together, once every file has been written.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from ct_report import cache, model, prefill
from ct_report.incremental import ChangedFile
from ct_report.kinds import BY_COMMAND, compiled_blocks, search_entries
from ct_report.text import encode_row
from ct_report.validate import check_facts


class Declined(Exception):
    """The base cannot be built a file at a time; a full build says why."""


class _Facts(NamedTuple):
    """What the first pass keeps of a file's facts."""

    key: str
    """Its entry in the file store."""
    ids: list[str]
    keys: set[tuple[str, int]]
    """Its country-years."""


class Kept:
    """What the first pass keeps of each file besides its definitions and sources (which stay
    in its document, emptied of facts), by the file's absolute path (see `load.Keep`)."""

    def __init__(self, store: cache.FileStore) -> None:
        self.store = store
        self.files: dict[str, _Facts] = {}

    def __call__(self, changed: ChangedFile, result: cache.FileResult) -> cache.FileResult:
        """What the first pass keeps of what a file gave."""
        document, problems, dropped, parsed = result
        if document is None:
            return result
        path, digest = changed.read[0], changed.read[3]
        facts = document.facts
        key = self.store.key(path, changed.label, digest)
        self.files[path] = _Facts(key, [fact.id for fact in facts], {(fact.country, fact.year) for fact in facts})
        return dataclasses.replace(document, facts=()), problems, dropped, parsed

    def handed(self, changed: ChangedFile, result: cache.FileResult) -> object:
        """What a helper hands back: what it keeps, for the bytes it read. Taking the file from
        the store instead would decode all its facts again."""
        kept = self(changed, result)
        return _Handed(changed.read[3], kept, self.files.get(changed.read[0]))

    def taken(self, changed: ChangedFile, handed: object) -> cache.FileResult | None:
        """What a helper handed back, when it read the bytes read here."""
        if not isinstance(handed, _Handed) or handed.digest != changed.read[3]:
            return None
        if handed.facts is not None:
            self.files[changed.read[0]] = handed.facts
        return handed.kept


class _Handed(NamedTuple):
    """What a helper hands back of a file it read in the first pass."""

    digest: str
    """Of the bytes it read."""
    kept: cache.FileResult
    facts: _Facts | None


class Pass(NamedTuple):
    """What the first pass found, and checked, of a base with no problem."""

    base: model.FactBase
    """Every definition, source and text, and no fact."""
    files: list[cache.Built]
    """Each YAML file, in the base's order, with its document emptied of facts."""
    texts: dict[str, str | None]
    kept: Kept
    dependencies: list[cache.Dependency]
    counts: tuple[int, int]
    """How many YAML files and texts `dependencies` records."""


class _Work(NamedTuple):
    """What making any file's lines needs, once the first pass is checked."""

    first: Pass
    fact_ids: dict[str, Any]
    alone: set[int]
    """The files (by number) whose country-years no other file shares."""
    commands: list[str]


def write(path: Path, first: Pass) -> model.FactBase:
    """The cache of the base the first pass read, written a file at a time, and the base as
    read back from it; Declined when a file's facts have a problem or the store cannot give
    a file back."""
    fact_ids: dict[str, Any] = {}
    for facts in first.kept.files.values():
        fact_ids.update(dict.fromkeys(facts.ids))
    if len(fact_ids) != sum(len(first.kept.files[built.path].ids) for built in first.files):
        raise Declined("a fact id is taken twice")
    alone, shared = _units(first)
    indexed = {command: list(kind.indexed_fields) for command, kind in BY_COMMAND.items()}
    work = _Work(first, fact_ids, alone, list(indexed))
    years = sorted({year for built in first.files for _, year in first.kept.files[built.path].keys})
    files = itertools.chain(_each_file(work, path.parent), (_rows_of(work, unit) for unit in shared))
    return cache.write_streamed(path, first.base, years, indexed, files, first.dependencies, first.counts)


def _file_lines(work: _Work, number: int) -> cache.FileLines:
    """One file as the cache writer takes it, its facts checked."""
    first = work.first
    built = first.files[number]
    document = _document(first, number)
    if check_facts([(document, built.path)], first.base, work.fact_ids, first.texts):
        raise Declined(f"{built.path} has a problem")
    view = first.base.holding(document.facts)
    commands = work.commands if number in work.alone else []
    blocks = cache.spooled((command, compiled_blocks(view, command, encode_row)) for command in commands)
    searched = search_entries(view, document.facts)
    return cache.file_lines(built._replace(document=document), searched, first.base.texts), blocks


def _rows_of(work: _Work, unit: list[int]) -> cache.FileLines:
    """The rows of files that share country-years, worked out together (and no lines)."""
    facts = [fact for number in unit for fact in _document(work.first, number).facts]
    view = work.first.base.holding(facts)
    return [], cache.spooled((command, compiled_blocks(view, command, encode_row)) for command in work.commands)


def _each_file(work: _Work, folder: Path) -> Iterator[cache.FileLines]:
    """Every file's lines in the base's order. On a large base, forked helpers make their
    share (as `prefill` reads files), which is taken back here in order; whatever a helper
    left undone is made here."""
    size = len(work.first.files)
    helpers = prefill.start(size, lambda number, _: _file_lines(work, number), folder)
    if helpers is None or helpers.records is None:
        if helpers is not None:
            helpers.close()
        yield from (_file_lines(work, number) for number in range(size))
        return
    records = helpers.records
    try:
        for number in range(size):
            if not helpers.takes(number):
                # Set aside as the helpers' are: held until the files before it are taken, a
                # large base's lines would all be in memory at once.
                records.put(0, number, _file_lines(work, number))
        helpers.wait()
        for number in range(size):
            lines: cache.FileLines | None = records.take(number)
            yield lines or _file_lines(work, number)
    finally:
        helpers.close()


def _document(first: Pass, number: int) -> model.Document:
    built = first.files[number]
    facts = first.kept.files[built.path]
    result = first.kept.store.get(facts.key)
    if result is None or result[0] is None or [fact.id for fact in result[0].facts] != facts.ids:
        raise Declined(f"the file store no longer holds {built.path}")
    return result[0]


def _units(first: Pass) -> tuple[set[int], list[list[int]]]:
    """The files (by number) whose country-years no other file shares, and the groups of files
    joined by sharing them, each in the base's order."""
    parent = list(range(len(first.files)))

    def root(number: int) -> int:
        while parent[number] != number:
            parent[number] = parent[parent[number]]
            number = parent[number]
        return number

    owner: dict[tuple[str, int], int] = {}
    for number, built in enumerate(first.files):
        for key in first.kept.files[built.path].keys:
            other = owner.setdefault(key, number)
            if other != number:
                parent[root(number)] = root(other)
    groups: dict[int, list[int]] = {}
    for number in range(len(first.files)):
        groups.setdefault(root(number), []).append(number)
    alone = {members[0] for members in groups.values() if len(members) == 1}
    return alone, [members for members in groups.values() if len(members) > 1]
