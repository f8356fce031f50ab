"""Issue 15: a first build holds one file's facts at a time (`streamed`), and gives the cache a
full build gives; a base it cannot build that way is built whole, and reported as before."""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_store import add, answers, edit

from ct_report import cache, load, model, streamed

BASE = Path(__file__).parent / "fixtures" / "base"


@pytest.fixture
def base(tmp_path: Path) -> Path:
    copied = tmp_path / "base"
    shutil.copytree(BASE, copied)
    return copied


@pytest.fixture
def whole_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry for each full build from here on."""
    built: list[int] = []
    real = load._validated
    monkeypatch.setattr(load, "_validated", lambda *args: built.append(1) or real(*args))
    return built


def test_a_first_build_a_file_at_a_time_answers_as_without_the_cache(
    ctreport: Any, base: Path, whole_builds: list[int]
) -> None:
    uncached = answers(ctreport, base, "--no-cache")
    whole_builds.clear()
    assert answers(ctreport, base) == uncached
    assert whole_builds == []


def test_a_first_build_a_file_at_a_time_writes_the_cache_a_full_build_writes(
    ctreport: Any, base: Path, whole_builds: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    add(base)  # files that share a country-year too
    written = {}
    for way in ("streamed", "whole"):
        if way == "whole":
            monkeypatch.setattr(load, "_streamed", lambda *args: None)
        monkeypatch.setenv("CTREPORT_CACHE_DIR", str(tmp_path / way))
        assert ctreport(["partners", "--count", "--data", str(base)]).code == 0
        (path,) = (tmp_path / way).glob("base-*.json")
        written[way] = cache.section_bytes(path)
    assert whole_builds == [1]  # the second way only
    assert written["streamed"] == written["whole"]
    assert written["whole"]["keys:partners"].count(b"\n") > 1


def test_files_sharing_a_country_year_have_their_rows_worked_out_together(
    ctreport: Any, base: Path, whole_builds: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    add(base)  # a second file with facts of DZ 2021
    units: list[list[list[int]]] = []
    real = streamed._units
    monkeypatch.setattr(streamed, "_units", lambda first: units.append(real(first)[1]) or real(first))
    uncached = answers(ctreport, base, "--no-cache")
    whole_builds.clear()
    assert answers(ctreport, base) == uncached
    assert whole_builds == []
    assert [len(group) for group in units[0]] == [2]


def test_the_first_pass_keeps_no_fact(ctreport: Any, base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept: list[model.Document] = []
    real = load.read_documents

    def reading(*args: Any) -> load.Documents:
        documents = real(*args)
        kept.extend(document for document, _, _ in documents.documents)
        return documents

    monkeypatch.setattr(load, "read_documents", reading)
    assert ctreport(["partners", "--data", str(base)]).code == 0
    assert kept and all(document.facts == () for document in kept)
    assert any(document.sources for document in kept)


PROBLEMS: dict[str, Callable[[Path], None]] = {
    "a fact id taken in two files": lambda base: edit(
        base / "facts" / "2021" / "TN.yaml", "id: tn-2021-threat", "id: dz-2021-threat"
    ),
    "a fact citing no known source": lambda base: edit(
        base / "facts" / "2021" / "DZ.yaml", "source: echorouk-crt2021-algeria", "source: nowhere"
    ),
    "a file that does not parse": lambda base: (base / "facts" / "2022" / "MA.yaml").write_text(
        "facts: [", encoding="utf-8"
    ),
}


@pytest.mark.parametrize("problem", PROBLEMS)
def test_a_base_with_a_problem_is_built_whole_and_reported_as_before(
    ctreport: Any, base: Path, whole_builds: list[int], problem: str
) -> None:
    PROBLEMS[problem](base)
    uncached = ctreport(["partners", "--data", str(base), "--no-cache"])
    whole_builds.clear()
    run = ctreport(["partners", "--data", str(base)])
    assert uncached.code == run.code != 0
    assert (run.raw, run.err) == (uncached.raw, uncached.err)
    assert whole_builds == [1]


def test_a_file_the_store_cannot_give_back_is_built_whole(
    ctreport: Any, base: Path, whole_builds: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    uncached = answers(ctreport, base, "--no-cache")
    whole_builds.clear()
    real = streamed.write

    def losing_the_store(path: Path, first: streamed.Pass) -> model.FactBase:
        shutil.rmtree(first.kept.store.folder)
        return real(path, first)

    monkeypatch.setattr(streamed, "write", losing_the_store)
    assert answers(ctreport, base) == uncached
    assert whole_builds == [1]


def test_a_file_changed_between_its_two_reads_is_recorded_as_last_read(
    ctreport: Any, base: Path, monkeypatch: pytest.MonkeyPatch, helpers_start: None
) -> None:
    """A helper that did nothing leaves its file to be read again here; if it changed
    meanwhile, the cache records what it was built from, so the next run sees no change."""
    from ct_report import prefill

    monkeypatch.setattr(load, "_filler", lambda store: lambda path, root: None)  # a helper that does nothing
    monkeypatch.setattr(prefill.Helpers, "takes", lambda self, position: True)  # and is given every file
    real_wait = prefill.Helpers.wait

    def changing_then_waiting(helpers: prefill.Helpers) -> None:
        if not changed:  # the first pass waits first; the second forks helpers of its own
            edit(base / "facts" / "2021" / "DZ.yaml", "Libya, Mali", "Libya, Chad, Mali")
            changed.append(1)
        real_wait(helpers)

    changed: list[int] = []

    monkeypatch.setattr(prefill.Helpers, "wait", changing_then_waiting)
    first = ctreport(["show", "dz-2021-threat", "--data", str(base), "--json"])
    monkeypatch.undo()
    assert first.code == 0, first.result.exception
    assert "Chad" in first.raw
    assert ctreport(["show", "dz-2021-threat", "--data", str(base), "--json"]).raw == first.raw
    stale = cache.read(cache.cache_file((base,)), load.list_files((base,)).names)
    assert isinstance(stale, model.FactBase)  # current: nothing to patch or rebuild


@pytest.fixture
def second_pass_helped(monkeypatch: pytest.MonkeyPatch, helpers_start: None) -> list[int]:
    """Every base is large enough for helpers, on a machine with two cores; the numbers of the
    files whose lines this process makes itself in the second pass, which it makes slowly, so
    that the helper claims some of them."""
    import os
    import time

    made: list[int] = []
    real = streamed._file_lines
    main = os.getpid()

    def counted(work: Any, number: int) -> Any:
        if os.getpid() == main:  # the helper counts in its own copy
            made.append(number)
            time.sleep(0.02)
        return real(work, number)

    monkeypatch.setattr(streamed, "_file_lines", counted)
    return made


def test_second_pass_helpers_make_their_share_and_the_answers_are_the_same(
    ctreport: Any, base: Path, second_pass_helped: list[int], whole_builds: list[int]
) -> None:
    uncached = answers(ctreport, base, "--no-cache")
    whole_builds.clear()
    assert answers(ctreport, base) == uncached
    files = len(load.list_files((base,)).names)
    # The helper made the others; this process made each of its own once.
    assert len(set(second_pass_helped)) == len(second_pass_helped) < files
    assert whole_builds == []


def _in_helpers(action: Callable[[], None]) -> Callable[..., Any]:
    import os

    main = os.getpid()

    def wrapped(real: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            if os.getpid() != main:
                action()
            return real(*args)

        return run

    return wrapped


def _die() -> None:
    import os

    os._exit(1)


def _decline() -> None:
    raise streamed.Declined("a problem a helper found")


HELPER_TROUBLE: dict[str, Callable[[], None]] = {"a helper that dies": _die, "a helper that declines": _decline}


@pytest.mark.parametrize("trouble", HELPER_TROUBLE)
def test_what_a_second_pass_helper_leaves_undone_is_made_here(
    ctreport: Any,
    base: Path,
    second_pass_helped: list[int],
    whole_builds: list[int],
    monkeypatch: pytest.MonkeyPatch,
    trouble: str,
) -> None:
    uncached = answers(ctreport, base, "--no-cache")
    whole_builds.clear()
    second_pass_helped.clear()
    monkeypatch.setattr(streamed, "_file_lines", _in_helpers(HELPER_TROUBLE[trouble])(streamed._file_lines))
    assert answers(ctreport, base) == uncached
    assert sorted(set(second_pass_helped)) == list(range(len(load.list_files((base,)).names)))
    assert whole_builds == []


def test_a_record_cut_short_ends_what_is_taken_from_it(
    ctreport: Any, base: Path, second_pass_helped: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from ct_report import prefill

    uncached = answers(ctreport, base, "--no-cache")
    main = os.getpid()
    real = prefill.Records.put

    def cutting(records: prefill.Records, number: int, position: int, value: object) -> None:
        if os.getpid() == main:
            real(records, number, position, value)
        else:  # half a record, as a helper stopped while writing leaves
            data = pickle.dumps((position, value))
            os.write(records.files[number].fileno(), data[: len(data) // 2])
            os._exit(0)

    monkeypatch.setattr(prefill.Records, "put", cutting)
    assert answers(ctreport, base) == uncached


def test_the_first_pass_takes_what_helpers_read_from_what_they_hand_back(
    ctreport: Any, base: Path, whole_builds: list[int], monkeypatch: pytest.MonkeyPatch, helpers_start: None
) -> None:
    """Not from the file store, which would decode every fact of their files again: only the
    second pass takes files from the store."""
    import os
    import time

    from ct_report import incremental

    uncached = ctreport(["partners", "--data", str(base), "--json", "--no-cache"])
    main, parsed, taken = os.getpid(), [], []
    real_parse, real_get = incremental.parse_file, cache.FileStore.get

    def parse_slowly(data: bytes, name: str, label: str) -> Any:
        if os.getpid() == main:  # so that the helper reads some of the files
            parsed.append(name)
            time.sleep(0.02)
        return real_parse(data, name, label)

    def get(store: cache.FileStore, key: str) -> Any:
        found = real_get(store, key)
        if found is not None and os.getpid() == main:
            taken.append(key)
        return found

    real_write = streamed.write

    def second_pass(path: Path, first: streamed.Pass) -> model.FactBase:
        taken.append("second pass")
        return real_write(path, first)

    monkeypatch.setattr(incremental, "parse_file", parse_slowly)
    monkeypatch.setattr(cache.FileStore, "get", get)
    monkeypatch.setattr(streamed, "write", second_pass)
    whole_builds.clear()
    run = ctreport(["partners", "--data", str(base), "--json"])
    assert (run.code, run.raw) == (uncached.code, uncached.raw)
    files = len(load.list_files((base,)).names)
    assert len(parsed) < files  # the helper read the others
    assert taken[0] == "second pass"  # nothing came from the store before it
    assert whole_builds == []


def test_what_a_helper_read_of_other_bytes_is_not_taken(tmp_path: Path) -> None:
    from ct_report import incremental

    path = BASE / "facts" / "2021" / "DZ.yaml"
    data = path.read_bytes()
    result = incremental.parse_file(data, str(path), "base:facts/2021/DZ.yaml")
    read_here = incremental.ChangedFile(path, BASE, "base:facts/2021/DZ.yaml", b"", (str(path), len(data), 0, "a" * 64))
    read_by_helper = read_here._replace(read=(str(path), len(data), 0, "b" * 64))
    handed = streamed.Kept(cache.FileStore(tmp_path)).handed(read_by_helper, result)
    kept = streamed.Kept(cache.FileStore(tmp_path))
    assert kept.taken(read_here, handed) is None and kept.files == {}
    taken = kept.taken(read_by_helper, handed)
    assert taken is not None and taken[0] is not None and taken[0].facts == ()
    assert kept.files[str(path)].ids == [fact.id for fact in result[0].facts]  # type: ignore[union-attr]
