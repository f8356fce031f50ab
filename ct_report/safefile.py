"""Open other people's files without trusting them: the one place that reads a fact-base file,
a source text or the cache.

A path may name a FIFO (opening it waits for a writer, reading it waits for data), a device
(`/dev/zero` never ends) or a file far larger than anything ctreport reads. So a file is opened
non-blocking, its type and size are checked on the open descriptor (not on the path, which can
be swapped in between) before a byte is read, and no more than the limit is ever read.
"""

from __future__ import annotations

import os
import stat
from typing import NamedTuple

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class Refused(Exception):
    """The file is not one ctreport reads; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OverTotal(Refused):
    """Reading the file would take the whole base over its limit."""


class Read(NamedTuple):
    data: bytes
    mtime_ns: int
    """The modification time before reading: a later change moves it, so what was read is
    never recorded as newer than it is."""


def kind(mode: int) -> str:
    """'a FIFO (named pipe)', 'a character device', ... for a file that is not regular."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path: str | os.PathLike[str]) -> tuple[int, os.stat_result]:
    """A descriptor for a regular file and its status; Refused for anything else (the descriptor
    is then closed). OSError when it cannot be opened at all."""
    fd = os.open(path, _FLAGS)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise Refused(f"{kind(status.st_mode)}, not a regular file; ctreport reads only regular files")
    except BaseException:
        os.close(fd)
        raise
    return fd, status


def too_large(size: int, limit: int) -> str:
    return f"file is {size:,} bytes, over the limit of {limit:,}; split it into smaller files"


def read_regular(path: str | os.PathLike[str], limit: int, total_left: int | None = None) -> Read:
    """The bytes of a regular file of at most `limit` bytes. Refused for another type of file
    or a larger one (checked before reading, and again while reading in case it grows);
    OverTotal when it is larger than `total_left`, what a whole base may still read."""
    fd, status = open_regular(path)
    try:
        if status.st_size > limit:
            raise Refused(too_large(status.st_size, limit))
        if total_left is not None and status.st_size > total_left:
            raise OverTotal("over the total")
        chunks = []
        left = (limit if total_left is None else min(limit, total_left)) + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise Refused(too_large(len(data), limit))
        if total_left is not None and len(data) > total_left:
            raise OverTotal("over the total")
        return Read(data, status.st_mtime_ns)
    finally:
        os.close(fd)
