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

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from ct_report import cache, model
from ct_report.kinds import compiled_blocks, search_entries
from ct_report.text import encode_row
from ct_report.validate import check_changed_facts

Dependency = tuple[str, int, int, str]
"""(absolute path, size, mtime in ns, sha256) of a file the base was built from."""


class ChangedFile(NamedTuple):
    path: Path
    root: Path
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


TextReader = Callable[[model.Document, Path], tuple[dict[str, str | None], list[Dependency]]]
"""Reads the texts of a document's sources (by source id, None when unreadable), and what was
read of each text file."""


class _Read(NamedTuple):
    """A changed or added file as now read."""

    file: ChangedFile
    built: cache.Built
    texts: dict[str, str]
    text_reads: list[Dependency]


def patch(
    stale: cache.Stale,
    listed: list[str],
    changed: list[ChangedFile],
    store: cache.FileStore | None,
    read_texts: TextReader,
) -> model.FactBase | None:
    """The base from the stale cache rewritten for the files that changed or were added (in
    `changed`) and those no longer `listed` (the absolute path of every YAML file of the base,
    in order); None, leaving the cache as it was, when the change needs a full rebuild."""
    recorded = stale.files()
    before = {entry["path"]: number for number, entry in enumerate(recorded)}
    if len(before) != len(recorded) or len(set(listed)) != len(listed):
        return None  # a file listed twice: the rebuild reports its ids as duplicates
    if store is not None and len(changed) > 1:
        store.pack()  # many files changed (a branch checked out): one file for their entries
    try:
        read = _read_changed(changed, store, read_texts)
    finally:
        if store is not None:
            store.seal()  # a rebuild after a patch that declined finds them
    if read is None:
        return None
    now = {name: read[name] for name in listed if name in read}
    listed_set = set(listed)
    leaving = sorted(number for name, number in before.items() if name in now or name not in listed_set)
    entries = {name: cache.file_entry(read.built) for name, read in now.items()}
    scope = _Scope(stale, leaving, entries, {name: read.built.document for name, read in now.items()})
    if not scope.contained():
        return None
    documents = [(read.built.document, str(read.file.path)) for read in now.values()]
    view = scope.view([document for document, _ in documents])
    if not _valid(view, scope, documents, {k: v for read in now.values() for k, v in read.texts.items()}):
        return None
    blocks = {command: list(compiled_blocks(view, command, encode_row)) for command in stale.meta["compiled"]}
    placed = [
        cache.Placed(entries[name], now[name].built, now[name].texts, None)
        if name in now
        else cache.Placed(recorded[before[name]], None, {}, before[name])
        for name in listed
    ]
    dependencies = _dependencies(stale, placed, now, len(before) - sum(name not in listed_set for name in before))
    if dependencies is None:
        return None

    def searched(document: model.Document) -> list[tuple[list[Any], bytes]]:
        return search_entries(view, document.facts)

    base = cache.write_patched(stale, placed, blocks, scope.keys(), searched, *dependencies)
    if store:
        _forget_old_versions(store, stale, listed, now, packed=len(changed) > 1)
    return base


def _forget_old_versions(
    store: cache.FileStore, stale: cache.Stale, listed: list[str], now: dict[str, _Read], packed: bool
) -> None:
    """Remove the store's entries of the patched files' old versions and of the files gone.
    When the new versions went into a pack, so do the packs of versions no file has any more."""
    recorded = stale.files()
    before = {entry["path"]: number for number, entry in enumerate(recorded)}

    def old_key(name: str) -> str:
        return store.key(name, recorded[before[name]]["label"], stale.recorded[before[name]][3])

    if packed:
        read = {name: now[name].file.read for name in now}
        store.forget_all_but(
            {
                store.key(read[name][0], now[name].file.label, read[name][3]) if name in now else old_key(name)
                for name in listed
            }
        )
        return
    listed_set = set(listed)
    for name in before:
        if name in now or name not in listed_set:
            store.forget(old_key(name))
    store.forget_abandoned()


def _read_changed(
    changed: list[ChangedFile], store: cache.FileStore | None, read_texts: TextReader
) -> dict[str, _Read] | None:
    """Each changed file as now read, by absolute path; None when one has any problem."""
    now: dict[str, _Read] = {}
    for file in changed:
        document, problems, dropped, parsed = through_store(store, file)
        if document is None or problems or dropped or not parsed:
            return None
        texts, text_reads = read_texts(document, file.root)
        if any(text is None for text in texts.values()):
            return None
        built = cache.Built(file.read[0], file.label, document, [read[0] for read in text_reads])
        now[file.read[0]] = _Read(file, built, {k: v for k, v in texts.items() if v is not None}, text_reads)
    return now


def _dependencies(
    stale: cache.Stale, placed: list[cache.Placed], now: dict[str, _Read], kept_yaml: int
) -> tuple[list[Any], tuple[int, int]] | None:
    """What the patched cache records of each file it is built from, in a rebuild's order:
    the YAML files, their texts, ctreport's code; and how many of the first two there are."""
    current = {entry[0]: entry for entry in stale.dependencies}
    text_reads = {read[0]: list(read) for file in now.values() for read in file.text_reads}
    yaml = [
        list(now[entry["path"]].file.read) if entry["path"] in now else current.get(entry["path"])
        for entry in (p.entry for p in placed)
    ]
    texts = [text_reads.get(path) or current.get(path) for p in placed for path in p.entry["texts"]]
    if any(entry is None for entry in [*yaml, *texts]):
        return None
    code = stale.dependencies[kept_yaml + stale.text_count :]
    return [*yaml, *texts, *code], (len(yaml), len(texts))


class _Scope:
    """The files a patch replaces, adds or takes away (`leaving`: their numbers in the stale
    cache; `entries`: what is recorded of them now) against the rest, which stays as it is."""

    def __init__(
        self,
        stale: cache.Stale,
        leaving: list[int],
        entries: dict[str, dict[str, Any]],
        documents: dict[str, model.Document],
    ) -> None:
        self.stale = stale
        self.leaving = leaving
        self.entries = entries
        self.documents = documents
        gone = set(leaving)
        recorded = stale.files()
        self.before = [recorded[number] for number in leaving]
        self.before_ids = {ident for number in leaving for ident in stale.ids_of(number)}
        self.others = [entry for number, entry in enumerate(recorded) if number not in gone]

    def other_ids(self) -> set[str]:
        """The fact ids that the files' facts take or refer to and other files hold. An id the
        files held before is in no other file (the cache was valid), so only the others are
        looked for: usually none, when an edit keeps the file's ids."""
        facts = [fact for document in self.documents.values() for fact in document.facts]
        named = {fact.id for fact in facts} | {ref for fact in facts for ref in fact.conflicts_with}
        return self.stale.holding(named - self.before_ids, self.leaving)

    def keys(self) -> set[tuple[str, int]]:
        """The country-years whose rows the patch works out again: the files' before and now."""
        return {(key[0], key[1]) for entry in [*self.before, *self.entries.values()] for key in entry["keys"]}

    def contained(self) -> bool:
        """Whether the change stays inside its files: no shared definition changed, no fact or
        source another file refers to taken away or changed, no source id taken twice, no
        country-year shared with another file (its rows would change)."""
        now = self.entries
        if any(now[e["path"]]["definitions"] != e["definitions"] for e in self.before if e["path"] in now):
            return False
        added_or_gone = [e for e in self.before if e["path"] not in now]
        added_or_gone += [e for name, e in now.items() if name not in {b["path"] for b in self.before}]
        if not all(cache.defines_nothing_shared(entry) for entry in added_or_gone):
            return False
        removed = self.before_ids - {i for e in now.values() for i in e["ids"]}
        if removed & {ref for entry in self.others for ref in entry["refs"]}:
            return False
        if self.keys() & {(key[0], key[1]) for entry in self.others for key in entry["keys"]}:
            return False
        new_sources = {ident for e in now.values() for ident in e["sources"]}
        if new_sources & {ident for entry in self.others for ident in entry["sources"]}:
            return False
        return not self.changed_sources() & {ident for entry in self.others for ident in entry["cites"]}

    def changed_sources(self) -> set[str]:
        """The ids of the sources the files defined before and now define otherwise, or not at all."""
        now = {source.id: cache.plain(source) for document in self.documents.values() for source in document.sources}
        before = {item["id"]: item for number in self.leaving for item in self.stale.sources_of(number)}
        return {ident for ident, item in before.items() if now.get(ident) != item}

    def view(self, documents: list[model.Document]) -> model.FactBase:
        """The files' facts and sources over the stale cache's definitions and other sources:
        enough to check them and to work out their rows."""
        facts = [fact for document in documents for fact in document.facts]
        own = {source.id: source for document in documents for source in document.sources}
        wanted = {fact.source for fact in facts} - own.keys()
        return self.stale.base.holding(facts, lambda: {**self.stale.sources(wanted, self.leaving), **own})


def _valid(
    view: model.FactBase, scope: _Scope, documents: list[tuple[model.Document, str]], own_texts: dict[str, str]
) -> bool:
    """Whether the files' facts and sources pass the checks a rebuild makes."""
    cited = {fact.source for document, _ in documents for fact in document.facts} - own_texts.keys()
    texts: dict[str, str | None] = dict(own_texts)
    if any(getattr(view.sources.get(s), "text", None) is not None for s in cited):
        texts |= {s: view.texts.get(s) for s in cited}
    return not check_changed_facts(documents, view, scope.other_ids(), texts)
