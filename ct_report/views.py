"""How the commands that answer with documents rather than rows (summary, show, compare) read
as text, and as rows for the tabular formats. Pure functions over the query results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ct_report.fields import Field, Line, Row
from ct_report.i18n import edition_title, in_english, translate
from ct_report.i18n import value as enum_value
from ct_report.query import SUMMARY_SECTIONS

if TYPE_CHECKING:
    from ct_report.documents import Comparison, FactRecord, Summary


def _statement(item: Mapping[str, Any], lang: str) -> str:
    """The statement in `lang`: the Arabic passage where there is one, else the English
    statement, marked as English in Arabic output."""
    arabic = item.get("statement_ar") if lang == "ar" else None
    return arabic or in_english(item["statement"], lang)


def summary_lines(overviews: Sequence[Summary], lang: str) -> list[Line]:
    titles = dict(SUMMARY_SECTIONS)
    note, disputed = translate("note", lang), translate("disputed by", lang)
    lines: list[Line] = []
    for overview in overviews:
        name = (overview["country_name_ar"] if lang == "ar" else None) or overview["country_name"]
        edition = edition_title(overview["edition_title"], lang)
        lines.append(f"{name} ({overview['country']}), {overview['year']}: {edition}")
        for kind, items in overview["sections"].items():
            if not items:
                continue
            lines.append(f"  {translate(titles[kind], lang)}")
            for item in items:
                where = f"{item['id']}; {item['source']}, {enum_value(item['source_kind'], lang)}"
                lines.append(f"  • {_statement(item, lang)} [{where}]")
                if item.get("note"):
                    lines.append(f"    {note}: {item['note']}")
                if item.get("conflicts_with"):
                    lines.append(f"    {disputed}: {', '.join(item['conflicts_with'])}")
        lines.append(f"  {translate('Sources', lang)}")
        for source in overview["sources"]:
            url = f" <{source['url']}>" if source["url"] else ""
            lines.append(f"  • {source['id']} ({enum_value(source['kind'], lang)}): {source['title']}{url}")
        lines.append("")
    return lines[:-1]


SUMMARY_ROW_FIELDS = [
    Field("country", "Country"),
    Field("year", "Year"),
    Field("section", "Section of the overview"),
    Field("statement", "The fact"),
    Field("source", "Source id"),
    Field("source_kind", "'report' or 'press'"),
    Field("id", "Fact id"),
]


def summary_rows(overviews: Sequence[Summary], lang: str) -> list[Row]:
    titles = dict(SUMMARY_SECTIONS)
    return [
        {
            "country": overview["country"],
            "year": overview["year"],
            "section": translate(titles[kind], lang),
            "statement": _statement(item, lang),
            "source": item["source"],
            "source_kind": item["source_kind"],
            "id": item["id"],
        }
        for overview in overviews
        for kind, items in overview["sections"].items()
        for item in items
    ]


def compare_lines(results: Sequence[Comparison], lang: str) -> list[Line]:
    lines: list[Line] = []
    for result in results:
        name = (result["country_name_ar"] if lang == "ar" else None) or result["country_name"]
        lines.append(f"{name} ({result['country']}): {result['year_a']} → {result['year_b']}")
        for label, measure in result["measures"].items():
            before, after = measure["before"] or "no figure", measure["after"] or "no figure"
            lines.append(f"  {label}: {before} → {after}: {measure['change']} [{', '.join(measure['ids'])}]")
            if measure["disputed"]:
                lines.append(f"    disputed by: {', '.join(measure['disputed'])}")
        for item in result["relations"]:
            partner = (item["name_ar"] if lang == "ar" else None) or item["name"]
            how = "" if item["relation"] == "named" else f"{enum_value(item['relation'], lang)}: "
            lines.append(f"  {partner}: {how}{item['change']} [{item['id']}]")
        for note in result["notes"]:
            lines.append(f"  {translate('note', lang)}: {note}")
        lines.append("")
    return lines[:-1]


COMPARE_ROW_FIELDS = [
    Field("country", "Country"),
    Field("year_a", "The earlier year"),
    Field("year_b", "The later year"),
    Field("item", "What is compared"),
    Field("before", "In the earlier year"),
    Field("after", "In the later year"),
    Field("change", "The change, as far as the sources allow"),
    Field("ids", "Fact ids"),
]


def compare_rows(results: Sequence[Comparison]) -> list[Row]:
    rows: list[Row] = []
    for result in results:
        common = {"country": result["country"], "year_a": result["year_a"], "year_b": result["year_b"]}
        for label, measure in result["measures"].items():
            rows.append(
                {
                    **common,
                    "item": label,
                    "before": measure["before"],
                    "after": measure["after"],
                    "change": measure["change"],
                    "ids": measure["ids"],
                }
            )
        for item in result["relations"]:
            rows.append(
                {
                    **common,
                    "item": f"{item['name']}: {item['relation']}",
                    "before": None,
                    "after": None,
                    "change": item["change"],
                    "ids": [item["id"]],
                }
            )
    return rows


def show_lines(record: FactRecord, lang: str) -> list[Line]:
    source = record["source"]
    statement = _statement(record, lang)
    country = (record["country_name_ar"] if lang == "ar" else None) or record["country_name"]
    kind = enum_value(record["kind"], lang)
    lines: list[Line] = [
        f"{record['id']} ({kind}): {country} ({record['country']}), {record['year']}, {record['edition']}",
        f"  {statement}",
    ]
    for name, value in record["details"].items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for event in value:
                when = ", ".join(p for p in (event["date"], event["place"]) if p)
                parts = [p for p in (when, event["casualties"], event["description"]) if p]
                group = f" (group: {event['group']})" if event["group"] else ""
                lines.append(f"  {name}: {': '.join(parts)}{group}")
        else:
            lines.append(f"  {name}: {', '.join(map(str, value)) if isinstance(value, list) else value}")
    if record["note"]:
        lines.append(f"  {translate('note', lang)}: {record['note']}")
    if record["conflicts_with"]:
        lines.append(f"  {translate('disputed by', lang)}: {', '.join(record['conflicts_with'])}")
    if record["section"] or record["key_phrase"]:
        phrase = f'"{record["key_phrase"]}"' if record["key_phrase"] else ""
        where = translate("Where in the source", lang)
        lines.append(f"{where}: " + ", at ".join(p for p in (record["section"], phrase) if p))
    if record["quote"]:
        language = source["language"] or "original language"
        lines += [f"{translate('Passage', lang)} ({language})", f"  {record['quote']}"]
    if record["context"]:
        lines.append(translate("In context", lang))
        if record["context"]["before"]:
            lines.append(f"  {record['context']['before']}")
        lines.append((f"  {record['context']['sentence']}", record["quote"] or ""))
        if record["context"]["after"]:
            lines.append(f"  {record['context']['after']}")
    if record["file"]:
        lines.append(f"{translate('Read from', lang)} {record['file']}")
    lines.append(translate("Source", lang))
    for item in [source, *record["corroborated_by"]]:
        facts = ", ".join(str(item[k]) for k in ("publisher", "date", "language") if item[k])
        kind = enum_value(item["kind"], lang)
        lines.append(f"  {item['id']} ({kind}): {item['title']}" + (f"; {facts}" if facts else ""))
        if item["url"]:
            lines.append(f"    {item['url']}")
        if item["note"]:
            lines.append(f"    {item['note']}")
    return lines


SHOW_ROW_FIELDS = [Field("field", "Name of the field"), Field("value", "Its value")]


def show_rows(record: Mapping[str, Any]) -> list[Row]:
    """The fact as field/value pairs: nested values (source, context) flattened with dots."""
    rows: list[Row] = []

    def add(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                add(f"{prefix}.{key}" if prefix else key, inner)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, inner in enumerate(value):
                add(f"{prefix}[{index}]", inner)
        elif value not in (None, [], ""):
            rows.append({"field": prefix, "value": value})

    add("", record)
    return rows


def country_comparison_lines(comparison: Mapping[str, Any], lang: str) -> list[Line]:
    """Countries side by side, one line per figure and per partner, membership or group."""
    names = [
        f"{(side['country_name_ar'] if lang == 'ar' else None) or side['country_name']} ({side['country']})"
        for side in comparison["countries"]
    ]
    lines: list[Line] = [f"{comparison['year']}: {', '.join(names)}"]
    for label, measure in comparison["measures"].items():
        sides = [
            f"{code} {text or 'no figure'}" + (f" [{measure['ids'][code]}]" if measure["ids"][code] else "")
            for code, text in measure["figures"].items()
        ]
        lines.append(f"  {label}: {'; '.join(sides)}")
        if measure["disputed"]:
            lines.append(f"    disputed by: {', '.join(measure['disputed'])}")
        lines += [f"    {d['from']} → {d['to']}: {d['change']}" for d in measure["differences"]]
    for item in comparison["relations"]:
        name = (item["name_ar"] if lang == "ar" else None) or item["name"]
        how = "" if item["relation"] == "named" else f"{item['relation']}: "  # a group is just named
        line = f"  {name}: {how}named for {', '.join(item['named_by'])} [{', '.join(item['ids'])}]"
        if item["not_named_by"]:
            line += f"; not among the {', '.join(item['not_named_by'])} facts"
        lines.append(line)
    lines += [f"  note: {note}" for note in comparison["notes"]]
    return lines


def country_comparison_fields(comparison: Mapping[str, Any]) -> list[Field]:
    return [
        Field("year", "The year"),
        Field("item", "What is compared"),
        *(Field(side["country"], f"In {side['country_name']}") for side in comparison["countries"]),
        Field("difference", "The differences from the first country, as far as the sources allow"),
        Field("ids", "Fact ids"),
    ]


def country_comparison_rows(comparison: Mapping[str, Any]) -> list[Row]:
    """One row per figure and per partner, membership or group; a column per country."""
    codes = [side["country"] for side in comparison["countries"]]
    rows: list[Row] = []
    for label, measure in comparison["measures"].items():
        rows.append(
            {
                "year": comparison["year"],
                "item": label,
                **measure["figures"],
                "difference": [f"{d['from']} → {d['to']}: {d['change']}" for d in measure["differences"]],
                "ids": [i for i in measure["ids"].values() if i],
            }
        )
    for item in comparison["relations"]:
        status = {code: "named" if code in item["named_by"] else "not mentioned" for code in codes}
        status.update({code: "not recorded" for code in codes if code not in item["named_by"] + item["not_named_by"]})
        rows.append(
            {
                "year": comparison["year"],
                "item": f"{item['name']}: {item['relation']}",
                **status,
                "difference": None,
                "ids": item["ids"],
            }
        )
    return rows


def timeline_lines(timelines: Sequence[Mapping[str, Any]], lang: str) -> list[Line]:
    """Per country, per pair of years: the figures' changes, then '+' for what the later year's
    facts add and '−' for what they no longer mention."""
    lines: list[Line] = []
    for timeline in timelines:
        name = (timeline["country_name_ar"] if lang == "ar" else None) or timeline["country_name"]
        years = timeline["years"]
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
        lines.append(f"{name} ({timeline['country']}): {span}")
        if not timeline["steps"]:
            lines.append(f"  only {years[0]} has facts: nothing to compare")
        for step in timeline["steps"]:
            lines.append(f"  {step['year_a']} → {step['year_b']}")
            for label, measure in step["measures"].items():
                before, after = measure["before"] or "no figure", measure["after"] or "no figure"
                lines.append(f"    {label}: {before} → {after}: {measure['change']} [{', '.join(measure['ids'])}]")
            for item in step["relations"]:
                sign = "+" if item["mentioned_in"] == step["year_b"] else "−"
                partner = (item["name_ar"] if lang == "ar" else None) or item["name"]
                lines.append(f"    {sign} {partner}: {item['relation']} [{item['id']}]")
            lines += [f"    note: {note}" for note in step["notes"]]
        lines.append("")
    return lines[:-1]


def timeline_rows(timelines: Sequence[Mapping[str, Any]]) -> list[Row]:
    """The steps as the year comparison's rows: the same fields, one row per compared item."""
    return compare_rows([step for timeline in timelines for step in timeline["steps"]])
