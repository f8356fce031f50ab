"""Text helpers shared by queries and renderers: matching keys and terminal-safe text."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

# Patterns as strings: `re` compiles (and caches) each on first use, so a run that never needs
# one does not pay for compiling it at start-up.
_ARABIC_DIACRITICS = "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]"
# Replaced one by one: str.replace is a memory scan, str.translate a dictionary lookup per
# character (14 times slower over a large base's text).
_ARABIC_FOLDS = (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ٱ", "ا"), ("ة", "ه"), ("ى", "ي"))
_SEPARATORS = r"[\s_]+"
# ANSI escape sequences first (so their parameters go too), then any remaining control or
# bidirectional-override character.
_ANSI = r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])"
_CONTROL = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"


# What `printable` escapes: every control character (newline and tab too: a message is one
# line), line and paragraph separators, bidirectional controls, and the lone surrogates a file
# name that is not UTF-8 decodes to.
_UNPRINTABLE = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


def printable(text: str) -> str:
    """Text made safe to quote in a one-line message, every unsafe character escaped as
    \\uXXXX: a file name holding ESC sequences or a newline can neither drive the terminal nor
    start a line of its own (a forged `::error file=...` CI annotation)."""
    if re.search(_UNPRINTABLE, text) is None:
        return text
    return re.sub(_UNPRINTABLE, lambda m: f"\\u{ord(m.group()):04x}", text)


def fold(text: str) -> str:
    """A matching key: case, accents, Arabic diacritics, tatweel and letter variants folded."""
    if text.isascii():
        return text.casefold()
    import unicodedata

    decomposed = decomposed_letters(text)
    # Looked up once per distinct character, not per character: search folds every fact. No
    # combining mark comes before U+0300, and Arabic's own (U+0600-06FF) stay, so only the
    # characters outside both are looked at: a set of every character took most of the time.
    beyond = set(re.findall(_MAY_COMBINE, decomposed))
    marks = {ord(c): None for c in beyond if unicodedata.combining(c)}
    return decomposed.translate(marks) if marks else decomposed


_MAY_COMBINE = "[\u0300-\u05ff\u0700-\U0010ffff]"


def decomposed_letters(text: str) -> str:
    """`fold` before its combining marks go: Arabic diacritics, tatweel and letter variants
    folded, case folded, compatibility-decomposed."""
    import unicodedata

    text = re.sub(_ARABIC_DIACRITICS, "", text)
    for variant, letter in _ARABIC_FOLDS:
        text = text.replace(variant, letter)
    return unicodedata.normalize("NFKD", text.casefold())


def slug(text: str) -> str:
    """'Middle East and North Africa' → 'middle-east-and-north-africa' (after folding)."""
    return re.sub(_SEPARATORS, "-", fold(text).strip())


def terminal_safe(text: str) -> str:
    """Text with escape sequences and control characters removed (tab and newline kept)."""
    if re.search(_CONTROL, text) is None:  # the common case; ESC is a control character too
        return text
    return re.sub(_CONTROL, "", re.sub(_ANSI, "", text))


FSI, PDI = "\u2068", "\u2069"
# A left-to-right run: from a Latin letter or digit (or the bracket before one) through anything
# but Arabic, a tab, a line end or two spaces running (the gap between two table columns).
_LTR_RUN = r"\(?[A-Za-z0-9\u00c0-\u024f](?:[^\s\u0590-\u08ff\ufb50-\ufdff\ufe70-\ufefc]| (?=[^\s\u0590-\u08ff\ufb50-\ufdff\ufe70-\ufefc]))*"


def isolate_ltr(text: str) -> str:
    """Each left-to-right run (an id, a code, a number with its unit, a URL, English words)
    wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE, so that a bidi-aware terminal
    keeps it whole and in its place within Arabic text. Only for text already made
    `terminal_safe`, which removes any isolate the data itself brought."""

    def wrap(match: re.Match[str]) -> str:
        run = match.group(0)
        core = run.rstrip(".,:;!?( ")  # punctuation and an opening bracket belong to the text around
        return FSI + core + PDI + run[len(core) :]

    return re.sub(_LTR_RUN, wrap, text)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to `word` (case aside), if one is close enough to be a likely typo."""
    import difflib

    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def suggest(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for a close match, else ''."""
    match = closest(word, choices)
    return f" (did you mean '{match}'?)" if match else ""


# JSON escapes C0 controls (ESC included) itself; these are what it would print raw.
SURVIVES_JSON = "[\x7f-\x9f\u202a-\u202e\u2066-\u2069]"


def encode_row(row: dict[str, Any]) -> str:
    """A row as one line of JSON: the text every JSON answer is made of, and what the compiled
    cache stores. A row holding characters JSON would print raw is cleaned first."""
    encode = _encoder().encode
    text = encode(row)
    return encode(clean(row)) if re.search(SURVIVES_JSON, text) else text


def encode_rows(rows: list[dict[str, Any]], separator: str) -> str:
    """Rows as `encode_row` writes them, joined by `separator` (which holds nothing JSON would
    print raw): the search for such characters runs once over the whole answer, not per row."""
    encode = _encoder().encode
    joined = separator.join([encode(row) for row in rows])
    if re.search(SURVIVES_JSON, joined) is None:
        return joined
    return separator.join([encode_row(row) for row in rows])


def compact_json(value: Any) -> bytes:
    """A value as the compiled cache stores it: compact JSON, UTF-8, characters unescaped."""
    return _compact_encoder()(value)


def _stdlib_compact(value: Any) -> bytes:
    return _compact().encode(value).encode()


@functools.cache
def _compact() -> json.JSONEncoder:
    """One encoder for every value the cache writes: json.dumps with options builds a new one
    per call, a tenth of writing the cache of a large base (hundreds of thousands of calls)."""
    return json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@functools.cache
def _compact_encoder() -> Callable[[Any], bytes]:
    """How `compact_json` encodes: with orjson where it is installed, which writes the same
    bytes as `_compact` for every string, integer, list and mapping of them (what the cache
    holds: the model has no float), in about a fifth of the time; a first build spent a tenth
    of its time encoding. Imported on first use, so that a query that writes nothing (all but
    `search`) never pays for it. Anything orjson refuses (a lone surrogate, a very large
    integer, a key that is not a string, an object) goes to `_compact`, which writes it or
    raises as before."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - a dependency, but the standard library still works
        return _stdlib_compact
    dumps, refused = orjson.dumps, orjson.JSONEncodeError
    option = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS

    def encode(value: Any) -> bytes:
        try:
            return dumps(value, option=option)
        except refused:
            return _stdlib_compact(value)

    return encode


@functools.cache
def _encoder() -> json.JSONEncoder:
    """One encoder for every row: json.dumps with options builds a new one per call, which
    costs about a fifth of encoding a row."""
    return json.JSONEncoder(ensure_ascii=False)


_INFINITY = float("inf")
_NOT_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _json_scalar(item: Any) -> str:
    """An empty list or mapping, or a value that is neither text nor container, as json.dumps
    writes it; TypeError for anything else (a tuple, say), which json.dumps is left to write."""
    if item is None:
        return "null"
    if item is True:
        return "true"
    if item is False:
        return "false"
    if isinstance(item, int):
        return int.__repr__(item)
    if isinstance(item, float):
        # allow_nan, as json's default: NaN and Infinity as JavaScript writes them.
        return float.__repr__(item) if item == item and abs(item) != _INFINITY else _NOT_FINITE[repr(item)]
    if isinstance(item, (list, dict)):
        return "[]" if isinstance(item, list) else "{}"
    raise TypeError(item)


def pretty_json(value: Any, ascii_only: bool = False) -> str:
    """`json.dumps(clean(value), ensure_ascii=ascii_only, indent=2)`, the text of every JSON
    document ctreport prints (summary, compare, show), in one pass: with an indent, json.dumps
    runs its pure-Python encoder, a generator per level (1.6 times as long, with `clean`, for
    the 1.3 MB of `compare 2009 2010` at 100,000 facts)."""
    quote: Callable[[str], str] = json.encoder.encode_basestring_ascii if ascii_only else json.encoder.encode_basestring
    chunks: list[str] = []
    add = chunks.append

    def emit(item: Any, indent: str) -> None:
        if isinstance(item, str):
            add(quote(terminal_safe(item)))
        elif isinstance(item, list) and item:
            inner = indent + "  "
            add("[\n" + inner)
            for number, element in enumerate(item):
                if number:
                    add(",\n" + inner)
                emit(element, inner)
            add("\n" + indent + "]")
        elif isinstance(item, dict) and item:
            inner = indent + "  "
            add("{\n" + inner)
            for number, (key, element) in enumerate(item.items()):
                if not isinstance(key, str):
                    raise TypeError(key)
                add((",\n" + inner if number else "") + quote(key) + ": ")
                emit(element, inner)
            add("\n" + indent + "}")
        else:
            add(_json_scalar(item))

    try:
        emit(value, "")
    except TypeError:
        return json.dumps(clean(value), ensure_ascii=ascii_only, indent=2)
    return "".join(chunks)


def clean(value: Any) -> Any:
    """Strip control characters from every string inside a JSON-ready value."""
    if isinstance(value, str):
        return terminal_safe(value)
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value
