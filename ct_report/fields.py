"""The field catalogue: what a row of each command holds, described once for every format,
`--fields`, `--sort`, `ctreport fields` and the generated docs.

The list commands drawn from one fact kind declare their own fields in `ct_report.kinds`, from
the groups here; the other commands' fields are here.
"""

from __future__ import annotations

from typing import Any, NamedTuple

Row = dict[str, Any]
"""One answer row: field name → JSON-ready value."""

Line = str | tuple[str, str]
"""A line of text output, or (line, part of it to highlight on a terminal)."""


class Field(NamedTuple):
    name: str
    description: str
    in_table: bool = True
    """Shown as a column of the terminal table by default (JSON and plain show every field)."""


SUBJECT_FIELDS = (
    Field("country", "ISO 3166-1 alpha-2 code of the country reported on"),
    Field("country_name", "English name of that country (Arabic with --lang ar)", in_table=False),
    Field("country_name_ar", "Arabic name of that country", in_table=False),
    Field("year", "Year of the events"),
)
"""The fields every fact row starts with."""

SOURCE_FIELDS = (
    Field("statement", "The fact in English (the Arabic passage with --lang ar, where there is one)", in_table=False),
    Field("statement_ar", "The fact in Arabic: the source passage, when the source is Arabic", in_table=False),
    Field("quote", "Verbatim passage of the source, when recorded", in_table=False),
    Field("note", "Caveats, omissions and disagreements", in_table=False),
    Field("section", "Where in the source the fact sits: the chapter section", in_table=False),
    Field("key_phrase", "A few words of the source that locate the fact", in_table=False),
    Field("conflicts_with", "Ids of facts from other sources that disagree with this one"),
    Field("source", "Id of the source document", in_table=False),
    Field("source_kind", "'report' (the chapter), 'government' (official figures) or 'press' (an article)"),
    Field("source_title", "Title of the source document", in_table=False),
    Field("source_url", "Address of the source document", in_table=False),
    Field(
        "source_file",
        "The fact-base file the source is defined in, after its root: bundled:facts/2021/MA.yaml, or mine:notes.yaml",
        in_table=False,
    ),
    Field("edition", "Report edition, e.g. crt-2021", in_table=False),
    Field("id", "Fact id: `ctreport show ID` gives the fact in full"),
)
"""The fields every fact row ends with: the fact's own text, then its source."""


def figure_fields(name: str, what: str) -> tuple[Field, ...]:
    """A figure as three fields: as worded, the number alone, and its qualifier."""
    return (
        Field(name, f"{what}, as the source words it (e.g. 'at least 55')"),
        Field(f"{name}_value", f"{what}: the number alone, null when the source gives none", in_table=False),
        Field(
            f"{name}_qualifier", f"{what}: exact, at-least, more-than, about, reportedly or relative", in_table=False
        ),
    )


COVERAGE_FIELDS = (
    Field("country", "ISO 3166-1 alpha-2 code"),
    Field("country_name", "English name of the country (Arabic with --lang ar)"),
    Field("country_name_ar", "Arabic name of the country", in_table=False),
    Field("year", "Year of the events"),
    Field("facts", "Number of facts"),
    Field("report_sources", "Sources of kind report (the chapter or a verbatim mirror)"),
    Field("government_sources", "Sources of kind government (an official body's own figures)"),
    Field("press_sources", "Sources of kind press (articles about the chapter)"),
    Field("source_kinds", "The kinds of source joined by '+', e.g. 'report+press'; empty for a gap"),
)

SOURCES_FIELDS = (
    Field("id", "Source id"),
    Field("kind", "'report', 'government' or 'press'"),
    Field("title", "Title, or a description when the document has none"),
    Field("publisher", "Publisher or outlet", in_table=False),
    Field("language", "ISO 639-1 language code", in_table=False),
    Field("date", "Publication date", in_table=False),
    Field("edition", "Report edition the source is about", in_table=False),
    Field("url", "Address"),
    Field("text", "Shipped full text, relative to the data folder", in_table=False),
    Field("note", "Caveats about the source", in_table=False),
    Field("facts", "Number of facts it supports (as source or corroboration)"),
)

SEARCH_FIELDS = (
    Field("id", "Fact id"),
    Field("score", "Relevance: a name match counts most, then statement, quote, note"),
    Field("matched_in", "Where the words were found", in_table=False),
    Field("kind", "Fact kind"),
    Field("country", "Country"),
    Field("year", "Year"),
    Field("statement", "The fact in English"),
    Field("quote", "Verbatim source passage", in_table=False),
    Field("conflicts_with", "Ids of facts from other sources that disagree"),
    Field("source", "Source id", in_table=False),
    Field("source_kind", "'report' or 'press'"),
)

CITATION_FIELDS = (
    Field("id", "Fact id"),
    Field("source", "Source id"),
    Field("style", "plain, apa or bibtex"),
    Field("citation", "The citation"),
)
FIELD_FIELDS = (
    Field("name", "Field name, for --fields and --sort"),
    Field("description", "What the field holds"),
    Field("in_table", "Shown in the terminal table without --fields"),
)
PROBLEM_FIELDS = (
    Field("file", "The file"),
    Field("line", "Line, from 1"),
    Field("column", "Column, from 1"),
    Field("message", "What is wrong and how to fix it"),
)
