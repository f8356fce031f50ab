"""Issue 15: a rebuild reads again only the files that changed (`cache.FileStore`), and answers
exactly as a cold build does, whatever happened to the files or to the store."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from ct_report import cache, incremental, load, segments
from ct_report.load import DataSelection, load_base

BASE = Path(__file__).parent / "fixtures" / "base"
COMMANDS = [
    ["arrests"],
    ["partners"],
    ["partners", "--region", "europe"],
    ["partners", "--region", "africa", "--relation", "host", "--since", "2021"],
    ["incidents"],
    ["groups"],
    ["financing"],
    ["summary", "--country", "DZ", "--year", "2021"],
    ["compare", "2020", "2021"],
    ["search", "Libya"],
    ["coverage"],
    ["sources"],
    ["show", "dz-2021-threat"],
    ["validate"],
]
FORMATS = [["--json"], ["--format", "csv"]]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    copied = tmp_path / "base"
    shutil.copytree(BASE, copied)
    return copied


def answers(ctreport: Any, base: Path, *extra: str) -> list[tuple[int, str, str]]:
    """Every command in each format, as (exit code, stdout, stderr)."""
    runs = []
    for command in COMMANDS:
        for output in FORMATS if command != ["validate"] else [[]]:
            run = ctreport([*command, *output, "--data", str(base), *extra])
            runs.append((run.code, run.raw, run.err))
    return runs


def parsed_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files parsed from here on (those the store did not answer for)."""
    names: list[str] = []
    real = incremental.parse_file

    def counting(data: bytes, name: str, label: str) -> Any:
        names.append(Path(name).name)
        return real(data, name, label)

    monkeypatch.setattr(incremental, "parse_file", counting)
    return names


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def rename(base: Path) -> None:
    (base / "facts" / "2021" / "DZ.yaml").rename(base / "facts" / "2021" / "algeria.yaml")


def add(base: Path) -> None:
    (base / "facts" / "extra.yaml").write_text(
        "country: DZ\nyear: 2021\nedition: crt-2021\nfacts:\n"
        "  - {id: dz-extra, kind: threat, source: echorouk-crt2021-algeria, statement: An added fact.}\n",
        encoding="utf-8",
    )


CHANGES = {
    "edit": lambda base: edit(base / "facts" / "2021" / "DZ.yaml", "Libya, Mali", "Libya, Chad, Mali"),
    "add": add,
    "delete": lambda base: (base / "facts" / "2020" / "MR.yaml").unlink(),
    "rename": rename,
    "edit-a-shared-file": lambda base: edit(base / "entities.yaml", "name:", "name: X"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_changed_file_gives_the_answers_of_a_cold_build(
    ctreport: Any, base: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    answers(ctreport, base)  # builds the cache and the store
    CHANGES[change](base)
    parsed = parsed_files(monkeypatch)
    incremental = answers(ctreport, base)
    expected = {"edit": ["DZ.yaml"], "add": ["extra.yaml"], "delete": [], "rename": ["algeria.yaml"]}
    assert parsed == expected.get(change, ["entities.yaml"])
    assert incremental == answers(ctreport, base, "--no-cache")


def test_a_file_that_becomes_invalid_is_reported_and_the_rest_is_reused(
    ctreport: Any, base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers(ctreport, base)
    broken = base / "facts" / "2021" / "TN.yaml"
    edit(broken, "year: 2021", "year: twenty")
    parsed = parsed_files(monkeypatch)
    first = ctreport(["validate", "--data", str(base)])
    again = ctreport(["arrests", "--data", str(base)])  # the broken file's problems come from the store
    assert parsed == ["TN.yaml"]
    cold = ctreport(["validate", "--data", str(base), "--no-cache"])
    assert first.code == again.code == cold.code == 1
    assert (first.raw, first.err) == (cold.raw, cold.err)
    (problem,) = first.raw.splitlines()
    assert "TN.yaml:5:7: expected a whole number" in problem
    assert problem in again.err
    edit(broken, "year: twenty", "year: 2021")
    assert ctreport(["arrests", "--data", str(base)]).code == 0


def store_files() -> list[Path]:
    """The store's files: packs of entries (one per process of a build), and single entries."""
    return sorted(path for path in cache.cache_dir().glob("*.files/*") if path.suffix in (".pack", ".json"))


def store_keys() -> list[str]:
    keys = []
    for path in store_files():
        keys += list(cache._pack_index(str(path))) if path.suffix == ".pack" else [path.stem]
    return sorted(keys)


def test_what_no_file_uses_any_more_is_removed(ctreport: Any, base: Path) -> None:
    assert ctreport(["arrests", "--data", str(base)]).code == 0
    files = list(base.rglob("*.yaml"))
    (first,) = store_files()  # a build puts its entries in a pack
    assert first.suffix == ".pack" and len(store_keys()) == len(files)
    dz = base / "facts" / "2021" / "DZ.yaml"
    edit(dz, "Libya, Mali", "Libya, Chad, Mali")
    assert ctreport(["arrests", "--data", str(base)]).code == 0  # patched: an entry of its own
    (patched,) = [path for path in store_files() if path.suffix == ".json"]
    edit(dz, "Libya, Chad, Mali", "Libya, Chad, Niger, Mali")
    assert ctreport(["arrests", "--data", str(base)]).code == 0
    assert patched.exists() is False and len(store_files()) == 2  # the old version's entry went
    # Every file changes, and a definition with them, so the base is rebuilt: the first build's
    # pack, which no file uses any more, goes, and so does the file deleted.
    (base / "facts" / "2020" / "MR.yaml").unlink()
    for path in base.rglob("*.yaml"):
        path.write_text(path.read_text(encoding="utf-8") + "\n# read again\n", encoding="utf-8")
    edit(base / "entities.yaml", "African Lion", "African Lion Exercise")
    assert ctreport(["arrests", "--data", str(base)]).code == 0
    assert not first.exists() and [path.suffix for path in store_files()] == [".pack"]
    assert len(store_keys()) == len(files) - 1


def _results() -> dict[str, cache.FileResult]:
    files = sorted(BASE.rglob("*.yaml"))[:3]
    return {
        path.stem + str(n): incremental.parse_file(path.read_bytes(), str(path), path.name)
        for n, path in enumerate(files)
    }


def _plain(result: cache.FileResult | None) -> Any:
    assert result is not None
    return cache.plain(result[0]), result[1:]


def test_a_pack_gives_back_each_entry_put_in_it(tmp_path: Path) -> None:
    results = _results()
    store = cache.FileStore(tmp_path / "base.files")
    store.pack()
    for key, result in results.items():
        store.put(key, result)
    assert store.get(next(iter(results))) is None  # readable once sealed
    store.seal()
    (pack,) = (tmp_path / "base.files").iterdir()
    assert pack.suffix == ".pack" and pack.stat().st_mode & 0o777 == 0o600
    again = cache.FileStore(tmp_path / "base.files")
    assert {key: _plain(again.get(key)) for key in results} == {key: _plain(r) for key, r in results.items()}


PACK_DAMAGE = {
    "an index past its entries": lambda data: data.replace(b"[0,", b"[99999999,", 1),
    "no end": lambda data: data[:-4],
    "an index that is not JSON": lambda data: data.replace(b'{"', b"{{", 1),
}


@pytest.mark.parametrize("damage", PACK_DAMAGE)
def test_a_damaged_pack_gives_nothing(tmp_path: Path, damage: str) -> None:
    results = _results()
    store = cache.FileStore(tmp_path / "base.files")
    store.pack()
    for key, result in results.items():
        store.put(key, result)
    store.seal()
    (pack,) = (tmp_path / "base.files").iterdir()
    data = pack.read_bytes()
    index_at = int.from_bytes(data[-8:], "little")
    pack.write_bytes(data[:index_at] + PACK_DAMAGE[damage](data[index_at:]))
    again = cache.FileStore(tmp_path / "base.files")
    assert [again.get(key) for key in results] == [None] * len(results)
    again.forget_unused()  # nothing of it can be used: it goes
    assert not pack.exists()


def test_a_pack_goes_once_no_entry_of_it_is_used(tmp_path: Path) -> None:
    results = _results()
    store = cache.FileStore(tmp_path / "base.files")
    for keys in (list(results)[:2], list(results)[2:]):
        store.pack()
        for key in keys:
            store.put(key, results[key])
        store.seal()
    packs = sorted((tmp_path / "base.files").iterdir(), key=lambda path: len(cache._pack_index(str(path))))
    again = cache.FileStore(tmp_path / "base.files")
    assert again.get(list(results)[0]) is not None
    again.forget_unused()
    assert [path.exists() for path in packs] == [False, True]  # the one entry of the first went unused


def test_an_entry_found_damaged_in_a_pack_is_read_again_once(
    ctreport: Any, base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its index intact: the entry read again is taken from then on, not the damaged copy,
    and the store does not grow run after run."""
    assert ctreport(["validate", "--data", str(base)]).code == 0
    (pack,) = store_files()
    offset, size = next(iter(cache._pack_index(str(pack)).values()))[1:]
    with pack.open("r+b") as stream:
        stream.seek(offset + size // 2)
        stream.write(b"\x00" * 8)
    parsed = parsed_files(monkeypatch)
    runs = []
    for _ in range(3):
        run = ctreport(["validate", "--data", str(base)])
        runs.append((run.code, len(parsed), len(store_files())))
    assert runs[0][:2] == (0, 1)  # the damaged one, read again
    assert runs[1:] == [(0, 1, runs[0][2])] * 2  # then never again, and nothing added


def test_a_patch_of_several_files_leaves_no_pack_no_file_uses(ctreport: Any, base: Path) -> None:
    assert ctreport(["arrests", "--data", str(base)]).code == 0
    (first,) = store_files()
    files = len(list(base.rglob("*.yaml")))
    for n in range(3):
        edit(base / DZ, "Libya", f"Libya{n}")
        edit(base / TN, "remained high", f"remained high ({n})")
        assert ctreport(["arrests", "--data", str(base)]).code == 0
        # The first build's pack (its other files unchanged), and the last patch's alone.
        packs = store_files()
        assert len(packs) == 2 and first in packs and len(store_keys()) == files + 2


@pytest.mark.parametrize("damage", ["truncated", "not-json", "other-shape", "writable-by-others", "a-fifo"])
def test_a_damaged_or_untrusted_entry_is_read_again_from_the_yaml(
    ctreport: Any, base: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    expected = answers(ctreport, base, "--no-cache")
    answers(ctreport, base)
    edit(base / "facts" / "2021" / "DZ.yaml", "Libya, Mali", "Libya, Chad, Mali")
    answers(ctreport, base)  # the store now holds the edited file; the cache is rebuilt below
    expected = answers(ctreport, base, "--no-cache")
    assert {path.suffix for path in store_files()} == {".pack", ".json"}  # the patch put one of its own
    for entry in store_files():
        if damage == "truncated":
            entry.write_bytes(entry.read_bytes()[:40])
        elif damage == "not-json":
            entry.write_bytes(b"\xff\x00")
        elif damage == "other-shape":
            entry.write_text('{"document": {"facts": 3}, "problems": [], "dropped": [], "parsed": true}')
        elif damage == "writable-by-others":
            # Content another user could have put there: a statement nobody wrote in the YAML.
            # As bytes: a pack ends with its index's offset, which need not decode as UTF-8.
            entry.write_bytes(entry.read_bytes().replace(b"Libya, Chad, Mali", b"FORGED"))
            entry.chmod(0o666)
        else:
            entry.unlink()
            os.mkfifo(entry)
    for path in cache.cache_dir().glob("base-*.json"):
        path.unlink()
    parsed = parsed_files(monkeypatch)
    assert answers(ctreport, base) == expected
    assert len(parsed) == len(list(base.rglob("*.yaml")))


def test_the_store_is_private_and_beside_its_cache(base: Path) -> None:
    load_base(DataSelection((base,)))
    (folder,) = cache.cache_dir().glob("*.files")
    (cache_file,) = cache.cache_dir().glob("base-*.json")
    assert folder.name == cache_file.stem + ".files"
    assert folder.stat().st_mode & 0o777 == 0o700


def test_an_untrusted_store_folder_is_not_used(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_base(DataSelection((base,)))
    (folder,) = cache.cache_dir().glob("*.files")
    folder.chmod(0o777)
    edit(base / "entities.yaml", "African Lion", "African Lion Exercise")  # rebuilt, not patched
    parsed = parsed_files(monkeypatch)
    load_base(DataSelection((base,)))
    # Every file, and the changed one twice: the patch that declined read it, then the rebuild.
    assert len(parsed) == len(list(base.rglob("*.yaml"))) + 1


def test_no_cache_neither_reads_nor_writes_the_store(ctreport: Any, base: Path) -> None:
    assert ctreport(["arrests", "--data", str(base), "--no-cache"]).code == 0
    assert ctreport(["validate", str(base)]).code == 0
    assert store_files() == []


def test_what_a_killed_write_left_behind_is_removed_once_old(ctreport: Any, base: Path) -> None:
    assert ctreport(["arrests", "--data", str(base)]).code == 0
    (folder,) = cache.cache_dir().glob("*.files")
    old, recent = folder / "a.json123.tmp", folder / "b.json456.tmp"
    old.write_bytes(b"{")
    recent.write_bytes(b"{")
    os.utime(old, (1, 1))
    edit(base / "facts" / "2021" / "DZ.yaml", "Libya, Mali", "Libya, Chad, Mali")
    assert ctreport(["arrests", "--data", str(base)]).code == 0
    assert not old.exists() and recent.exists()


def test_another_yaml_parser_reads_every_file_again(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ct_report import yamlread

    load_base(DataSelection((base,)))
    # As if PyYAML were reinstalled with or without libyaml: its messages for a broken file differ.
    monkeypatch.setattr(yamlread, "Loader", type("OtherSafeLoader", (yamlread.Loader,), {}))
    cache._code_digest.cache_clear()
    edit(base / "entities.yaml", "African Lion", "African Lion Exercise")  # rebuilt, not patched
    parsed = parsed_files(monkeypatch)
    try:
        load_base(DataSelection((base,)))
    finally:
        monkeypatch.undo()
        cache._code_digest.cache_clear()
    assert len(parsed) == len(list(base.rglob("*.yaml")))


# --- patching the cache in place ------------------------------------------------------------

DZ, TN = Path("facts") / "2021" / "DZ.yaml", Path("facts") / "2021" / "TN.yaml"
THREAT = (
    "  - id: dz-2021-threat\n    kind: threat\n    source: echorouk-crt2021-algeria\n"
    "    statement: The drivers of the terrorist threat to Algeria come from Libya, Mali, Niger and Tunisia.\n\n"
)


def append_fact(base: Path, file: Path, fact: str) -> None:
    with (base / file).open("a", encoding="utf-8") as stream:
        stream.write(f"\n  - {fact}\n")


def drop_threat(base: Path) -> None:
    edit(base / DZ, THREAT, "")


def add_with_text(base: Path) -> None:
    (base / "texts" / "dz-2020.txt").write_text("The minister said that 12 cells were dismantled.\n", encoding="utf-8")
    (base / "facts" / "2020" / "DZ.yaml").write_text(
        "country: DZ\nyear: 2020\nedition: crt-2020\nsources:\n"
        "  - {id: dz-2020-press, kind: press, title: A report of the minister, edition: crt-2020, "
        "text: texts/dz-2020.txt, note: Made up for a test.}\n"
        "facts:\n  - {id: dz-2020-cells, kind: arrests, source: dz-2020-press, statement: Twelve cells.,"
        " cells: {value: 12, qualifier: exact}, quote: 12 cells were dismantled}\n",
        encoding="utf-8",
    )


PATCHED = {
    "a statement": lambda base: edit(base / DZ, "Libya, Mali", "Libya, Chad, Mali"),
    "a new fact": lambda base: append_fact(
        base, DZ, "{id: dz-2021-added, kind: threat, source: echorouk-crt2021-algeria, statement: One more.}"
    ),
    "a fact removed": drop_threat,
    "two files": lambda base: [
        edit(base / DZ, "Libya, Mali", "Libya, Chad, Mali"),
        edit(base / TN, "remained high", "stayed high"),
    ],
    "a source": lambda base: edit(base / DZ, "title: Echorouk article", "title: An Echorouk article"),
    # A partner row's fields have postings (the rows holding each value, see postings.py):
    # changed in place, its relation's and regions' lines change; a row added moves the rest.
    "a partner's relation": lambda base: edit(
        base / DZ, "partner: MA\n    relation: tension", "partner: MA\n    relation: host"
    ),
    "a partner's country": lambda base: edit(
        base / DZ, "partner: MA\n    relation: tension", "partner: FR\n    relation: tension"
    ),
    "a partner added": lambda base: append_fact(
        base,
        DZ,
        "{id: dz-2021-fr, kind: partner, source: echorouk-crt2021-algeria, partner: FR, relation: host, statement: Added.}",
    ),
    "a file added": lambda base: (base / "facts" / "2020" / "DZ.yaml").write_text(
        "country: DZ\nyear: 2020\nedition: crt-2020\nfacts:\n"
        "  - {id: dz-2020-added, kind: threat, source: echorouk-crt2021-algeria, statement: An added fact.}\n",
        encoding="utf-8",
    ),
    "a file added with its own source and text": add_with_text,
    "a file deleted": lambda base: (base / "facts" / "2020" / "MR.yaml").unlink(),
    "a file renamed": rename,
    "a reference to another file's fact": lambda base: append_fact(
        base,
        TN,
        "{id: tn-2021-added, kind: threat, source: jvl-crt2021-tunisia, section: Overview, "
        "statement: Added., conflicts_with: [dz-2021-threat]}",
    ),
}


def cache_payload() -> dict[str, bytes]:
    """The cache's sections (not its index, which records the files' modification times and
    where each segment lies)."""
    (path,) = cache.cache_dir().glob("base-*.json")
    return cache.section_bytes(path)


def forbid_rebuild(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "check", lambda *args, **kwargs: pytest.fail("the base was rebuilt"))


@pytest.mark.parametrize("segment_bytes", [segments.SEGMENT_BYTES, 300], ids=["one-segment-sections", "small-segments"])
@pytest.mark.parametrize("change", PATCHED)
def test_a_change_inside_its_files_is_patched_into_the_cache_as_a_rebuild_writes_it(
    ctreport: Any, base: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, change: str, segment_bytes: int
) -> None:
    monkeypatch.setattr(segments, "SEGMENT_BYTES", segment_bytes)
    load_base(DataSelection((base,)))
    PATCHED[change](base)
    with monkeypatch.context() as patching:
        forbid_rebuild(patching)
        load_base(DataSelection((base,)))
    patched = cache_payload()
    assert answers(ctreport, base) == answers(ctreport, base, "--no-cache")
    monkeypatch.setenv("CTREPORT_CACHE_DIR", str(tmp_path / "rebuilt"))
    load_base(DataSelection((base,)))
    assert patched == cache_payload()


def share_a_country_year(base: Path) -> None:
    append_fact(
        base,
        TN,
        "{id: tn-2021-dz, kind: threat, country: DZ, source: jvl-crt2021-tunisia, "
        "section: Overview, statement: Placed under Algeria.}",
    )


DECLINED = {
    "a source another file cites changed": lambda base: [
        append_fact(base, TN, "{id: tn-2021-cites, kind: threat, source: echorouk-crt2021-algeria, statement: Cited.}"),
        load_base(DataSelection((base,))),
        edit(base / DZ, "title: Echorouk article", "title: An Echorouk article"),
    ],
    "a file added with a country-year another file holds": add,
    "a shared definition": lambda base: edit(base / "entities.yaml", "African Lion", "African Lion Exercise"),
    "a file added that defines an entity": lambda base: (base / "more.yaml").write_text(
        "entities:\n  - {id: extra-forum, kind: forum, name: {en: Extra Forum}}\n", encoding="utf-8"
    ),
    "a country-year another file holds": share_a_country_year,
    "an id another file holds": lambda base: append_fact(
        base, TN, "{id: dz-2021-threat, kind: threat, source: jvl-crt2021-tunisia, section: Overview, statement: X.}"
    ),
    "a fact another file refers to removed": lambda base: [
        PATCHED["a reference to another file's fact"](base),
        load_base(DataSelection((base,))),
        drop_threat(base),
    ],
    "a problem": lambda base: edit(base / DZ, "kind: threat", "kind: thread"),
}


@pytest.mark.parametrize("change", DECLINED)
def test_a_change_that_reaches_beyond_its_files_rebuilds(
    ctreport: Any, base: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    load_base(DataSelection((base,)))
    DECLINED[change](base)
    rebuilds = []
    real = load.read_documents
    monkeypatch.setattr(load, "read_documents", lambda *args: rebuilds.append(1) or real(*args))
    incremental = answers(ctreport, base)
    assert rebuilds
    assert incremental == answers(ctreport, base, "--no-cache")


def test_a_file_listed_twice_is_rebuilt_not_patched(ctreport: Any, base: Path) -> None:
    extra = base / "facts" / "extra.yaml"
    extra.write_text("country: DZ\nyear: 2020\nedition: crt-2020\n", encoding="utf-8")
    twice = ["--add", str(extra)]  # also inside --data: one file, read twice
    answers(ctreport, base, *twice)
    append_fact(
        base,
        Path("facts") / "extra.yaml",
        "{id: dz-2020-x, kind: threat, source: echorouk-crt2021-algeria, statement: Added.}",
    )
    extra.write_text(extra.read_text(encoding="utf-8").replace("\n  - {", "\nfacts:\n  - {", 1), encoding="utf-8")
    incremental = answers(ctreport, base, *twice)
    assert incremental == answers(ctreport, base, *twice, "--no-cache")
    assert incremental[0][0] == 1 and "duplicate fact id 'dz-2020-x'" in incremental[0][2]


def test_a_yaml_file_that_is_also_a_source_text_is_rebuilt_not_patched(ctreport: Any, base: Path) -> None:
    text = (base / "texts" / "b83b063b8d390f1e.ar.txt").read_text(encoding="utf-8")
    commented = "".join(f"# {line}\n" for line in text.splitlines()) + "facts: []\n"
    (base / "texts" / "seed.yaml").write_text(commented, encoding="utf-8")
    edit(base / "facts" / "2021" / "MA.yaml", "text: texts/b83b063b8d390f1e.ar.txt", "text: texts/seed.yaml")
    assert answers(ctreport, base) == answers(ctreport, base, "--no-cache")
    edit(base / "texts" / "seed.yaml", "تقريره السنوي", "تقريرها السنوي")  # a quoted passage
    incremental = answers(ctreport, base)
    assert incremental == answers(ctreport, base, "--no-cache")
    assert incremental[0][0] == 1 and "quote does not appear verbatim" in incremental[0][2]


def test_a_store_entry_of_another_shape_is_read_again_when_patching(ctreport: Any, base: Path) -> None:
    answers(ctreport, base)
    PATCHED["a statement"](base)
    assert ctreport(["validate", "--data", str(base)]).code == 0  # stores the edited file's entry
    for entry in store_files():
        entry.write_bytes(entry.read_bytes().replace(b'"statement"', b'"stbtement"'))
    assert answers(ctreport, base) == answers(ctreport, base, "--no-cache")


def test_a_source_text_link_pointed_at_another_file_is_read_again(ctreport: Any, base: Path) -> None:
    texts = base / "texts"
    seed = (texts / "b83b063b8d390f1e.ar.txt").read_text(encoding="utf-8")
    (texts / "v1.txt").write_text(seed + "A passage only in the first version.\n", encoding="utf-8")
    (texts / "v2.txt").write_text(seed, encoding="utf-8")
    (texts / "current.txt").symlink_to("v1.txt")
    edit(base / "facts" / "2021" / "MA.yaml", "text: texts/b83b063b8d390f1e.ar.txt", "text: texts/current.txt")
    (base / "facts" / "2021" / "LY.yaml").write_text(
        "country: LY\nyear: 2021\nedition: crt-2021\nfacts:\n  - {id: ly-1, kind: threat, source: press-ar-b83b063b,"
        " statement: X., quote: A passage only in the first version.}\n",
        encoding="utf-8",
    )
    assert answers(ctreport, base) == answers(ctreport, base, "--no-cache")
    (texts / "current.txt").unlink()
    (texts / "current.txt").symlink_to("v2.txt")
    incremental = answers(ctreport, base)
    assert incremental == answers(ctreport, base, "--no-cache")
    assert incremental[0][0] == 1 and "quote does not appear verbatim" in incremental[0][2]


def data_files() -> list[Path]:
    return sorted(cache.cache_dir().glob("base-*.data"))


def test_a_patch_writes_only_the_segments_that_change(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segments, "SEGMENT_BYTES", 300)
    load_base(DataSelection((base,)))
    (built,) = data_files()
    PATCHED["a statement"](base)
    with monkeypatch.context() as patching:
        forbid_rebuild(patching)
        load_base(DataSelection((base,)))
    written = [path for path in data_files() if path != built]
    assert built.exists() and len(written) == 1
    # The `files` section (what is recorded of every file) is written anew; most of the rest is
    # referred to where it lies.
    assert written[0].stat().st_size < built.stat().st_size / 3


def test_patches_spread_over_too_many_data_files_are_gathered_into_one(
    ctreport: Any, base: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(segments, "SEGMENT_BYTES", 300)
    load_base(DataSelection((base,)))
    counts = []
    files = sorted(base.glob("facts/*/*.yaml"))[: segments.MAX_DATA_FILES + 2]
    for file in files:
        # Each patch changes another file, so that what earlier patches wrote stays in use.
        edit(file, "statement: ", "statement: Edited. ")
        with monkeypatch.context() as patching:
            forbid_rebuild(patching)
            load_base(DataSelection((base,)))
        counts.append(len(data_files()))
    assert len(files) == segments.MAX_DATA_FILES + 2
    assert max(counts) == segments.MAX_DATA_FILES and counts[-3:] == [1, 2, 3], counts
    patched = cache_payload()
    assert answers(ctreport, base) == answers(ctreport, base, "--no-cache")
    monkeypatch.setenv("CTREPORT_CACHE_DIR", str(tmp_path / "rebuilt"))
    load_base(DataSelection((base,)))
    assert patched == cache_payload()


def test_only_the_data_files_in_use_are_kept(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_base(DataSelection((base,)))
    folder = cache.cache_dir()
    (index,) = folder.glob("base-*.json")
    abandoned = folder / f"{index.stem}.{'0' * 16}.data"  # what a killed write leaves
    recent = folder / f"{index.stem}.{'1' * 16}.data"  # what a run writing now has
    for orphan in (abandoned, recent):
        orphan.write_bytes(b"x")
    hour_ago = time.time() - 3700
    os.utime(abandoned, (hour_ago, hour_ago))
    (built,) = [path for path in data_files() if path not in (abandoned, recent)]
    edit(base / DZ, "Libya, Mali", "Libya, Chad, Mali")
    load_base(DataSelection((base,)))  # patched: the file that was rewritten whole goes
    DECLINED["a shared definition"](base)
    load_base(DataSelection((base,)))  # rebuilt
    named = {name for name, _ in json.loads(index.read_bytes().split(b"\n")[-2])["data"]}
    assert {path.name for path in data_files()} == named | {recent.name}
    assert not built.exists() and not abandoned.exists()


def test_a_data_file_removed_by_another_run_is_rebuilt_silently(ctreport: Any, base: Path) -> None:
    expected = ctreport(["partners", "--json", "--data", str(base), "--no-cache"])
    assert ctreport(["partners", "--json", "--data", str(base)]).code == 0
    for path in data_files():
        path.unlink()  # as a run that replaced the index between our reading it and opening these
    run = ctreport(["partners", "--json", "--data", str(base)])
    assert (run.code, run.raw, run.err) == (0, expected.raw, "")


def test_a_base_in_use_keeps_answering_while_another_run_patches_the_cache(base: Path) -> None:
    load_base(DataSelection((base,)))
    before = load_base(DataSelection((base,)))  # reads its sections lazily, from open files
    edit(base / DZ, "Libya, Mali", "Libya, Chad, Mali")
    after = load_base(DataSelection((base,)))
    DECLINED["a shared definition"](base)
    load_base(DataSelection((base,)))  # rebuilt: the data files `before` reads are removed
    assert data_files() and not any("Chad" in f.statement for f in before.facts)
    assert any("Chad" in f.statement for f in after.facts)


def test_processes_patching_at_once_all_answer_as_a_cold_build(ctreport: Any, base: Path) -> None:
    import subprocess
    import sys

    script = shutil.which("ctreport", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("ctreport is not installed")
    args = [script, "partners", "--json", "--data", str(base)]
    env = {**os.environ, "CTREPORT_CACHE_DIR": str(cache.cache_dir())}
    assert subprocess.run(args, env=env, capture_output=True, check=False).returncode == 0
    for change in ("a statement", "a file added", "a file deleted"):
        PATCHED[change](base)
        expected = ctreport(["partners", "--json", "--data", str(base), "--no-cache"]).raw.encode()
        processes = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(4)]
        outputs = [process.communicate(timeout=60) for process in processes]
        assert [(process.returncode, out, err) for process, (out, err) in zip(processes, outputs, strict=True)] == [
            (0, expected, b"")
        ] * 4
        (index,) = cache.cache_dir().glob("base-*.json")
        named = json.loads(index.read_bytes().split(b"\n")[-2])["data"]
        assert all((index.parent / name).stat().st_size == size for name, size in named)


@pytest.mark.parametrize("when", ["patching", "rebuilding"])
def test_a_write_interrupted_leaves_the_cache_usable(
    ctreport: Any, base: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    load_base(DataSelection((base,)))
    before = set(cache.cache_dir().iterdir())
    (PATCHED["a statement"] if when == "patching" else DECLINED["a shared definition"])(base)
    with monkeypatch.context() as interrupted:

        def stopped(self: segments.Writer) -> None:
            raise KeyboardInterrupt

        interrupted.setattr(segments.Writer, "flush", stopped)
        with pytest.raises(KeyboardInterrupt):
            load_base(DataSelection((base,)))
    assert set(cache.cache_dir().iterdir()) == before  # the half-written data file is gone
    assert answers(ctreport, base) == answers(ctreport, base, "--no-cache")


def test_unused_data_files_are_removed_by_a_later_read_once_no_run_can_be_writing_them(base: Path) -> None:
    load_base(DataSelection((base,)))
    (index,) = cache.cache_dir().glob("base-*.json")
    lost = [cache.cache_dir() / f"{index.stem}.{digit * 16}.data" for digit in "23"]  # runs that lost a race
    for path in lost:
        path.write_bytes(b"x")
    old = time.time() - segments.ABANDONED_AFTER - 60
    os.utime(lost[0], (old, old))
    load_base(DataSelection((base,)))  # answered from the cache: nothing is written
    assert not lost[0].exists() and lost[1].exists()


def test_an_index_that_cannot_be_written_leaves_no_data_file(ctreport: Any, base: Path) -> None:
    args = ["arrests", "--count", "--data", str(base)]
    expected = ctreport([*args, "--no-cache"]).out
    assert ctreport(args).code == 0
    (index,) = cache.cache_dir().glob("base-*.json")
    for path in data_files():
        path.unlink()
    index.unlink()
    index.mkdir()  # the index cannot be replaced
    (index / "x").write_text("", encoding="utf-8")
    for _ in range(2):
        run = ctreport(args)
        assert (run.code, run.out) == (0, expected)
        assert run.err.startswith("ctreport: warning: ") and run.err.count("\n") == 1
    assert data_files() == []
