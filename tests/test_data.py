"""The bundled fact base: valid, traceable, and faithful to its first source."""

from __future__ import annotations

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
