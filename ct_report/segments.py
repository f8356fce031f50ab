"""Where the compiled cache keeps its bytes: named sections of lines, cut into segments of
about SEGMENT_BYTES, which live in data files that are never changed once written.

The cache file itself is a small index saying which segments, in which data files, make each
section, with each segment's CRC-32. A full build writes one data file. A patch writes a new
data file holding only the segments it changes, and an index that refers to the others where
they already are: the cost of an edit follows what changed, not the size of the base. Once a
cache's sections are spread over MAX_DATA_FILES data files, the next patch writes them all
into one again. Data files no index refers to any more are removed by the run that replaced
that index.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from ct_report.safefile import Refused, open_regular

SEGMENT_BYTES = 256 * 1024
"""A segment is cut once it holds this many bytes: small enough that rewriting the few a patch
touches costs little, large enough that a section of hundreds of megabytes has a short index."""
MAX_DATA_FILES = 8

Segment = list[int]
"""[data file number, start, end, CRC-32, number of lines]: bytes [start, end) of that data file,
lines separated by newlines (JSON text never holds a raw one)."""

Item = bytes | int
"""A line of a section being written: its bytes, or (for a patch) its number in the section it
replaces, whose segments can then be reused."""


def data_name(stem: str) -> str:
    return f"{stem}.{os.urandom(8).hex()}.data"  # as secrets.token_hex, without its import


def is_data_name(stem: str, name: str) -> bool:
    return re.fullmatch(rf"{re.escape(stem)}\.[0-9a-f]{{16}}\.data", name) is not None


class Writer:
    """A new data file, written segment by segment (and readable through `reader_fd` once
    flushed)."""

    def __init__(self, folder: Path, stem: str, number: int) -> None:
        self.name = data_name(stem)
        self.path = folder / self.name
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
        self.fd = os.open(self.path, flags, 0o600)
        self.number = number
        self.position = 0
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    def segment(self, lines: Sequence[bytes]) -> Segment:
        data = b"\n".join(lines)
        start = self.position
        self._pending.append(data + b"\n")
        self._pending_bytes += len(data) + 1
        self.position += len(data) + 1
        if self._pending_bytes >= 1 << 20:
            self.flush()
        return [self.number, start, start + len(data), zlib.crc32(data), len(lines)]

    def section(self, lines: Iterable[bytes]) -> list[Segment]:
        """A whole section of new lines, cut into segments."""
        return [self.segment(group) for group in _cut(lines)]

    def flush(self) -> None:
        data = b"".join(self._pending)
        self._pending, self._pending_bytes = [], 0
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def close(self) -> None:
        os.close(self.fd)

    def discard(self, closed: bool = False) -> None:
        """Remove the file (closing it first unless `closed`: its descriptor was handed on)."""
        if not closed:
            with contextlib.suppress(OSError):
                self.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)


class SideBySide:
    """Sections written at once, a line at a time in any order: each section's lines gather
    until they make a segment, which is then written. The segments of different sections
    alternate in the data file, and no section is ever held whole."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self.written: dict[str, list[Segment]] = {}
        self._groups: dict[str, tuple[list[bytes], list[int]]] = {}

    def add(self, name: str, line: bytes) -> None:
        if name not in self._groups:
            self._groups[name] = ([], [0])
            self.written[name] = []
        group, size = self._groups[name]
        group.append(line)
        size[0] += len(line) + 1
        if size[0] >= SEGMENT_BYTES:
            self.written[name].append(self.writer.segment(group))
            group.clear()
            size[0] = 0

    def finish(self) -> dict[str, list[Segment]]:
        """Every section's segments, once the lines each still gathers are written."""
        for name, (group, _) in self._groups.items():
            if group:
                self.written[name].append(self.writer.segment(group))
        self._groups = {}
        return self.written


def _cut(lines: Iterable[bytes]) -> Iterator[list[bytes]]:
    group: list[bytes] = []
    size = 0
    for line in lines:
        group.append(line)
        size += len(line) + 1
        if size >= SEGMENT_BYTES:
            yield group
            group, size = [], 0
    if group:
        yield group


class Reader:
    """The sections of an index over its open data files; each section is read and checked
    when first asked for. ValueError for a segment that fails its checksum or lies outside its
    file."""

    def __init__(self, fds: list[int], sections: dict[str, list[Segment]]) -> None:
        self.fds = fds
        self.sections = sections
        self._segment_lines: dict[tuple[str, int], list[bytes]] = {}
        self._starts: dict[str, list[int]] = {}

    def part(self, name: str) -> bytes:
        """A section's lines, joined by newlines."""
        pieces = self.pieces(name)
        return pieces[0] if len(pieces) == 1 else b"\n".join(pieces)

    def lines(self, name: str) -> list[bytes]:
        """A section's lines (none for an empty section), without joining its pieces first.
        ValueError when they are not as many as its segments say (a line holding a raw line
        break, which only a cache changed by hand can hold)."""
        lines: list[bytes] = []
        for piece in self.pieces(name):
            lines += piece.split(b"\n")
        expected = sum(segment[4] for segment in self.sections[name])
        if len(lines) != expected:
            raise ValueError(f"section {name} holds {len(lines)} lines, not {expected}")
        return [] if lines == [b""] else lines

    def pieces(self, name: str) -> list[bytes]:
        """A section's runs of lines as read, each checked: segments that follow each other in
        one data file (all of them, after a full build) are read at once."""
        return list(self.runs(name))

    def runs(self, name: str, most: int | None = None) -> Iterator[bytes]:
        """The pieces of `pieces` one at a time, each of at most `most` bytes (or one segment),
        so that a scan of a large section holds one piece at a time."""
        segments = self.sections[name]
        first = 0
        while first < len(segments):
            last = first
            while (
                last + 1 < len(segments)
                and segments[last + 1][0] == segments[first][0]
                and segments[last + 1][1] == segments[last][2] + 1
                and (most is None or segments[last + 1][2] - segments[first][1] <= most)
            ):
                last += 1
            offset = segments[first][1]
            data = read_at(self.fds[segments[first][0]], offset, segments[last][2] - offset)
            view = memoryview(data)
            for _, start, end, crc, _ in segments[first : last + 1]:
                if zlib.crc32(view[start - offset : end - offset]) != crc:
                    raise ValueError(f"section {name}: checksum mismatch")
            yield data
            first = last + 1

    def forget(self, name: str) -> None:
        """Let go of the lines kept of a section's segments."""
        for key in [key for key in self._segment_lines if key[0] == name]:
            del self._segment_lines[key]

    def line(self, name: str, number: int) -> bytes:
        """One line of a section, reading only the segment that holds it."""
        starts = self._line_starts(name)
        index = bisect.bisect_right(starts, number) - 1
        if index < 0 or number >= starts[-1]:
            raise ValueError(f"section {name} has no line {number + 1}")
        return self._lines_of(name, index)[number - starts[index]]

    def _line_starts(self, name: str) -> list[int]:
        """The number of each segment's first line, then the number of lines."""
        if name not in self._starts:
            starts = [0]
            for segment in self.sections[name]:
                starts.append(starts[-1] + segment[4])
            self._starts[name] = starts
        return self._starts[name]

    def lines_at(self, name: str, numbers: Iterable[int]) -> list[bytes]:
        """The lines of a section with these numbers, in ascending order, reading only the
        segments that hold them (and each of those once)."""
        starts = self._line_starts(name)
        found: list[bytes] = []
        index, first, end = -1, 0, 0
        lines: list[bytes] = []
        for number in numbers:
            if not first <= number < end:
                index = bisect.bisect_right(starts, number) - 1
                if index < 0 or number >= starts[-1]:
                    raise ValueError(f"section {name} has no line {number + 1}")
                first, end = starts[index], starts[index + 1]
                lines = self._lines_of(name, index, keep=False)
            found.append(lines[number - first])
        return found

    def _lines_of(self, name: str, index: int, keep: bool = True) -> list[bytes]:
        """The lines of one segment, checked; kept for the next call unless not `keep`."""
        key = (name, index)
        if key in self._segment_lines:
            return self._segment_lines[key]
        number, start, end, crc, count = self.sections[name][index]
        data = read_at(self.fds[number], start, end - start)
        if zlib.crc32(data) != crc:
            raise ValueError(f"section {name}: checksum mismatch")
        lines = data.split(b"\n")
        if len(lines) != count:
            raise ValueError(f"section {name}: a segment holds {len(lines)} lines, not {count}")
        if keep:
            self._segment_lines[key] = lines
        return lines

    def planned(self, name: str, items: Sequence[Item], writer: Writer, reuse: bool = True) -> list[Segment]:
        """The segments of a section made of `items` (see Item): every segment of this
        section whose lines come over unchanged and in order is reused as it is (unless not
        `reuse`); the other lines, new or copied, go into new segments of `writer`."""
        starts = self._line_starts(name) if name in self.sections else [0]
        first_of = {line: index for index, line in enumerate(starts[:-1])} if reuse else {}
        out: list[Segment] = []
        fresh: list[bytes] = []
        position = 0
        while position < len(items):
            item = items[position]
            if isinstance(item, int):
                index = first_of.get(item)
                if index is not None:
                    count = self.sections[name][index][4]
                    if _runs(items, position, item, count):
                        out += writer.section(fresh)
                        fresh = []
                        out.append(list(self.sections[name][index]))
                        position += count
                        continue
                fresh.append(self.line(name, item))
            else:
                fresh.append(item)
            position += 1
        return out + writer.section(fresh)


def _runs(items: Sequence[Item], position: int, first: int, count: int) -> bool:
    """Whether items[position:position + count] are the line numbers first, first + 1, ..."""
    if position + count > len(items):
        return False
    last = items[position + count - 1]
    return (
        type(last) is int
        and last == first + count - 1
        and list(items[position : position + count]) == list(range(first, first + count))
    )


def open_data(
    folder: Path, stem: str, files: list[list[object]], distrust: Callable[[os.stat_result], str]
) -> list[int]:
    """Descriptors of an index's data files ([name, size] each), each checked as the index is
    (`distrust` says why a file's status is not trusted). FileNotFoundError when one is gone
    (another run replaced the index and removed it); ValueError when one is not what the index
    says."""
    fds: list[int] = []
    try:
        for name, size in files:
            if not isinstance(name, str) or not is_data_name(stem, name) or type(size) is not int:
                raise ValueError("a data file of another name or size")
            try:
                fd, status = open_regular(folder / name)
            except Refused as refused:
                raise ValueError(f"data file {name}: {refused.message}") from None
            fds.append(fd)
            reason = distrust(status)
            if reason:
                raise ValueError(f"data file {name} is {reason}")
            if status.st_size != size:
                raise ValueError(f"data file {name} is {status.st_size} bytes, not {size}")
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return fds


ABANDONED_AFTER = 600
"""Seconds since an unused data file was last written after which no run can still be writing
it (a writer adds to its file at least every megabyte, and writes its index right after)."""


def remove_unused(folder: Path, stem: str, used: Iterable[str], replaced: Iterable[str] = ()) -> None:
    """Remove the data files `replaced` (those of the index just replaced) that the index in
    place does not use, and any other unused one not written for ABANDONED_AFTER seconds: left
    by a run that was killed, or by one whose index another run replaced (concurrent runs). A
    younger one may belong to a run writing its index now."""
    import time

    keep = set(used)
    gone = set(replaced) - keep
    abandoned = time.time() - ABANDONED_AFTER
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if is_data_name(stem, entry.name) and entry.name not in keep:
                with contextlib.suppress(OSError):
                    if entry.name in gone or entry.stat(follow_symlinks=False).st_mtime < abandoned:
                        os.unlink(entry.path)


def read_at(fd: int, offset: int, size: int) -> bytes:
    """`size` bytes of a file from `offset`; ValueError if it ends first."""
    os.lseek(fd, offset, os.SEEK_SET)
    chunks = []
    while size > 0:
        chunk = os.read(fd, size)
        if not chunk:
            raise ValueError("the file ends early")
        chunks.append(chunk)
        size -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
