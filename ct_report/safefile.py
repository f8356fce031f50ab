"""Open other people's files without trusting them: the one place that reads a fact-base file,
a source text or the cache, and that replaces a file ctreport writes (a database, a chart).

A path may name a FIFO (opening it waits for a writer, reading it waits for data), a device
(`/dev/zero` never ends) or a file far larger than anything ctreport reads. So a file is opened
non-blocking, its type and size are checked on the open descriptor (not on the path, which can
be swapped in between) before a byte is read, and no more than the limit is ever read.

A file is written beside its destination under a temporary name and renamed into place when
complete, so a full disk, an error or a signal never leaves half a file where the old one was.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import NamedTuple, TypeVar

T = TypeVar("T")

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


class Stopped(Exception):
    """SIGTERM or SIGHUP arrived while a file was being written; its temporary files are gone."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


HEAD = 4096
"""How much of an existing file `check_destination` reads to tell what it holds."""


def check_destination(
    destination: Path, force: bool, holds_expected: Callable[[bytes], bool], expected: str
) -> int | None:
    """The permission bits to give the new file: those of the file it replaces, or None for a
    new file. Refused for what must not be replaced: anything but a regular file (a device,
    FIFO, socket, folder or symbolic link), or, unless `force`, a file whose first bytes are not
    `expected` (say "an SQLite database"); an empty file holds nothing to lose."""
    try:
        status = os.lstat(destination)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise Refused(f"cannot write {destination}: {error.strerror or error}") from None
    if stat.S_ISLNK(status.st_mode):
        raise Refused(f"{destination} is a symbolic link; give the path of the file itself")
    if not stat.S_ISREG(status.st_mode):
        raise Refused(f"{destination} is {kind(status.st_mode)}, not a regular file; give the path of a file")
    if not force and status.st_size > 0:
        try:
            fd, _ = open_regular(destination)
            try:
                head = os.read(fd, HEAD)
            finally:
                os.close(fd)
        except (OSError, Refused) as error:
            reason = error.message if isinstance(error, Refused) else error.strerror or str(error)
            raise Refused(f"cannot check what {destination} holds ({reason}); nothing was replaced") from None
        if not holds_expected(head):
            raise Refused(f"{destination} exists and is not {expected}; give another path, or --force to replace it")
    return stat.S_IMODE(status.st_mode)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise, as Ctrl-C does, so the temporary files are removed on the way
    out; the previous handlers come back afterwards."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signum)

    wanted = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None]
    try:
        previous = {s: signal.signal(s, stop) for s in wanted}
    except ValueError:  # not the main thread: leave signals alone
        previous = {}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def replace_atomically(
    destination: Path,
    mode: int | None,
    write: Callable[[str], T],
    companions: tuple[str, ...] = (),
    failures: tuple[type[BaseException], ...] = (),
) -> T:
    """Call `write` with a temporary path beside `destination`, then rename that file into
    place; return what `write` returned. `mode` is from `check_destination`: a replaced file
    keeps its bits, a new one follows the umask. On any error, and on SIGTERM or SIGHUP
    (Stopped), the temporary file and its `companions` (suffixes: an SQLite journal) are
    removed and nothing at `destination` changes; an OSError, or one of `failures`, becomes
    Refused, in one line."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with _stopped_by_signals():
        import tempfile

        handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=destination.name, suffix=".tmp")
        try:
            # mkstemp makes it 0600.
            os.fchmod(handle, mode if mode is not None else 0o666 & ~_umask())
            os.close(handle)
            result = write(temporary)
            os.replace(temporary, destination)
        except BaseException as error:
            for suffix in ("", *companions):
                Path(temporary + suffix).unlink(missing_ok=True)
            if isinstance(error, (OSError, *failures)):
                # A full disk, a file-size limit, a read-only folder: the environment, said in one line.
                reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
                raise Refused(f"cannot write {destination}: {reason}; nothing was replaced") from None
            raise
    return result
