"""Every output format, behind one dispatch. The only module that imports Rich, and only for
the terminal table, so machine formats never pay for it.

Fact-base text is data: it reaches Rich only as `Text` objects (never parsed as markup) and
every string written anywhere has escape sequences and control characters stripped first.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, TextIO

from ct_report.fields import Field, Line, Row
from ct_report.i18n import label, translate
from ct_report.text import SURVIVES_JSON, clean, encode_rows, isolate_ltr, pretty_json, terminal_safe

FORMATS = ("table", "plain", "csv", "json", "ndjson", "markdown", "yaml")
# Spreadsheets skip leading blanks before a formula, and some read the full-width signs too.
_FORMULA = r"^(?:[\t\r]|[\s\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20])"
MAX_CELL = 2000
"""Characters a terminal table shows of one cell (then '…'): wrapping a cell costs time
growing with the square of its length, and no one reads a 3 MB cell on a screen."""
MAX_WIDTH = 4096


class Terminal(NamedTuple):
    """The streams and what they are connected to, passed down instead of read from globals."""

    stdout: TextIO
    stderr: TextIO
    is_tty: bool
    color: bool
    columns: int | None = None
    """A width to lay out for instead of the terminal's (tests)."""
    pager: str | None = None
    """The pager command for output longer than the screen: only on a terminal, and not with --no-pager."""

    @classmethod
    def detect(cls, no_color: bool = False, no_pager: bool = True) -> Terminal:
        if sys.stdout is None:  # started with stdout closed (`>&-`)
            raise OSError(errno.EBADF, "stdout is closed")
        is_tty = sys.stdout.isatty()
        # https://no-color.org: set *and not empty* disables colour.
        color = is_tty and not no_color and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        pager = None
        if is_tty and not no_pager and sys.stdin is not None and sys.stdin.isatty():
            pager = os.environ.get("CTREPORT_PAGER", os.environ.get("PAGER", "less -FRX")).strip() or None
        return cls(sys.stdout, sys.stderr, is_tty, color, pager=pager)

    def default_format(self) -> str:
        return "table" if self.is_tty else "plain"

    def can_encode(self, text: str) -> bool:
        encoding = getattr(self.stdout, "encoding", None) or "utf-8"
        try:
            text.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            return False
        return True


class Options(NamedTuple):
    """How to write rows: chosen by the shared output options of every command."""

    format: str
    header: bool = True
    csv_formulas: bool = False
    """Leave cells that a spreadsheet would run as a formula untouched (default: neutralise)."""
    title: str = ""
    footer: str = ""
    wide: bool = False
    """Terminal table: keep URLs and whole values (no ellipsis)."""
    explicit: bool = False
    """The fields were asked for by name (--fields): a terminal table keeps every one that has a value."""
    lang: str = "en"
    """Language of headings and labels; 'ar' also isolates left-to-right runs in terminal and plain text."""


def cell_text(value: Any, list_separator: str = "; ") -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return list_separator.join(cell_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return terminal_safe(str(value))


def _one_line(value: Any) -> str:
    return " ".join(cell_text(value).split())


def _json_rows(items: list[Any], fmt: str, pretty: bool, ascii_only: bool = False) -> str:
    """Indented on a terminal; otherwise one object per line, which stays readable and lets the
    C encoder do the work (indented output goes through the pure-Python encoder)."""
    if pretty and fmt == "json":
        text = json.dumps(items, ensure_ascii=ascii_only, indent=2)
        if re.search(SURVIVES_JSON, text):
            text = json.dumps(clean(items), ensure_ascii=ascii_only, indent=2)
        return text + "\n"
    if not items:
        return "" if fmt == "ndjson" else "[]\n"
    separator = "\n" if fmt == "ndjson" else ",\n"
    body = separator.join(json.dumps(item) for item in items) if ascii_only else encode_rows(items, separator)
    return body + "\n" if fmt == "ndjson" else "[\n" + body + "\n]\n"


def write_encoded_rows(read_runs: Callable[[int], Iterable[bytes]], rows: int, fmt: str, term: Terminal) -> bool:
    """Write `rows` rows whose JSON lines are already known (the compiled cache keeps them)
    straight to a UTF-8 stdout. `read_runs(size)` gives those lines in runs of about `size`
    bytes, the lines of a run joined by newlines: as the cache reads a whole section, or as
    `line_runs` joins lines. False, writing nothing, when stdout takes another encoding or ends
    lines with something else than \\n (Windows), or when the runs are not proven to hold
    `rows` clean rows (a row with a raw line break or a control character, which only a cache
    changed by hand holds). Every run is checked before anything is written, a megabyte at a
    time, so that the text the check decodes is never held whole (at 100,000 facts,
    `partners --json` peaked at 171 MB when it was)."""
    import codecs

    buffer = getattr(term.stdout, "buffer", None)
    try:
        utf8 = codecs.lookup(getattr(term.stdout, "encoding", None) or "ascii").name == "utf-8"
    except LookupError:
        utf8 = False
    if buffer is None or not utf8 or os.linesep != "\n":  # the text stream would write \r\n
        return False
    parts, held = [], 0
    for run in read_runs(_PART_BYTES):
        if run:
            # JSON separates its rows by commas too; the replacements made count its line breaks.
            part = run if fmt == "ndjson" else run.replace(b"\n", b",\n")
            held += 1 + (run.count(b"\n") if fmt == "ndjson" else len(part) - len(run))
            parts.append(part)
    if held != rows or not all(_proven_clean(part) for part in parts):
        return False  # the ordinary path decodes the rows and cleans them
    term.stdout.flush()
    if fmt == "ndjson":
        for part in parts:
            buffer.write(part)
            buffer.write(b"\n")
    elif not parts:
        buffer.write(b"[]\n")
    else:
        buffer.write(b"[\n")
        for number, part in enumerate(parts):
            if number:
                buffer.write(b",\n")
            buffer.write(part)
        buffer.write(b"\n]\n")
    buffer.flush()
    return True


_PART_BYTES = 1 << 20


def line_runs(lines: Sequence[bytes], size: int) -> list[bytes]:
    """Lines joined by newlines in runs of about `size` bytes (see `write_encoded_rows`)."""
    runs, start, total = [], 0, 0
    for number, line in enumerate(lines):
        total += len(line)
        if total >= size:
            runs.append(b"\n".join(lines[start : number + 1]))
            start, total = number + 1, 0
    if start < len(lines):
        runs.append(b"\n".join(lines[start:]))
    return runs


# What `encode_row` never writes: raw C0 controls (JSON escapes them) and what it cleans away.
_UNSAFE_STORED = "[\x00-\x09\x0b-\x1f" + SURVIVES_JSON[1:]


# The bytes the check lets through: all but C0 controls and DEL, and yet the newline that
# separates the stored lines (a stored line never holds one). Deleting them leaves what it refuses.
_SAFE_BYTES = b"\n" + bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100))


def _proven_clean(data: bytes) -> bool:
    """Whether stored JSON lines, joined by newlines, hold only what `encode_row` writes: valid
    UTF-8 without a control or bidirectional-override character. The cache is the user's own
    file, but bytes copied to a terminal are checked as if they were not (about 2 ns a byte).
    The characters beyond ASCII it refuses (C1 controls, bidirectional overrides) are written
    with a lead byte of C2 or E2: text with neither needs no character-by-character search."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if data.translate(None, _SAFE_BYTES):
        return False
    if data.find(b"\xc2") < 0 and data.find(b"\xe2") < 0:
        return True
    return re.search(_UNSAFE_STORED, text) is None


def write(term: Terminal, text: str) -> None:
    """Write to stdout, degrading characters the stream cannot encode (with one warning)."""
    if not term.can_encode(text):
        encoding = getattr(term.stdout, "encoding", None) or "?"
        print(
            f"warning: stdout encoding {encoding} cannot show every character; unsupported ones are replaced (set PYTHONIOENCODING=utf-8)",
            file=term.stderr,
        )
        text = text.encode(encoding, errors="replace").decode(encoding, errors="replace")
    if term.pager and _longer_than_screen(text) and _page(term, text):
        return
    term.stdout.write(text)
    term.stdout.flush()


def _longer_than_screen(text: str) -> bool:
    import shutil

    return text.count("\n") >= shutil.get_terminal_size((80, 24)).lines


def _page(term: Terminal, text: str) -> bool:
    """Show `text` through the pager, as git does (`less -FRX` unless PAGER says otherwise);
    False, having shown nothing, when the pager cannot be started."""
    import shlex
    import subprocess

    assert term.pager is not None
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    term.stdout.flush()
    try:
        pager = subprocess.Popen(shlex.split(term.pager), stdin=subprocess.PIPE, env=env)
    except (OSError, ValueError):
        return False
    assert pager.stdin is not None
    encoding = getattr(term.stdout, "encoding", None) or "utf-8"
    try:
        pager.stdin.write(text.encode(encoding, errors="replace"))
        pager.stdin.close()
    except BrokenPipeError:  # the reader quit the pager early: not an error
        pass
    pager.wait()
    return True


def render_rows(rows: list[Row], fields: Sequence[Field], options: Options, term: Terminal) -> None:
    names = [f.name for f in fields]
    fmt = options.format
    if fmt in ("json", "ndjson"):
        # Rows that already hold exactly these fields in this order go out as they are.
        selected = [r if list(r) == names else {n: r.get(n) for n in names} for r in rows]
        text = _json_rows(selected, fmt, term.is_tty)
        if not term.can_encode(text):  # e.g. an ASCII stdout: \u escapes keep every character
            text = _json_rows([clean(r) for r in selected], fmt, term.is_tty, ascii_only=True)
        write(term, text)
    elif fmt == "yaml":
        write(term, _yaml([clean({n: r.get(n) for n in names}) for r in rows]))
    elif fmt == "csv":
        write(term, _csv(rows, names, options))
    elif fmt == "plain":
        lines = ["\t".join(names)] if options.header else []
        lines += ["\t".join(_one_line(r.get(n)) for n in names) for r in rows]
        if options.lang == "ar":
            lines = [isolate_ltr(line) for line in lines]
        write(term, "".join(line + "\n" for line in lines))
    elif fmt == "markdown":
        write(term, _markdown(rows, names, options))
    else:
        _table(rows, fields, options, term)


BAR_WIDTH = 16


def add_bars(rows: list[Row], fields: Sequence[Field], name: str) -> list[Field]:
    """Add a `trend` column drawing `{name}_value` as a bar; '+' marks a lower bound, '?' no number."""
    values = [row.get(f"{name}_value") for row in rows]
    largest = max((v for v in values if isinstance(v, int)), default=0) or 1
    for row, value in zip(rows, values, strict=True):
        if not isinstance(value, int):
            row["trend"] = "?"
            continue
        bar = "█" * max(round(BAR_WIDTH * value / largest), 1 if value else 0)
        row["trend"] = bar + ("+" if row.get(f"{name}_qualifier") in ("at-least", "more-than") else "")
    position = next((i + 1 for i, f in enumerate(fields) if f.name == name), len(fields))
    return [*fields[:position], Field("trend", f"{name} as a bar"), *fields[position:]]


def render_document(
    documents: Sequence[Mapping[str, Any]], options: Options, term: Terminal, text_lines: Sequence[Line], single: bool
) -> None:
    """Objects (summary, show, compare): JSON/YAML as data, every other format as text lines."""
    payload: Any = documents[0] if single and len(documents) == 1 else documents
    if options.format == "json":
        written = pretty_json(payload)
        write(term, (written if term.can_encode(written) else pretty_json(payload, ascii_only=True)) + "\n")
        return
    ascii_only = not term.can_encode(json.dumps(payload, ensure_ascii=False))
    if options.format == "ndjson":
        write(term, "".join(json.dumps(clean(d), ensure_ascii=ascii_only) + "\n" for d in documents))
    elif options.format == "yaml":
        write(term, _yaml(clean(payload)))
    elif options.format == "table" and term.is_tty:
        from rich.text import Text

        texts = []
        for item in text_lines:
            line, highlight = (item, "") if isinstance(item, str) else item
            line, highlight = terminal_safe(line), terminal_safe(highlight)
            start = line.find(highlight) if highlight else -1
            if start >= 0 and not term.color:
                # Without colour the passage is still told apart: between marks, not by a style.
                end = start + len(highlight)
                line = f"{line[:start]}{MARK_START}{highlight}{MARK_END}{line[end:]}"
            text = Text(line)
            if term.color and line and not line.startswith((" ", "•")):
                text.stylize("bold")
            if start >= 0 and term.color:
                text.stylize("reverse", start, start + len(highlight))
            texts.append(text)
        _print_rich(term, texts, rtl=options.lang == "ar")
    else:
        lines = [terminal_safe(item if isinstance(item, str) else item[0]) for item in text_lines]
        if options.lang == "ar":
            lines = [isolate_ltr(line) for line in lines]
        write(term, "".join(line + "\n" for line in lines))


MARK_START, MARK_END = ">>", "<<"
"""Around the highlighted passage of `show` on a terminal without colour."""


def _yaml(payload: Any) -> str:
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(yaml.dump(payload, Dumper=dumper, allow_unicode=True, sort_keys=False, default_flow_style=False))


def _csv(rows: list[Row], names: list[str], options: Options) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if options.header:
        writer.writerow(names)
    for row in rows:
        cells = [cell_text(row.get(n)) for n in names]
        if not options.csv_formulas:
            cells = ["'" + c if re.match(_FORMULA, c) else c for c in cells]
        writer.writerow(cells)
    return buffer.getvalue()


def _markdown(rows: list[Row], names: list[str], options: Options) -> str:
    def escape(text: str) -> str:
        # HTML is escaped (a renderer would run <script> or show <img>), and so are brackets:
        # no link, `javascript:` or other, can be made from fact text.
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return re.sub(r"([\\|\[\]])", r"\\\1", text)

    lines = []
    if options.title:
        lines += [f"**{escape(_one_line(options.title))}**", ""]
    lines += ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join(escape(_one_line(r.get(n))) for n in names) + " |" for r in rows]
    if options.footer:
        lines += ["", escape(_one_line(options.footer))]
    return "\n".join(lines) + "\n"


def _width(term: Terminal) -> int:
    """The terminal's width; when piped, COLUMNS if it is a positive number, else 80."""
    import shutil

    if term.is_tty:
        columns = shutil.get_terminal_size((80, 24)).columns
    else:
        setting = os.environ.get("COLUMNS", "").strip()
        columns = int(setting) if setting.isdecimal() and setting.isascii() else 0
    return min(columns, MAX_WIDTH) if columns > 0 else 80


def _print_rich(term: Terminal, renderables: Sequence[Any], rtl: bool = False) -> None:
    """Render with Rich into text, then write it like every other format: so an unencodable
    character degrades with a warning, and a closed pipe is handled in one place. With `rtl`,
    each line is marked right-to-left and its left-to-right runs isolated, after Rich has laid
    it out (Rich would count the invisible marks as characters)."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=term.columns or _width(term),
        height=25,  # with a width alone, Rich lays out a TERM=dumb terminal at 80 columns
        force_terminal=term.is_tty,
        no_color=not term.color,
        color_system="standard" if term.color else None,
        highlight=False,
        markup=False,
        emoji=False,
    )
    for renderable in renderables:
        console.print(renderable)
    text = buffer.getvalue()
    if rtl:
        text = "".join(RLM + isolate_ltr(line) for line in text.splitlines(keepends=True))
    write(term, text)


RLM = "\u200f"
"""RIGHT-TO-LEFT MARK: starts every line of Arabic output, so that a bidi-aware terminal reads
the line right to left even when it begins with an id or a number."""


CODE_FIELDS = frozenset(
    {
        "id",
        "ids",
        "source",
        "conflicts_with",
        "comparison_id",
        "edition",
        "partner",
        "body",
        "member",
        "group",
        "trend",
        "name",
    }
)
"""Fields holding ids and codes: a terminal table never breaks them inside a word, so that one
can be copied whole (e.g. into `ctreport show ID`)."""
MAX_CELL_LINES = 3
"""Lines of a cell in a terminal table before the rest gives way to an ellipsis (not with --wide)."""
PROSE_MIN_WIDTH = 12
NARROW_PROSE_WIDTH = 8
"""How narrow a column of prose may get, its longer words folding, before a table gives way to
blocks of field and value."""
"""The narrowest a column of prose gets; a longer word folds rather than widen it."""
FIT_ORDER = (
    "trend",
    "sparkline",
    "source_kind",
    "partner_kind",
    "matched_in",
    "score",
    "publisher",
    "kind",
    "detail",
    "conflicts_with",
)
"""Default columns that give way, in this order, when a terminal table is too wide: first what
only draws another column (the bar, the sparkline), then what the title or footer already says
in part."""
GAP = 2
"""Characters between two columns."""
COMFORTABLE_WIDTH = 20
"""A column of prose this wide reads well; optional columns give way to reach it."""


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


class TableLayout(NamedTuple):
    """What a terminal table shows: its columns, its title with the values every row shares,
    and a footer note on what was left out."""

    fields: list[Field]
    title: str
    notes: list[str]


def table_layout(rows: list[Row], fields: Sequence[Field], options: Options) -> TableLayout:
    """Columns for a terminal table: empty columns go (they say nothing); a value every row
    shares goes into the title once ("Morocco, 2021"); URLs, which cannot wrap, go unless
    --wide or asked for by name. JSON, CSV and plain keep every field."""
    kept = [f for f in fields if any(cell_text(r.get(f.name)) for r in rows)] if rows else list(fields)
    shared: list[str] = []
    if len(rows) > 1:
        constant = [f for f in kept if len({cell_text(r.get(f.name), ", ") for r in rows}) == 1]
        if len(constant) < len(kept):
            for f in constant:
                said = _shared_value(rows[0], f, options.lang)
                if said not in shared:
                    shared.append(said)
            kept = [f for f in kept if f not in constant]
    notes = []
    if not options.wide and not options.explicit:
        urls = [f for f in kept if any(_is_url(cell_text(r.get(f.name))) for r in rows)]
        if urls:
            kept = [f for f in kept if f not in urls]
            names = ", ".join(f.name for f in urls)
            notes.append(
                translate("Addresses ({names}) are left out to fit: --wide shows them.", options.lang, names=names)
            )
    title = options.title
    if shared:
        title = f"{title}: {', '.join(shared)}" if title else ", ".join(shared)
    return TableLayout(kept, title, notes)


def _shared_value(row: Row, field: Field, lang: str) -> str:
    """How the title says a value every row shares: a country by its name, a year as it is,
    anything else as 'label value'."""
    value = cell_text(row.get(field.name), ", ")
    if field.name == "country" and row.get("country_name"):
        return cell_text(row["country_name"])
    if field.name in ("year", "country_name") or field.name.endswith("_name"):
        return value
    return f"{label(field.name, lang)} {value}"


def _min_width(field: Field, header: str, values: list[str], prose_width: int = PROSE_MIN_WIDTH) -> int:
    """The narrowest a column can be without breaking what must stay whole: an id or code
    (never broken), or a word of prose up to PROSE_MIN_WIDTH (longer ones fold). A header
    may break after '_' (`_header_lines`)."""
    header_width = max(len(part) for part in _header_lines(header, 0).splitlines())
    if field.name in CODE_FIELDS:
        return max([header_width, *(len(word) for value in values for word in value.split())])
    words = [len(word) for value in values for word in re.split(r"(?<=-)|\s+", value) if word]
    return max(min(max(words, default=1), prose_width), header_width)


def _header_lines(header: str, width: int) -> str:
    """A header too long for its column broken after each '_' ('source_' / 'kind')."""
    if len(header) <= width:
        return header
    return "\n".join(part + "_" for part in header.split("_"))[:-1]


def _wrap_cell(value: str, width: int, code: bool, shorten: bool) -> str:
    """The cell broken into lines of `width` (between words; prose also after a hyphen), and
    past MAX_CELL_LINES shortened with an ellipsis unless `shorten` is off (--wide)."""
    import textwrap

    lines: list[str] = []
    for paragraph in value.splitlines() or [""]:
        lines += textwrap.wrap(
            paragraph, width, break_on_hyphens=not code, break_long_words=not code, drop_whitespace=True
        ) or [""]
    if shorten and len(lines) > MAX_CELL_LINES:
        lines = lines[:MAX_CELL_LINES]
        last = lines[-1]
        lines[-1] = (last[: width - 1].rstrip() if len(last) >= width else last) + "…"
    return "\n".join(lines)


def _table(rows: list[Row], fields: Sequence[Field], options: Options, term: Terminal) -> None:
    from rich.text import Text

    width = term.columns or _width(term)
    layout = table_layout(rows, fields, options)
    fields = layout.fields
    headers = [label(f.name, options.lang) for f in fields]
    cells = [[_capped(terminal_safe(cell_text(r.get(f.name), ", "))) for f in fields] for r in rows]
    title = Text(terminal_safe(layout.title), style="bold" if term.color else "")
    caption = Text(terminal_safe(" ".join([options.footer, *layout.notes]).strip()), style="dim" if term.color else "")
    caption.justify = "left"
    minimum = [_min_width(f, headers[i], [row[i] for row in cells]) for i, f in enumerate(fields)]
    # Optional columns give way until every column of prose has a comfortable width: a
    # table of fewer, readable columns beats one of many columns a word wide.
    comfortable = [
        m if f.name in CODE_FIELDS else max(m, min(COMFORTABLE_WIDTH, max(len(r[i]) for r in cells) if cells else m))
        for i, (f, m) in enumerate(zip(fields, minimum, strict=True))
    ]
    left_out: list[str] = []
    if not options.explicit:
        fields, headers, minimum, cells, left_out = _leave_out(fields, headers, minimum, comfortable, cells, width)
    notes = [_disputes(rows, options.lang)] if "conflicts_with" in left_out else []
    if [name for name in left_out if name not in ("trend", "conflicts_with")]:
        names = ", ".join(n for n in left_out if n not in ("trend", "conflicts_with"))
        notes.append(translate("Left out to fit: {names} (--wide or --fields shows them).", options.lang, names=names))
    for note in filter(None, notes):
        caption.append(" " + note if caption.plain else note)
    # Two spaces between columns, or one; then prose words may fold at a narrower width: each
    # is better than blocks.
    gap = next((g for g in (GAP, 1) if sum(minimum) + g * (len(fields) - 1) <= width), 0)
    if not gap:
        minimum = [
            _min_width(f, headers[i], [row[i] for row in cells], NARROW_PROSE_WIDTH) for i, f in enumerate(fields)
        ]
        gap = 1 if sum(minimum) + len(fields) - 1 <= width else 0
    if not gap:
        _blocks(rows, fields, headers, cells, title, caption, options, term)
        return
    table = _rich_table(fields, headers, cells, minimum, gap, width, title, caption, options, term)
    _print_rich(term, [table], rtl=options.lang == "ar")


def _rich_table(
    fields: Sequence[Field],
    headers: list[str],
    cells: list[list[str]],
    minimum: list[int],
    gap: int,
    width: int,
    title: Any,
    caption: Any,
    options: Options,
    term: Terminal,
) -> Any:
    """The table itself, once its columns and the gap between them are chosen."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    # Box-drawing characters only on a terminal; an explicit --format table when piped gets ASCII.
    table_box = box.SIMPLE_HEAD if term.is_tty else box.ASCII2
    natural = [
        max([len(headers[i]), *(len(line) for row in cells for line in row[i].splitlines())])
        for i in range(len(fields))
    ]
    widths = _fit_widths(minimum, natural, width - gap * (len(fields) - 1))
    table = Table(
        title=title,
        caption=caption,
        box=table_box,
        show_header=options.header,
        header_style="bold" if term.color else "",
        show_edge=False,
        pad_edge=False,
        padding=(0, gap - 1, 0, 0),
        title_justify="left",
        caption_justify="left",
    )
    for i in range(len(fields)):
        table.add_column(Text(_header_lines(headers[i], widths[i])), overflow="fold", width=widths[i])
    for row_cells in cells:
        table.add_row(
            *(
                Text(_wrap_cell(value, widths[i], fields[i].name in CODE_FIELDS, not options.wide) or _empty(value))
                for i, value in enumerate(row_cells)
            )
        )
    return table


def _leave_out(
    fields: Sequence[Field],
    headers: list[str],
    minimum: list[int],
    comfortable: list[int],
    cells: list[list[str]],
    width: int,
) -> tuple[list[Field], list[str], list[int], list[list[str]], list[str]]:
    """Optional columns left out, in `FIT_ORDER`, until every column has a comfortable width;
    what is kept, and the names left out."""
    fields = list(fields)
    left_out = []
    while sum(comfortable) + GAP * (len(fields) - 1) > width:
        drop = next((i for name in FIT_ORDER for i, f in enumerate(fields) if f.name == name), None)
        if drop is None:
            break
        left_out.append(fields[drop].name)
        keep = [i for i in range(len(fields)) if i != drop]
        fields, headers = [fields[i] for i in keep], [headers[i] for i in keep]
        minimum, comfortable = [minimum[i] for i in keep], [comfortable[i] for i in keep]
        cells = [[row[i] for i in keep] for row in cells]
    return fields, headers, minimum, cells, left_out


def _disputes(rows: list[Row], lang: str) -> str:
    """'Disputed: a and b.' for the conflicts_with column when it gives way."""
    pairs = sorted(
        {
            tuple(sorted((row["id"], other)))
            for row in rows
            if row.get("id")
            for other in row.get("conflicts_with") or []
        }
    )
    return translate("Disputed: {pairs}.", lang, pairs="; ".join(" ↔ ".join(pair) for pair in pairs)) if pairs else ""


def _blocks(
    rows: list[Row],
    fields: Sequence[Field],
    headers: list[str],
    cells: list[list[str]],
    title: Any,
    caption: Any,
    options: Options,
    term: Terminal,
) -> None:
    """The last resort when even the narrowest columns do not fit: one block of label and
    value per row, with a rule between blocks."""
    from rich import box
    from rich.rule import Rule
    from rich.table import Table
    from rich.text import Text

    blocks: list[Any] = [title]
    for index, row_cells in enumerate(cells):
        if index:
            blocks.append(Rule(style="dim" if term.color else "", characters="─" if term.is_tty else "-"))
        record = Table(
            box=box.SIMPLE_HEAD, show_header=False, show_edge=False, pad_edge=False, padding=(0, GAP - 1, 0, 0)
        )
        record.add_column(style="bold" if term.color else "", no_wrap=True)
        record.add_column(overflow="fold")
        for header, value in zip(headers, row_cells, strict=True):
            record.add_row(Text(header), Text(value or "—", overflow="fold"))
        blocks.append(record)
    _print_rich(term, [*blocks, caption], rtl=options.lang == "ar")


def _empty(value: str) -> str:
    """How a table shows a cell with nothing to wrap: '—' for no value, blank for a value that is
    deliberately blank (a space: e.g. the sparkline of a country's later rows)."""
    return " " if value and value.isspace() else "—"


def _capped(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _fit_widths(minimum: list[int], natural: list[int], available: int) -> list[int]:
    """Natural widths when they fit; else every column its minimum plus a share of the rest
    in proportion to how much more it would like."""
    if sum(natural) <= available:
        return natural
    spare = max(available - sum(minimum), 0)
    wants = [n - m for n, m in zip(natural, minimum, strict=True)]
    total = sum(wants) or 1
    return [m + (spare * w) // total for m, w in zip(minimum, wants, strict=True)]
