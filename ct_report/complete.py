"""Shell-completion values, read from the fact base the command line selects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ct_report.errors import CtReportError
from ct_report.model import FactBase


def _base(ctx: Any) -> FactBase | None:
    from ct_report.load import DataSelection, load_base

    params = getattr(ctx, "params", {}) or {}
    data: list[Path] | None = params.get("data")
    add: list[Path] | None = params.get("add")
    try:
        return load_base(DataSelection.choose(data, add))
    except CtReportError:
        return None


def _matching(values: list[str], incomplete: str) -> list[str]:
    wanted = incomplete.casefold()
    return [v for v in values if v.casefold().startswith(wanted)]


def countries(ctx: Any, incomplete: str) -> list[str]:
    """Codes, and English names once a word is started ('Mor' → 'Morocco')."""
    base = _base(ctx)
    if base is None:
        return []
    codes = _matching(sorted(base.countries), incomplete)
    names = _matching(sorted(c.name.en for c in base.countries.values()), incomplete) if len(incomplete) > 2 else []
    return codes + names


def years(ctx: Any, incomplete: str) -> list[str]:
    base = _base(ctx)
    return _matching([str(year) for year in base.years], incomplete) if base else []


def regions(ctx: Any, incomplete: str) -> list[str]:
    base = _base(ctx)
    if base is None:
        return []
    names = {r.id.split(":", 1)[1] for r in base.regions.values()} | set(base.regions)
    return _matching(sorted(names), incomplete)


def partner_kinds(ctx: Any, incomplete: str) -> list[str]:
    base = _base(ctx)
    return _matching(sorted({"country", *(e.kind for e in base.entities.values())}), incomplete) if base else []


def relations(incomplete: str) -> list[str]:
    from ct_report.model import RELATIONS

    return _matching(list(RELATIONS), incomplete)


def fact_ids(ctx: Any, incomplete: str) -> list[str]:
    base = _base(ctx)
    return _matching(sorted(f.id for f in base.facts), incomplete) if base else []


def formats(incomplete: str) -> list[str]:
    from ct_report.render import FORMATS

    return _matching(list(FORMATS), incomplete)


def citation_styles(incomplete: str) -> list[str]:
    return _matching(["plain", "apa", "bibtex"], incomplete)


def field_commands(incomplete: str) -> list[str]:
    from ct_report.kinds import FIELDS

    return _matching(sorted(FIELDS), incomplete)


def languages(incomplete: str) -> list[str]:
    return _matching(["en", "ar"], incomplete)


def _command_fields(ctx: Any) -> list[str]:
    from ct_report.kinds import FIELDS

    return [f.name for f in FIELDS.get(getattr(ctx, "info_name", "") or "", [])]


def fields(ctx: Any, incomplete: str) -> list[str]:
    """Complete the last name of a comma-separated list: 'id,coun' → 'id,country'."""
    done, _, last = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    return [prefix + name for name in _matching(_command_fields(ctx), last)]


def sort_fields(ctx: Any, incomplete: str) -> list[str]:
    sign = "-" if incomplete.startswith("-") else ""
    return [sign + name for name in _matching(_command_fields(ctx), incomplete.lstrip("-"))]
