"""The bundled fact base: valid, traceable, and faithful to its first source."""

from __future__ import annotations

from typing import Any

import pytest

from ct_report.load import DataSelection, bundled_data_dir, load_base

pytestmark = pytest.mark.usefixtures("bundled")

SEED = bundled_data_dir() / "texts" / "b83b063b8d390f1e.ar.txt"


def test_every_arabic_quote_appears_verbatim_in_the_shipped_article() -> None:
    base = load_base(DataSelection.choose())
    article = SEED.read_text(encoding="utf-8")
    quoted = [f for f in base.facts if f.source == "press-ar-b83b063b"]
    assert len(quoted) >= 20
    for fact in quoted:
        assert fact.quote, f"{fact.id} has no quote"
        assert fact.quote in article, fact.id


def test_every_fact_names_an_existing_source() -> None:
    base = load_base(DataSelection.choose())
    for fact in base.facts:
        assert fact.source in base.sources, fact.id
        assert fact.statement.strip()


def test_seed_claims_are_all_encoded() -> None:
    """One fact per claim of the seed article (see data/facts/2021/MA.yaml)."""
    base = load_base(DataSelection.choose())
    ids = {f.id for f in base.facts if f.source == "press-ar-b83b063b"}
    assert ids == {
        "ma-2021-report-release",
        "ma-2021-risk-mitigated",
        "ma-2021-strategy",
        "ma-2021-threat",
        "ma-2021-incidents",
        "ma-2021-arrests",
        "ma-2021-arrests-trend",
        "ma-2021-law-enforcement",
        "ma-2021-us-programs",
        "ma-2021-partner-us",
        "ma-2021-partner-us-mnna",
        "ma-2021-partner-african-lion",
        "ma-2021-partner-gctf",
        "ma-2021-partner-tsctp",
        "ma-2021-partner-be",
        "ma-2021-partner-fr",
        "ma-2021-partner-es",
        "ma-2021-partner-dz",
        "ma-2021-financing-menafatf",
        "ma-2021-financing-egmont",
        "ma-2021-financing-cifg",
        "ma-2021-cve-strategy",
        "ma-2021-cve-rabita",
    }


NORTH_AFRICA = ("DZ", "EG", "LY", "MA", "MR", "TN")
YEARS = range(2016, 2024)


def test_every_edition_is_dated_or_says_why_not() -> None:
    base = load_base(DataSelection.choose())
    for edition in base.editions.values():
        assert (edition.published and edition.published_source) or edition.note, edition.id
        assert edition.url, edition.id


def test_every_source_has_an_address_or_says_why_not() -> None:
    base = load_base(DataSelection.choose())
    for source in base.sources.values():
        assert source.url or source.note, source.id


def test_coverage_lists_every_north_african_country_year(ctreport: Any) -> None:
    rows = ctreport(["coverage", "--json"]).json()
    listed = {(row["country"], row["year"]) for row in rows}
    assert {(code, year) for code in NORTH_AFRICA for year in YEARS} <= listed


def test_the_base_is_broad_and_rests_on_the_chapters(ctreport: Any) -> None:
    rows = ctreport(["coverage", "--json"]).json()
    from_reports = [(r["country"], r["year"]) for r in rows if r["country"] in NORTH_AFRICA and r["report_sources"]]
    assert len(from_reports) >= 30
    assert sum(row["facts"] for row in rows) >= 300


def test_every_fact_id_resolves(ctreport: Any) -> None:
    base = load_base(DataSelection.choose())
    for fact in base.facts:
        run = ctreport(["show", fact.id, "--json"])
        assert run.code == 0 and run.json()["id"] == fact.id, fact.id


def test_the_documented_examples_are_what_the_bundled_base_answers() -> None:
    """docs/examples.py reruns every example of the user documentation; stale output fails."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    if shutil.which("ctreport", path=str(Path(sys.executable).parent)) is None or shutil.which("jq") is None:
        pytest.skip("needs the installed ctreport script and jq")
    script = Path(__file__).parent.parent / "docs" / "examples.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
