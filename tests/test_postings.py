"""Postings: the rows holding each value of a command's filtered fields, as built and as patched."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ct_report import postings

FIELDS = ("regions", "relation")
key = st.fixed_dictionaries(
    {
        "regions": st.lists(st.sampled_from(["crt:europe", "m49:europe", "m49:world", "crt:africa"]), unique=True),
        "relation": st.one_of(st.none(), st.sampled_from(["member", "host", "tension"])),
    }
)
blocks = st.lists(st.lists(key, min_size=1, max_size=4), max_size=8)
"""A command's rows as blocks (each a country-year's rows), in order."""
match = st.dictionaries(
    st.sampled_from(FIELDS),
    st.sets(st.sampled_from(["crt:europe", "m49:world", "crt:asia", "member", "host", "x"]), max_size=3),
    min_size=1,
)


def built(rows: list[dict[str, Any]]) -> list[bytes]:
    builder = postings.Builder(FIELDS)
    for number, row in enumerate(rows):
        builder.note(number, row)
    return builder.lines()


def reader(lines: list[bytes]) -> Any:
    return lambda number: json.loads(lines[number])


@settings(max_examples=300)
@given(rows=st.lists(key, max_size=30), wanted=match)
def test_the_rows_selected_are_those_the_filter_keeps(rows: list[dict[str, Any]], wanted: dict[str, set[str]]) -> None:
    lines = built(rows)
    chosen = postings.select(json.loads(lines[0]), reader(lines), wanted)
    assert chosen == [number for number, row in enumerate(rows) if postings.matching(wanted)(row)]


@settings(max_examples=300)
@given(old=blocks, data=st.data())
def test_patched_postings_are_those_a_rebuild_makes(old: list[list[dict[str, Any]]], data: st.DataObject) -> None:
    """Some blocks replaced by others (fewer, more or other rows), some added, some gone: the
    patched lines, with the old lines they keep filled in, are the lines built afresh."""
    replaced = data.draw(st.sets(st.integers(0, max(len(old) - 1, 0))) if old else st.just(set()))
    new_blocks = {n: data.draw(st.lists(key, max_size=4)) for n in replaced}
    inserted = data.draw(st.lists(st.tuples(st.integers(0, len(old)), st.lists(key, min_size=1, max_size=3))))
    old_lines = built([row for block in old for row in block])

    layout: list[tuple[Any, list[dict[str, Any]]]] = []  # (old block number or None, rows)
    for number, block in enumerate(old):
        layout += [(None, rows) for at, rows in inserted if at == number]
        layout.append((None, new_blocks[number]) if number in replaced else (number, block))
    layout += [(None, rows) for at, rows in inserted if at == len(old)]

    starts = [sum(len(block) for block in old[:number]) for number in range(len(old))]
    added, touched, moves, start = postings.Builder(FIELDS), postings.Builder(FIELDS), [], 0
    for number in replaced:
        for row in old[number]:
            touched.note(0, row)
    for before, rows in layout:
        if before is not None:
            moves.append((starts[before], starts[before] + len(rows), start - starts[before]))
        else:
            for offset, row in enumerate(rows):
                added.note(start + offset, row)
        start += len(rows)

    items = postings.patched(json.loads(old_lines[0]), moves, added.rows, touched.rows, reader(old_lines))
    filled = [item if isinstance(item, bytes) else old_lines[item] for item in items]
    assert filled == built([row for _, rows in layout for row in rows])
