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
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, TextIO

from ct_report.fields import Field, Line, Row
from ct_report.text import SURVIVES_JSON, clean, encode_row, terminal_safe

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

    @classmethod
    def detect(cls, no_color: bool = False) -> Terminal:
        if sys.stdout is None:  # started with stdout closed (`>&-`)
            raise OSError(errno.EBADF, "stdout is closed")
        is_tty = sys.stdout.isatty()
        color = is_tty and not no_color and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
        return cls(sys.stdout, sys.stderr, is_tty, color)

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
    lines = [json.dumps(item) if ascii_only else encode_row(item) for item in items]
    if fmt == "ndjson":
        return "".join(line + "\n" for line in lines)
    return "[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n"


def write_encoded_rows(encoded: list[bytes], fmt: str, term: Terminal) -> bool:
    """Write rows whose JSON lines are already known (the compiled cache keeps them) straight to
    a UTF-8 stdout. False, writing nothing, when stdout takes another encoding or ends lines
    with something else than \\n (Windows)."""
    import codecs

    buffer = getattr(term.stdout, "buffer", None)
    try:
        utf8 = codecs.lookup(getattr(term.stdout, "encoding", None) or "ascii").name == "utf-8"
    except LookupError:
        utf8 = False
    if buffer is None or not utf8 or os.linesep != "\n":  # the text stream would write \r\n
        return False
    if not _proven_clean(encoded):
        return False  # the ordinary path decodes the rows and cleans them
    term.stdout.flush()
    if fmt == "ndjson":
        buffer.write(b"\n".join(encoded) + b"\n" if encoded else b"")
    elif encoded:  # written in three parts: each `+` would copy the whole answer again
        buffer.write(b"[\n")
        buffer.write(b",\n".join(encoded))
        buffer.write(b"\n]\n")
    else:
        buffer.write(b"[]\n")
    buffer.flush()
    return True


# What `encode_row` never writes: raw C0 controls (JSON escapes them) and what it cleans away.
_UNSAFE_STORED = "[\x00-\x1f" + SURVIVES_JSON[1:]


def _proven_clean(encoded: list[bytes]) -> bool:
    """Whether stored JSON lines hold only what `encode_row` writes: valid UTF-8 without a
    control or bidirectional-override character. The cache is the user's own file, but bytes
    copied to a terminal are checked as if they were not (about 3 ns a byte)."""
    try:
        text = b"".join(encoded).decode("utf-8")
    except UnicodeDecodeError:
        return False
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
    term.stdout.write(text)
    term.stdout.flush()


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
    ascii_only = not term.can_encode(json.dumps(payload, ensure_ascii=False))
    if options.format == "json":
        write(term, json.dumps(clean(payload), ensure_ascii=ascii_only, indent=2) + "\n")
    elif options.format == "ndjson":
        write(term, "".join(json.dumps(clean(d), ensure_ascii=ascii_only) + "\n" for d in documents))
    elif options.format == "yaml":
        write(term, _yaml(clean(payload)))
    elif options.format == "table" and term.is_tty:
        from rich.text import Text

        texts = []
        for item in text_lines:
            line, highlight = (item, "") if isinstance(item, str) else item
            text = Text(terminal_safe(line))
            if term.color and line and not line.startswith((" ", "•")):
                text.stylize("bold")
            start = text.plain.find(terminal_safe(highlight)) if highlight else -1
            if start >= 0:
                text.stylize("reverse" if term.color else "underline", start, start + len(terminal_safe(highlight)))
            texts.append(text)
        _print_rich(term, texts)
    else:
        write(term, "".join(terminal_safe(item if isinstance(item, str) else item[0]) + "\n" for item in text_lines))


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


def _print_rich(term: Terminal, renderables: Sequence[Any]) -> None:
    """Render with Rich into text, then write it like every other format: so an unencodable
    character degrades with a warning, and a closed pipe is handled in one place."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=_width(term),
        force_terminal=term.is_tty,
        no_color=not term.color,
        color_system="standard" if term.color else None,
        highlight=False,
        markup=False,
        emoji=False,
    )
    for renderable in renderables:
        console.print(renderable)
    write(term, buffer.getvalue())


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in text)


def _table_overhead(columns: int) -> int:
    """Characters a SIMPLE_HEAD/ASCII2 table adds beyond its cells: a space each side of every
    cell, a separator between cells and an edge on each side."""
    return 2 * columns + (columns - 1) + 2


def _table(rows: list[Row], fields: Sequence[Field], options: Options, term: Terminal) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    width = _width(term)
    if rows:
        # A column empty in every row says nothing on a screen (plain and JSON keep it).
        fields = [f for f in fields if any(cell_text(r.get(f.name)) for r in rows)]
    cells = [[_capped(cell_text(r.get(f.name), ", ")) for f in fields] for r in rows]
    # Wide enough for the longest word, so cells wrap between words rather than inside them.
    min_widths = [
        max([len(f.name), *(len(word) for row in cells for word in row[i].split())]) for i, f in enumerate(fields)
    ]
    title = Text(terminal_safe(options.title), style="bold" if term.color else "")
    caption = Text(terminal_safe(options.footer), style="dim" if term.color else "")
    # Box-drawing characters only on a terminal; an explicit --format table when piped gets ASCII.
    table_box = box.SIMPLE_HEAD if term.is_tty else box.ASCII2
    if sum(min_widths) + _table_overhead(len(fields)) > width:
        # Too narrow for one row per line without cutting words: one block per row instead.
        blocks: list[Any] = [title]
        for row_cells in cells:
            record = Table(box=table_box, show_header=False, show_edge=False)
            record.add_column(style="bold" if term.color else "", no_wrap=True)
            record.add_column(overflow="fold")
            for f, value in zip(fields, row_cells, strict=True):
                record.add_row(Text(f.name), Text(value or "—", overflow="fold"))
            blocks.append(record)
        _print_rich(term, [*blocks, caption])
        return
    table = Table(
        title=title,
        caption=caption,
        box=table_box,
        show_header=options.header,
        header_style="bold" if term.color else "",
    )
    widths = _fit_widths(
        min_widths,
        [max([len(f.name), *(len(row[i]) for row in cells)]) for i, f in enumerate(fields)],
        width - _table_overhead(len(fields)),
    )
    for i, f in enumerate(fields):
        arabic = any(_is_arabic(row[i]) for row in cells)
        table.add_column(Text(f.name), overflow="fold", justify="right" if arabic else "left", width=widths[i])
    for row_cells in cells:
        table.add_row(*(Text(value or "—", overflow="fold") for value in row_cells))
    _print_rich(term, [table])


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
