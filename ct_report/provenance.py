"""From an answer back to its source: a fact in full, the source documents, search, citations.
Pure functions over the fact base; no I/O, no printing."""

from __future__ import annotations

import json
import operator
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from ct_report.errors import UsageError
from ct_report.fields import Row
from ct_report.kinds import BY_NAME, detail_value, names_searched, search_entries, searched_text
from ct_report.model import Fact, FactBase, SearchTerm, Source
from ct_report.text import fold, suggest

if TYPE_CHECKING:
    from ct_report.documents import Context, FactRecord, SourceRecord

_SENTENCE_END = re.compile(r"[.!?؟\n]+")


def get_fact(base: FactBase, fact_id: str) -> Fact:
    fact = base.fact(fact_id)
    if fact is None:
        raise UsageError(
            f"unknown fact id '{fact_id}'{suggest(fact_id, (f.id for f in base.facts))}; ids appear in every command's 'id' field"
        )
    return fact


def context(text: str, passage: str) -> Context | None:
    """The sentence before and after `passage` in `text` (sentences end with . ! ? ؟ or a newline)."""
    start = text.find(passage)
    if start < 0:
        return None
    end = start + len(passage)
    boundaries = [m.end() for m in _SENTENCE_END.finditer(text)]
    sentence_start = max((b for b in boundaries if b <= start), default=0)
    before_start = max((b for b in boundaries if b < sentence_start), default=0)
    after_end_candidates = [b for b in boundaries if b > end]
    sentence_end = after_end_candidates[0] if after_end_candidates else len(text)
    following = [b for b in boundaries if b > sentence_end]
    after_end = following[0] if following else len(text)
    return {
        "before": text[before_start:sentence_start].strip(),
        "sentence": text[sentence_start:sentence_end].strip(),
        "after": text[sentence_end:after_end].strip(),
    }


def source_record(source: Source) -> SourceRecord:
    return {
        "id": source.id,
        "kind": source.kind,
        "title": source.title,
        "publisher": source.publisher,
        "language": source.language,
        "date": source.date,
        "edition": source.edition,
        "url": source.url,
        "text": source.text,
        "note": source.note,
    }


def show(base: FactBase, fact_id: str) -> FactRecord:
    fact = get_fact(base, fact_id)
    source = base.sources[fact.source]
    text = base.texts.get(source.id)
    record: FactRecord = {
        "id": fact.id,
        "kind": fact.kind,
        "country": fact.country,
        "country_name": base.countries[fact.country].name.en,
        "country_name_ar": base.countries[fact.country].name.ar,
        "year": fact.year,
        "edition": fact.edition,
        "statement": fact.statement,
        "statement_ar": fact.quote if source.language == "ar" else None,
        "quote": fact.quote,
        "note": fact.note,
        "conflicts_with": list(fact.conflicts_with),
        "section": fact.section,
        "key_phrase": fact.key_phrase,
        "details": _details(base, fact),
        "source": source_record(source),
        "corroborated_by": [source_record(base.sources[s]) for s in fact.corroborated_by],
        "context": context(text, fact.quote) if text and fact.quote else None,
        "file": f"{fact.origin.file}:{fact.origin.line}" if fact.origin else None,
    }
    return record


def _details(base: FactBase, fact: Fact) -> dict[str, Any]:
    """The fields of the fact's kind (`Kind.details`) that it gives, as `show` prints them."""
    details: dict[str, Any] = {}
    for name in BY_NAME[fact.kind].details:
        if getattr(fact, name) not in (None, ()):
            details[name] = detail_value(base, fact, name)
    return details


def source_rows(base: FactBase) -> list[Row]:
    supported: dict[str, int] = {}
    for _, cited in base.tally().values():
        for source_id, count in cited.items():
            supported[source_id] = supported.get(source_id, 0) + count
    return [
        {**source_record(s), "facts": supported.get(s.id, 0)} for s in sorted(base.sources.values(), key=lambda s: s.id)
    ]


class _Word(NamedTuple):
    """A searched word. A short word must start a word of the text ('us' is not in 'focus'):
    `spaced` is then the word after a space. A longer one may sit inside a word (None), which
    Arabic needs for attached prefixes (و, ل, ال)."""

    text: str
    spaced: str | None

    @classmethod
    def of(cls, word: str) -> _Word:
        return cls(word, None if len(word) >= 4 else f" {word}")


SEARCHED_TEXTS = (("statement", 4), ("events", 4), ("quote", 3), ("note", 1))
"""Where a word can be found besides a name, in the order of `SearchEntry`, and its score."""


def _name_points(word: str, names: list[str], name_words: list[str]) -> int:
    """What a word scores against the names of what a fact is about: 10 for a whole name or a
    whole word of one, 6 for the start of such a word, 0 when it is in none."""
    if word in names or word in name_words:
        return 10
    if len(word) >= 3 and any(name.startswith(word) for name in name_words):
        return 6
    return 0


def _score(words: list[_Word], name_points: list[int], texts: list[str]) -> tuple[int, list[str]] | None:
    """A fact's score for the words and where they matched, or None unless every word matched.
    `name_points` holds each word's `_name_points` for the names the fact is about."""
    score = 0
    matched = set()
    for word, points in zip(words, name_points, strict=True):
        if points:
            score += points
            matched.add("name")
            continue
        for (where, text_points), text in zip(SEARCHED_TEXTS, texts, strict=True):
            # Written out rather than called: this runs for every word of every candidate fact.
            if word.text in text if word.spaced is None else text.startswith(word.text) or word.spaced in text:
                score += text_points
                matched.add(where)
                break
        else:
            return None
    return score, sorted(matched)


Match = tuple[int, str, list[str], bytes]
"""A matching fact's score, id, where it matched, and its row from the kind on."""


def _matches(words: list[_Word], entries: list[tuple[list[Any], bytes]], names: dict[str, list[str]]) -> list[Match]:
    """The entries matching every word. What a word scores against the names of what a fact is
    about is the best it scores against one of them: worked out once per thing named, then once
    per set of things."""
    ident_points: dict[str, list[int]] = {}
    points_of: dict[tuple[str, ...], list[int]] = {}
    found = []
    for scored_part, row_part in entries:
        named = tuple(scored_part[1])
        if named not in points_of:
            for ident in named:
                if ident not in ident_points:
                    own = names[ident]
                    own_words = [word for name in own for word in name.replace("-", " ").split()]
                    ident_points[ident] = [_name_points(word.text, own, own_words) for word in words]
            points_of[named] = [max((ident_points[i][n] for i in named), default=0) for n in range(len(words))]
        scored = _score(words, points_of[named], searched_text(scored_part))
        if scored is not None:
            found.append((scored[0], scored_part[0], scored[1], row_part))
    return found


def _text_matches(word: _Word, entries: list[tuple[list[Any], bytes]]) -> list[Match]:
    """What `_matches` gives for a single word that no name holds (so it scores nothing by
    name): the first text holding it decides. The common search, so written for speed."""
    # Where each text is in an entry's first part (see `kinds.searched_text`).
    places = [(index + 2, points, [where]) for index, (where, points) in enumerate(SEARCHED_TEXTS)]
    found = []
    text, spaced = word
    for scored_part, row_part in entries:
        for place, points, matched in places:
            where = scored_part[place]
            if text in where if spaced is None else where.startswith(text) or spaced in where:
                found.append((points, scored_part[0], matched, row_part))
                break
    return found


def search(base: FactBase, query: str) -> list[bytes]:
    """Facts matching every word of the query, best first: each one's row (`SEARCH_FIELDS`) as
    the JSON text of a `--json` answer.

    Matching folds case, accents and Arabic spelling variants (see text.fold). A word that is a
    whole word of a name, code, acronym or alias of what the fact is about scores highest, the
    start of such a word next ('oulem' → 'Oulémas'); then a word in the statement or the
    incidents described, in the quote, in the note.
    """
    words = fold(query).split()
    if not words:
        raise UsageError("empty search; give one or more words, e.g. ctreport search GCTF")
    names = {ident: [fold(name) for name in names_searched(base, ident)] for ident in [*base.countries, *base.entities]}
    terms = []
    for word in words:
        named = tuple(ident for ident, folded in names.items() if any(word in name for name in folded))
        terms.append(SearchTerm(word, named if len(named) <= _MOST_NAMES_LOOKED_FOR else None))
    entries = base.search_entries(terms)
    if entries is None:
        entries = search_entries(base, base.facts)
    looked_for = [_Word.of(word) for word in words]
    if len(terms) == 1 and terms[0].named == ():
        found = _text_matches(looked_for[0], entries)
    else:
        found = _matches(looked_for, entries, names)
    # Best score first, then by id: two stable sorts with C key functions instead of a key
    # tuple built per row.
    found.sort(key=operator.itemgetter(1))
    found.sort(key=operator.itemgetter(0), reverse=True)
    # Each match's row as `text.encode_row` writes a whole row: its id (a slug, whose JSON text
    # is the same escaped or not), score and where it matched before the rest of its row.
    matched_in = {where: json.dumps(list(where)).encode() for where in {tuple(match[2]) for match in found}}
    quoted = json.encoder.encode_basestring_ascii  # json.dumps of a string, without its set-up per call
    return [
        b'{"id": %s, "score": %d, "matched_in": %s, %s'
        % (quoted(fact_id).encode(), score, matched_in[tuple(matched)], row_part)
        for score, fact_id, matched, row_part in found
    ]


_MOST_NAMES_LOOKED_FOR = 16
"""A word found in more names than this ('a') is looked for in every entry (see SearchTerm)."""


CITATION_STYLES = ("plain", "apa", "bibtex")


def cite(base: FactBase, fact_id: str, style: str) -> str:
    """A reference to the source of a fact. A press article that summarises a report is cited
    through it: the report first, then "as reported by" the article. The year is the source's
    own date, else the release year of the report edition it belongs to, else 'n.d.'."""
    if style not in CITATION_STYLES:
        raise UsageError(
            f"unknown style '{style}'{suggest(style, CITATION_STYLES)}; valid: {', '.join(CITATION_STYLES)}"
        )
    fact = get_fact(base, fact_id)
    source = base.sources[fact.source]
    report = base.sources.get(source.summarises or "")
    if style == "bibtex":
        return _bibtex(base, report or source, fact, via=source if report else None)
    where = f", section '{fact.section}'" if fact.section else ""
    if report is None:
        reference = _reference(base, source, style)
        if style == "plain":
            return f"{reference} ({source.kind}{where}; fact {fact.id})"
        return reference
    cited = f"{_reference(base, report, style)} As reported by {_reference(base, source, style)}"
    return f"{cited} (press{where}; fact {fact.id})" if style == "plain" else cited


def _year(base: FactBase, source: Source) -> str:
    edition = base.editions.get(source.edition or "")
    year = (source.date or "")[:4]
    if not year and source.kind == "report" and edition is not None and edition.published:
        year = edition.published[:4]
    return year


def _reference(base: FactBase, source: Source, style: str) -> str:
    year = _year(base, source)
    address = source.url or _edition_url(base, source)
    url = f" {address}" if address else ""
    if style == "plain":
        lead = f"{source.publisher}. " if source.publisher else ""
        return f"{lead}{source.title}. {source.date or year or 'n.d'}.{url}"
    # APA: a work without an author is cited by its title.
    if source.publisher:
        return f"{source.publisher}. ({year or 'n.d.'}). {source.title}.{url}"
    return f"{source.title}. ({year or 'n.d.'}).{url}"


def _edition_url(base: FactBase, source: Source) -> str | None:
    """A chapter cited without an address of its own points at its edition's."""
    edition = base.editions.get(source.edition or "")
    return edition.url if source.kind == "report" and edition is not None else None


def _bibtex(base: FactBase, source: Source, fact: Fact, via: Source | None) -> str:
    entry = "techreport" if source.kind == "report" else "misc"
    year = _year(base, source)
    lines = [f"@{entry}{{{source.id},", f"  title = {{{source.title}}},"]
    if source.publisher:
        # Double braces: a corporate author, not "Last, First".
        lines.append(f"  author = {{{{{source.publisher}}}}},")
        if entry == "techreport":
            lines.append(f"  institution = {{{{{source.publisher}}}}},")
    if year:
        lines.append(f"  year = {{{year}}},")
    address = source.url or _edition_url(base, source)
    if address:
        lines.append(f"  url = {{{address}}},")
    note = f"{(via or source).kind}; ctreport fact {fact.id}"
    if fact.section:
        note = f"section '{fact.section}'; {note}"
    if via is not None:
        note = f"as reported by {_reference(base, via, 'plain')}; {note}"
    lines.append(f"  note = {{{note}}}")
    lines.append("}")
    return "\n".join(lines)
