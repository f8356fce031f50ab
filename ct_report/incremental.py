"""Reading one YAML file, and bringing a compiled cache up to date after some of its files
changed without rebuilding it.

A patch re-reads only the changed files, checks their facts against what the cache recorded of
the rest (its definitions, every file's fact ids, country-years and references to other facts),
works out the rows of their country-years alone, and splices them into a copy of the cache:
the result is the file a full rebuild would write. When a change reaches beyond its file, the
patch declines and the caller rebuilds: a file's definitions changed (regions to sources, which
other files' rows show), a fact another file refers to went away, a country-year is shared with
an unchanged file, or the file has any problem at all (the rebuild reports it, in full).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from ct_report import cache, model
from ct_report.kinds import compiled_blocks
from ct_report.text import encode_row
from ct_report.validate import check_changed_facts

Dependency = tuple[str, int, int, str]
"""(absolute path, size, mtime in ns, sha256) of a file the base was built from."""


class ChangedFile(NamedTuple):
    path: Path
    label: str
    data: bytes
    read: Dependency
    """What was read of it, as the cache records it."""


def parse_file(data: bytes, name: str, label: str) -> cache.FileResult:
    """What one file gives: its document, its problems in the order they appear in the file
    (whichever step found them), the ids it refused, and whether it parsed at all."""
    from ct_report.validate import Converter
    from ct_report.yamlread import decode, parse

    text, found = decode(data, name)
    root_node = None
    if text is not None and not found:
        root_node, found = parse(text, name)
    if root_node is None:
        return None, [(p.line, p.column, p.message) for p in found], [], False
    converter = Converter(name, label)
    document = converter.to_document(root_node)
    ordered = sorted(found + converter.problems, key=lambda p: (p.line, p.column))
    return document, [(p.line, p.column, p.message) for p in ordered], sorted(converter.dropped), True


def through_store(store: cache.FileStore | None, changed: ChangedFile) -> cache.FileResult:
    """What a file gives, from the store when it was read before with the same content."""
    key = store.key(changed.read[0], changed.label, changed.read[3]) if store else ""
    result = store.get(key) if store else None
    if result is None:
        result = parse_file(changed.data, str(changed.path), changed.label)
        if store:
            store.put(key, result)
    return result


def patch(
    stale: cache.Stale, listed: list[str], changed: list[ChangedFile], store: cache.FileStore | None
) -> model.FactBase | None:
    """The base from the stale cache rewritten for the changed files; None, leaving the cache
    as it was, when the change needs a full rebuild. `listed` holds the absolute path of every
    YAML file of the base, in order."""
    index = stale.index()
    if not _same_files(stale, index, listed, {file.read[0] for file in changed}):
        return None
    documents: dict[str, tuple[ChangedFile, model.Document]] = {}
    for file in changed:
        document, problems, dropped, parsed = through_store(store, file)
        if document is None or problems or dropped or not parsed:
            return None
        documents[file.read[0]] = (file, document)
    order = {entry["path"]: number for number, entry in enumerate(index["files"])}
    documents = dict(sorted(documents.items(), key=lambda item: order[item[0]]))
    entries = {name: cache.file_entry(name, document) for name, (_, document) in documents.items()}
    if not _contained(index, entries):
        return None
    facts = [fact for _, document in documents.values() for fact in document.facts]
    view = _view(stale, facts)
    if not _valid(view, index, documents, facts):
        return None
    blocks = {command: compiled_blocks(view, command, encode_row) for command in stale.meta["compiled"]}
    recorded = {name: file.read for name, (file, _) in documents.items()}
    dependencies = [list(recorded[entry[0]]) if entry[0] in recorded else entry for entry in stale.dependencies]
    base = cache.write_patched(
        stale, {name: (entries[name], document) for name, (_, document) in documents.items()}, blocks, dependencies
    )
    if store:
        for name, (file, _) in documents.items():
            old_digest = next(entry[3] for entry in stale.dependencies if entry[0] == name)
            store.forget(store.key(name, file.label, old_digest))
        store.forget_abandoned()
    return base


def _same_files(stale: cache.Stale, index: dict[str, Any], listed: list[str], changed: set[str]) -> bool:
    """Whether the base is made of the files the cache was built from, each listed once, and
    no changed file is also read as a source's text (the cache's texts would be stale)."""
    recorded = [entry["path"] for entry in index["files"]]
    if recorded != listed or len(set(listed)) != len(listed):
        return False
    read_otherwise = {entry[0] for entry in stale.dependencies[len(recorded) :]}
    return not changed & read_otherwise


def _contained(index: dict[str, Any], entries: dict[str, dict[str, Any]]) -> bool:
    """Whether the change stays inside its files: the same definitions, no fact another file
    refers to taken away, no country-year shared with another file (its rows would change)."""
    before = [entry for entry in index["files"] if entry["path"] in entries]
    others = [entry for entry in index["files"] if entry["path"] not in entries]
    if any(entry["definitions"] != entries[entry["path"]]["definitions"] for entry in before):
        return False
    removed = {ident for entry in before for ident in entry["ids"]} - {
        ident for entry in entries.values() for ident in entry["ids"]
    }
    if removed and removed & {ref for entry in others for ref in entry["refs"]}:
        return False
    keys = {tuple(key) for entry in [*before, *entries.values()] for key in entry["keys"]}
    return not any(tuple(key) in keys for entry in others for key in entry["keys"])


def _view(stale: cache.Stale, facts: list[model.Fact]) -> model.FactBase:
    """The changed facts over the stale cache's definitions: enough to check them and to
    work out their rows."""
    base = stale.base
    return model.FactBase(
        regions=lambda: base.regions,
        countries=lambda: base.countries,
        entities=lambda: base.entities,
        editions=lambda: base.editions,
        sources=lambda: stale.sources(fact.source for fact in facts),
        facts_by_kind={kind: tuple(fact for fact in facts if fact.kind == kind) for kind in model.FACT_KINDS},
        years=(),
        texts=lambda: base.texts,
    )


def _valid(
    view: model.FactBase,
    index: dict[str, Any],
    documents: dict[str, tuple[ChangedFile, model.Document]],
    facts: list[model.Fact],
) -> bool:
    other_ids = {ident for entry in index["files"] if entry["path"] not in documents for ident in entry["ids"]}
    cited = {fact.source for fact in facts}
    texts: dict[str, str | None] = {}
    if any(view.sources[s].text is not None for s in cited if s in view.sources):
        texts = {s: view.texts.get(s) for s in cited}
    checked = [(document, str(file.path)) for file, document in documents.values()]
    return not check_changed_facts(checked, view, other_ids, texts)
