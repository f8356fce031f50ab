"""Issue 7: the compiled cache is used when current and rebuilt, with at most a warning, when not."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ct_report import cache, load
from ct_report import text as text_module
from ct_report.load import DataSelection, load_base
from ct_report.text import fold
from ct_report.yamlread import FORBIDDEN_CHARS


@pytest.fixture
def base_dir(tmp_path: Path, tiny: Path) -> Path:
    target = tmp_path / "base"
    shutil.copytree(tiny, target)
    return target


def cache_files() -> list[Path]:
    return sorted(cache.cache_dir().glob("base-*.json"))


def forbid_rebuild(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the YAML was read although the cache is current")

    monkeypatch.setattr(load, "check", fail)


def test_second_run_is_answered_from_the_cache(base_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_base(DataSelection((base_dir,)))
    assert len(cache_files()) == 1
    forbid_rebuild(monkeypatch)
    assert load_base(DataSelection((base_dir,))) == first


def test_cache_dir_env_is_honoured(ctreport: Any, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    assert ctreport(["arrests", "--count"], env={"CTREPORT_CACHE_DIR": str(target)}).code == 0
    assert len(list(target.glob("base-*.json"))) == 1


def test_no_cache_neither_reads_nor_writes(ctreport: Any) -> None:
    run = ctreport(["arrests", "--count", "--no-cache"])
    assert run.code == 0
    assert cache_files() == []


@pytest.mark.parametrize("change", ["edit", "add", "remove", "edit-text"])
def test_a_changed_added_or_removed_file_invalidates(base_dir: Path, change: str) -> None:
    selection = DataSelection((base_dir,))
    load_base(selection)
    facts = base_dir / "ma-2021.yaml"
    if change == "edit":
        facts.write_text(facts.read_text(encoding="utf-8").replace("At least 55", "At least 56"), encoding="utf-8")
    elif change == "add":
        (base_dir / "extra.yaml").write_text(
            "facts:\n  - {id: t-extra, kind: threat, source: article, country: MA, year: 2021, edition: crt-2021,"
            " statement: Extra.}\n",
            encoding="utf-8",
        )
    elif change == "remove":
        facts.unlink()
    else:
        text = base_dir / "article.txt"
        text.write_text(text.read_text(encoding="utf-8") + " إضافة.", encoding="utf-8")
    base = load_base(selection)
    statements = {f.id: f.statement for f in base.facts}
    if change == "edit":
        assert statements["t-arrests"] == "At least 56 people were arrested."
    elif change == "add":
        assert "t-extra" in statements
    elif change == "remove":
        assert statements == {}
    else:
        assert base.texts["article"].endswith("إضافة.")


def test_a_touched_but_unchanged_file_keeps_the_cache(base_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    selection = DataSelection((base_dir,))
    load_base(selection)
    os.utime(base_dir / "ma-2021.yaml", ns=(1, 1))
    forbid_rebuild(monkeypatch)
    first = load_base(selection)  # hashes the touched file once, and records its new time

    def fail(path: Path) -> str:
        raise AssertionError(f"{path} was hashed again")

    monkeypatch.setattr(cache, "file_hash", fail)
    assert load_base(selection) == first


@pytest.mark.parametrize("damage", ["garbage", "truncated", "checksum", "offsets", "not-an-object", "empty"])
def test_damaged_cache_is_rebuilt_with_a_warning(base_dir: Path, damage: str) -> None:
    selection = DataSelection((base_dir,))
    load_base(selection)
    expected = load_base(DataSelection((base_dir,), use_cache=False))
    (path,) = cache_files()
    raw = path.read_bytes()
    flipped = bytearray(raw)
    flipped[-10] ^= 0x01
    damaged = {
        "garbage": b"\x00\x01garbage",
        "truncated": raw[: len(raw) // 2],
        "checksum": bytes(flipped),
        # one digit of a section's offset: the trailer has a checksum of its own
        "offsets": raw.replace(b'"rows:arrests": [', b'"rows:arrests": [1', 1),
        "not-an-object": b"[1, 2]\n{}",
        "empty": b"",
    }[damage]
    path.write_bytes(damaged)
    warnings: list[str] = []
    assert load_base(selection, warn=warnings.append) == expected
    assert len(warnings) == 1 and "rebuilding it" in warnings[0]
    assert load_base(selection, warn=warnings.append) == expected
    assert len(warnings) == 1  # rebuilt: the next run is clean


def test_cache_from_another_version_is_silently_rebuilt(base_dir: Path) -> None:
    selection = DataSelection((base_dir,))
    load_base(selection)
    (path,) = cache_files()
    payload, trailer = path.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)
    header = json.loads(trailer)
    header["version"] = "0.0.0-other"
    path.write_bytes(payload + b"\n" + json.dumps(header).encode() + b"\n")
    warnings: list[str] = []
    load_base(selection, warn=warnings.append)
    assert warnings == []
    assert json.loads(path.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[1])["version"] != "0.0.0-other"


def test_cache_of_an_older_format_is_silently_rebuilt(base_dir: Path) -> None:
    selection = DataSelection((base_dir,))
    load_base(selection)
    (path,) = cache_files()
    path.write_bytes(json.dumps({"format": 3, "version": "0.1.0"}).encode() + b"\n[]")  # header first
    warnings: list[str] = []
    load_base(selection, warn=warnings.append)
    assert warnings == []
    assert path.read_bytes().endswith(b"}\n")


def test_unwritable_cache_dir_warns_and_answers(ctreport: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    run = ctreport(["arrests", "--count"], env={"CTREPORT_CACHE_DIR": str(blocker / "cache")})
    assert run.code == 0 and int(run.out) > 0
    assert run.err.startswith("ctreport: warning: cannot write the cache")


def test_concurrent_processes_both_answer(tmp_path: Path) -> None:
    script = shutil.which("ctreport", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("ctreport is not installed")
    env = {**os.environ, "CTREPORT_CACHE_DIR": str(tmp_path / "shared-cache")}
    processes = [
        subprocess.Popen([script, "partners", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert all(p.returncode == 0 for p in processes), [e for _, e in outputs]
    assert len({out for out, _ in outputs}) == 1
    assert all(err == b"" for _, err in outputs)
    assert [p.name for p in (tmp_path / "shared-cache").iterdir()][0].startswith("base-")


# Text the validator accepts: no control, surrogate or line-separator characters, and none of
# the bidirectional overrides and isolates it refuses.
statement = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda text: not FORBIDDEN_CHARS.search(text))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    facts=st.lists(
        st.tuples(
            statement.filter(lambda s: s.strip() and s == s.strip()),
            st.integers(0, 10**6),
            st.sampled_from(["exact", "at-least"]),
        ),
        max_size=8,
    )
)
def test_results_with_and_without_cache_are_identical(
    tmp_path_factory: pytest.TempPathFactory, tiny: Path, facts: list[tuple[str, int, str]]
) -> None:
    root = tmp_path_factory.mktemp("generated")
    shutil.copytree(tiny, root / "base")
    lines = ["country: MA", "year: 2021", "edition: crt-2021", "facts:" if facts else "facts: []"]
    for number, (text, value, qualifier) in enumerate(facts):
        lines += [
            f"  - id: g-{number}",
            "    kind: arrests",
            "    source: article",
            f"    statement: {json.dumps(text, ensure_ascii=False)}",
            f"    arrested: {{value: {value}, qualifier: {qualifier}}}",
        ]
    (root / "base" / "generated.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.environ["CTREPORT_CACHE_DIR"] = str(root / "cache")
    uncached = load_base(DataSelection((root / "base",), use_cache=False))
    load_base(DataSelection((root / "base",)))  # writes the cache
    real_check = load.check
    load.check = None  # type: ignore[assignment]  # any YAML read now would fail: the cache must answer
    try:
        cached = load_base(DataSelection((root / "base",)))
    finally:
        load.check = real_check
    assert cached == uncached
    assert [(f.id, f.origin) for f in cached.facts] == [(f.id, f.origin) for f in uncached.facts]


@pytest.mark.parametrize("segment_bytes", [300, 1 << 18], ids=["a row a segment", "one segment"])
@pytest.mark.parametrize("output", [["--json"], ["--format", "ndjson"], ["--json", "--limit", "3"]], ids=" ".join)
def test_stored_rows_written_a_few_at_a_time_are_the_same_answer(
    ctreport: Any, monkeypatch: pytest.MonkeyPatch, output: list[str], segment_bytes: int
) -> None:
    from ct_report import render, segments

    uncached = ctreport(["partners", "--no-cache", *output])
    monkeypatch.setattr(segments, "SEGMENT_BYTES", segment_bytes)
    monkeypatch.setattr(render, "_PART_BYTES", 200)  # a row or two a run
    assert render.line_runs([b"x" * 150] * 5, 200) == [b"x" * 150 + b"\n" + b"x" * 150] * 2 + [b"x" * 150]
    runs: list[tuple[str, int | None]] = []
    real = segments.Reader.runs

    def counted(reader: segments.Reader, name: str, most: int | None = None) -> Any:
        for run in real(reader, name, most):
            runs.append((name, most))
            yield run

    monkeypatch.setattr(segments.Reader, "runs", counted)
    assert ctreport(["arrests", "--count"]).code == 0  # builds the cache
    in_runs = ctreport(["partners", *output])
    assert in_runs.code == uncached.code == 0
    assert in_runs.raw == uncached.raw and uncached.raw.count("\n") >= 3
    # The whole answer is read as the cache holds it, a segment a run (a row is over 300 bytes);
    # a limited one as lines.
    rows = len(in_runs.raw.strip("[]\n").split("\n"))
    read = runs.count(("rows:partners", 200))
    assert read == 0 if "--limit" in output else read == (rows if segment_bytes == 300 else 1)


FILTERED = [
    ["--region", "europe"],
    ["--region", "africa", "--kind", "country"],
    ["--relation", "strong-cooperation", "--country", "MA", "--since", "2020"],
    ["--region", "europe", "--relation", "host"],  # none
]


@pytest.mark.parametrize("output", [["--json"], ["--count"], ["--format", "csv"]], ids=" ".join)
@pytest.mark.parametrize("filters", FILTERED, ids=" ".join)
def test_a_filter_on_partner_fields_finds_its_rows_without_reading_every_row(
    ctreport: Any, monkeypatch: pytest.MonkeyPatch, filters: list[str], output: list[str]
) -> None:
    from ct_report import query as queries

    args = ["partners", *filters, *output]
    built = ctreport([*args, "--no-cache"])
    assert ctreport(["arrests", "--count"]).code == 0  # builds the cache
    monkeypatch.setattr(queries, "matching", lambda match: pytest.fail("every row's fields were tested"))
    compiled = ctreport(args)
    assert (compiled.code, compiled.raw, compiled.err) == (built.code, built.raw, built.err)
    assert compiled.code == 0 and compiled.raw


@pytest.mark.parametrize(
    "filters", [["--country", "MA"], ["--year", "2021"], ["--region", "europe", "--since", "2021"]], ids=" ".join
)
def test_a_filtered_answer_reads_only_the_segments_holding_its_rows(
    ctreport: Any, monkeypatch: pytest.MonkeyPatch, filters: list[str]
) -> None:
    from ct_report import segments

    args = ["partners", *filters, "--json"]
    built = ctreport([*args, "--no-cache"])
    monkeypatch.setattr(segments, "SEGMENT_BYTES", 300)  # a row a segment
    assert ctreport(["arrests", "--count"]).code == 0  # builds the cache
    read: list[int] = []
    real = segments.Reader._lines_of

    def counted(reader: segments.Reader, name: str, index: int, keep: bool = True) -> list[bytes]:
        if name == "rows:partners":
            read.append(index)
        return real(reader, name, index, keep)

    monkeypatch.setattr(segments.Reader, "_lines_of", counted)
    monkeypatch.setattr(segments.Reader, "lines", lambda reader, name: pytest.fail(f"all of {name} read"))
    compiled = ctreport(args)
    assert (compiled.code, compiled.raw, compiled.err) == (built.code, built.raw, built.err)
    assert sorted(read) == sorted(set(read)) and 0 < len(read) == len(compiled.json())


QUERIES = [
    ["arrests"],
    ["arrests", "--country", "MA", "--since", "2019"],
    ["incidents"],
    ["financing", "--year", "2021"],
    ["partners"],
    ["partners", "--region", "europe"],
    ["partners", "--kind", "country", "--relation", "strong-cooperation", "--until", "2021"],
]
OUTPUTS = [
    ["--json"],
    ["--format", "ndjson"],
    ["--json", "--limit", "2"],
    ["--json", "--fields", "id,country,year"],
    ["--json", "--sort", "-year"],
    ["--format", "csv"],
    ["--format", "markdown", "--lang", "ar"],
    ["--count"],
]


@pytest.mark.parametrize("output", OUTPUTS, ids=" ".join)
@pytest.mark.parametrize("query", QUERIES, ids=" ".join)
def test_compiled_rows_answer_exactly_as_the_fact_base(
    ctreport: Any, monkeypatch: pytest.MonkeyPatch, query: list[str], output: list[str]
) -> None:
    from ct_report import query as queries

    built = ctreport([*query, *output, "--no-cache"])
    assert ctreport(["arrests", "--count"]).code == 0  # builds the cache
    # From here on, rows can only come from the cache: building them from facts would fail.
    monkeypatch.setattr(queries, "command_table", lambda base, command: pytest.fail("rows built from facts"))
    compiled = ctreport([*query, *output])
    assert (compiled.code, compiled.raw, compiled.err) == (built.code, built.raw, built.err)
    assert compiled.code == 0 and compiled.raw


def test_a_cache_rewritten_in_place_while_in_use_is_a_clear_error(base_dir: Path) -> None:
    from ct_report.errors import CtReportError

    load_base(DataSelection((base_dir,)))
    base = load_base(DataSelection((base_dir,)))  # sections are read when first needed
    (path,) = cache_files()
    for data in path.parent.glob("*.data"):
        data.write_bytes(b"")  # by hand: ctreport itself never changes a file it wrote
    with pytest.raises(CtReportError, match="broke while in use .*; it was removed: run the command again"):
        base.of_kind("partner")
    assert cache_files() == []  # so the next run rebuilds it


def damage_section(path: Path, name: str) -> None:
    """Flip one byte inside a section's first segment, leaving the index as written."""
    raw = path.read_bytes()
    header = json.loads(raw[raw.rfind(b"\n", 0, len(raw) - 1) + 1 : -1])
    number, start, end, _, _ = header["sections"][name][0]
    assert end > start
    data = path.parent / header["data"][number][0]
    damaged = bytearray(data.read_bytes())
    damaged[(start + end) // 2] ^= 0x01
    data.write_bytes(bytes(damaged))


def test_a_damaged_section_fails_only_what_reads_it_and_the_next_run_rebuilds(ctreport: Any, base_dir: Path) -> None:
    partners = ["partners", "--data", str(base_dir), "--json"]
    expected = ctreport([*partners, "--no-cache"])
    arrests = ctreport(["arrests", "--data", str(base_dir), "--json"])  # writes the cache
    (path,) = cache_files()
    damage_section(path, "rows:partners")
    assert ctreport(["arrests", "--data", str(base_dir), "--json"]).raw == arrests.raw  # reads no partner row
    broken = ctreport(partners)
    assert broken.code != 0 and broken.out == ""
    assert (
        broken.err
        == f"ctreport: the cache {path} broke while in use (section rows:partners: checksum mismatch); it was removed: run the command again\n"
    )
    assert cache_files() == [] and list(path.parent.glob("*.data")) == []
    again = ctreport(partners)
    assert (again.code, again.raw, again.err) == (0, expected.raw, "")


def test_a_damaged_section_met_while_patching_rebuilds(ctreport: Any, base_dir: Path) -> None:
    ctreport(["arrests", "--data", str(base_dir), "--count"])  # writes the cache
    (path,) = cache_files()
    damage_section(path, "facts:partner")
    changed = base_dir / "ma-2021.yaml"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    for command in (["partners", "--json"], ["search", "Libya", "--json"]):
        cached = ctreport([*command, "--data", str(base_dir)])
        uncached = ctreport([*command, "--data", str(base_dir), "--no-cache"])
        assert (cached.code, cached.raw, cached.err) == (0, uncached.raw, uncached.err)


def test_an_older_ctreport_sees_another_format_not_damage(base_dir: Path) -> None:
    # Format 3 and before read their header from the first line: this one says format 4.
    load_base(DataSelection((base_dir,)))
    (path,) = cache_files()
    assert json.loads(path.read_bytes().split(b"\n", 1)[0]) == {"format": cache.CACHE_FORMAT}


def test_rows_name_files_by_their_root_whichever_spelling_came_first(
    ctreport: Any, base_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(base_dir.parent)
    for spelling in (base_dir.name, str(base_dir), base_dir.name):
        rows = ctreport(["arrests", "--data", spelling, "--json"]).json()
        assert {row["source_file"].split(":", 1)[0] for row in rows} == {base_dir.name}
        assert all(not row["source_file"].split(":", 1)[1].startswith("/") for row in rows)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files through /proc")
def test_commands_leave_no_cache_file_open(ctreport: Any) -> None:
    assert ctreport(["arrests", "--count"]).code == 0  # builds the cache
    before = len(os.listdir("/proc/self/fd"))
    kept = [ctreport(["partners", "--region", "nowhere"]) for _ in range(10)]  # failures keep tracebacks
    kept += [ctreport(["arrests", "--json"]) for _ in range(10)]
    assert len(os.listdir("/proc/self/fd")) <= before
    assert {run.code for run in kept} == {0, 2}


def test_a_file_name_that_is_not_utf8_warns_and_answers(ctreport: Any, base_dir: Path) -> None:
    try:
        (base_dir / "ma-2021.yaml").rename(base_dir / "\udcff-ma-2021.yaml")  # the byte 0xff
    except (OSError, UnicodeError):
        pytest.skip("this file system takes only valid names")
    expected = ctreport(["arrests", "--data", str(base_dir), "--count", "--no-cache"])
    run = ctreport(["arrests", "--data", str(base_dir), "--count"])
    assert (run.code, run.out) == (0, expected.out)
    assert run.err.count("\n") == 1 and "a file name is not valid UTF-8" in run.err


@pytest.mark.parametrize("fact_id", ["dz-2021-threat", "ma-2021-report-release", "dz-2021-incidents-gti"])
def test_show_finds_one_fact_through_the_cache_without_decoding_every_fact(ctreport: Any, fact_id: str) -> None:
    from ct_report import provenance

    cold = ctreport(["show", fact_id, "--json", "--no-cache"])
    assert cold.code == 0
    load_base(DataSelection.choose())  # writes the cache
    base = load_base(DataSelection.choose())
    assert provenance.show(base, fact_id) == cold.json()
    assert base._all is None  # the facts were never loaded wholesale
    for output in (["--json"], ["--format", "csv"], []):
        cached, uncached = ctreport(["show", fact_id, *output]), ctreport(["show", fact_id, *output, "--no-cache"])
        assert (cached.code, cached.raw, cached.err) == (uncached.code, uncached.raw, uncached.err)


SUMMARY_FILTERS = {
    "-c MA -y 2021": {"country": "MA", "year": 2021},
    "-c DZ,TN": {"country": ("DZ", "TN")},
    "--since 2022": {"since": 2022},
    "-c MA --until 2017": {"country": "MA", "until": 2017},
}


@pytest.mark.parametrize("filters", [*SUMMARY_FILTERS, ""])
def test_summary_decodes_only_the_files_of_its_country_years(ctreport: Any, filters: str) -> None:
    from ct_report import query

    for output in (["--json"], ["--format", "markdown"]):
        cached = ctreport(["summary", *filters.split(), *output])
        uncached = ctreport(["summary", *filters.split(), *output, "--no-cache"])
        assert cached.code == 0 and (cached.raw, cached.err) == (uncached.raw, uncached.err)
    if filters:
        base = load_base(DataSelection.choose())
        assert query.summaries(base, query.Filters(**SUMMARY_FILTERS[filters]))
        assert base._all is None


@pytest.mark.parametrize(
    "command", [["compare", "2020", "2021"], ["compare", "2019", "2021", "-c", "MA"], ["timeline", "-c", "MA"]]
)
def test_compare_and_timeline_decode_only_the_years_they_compare(ctreport: Any, command: list[str]) -> None:
    from ct_report import analysis, query

    for output in (["--json"], ["--format", "markdown"]):
        cached, uncached = ctreport([*command, *output]), ctreport([*command, *output, "--no-cache"])
        assert cached.code == 0 and (cached.raw, cached.err) == (uncached.raw, uncached.err)
    base = load_base(DataSelection.choose())
    if command[0] == "compare":
        assert query.compare(base, int(command[1]), int(command[2]), tuple(command[4:]) or None)
    else:
        assert analysis.timeline(base, query.Filters(country="MA"))
    assert base._all is None


@pytest.mark.parametrize("use_cache", [True, False])
def test_a_narrowed_base_holds_its_country_years_and_still_finds_any_fact(use_cache: bool) -> None:
    base = load_base(DataSelection.choose(use_cache=use_cache))
    narrowed = base.narrowed({"DZ"}, lambda year: year == 2021)
    assert narrowed.facts and {(f.country, f.year) for f in narrowed.facts} == {("DZ", 2021)}
    assert [f.id for f in narrowed.facts] == [f.id for f in base.facts if (f.country, f.year) == ("DZ", 2021)]
    found = narrowed.fact("ma-2021-report-release")
    assert found is not None and found.country == "MA"


@pytest.mark.parametrize("command", [["coverage"], ["coverage", "-c", "MA", "--since", "2019"], ["sources"]])
def test_coverage_and_sources_count_from_the_index_without_decoding_facts(ctreport: Any, command: list[str]) -> None:
    from ct_report import provenance, query

    for output in (["--json"], ["--format", "csv"]):
        cached, uncached = ctreport([*command, *output]), ctreport([*command, *output, "--no-cache"])
        assert cached.code == 0 and (cached.raw, cached.err) == (uncached.raw, uncached.err)
    base = load_base(DataSelection.choose())
    assert query.coverage_rows(base, query.Filters()) if command[0] == "coverage" else provenance.source_rows(base)
    assert base._all is None


SEARCHES = [
    "GCTF",
    "Global Counterterrorism Forum",
    "الاسد الافريقي",
    "OULÉMAS",
    "us",
    "cleaver",
    "morocco arrests",
    'say "hello" \\ there',
    "zzzqqq",
]


@pytest.mark.parametrize("text", SEARCHES)
def test_search_decodes_only_the_files_that_can_match(ctreport: Any, text: str) -> None:
    from ct_report import provenance

    for output in (["--json"], ["--format", "csv"]):
        cached, uncached = ctreport(["search", text, *output]), ctreport(["search", text, *output, "--no-cache"])
        assert (cached.code, cached.raw, cached.err) == (uncached.code, uncached.raw, uncached.err)
    base = load_base(DataSelection.choose())
    decoded: list[int] = []
    select = base._search
    assert select is not None

    def counted(terms: Any) -> list[list[Any]]:
        entries = select(terms)
        decoded.append(len(entries))
        return entries

    base._search = counted
    assert provenance.search(base, text) == provenance.search(load_base(DataSelection.choose(use_cache=False)), text)
    assert decoded[0] < len(load_base(DataSelection.choose(use_cache=False)).facts)
    assert base._all is None


def test_a_search_row_is_the_text_a_whole_row_encodes_to() -> None:
    """Each match's row is made of stored JSON text with its id, score and where it matched put
    in front: it must be the text `encode_row` makes of the row, with or without the cache."""
    from ct_report import provenance
    from ct_report.fields import SEARCH_FIELDS
    from ct_report.text import encode_row

    for use_cache in (True, False):
        base = load_base(DataSelection.choose(use_cache=use_cache))
        for text in SEARCHES:
            for line in provenance.search(base, text):
                row = json.loads(line)
                assert list(row) == [field.name for field in SEARCH_FIELDS]
                assert encode_row(row).encode() == line


def test_a_search_that_reads_the_section_in_many_runs_answers_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from ct_report import provenance, segments

    uncached = {text: provenance.search(load_base(DataSelection.choose(use_cache=False)), text) for text in SEARCHES}
    monkeypatch.setattr(segments, "SEGMENT_BYTES", 300)
    monkeypatch.setattr(cache, "SEARCH_RUN_BYTES", 1)
    runs = []
    real = segments.Reader.runs

    def counted(reader: segments.Reader, name: str, most: int | None = None) -> Any:
        for run in real(reader, name, most):
            runs.append(name)
            yield run

    monkeypatch.setattr(segments.Reader, "runs", counted)
    load_base(DataSelection.choose())
    base = load_base(DataSelection.choose())
    assert {text: provenance.search(base, text) for text in SEARCHES} == uncached
    assert runs.count("search") > 3 * len(SEARCHES)


def _fixture_texts() -> list[str]:
    base = load_base(DataSelection.choose(use_cache=False))
    return [fact.statement for fact in base.facts] + [fact.quote for fact in base.facts if fact.quote]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_search_answers_as_without_the_cache_for_any_words(data: st.DataObject) -> None:
    """Words cut from the base's own texts (so that most match), in any case, or made up."""
    from ct_report import provenance

    texts = _fixture_texts()
    words = []
    for _ in range(data.draw(st.integers(1, 3))):
        text = data.draw(st.sampled_from(texts))
        start = data.draw(st.integers(0, len(text) - 1))
        word = text[start : start + data.draw(st.integers(1, 12))]
        words.append(data.draw(st.sampled_from([word, word.upper(), word.lower()])))
    words.append(data.draw(st.text(min_size=0, max_size=4)))
    query = " ".join(words)
    if not fold(query).split():
        return
    uncached = provenance.search(load_base(DataSelection.choose(use_cache=False)), query)
    load_base(DataSelection.choose())  # writes the cache, if not yet written
    assert provenance.search(load_base(DataSelection.choose()), query) == uncached


_ENTRY = st.text(alphabet='abAB\u00e9"', max_size=6)


@given(
    lines=st.lists(st.lists(_ENTRY, max_size=4), max_size=5),
    needle=st.text(alphabet="abB", min_size=1, max_size=2),
)
def test_the_search_scan_finds_the_entries_that_a_split_finds(lines: list[list[str]], needle: str) -> None:
    """Jumping from one place the word is to the next finds each entry holding it once, first
    and last of a line included, as cutting every line into entries does. The bytes are
    compared as they are: an entry's texts are stored folded, as the word is."""
    data = "\n".join("\t".join(entries) for entries in lines).encode()
    wanted = needle.encode()
    split = [entry for line in data.split(b"\n") for entry in line.split(b"\t") if wanted in entry]
    assert cache._entries_holding(data, wanted, lambda entry: True) == split


@pytest.mark.parametrize(
    ("command", "filters"),
    [("partners", {"country": ("DZ",)}), ("arrests", {"year": 2021}), ("partners", {"since": 2022})],
)
def test_country_and_year_filters_decode_only_their_country_years_keys(
    monkeypatch: pytest.MonkeyPatch, command: str, filters: dict[str, Any]
) -> None:
    from ct_report import query

    expected = query.list_rows(load_base(DataSelection.choose(use_cache=False)), command, query.Filters(**filters))
    load_base(DataSelection.choose())  # writes the cache
    decoded: list[str] = []
    real_line, real_decoded = cache._OpenCache.line, cache._OpenCache.decoded
    monkeypatch.setattr(
        cache._OpenCache, "line", lambda self, name, n: decoded.append(name) or real_line(self, name, n)
    )
    monkeypatch.setattr(
        cache._OpenCache,
        "decoded",
        lambda self, name, *a: decoded.append(f"all {name}") or real_decoded(self, name, *a),
    )
    rows = query.list_rows(load_base(DataSelection.choose()), command, query.Filters(**filters))
    assert rows.rows == expected.rows and len(rows.keys) == len(expected.rows) and rows.rows
    assert f"all keys:{command}" not in decoded
    assert (
        0
        < decoded.count(f"keys:{command}")
        < len(cache.section_bytes(cache_files()[0])[f"keys:{command}"].split(b"\n"))
    )


@pytest.mark.parametrize("filters", [["--year", "2021"], ["--country", "DZ,MA", "--since", "2020"], []])
def test_a_count_is_answered_without_reading_rows(
    ctreport: Any, monkeypatch: pytest.MonkeyPatch, filters: list[str]
) -> None:
    """The cache's blocks know how many rows each country-year has: counting reads no row."""
    expected = ctreport(["partners", "--count", *filters, "--no-cache"])
    assert ctreport(["partners", "--count"]).code == 0  # builds the cache
    read: list[str] = []
    real_lines = cache._OpenCache.lines
    monkeypatch.setattr(cache._OpenCache, "lines", lambda self, name: read.append(name) or real_lines(self, name))
    counted = ctreport(["partners", "--count", *filters])
    assert counted.code == 0 and counted.out == expected.out and int(counted.out) > 0
    assert "rows:partners" not in read


def test_a_word_that_folds_into_capitals_is_found_through_the_cache(ctreport: Any, base_dir: Path) -> None:
    facts = base_dir / "ma-2021.yaml"
    text = facts.read_text(encoding="utf-8")
    facts.write_text(
        text.replace("At least 55 people", "Under resolution № 2178, at least 55 people"), encoding="utf-8"
    )
    for query in ("№", "No", "resolution № 2178"):
        cached = ctreport(["search", query, "--json", "--data", str(base_dir)])
        uncached = ctreport(["search", query, "--json", "--data", str(base_dir), "--no-cache"])
        assert (cached.code, cached.raw) == (uncached.code, uncached.raw)
    assert [row["id"] for row in ctreport(["search", "№", "--json", "--data", str(base_dir)]).json()] == ["t-arrests"]


def test_an_index_too_large_to_be_one_is_rebuilt_without_reading_it(base_dir: Path) -> None:
    selection = DataSelection((base_dir,))
    expected = load_base(selection)
    (path,) = cache_files()
    with path.open("r+b") as index:
        index.truncate(cache.MAX_INDEX_BYTES + 1)  # sparse: nothing is written to disk
    warnings: list[str] = []
    assert load_base(selection, warn=warnings.append) == expected
    assert len(warnings) == 1 and "more than an index ever holds" in warnings[0]


@given(
    lines=st.lists(st.binary(max_size=40).map(lambda line: line.replace(b"\n", b" ")), min_size=1, max_size=60),
    segment_bytes=st.integers(1, 120),
    data=st.data(),
)
def test_some_lines_of_a_section_are_the_lines_with_those_numbers(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], segment_bytes: int, data: st.DataObject
) -> None:
    from ct_report import segments

    wanted = data.draw(st.lists(st.integers(0, len(lines) - 1), unique=True).map(sorted))
    folder = tmp_path_factory.mktemp("segments")
    writer = segments.Writer(folder, "base", 0)
    real = segments.SEGMENT_BYTES
    segments.SEGMENT_BYTES = segment_bytes
    try:
        written = writer.section(lines)
    finally:
        segments.SEGMENT_BYTES = real
    writer.flush()
    reader = segments.Reader([writer.fd], {"section": written})
    try:
        assert reader.lines_at("section", wanted) == [lines[number] for number in wanted]
        with pytest.raises(ValueError, match="has no line"):
            reader.lines_at("section", [len(lines)])
    finally:
        writer.close()


_CACHED_TEXT = st.text(st.characters(exclude_categories=["Cs"]))
_CACHED_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _CACHED_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_CACHED_TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300)
@given(_CACHED_VALUES)
def test_the_cache_encodes_what_it_holds_as_the_standard_encoder_does(value: Any) -> None:
    assert cache._dumps(value) == text_module._compact().encode(value).encode()


@pytest.mark.parametrize(
    "value",
    [2**64, -(2**70), {1: "a"}, ["a", {2: [3]}], ("a", 1)],
    ids=["huge", "huge-negative", "int-key", "nested-int-key", "tuple"],
)
def test_what_the_fast_encoder_refuses_is_written_as_before(value: Any) -> None:
    assert cache._dumps(value) == text_module._compact().encode(value).encode()


@pytest.mark.parametrize("value", ["\ud800", ["ok", {"k": "\udfff"}], object()], ids=["surrogate", "nested", "object"])
def test_what_cannot_be_encoded_fails_as_before(value: Any) -> None:
    with pytest.raises((UnicodeEncodeError, TypeError)) as before:
        text_module._compact().encode(value).encode()
    with pytest.raises(before.type):
        cache._dumps(value)


def test_the_cache_is_encoded_with_orjson_where_it_is_installed() -> None:
    pytest.importorskip("orjson")
    assert (
        text_module._compact_encoder() is not text_module._stdlib_compact
    )  # else the tests above compare it with itself
