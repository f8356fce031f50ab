"""Which rows of a list command hold each value of the fields its filters read, so that a
filter reads the numbers of the rows it keeps instead of every row's fields.

A command's postings are a section of JSON lines: the first lists the (field, value) pairs,
in order; the line after it, for each pair in turn, the ascending numbers of the rows whose
field holds that value (for a list field, as one of its items). At 300,000 facts,
`partners --region europe` decoded 16 MB of row fields to find its rows; it now decodes the
two lines of its regions.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from ct_report.text import compact_json

Match = Mapping[str, Collection[str]]
"""What a filter keeps: per field, the values it accepts (a row must pass every field)."""

Pair = tuple[str, str]
Move = tuple[int, int, int]
"""Rows [start, end) of an old layout that come over to a new one, each `delta` further on."""


def _line(value: Any) -> bytes:
    return compact_json(value)


class Builder:
    """Postings noted row by row, as the rows are made."""

    def __init__(self, fields: Sequence[str]) -> None:
        self.fields = fields
        self.rows: dict[Pair, array[int]] = {}

    def note(self, number: int, key: Mapping[str, Any]) -> None:
        """Row `number`, whose filtered fields are `key`."""
        for field in self.fields:
            value = key.get(field)
            for item in value if isinstance(value, list) else (value,):
                if isinstance(item, str):
                    found = self.rows.get((field, item))
                    if found is None:
                        found = self.rows[(field, item)] = array("I")
                    found.append(number)

    def lines(self) -> list[bytes]:
        pairs = sorted(self.rows)
        return [_line([list(pair) for pair in pairs]), *(_line(self.rows[pair].tolist()) for pair in pairs)]


def matching(match: Match) -> Callable[[Mapping[str, Any]], bool]:
    """The filter as a test of one row's fields, for rows read without postings."""

    def keep(row: Mapping[str, Any]) -> bool:
        for field, accepted in match.items():
            value = row.get(field)
            if isinstance(value, list):
                if not any(item in accepted for item in value):
                    return False
            elif value not in accepted:
                return False
        return True

    return keep


def select(directory: list[list[str]], line: Callable[[int], list[int]], match: Match) -> list[int]:
    """The ascending numbers of the rows that `match` keeps; `line(n)` is line `n` of the
    section, whose first line is `directory`. A field must be among those the section indexes."""
    where = {(field, value): number + 1 for number, (field, value) in enumerate(directory)}
    chosen: set[int] | None = None
    for field, accepted in match.items():
        rows: set[int] = set()
        for value in accepted:
            number = where.get((field, value))
            if number is not None:
                rows.update(line(number))
        chosen = rows if chosen is None else chosen & rows
        if not chosen:
            return []
    return sorted(chosen or ())


def patched(
    directory: list[list[str]],
    moves: list[Move],
    added: Mapping[Pair, array[int]],
    touched: Iterable[Pair],
    line: Callable[[int], list[int]],
) -> list[bytes | int]:
    """The postings of a patched command, as new lines or the numbers of old lines that come
    over unchanged. `directory` is the old first line, `line(n)` an old line decoded; `moves`
    are the old rows that stay (ascending, the rest are gone); `added` the new rows' postings;
    `touched` the pairs the gone rows held. When no row moves, a pair neither touched nor
    added keeps its old line without being decoded: an edit that keeps its rows' number
    rewrites only the lines of the values its rows held and hold."""
    moves = _joined(moves)
    shifted = any(delta for _, _, delta in moves)
    rewritten = set(touched) | set(added)
    old = {(field, value): number + 1 for number, (field, value) in enumerate(directory)}
    items: dict[Pair, bytes | int] = {}
    for pair in sorted(old.keys() | added.keys()):
        if pair in old and not shifted and pair not in rewritten:
            items[pair] = old[pair]
            continue
        rows = _moved(line(old[pair]), moves) if pair in old else []
        if pair in added:
            rows = sorted(rows + added[pair].tolist())
        if rows:
            items[pair] = _line(rows)
    return [_line([list(pair) for pair in items]), *items.values()]


def _moved(rows: list[int], moves: list[Move]) -> list[int]:
    """The rows that stay, renumbered, in order."""
    kept: list[int] = []
    for start, end, delta in moves:
        first, last = bisect_left(rows, start), bisect_left(rows, end)
        kept += rows[first:last] if not delta else [row + delta for row in rows[first:last]]
    return kept


def _joined(moves: list[Move]) -> list[Move]:
    """Moves that follow each other with the same delta as one: a patch keeps most blocks,
    each a move of its own, and only the blocks it replaces break the runs."""
    joined: list[Move] = []
    for start, end, delta in moves:
        if joined and joined[-1][1] == start and joined[-1][2] == delta:
            joined[-1] = (joined[-1][0], end, delta)
        else:
            joined.append((start, end, delta))
    return joined
