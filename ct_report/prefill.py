"""Helper processes that work on part of a large base's files while this one works on the rest.

Reading a file (parsing its YAML and validating it) depends on that file alone, and the file
store (`cache.FileStore`) keeps what it gave under a key made of its content. On a machine with
more than one core, forked helpers read some of the files and put what each gave in the store;
this process reads the others, waits for the helpers, and then takes their files from the store
as a rebuild does (or, for a streamed build, from what the helpers hand back: see `Records`).
An entry holds exactly what parsing those bytes gives, so the base is the same either way, and
whatever a helper did not finish (it failed, was stopped, could not write) is read here. Only on
Linux, where a fork copies a page of this process only once either side writes to it.

`streamed` forks helpers the same way for the first build's second pass, each making its share
of the files' cache lines; by then this process holds the base's definitions and ids, which the
helpers share with it.

Positions are not dealt out in advance: every process, this one included, claims the next few
from a pipe filled before the fork, so a process slowed by other work (this one reads every
file and takes back what the helpers made) simply claims fewer.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from ct_report.errors import UsageError

MIN_FILES = 100
"""Below this a base reads in well under a second, and a helper is not worth starting."""
DEFAULT_JOBS = 4
"""At most this many processes read a base unless CTREPORT_JOBS says otherwise: each helper
also costs the main process the time to take its files from the store."""
STOP_GRACE = 0.5
"""Seconds a helper is given to finish once interrupted (sealing its pack takes milliseconds)."""
MAX_CLAIMS = 4096
"""How many claims the pipe holds at most (4 bytes each, well inside the smallest pipe Linux
gives); on a larger base each claim is of several positions."""


def jobs() -> int:
    """How many processes read a large base: CTREPORT_JOBS, else one per core up to DEFAULT_JOBS."""
    spelled = os.environ.get("CTREPORT_JOBS", "").strip()
    if not spelled:
        return min(_cores(), DEFAULT_JOBS)
    # The length first: int() refuses a number of thousands of digits with an error of its own.
    if len(spelled) > 2 or not spelled.isascii() or not spelled.isdigit() or not 1 <= int(spelled) <= 64:
        from ct_report.text import printable

        raise UsageError(
            f"CTREPORT_JOBS is '{printable(spelled)}'; set it to how many processes may read a large base "
            "(1 to 64; 1 reads in this process alone), or unset it"
        )
    return int(spelled)


class _Claims:
    """The positions not yet claimed, in order, as the starts of runs of `each` positions in a
    pipe. Any process reads the next start: a read of 4 bytes from a pipe is never split."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.each = -(-size // MAX_CLAIMS)
        self.read_end, write_end = os.pipe()
        try:
            starts = b"".join(start.to_bytes(4, "little") for start in range(0, size, self.each))
            os.set_blocking(write_end, False)  # a pipe smaller than asked for refuses, never blocks
            if os.write(write_end, starts) != len(starts):
                raise BlockingIOError
        except BaseException:
            os.close(self.read_end)
            raise
        finally:
            os.close(write_end)  # once the starts are read, a read finds the end

    def next(self) -> range:
        """The next positions, or none: all are claimed."""
        try:
            start = os.read(self.read_end, 4)
        except OSError:
            return range(0)
        if len(start) != 4:
            return range(0)
        first = int.from_bytes(start, "little")
        return range(first, min(first + self.each, self.size))

    def close(self) -> None:
        if self.read_end >= 0:
            with contextlib.suppress(OSError):
                os.close(self.read_end)
            self.read_end = -1


class Helpers:
    """Forked processes working on the positions they claim. This process claims its own as it
    asks about them, in order (`takes`), and works on those; the others are the helpers'."""

    def __init__(self, count: int, claims: _Claims, records: Records | None) -> None:
        self.count = count
        self.claims = claims
        self.records = records
        """What each process made of its positions, when `start` was given a folder for them."""
        self.own = range(0)
        self.pids: list[int] = []
        self.started = time.monotonic()

    def takes(self, position: int) -> bool:
        """Whether a helper works on `position`; asked of every position, in increasing order.
        Claims are made in order, so a position before this process's next claim is a
        helper's."""
        while position >= self.own.stop:
            claimed = self.claims.next()
            if not claimed:
                return True  # claimed by helpers, to the end
            self.own = claimed
        return position < self.own.start

    def wait(self) -> None:
        """Wait for the helpers to end, whether or not they finished: what they left undone is
        made here. Once the positions are all claimed, each helper is left with a few, so they
        are given as long again as they have run, and a second more, before they are stopped
        (they would only be stuck)."""
        self._reap_until(time.monotonic() + 2 * (time.monotonic() - self.started) + 1)
        self.stop()

    def stop(self) -> None:
        """End the helpers not yet reaped (this process is failing, interrupted or done waiting),
        and reap them. Each is first interrupted, as Ctrl-C would, so that it finishes what it
        wrote (see `_help`), and given STOP_GRACE seconds; then it is killed."""
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)
        self._reap_until(time.monotonic() + STOP_GRACE)
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.pids = []

    def _reap_until(self, deadline: float) -> None:
        """Reap the helpers that end before `deadline`, looking ever less often (every 20 ms at
        most)."""
        pause = 0.001
        while self.pids and time.monotonic() < deadline:
            # A helper reaped is forgotten at once: its process id may soon be another's.
            self.pids = [pid for pid in self.pids if not _ended(pid)]
            if self.pids:
                time.sleep(pause)
                pause = min(pause * 2, 0.02)

    def close(self) -> None:
        """Stop the helpers, and let go of the claims and the records."""
        self.stop()
        self.claims.close()
        if self.records is not None:
            self.records.close()


def _ended(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG) != (0, 0)
    except ChildProcessError:
        return True


def start(
    size: int,
    work: Callable[[int, int], object],
    folder: Path | None = None,
    finish: Callable[[], object] | None = None,
) -> Helpers | None:
    """Fork helpers that each call `work(position, number)` for the positions (of `size`) they
    claim, `number` being their own (1 and up), then `finish()`; or None when they would not
    help (fewer than MIN_FILES positions, one process asked for, no fork). With a `folder`,
    what `work` returns (unless None) is recorded there (`Helpers.records`)."""
    count = jobs()
    if size < MIN_FILES or not sys.platform.startswith("linux") or count < 2:
        return None
    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    try:
        claims = _Claims(size)
    except OSError:
        return None
    records = None
    if folder is not None:
        with contextlib.suppress(OSError):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            records = Records(folder, count)
    helpers = Helpers(count, claims, records)
    parent = os.getpid()  # read before forking: the parent may be gone by the time a helper asks
    # What exists now is left out of the helpers' cycle collections: a collection touches every
    # object it walks, and each page so touched is copied into the helper.
    gc.freeze()
    try:
        for number in range(1, count):
            try:
                pid = os.fork()
            except OSError:
                break  # fewer helpers: the others claim more
            if pid == 0:
                _help(helpers, number, work, finish, parent)
            helpers.pids.append(pid)
    finally:
        gc.unfreeze()
    if not helpers.pids:
        helpers.close()
        return None
    return helpers


def _help(
    helpers: Helpers,
    number: int,
    work: Callable[[int, int], object],
    finish: Callable[[], object] | None,
    parent: int,
) -> None:
    """A helper's life: never returns, never prints, never runs this process's exit hooks. Ctrl-C
    (or the main process stopping it: see `Helpers.stop`) ends it once the file in hand is done,
    and so does the main process (`parent`) being gone. However it stops, `finish` runs last,
    with the signals that end a run held off: an interrupt raised as an exception could land
    in `finish` itself, and leave what it was writing unfinished."""
    stopping: list[int] = []
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, lambda signum, _: stopping.append(signum))
    try:
        while not stopping and (positions := helpers.claims.next()):
            for position in positions:
                if stopping or os.getppid() != parent:
                    return
                with contextlib.suppress(Exception):
                    made = work(position, number)
                    if made is not None and helpers.records is not None:
                        helpers.records.put(number, position, made)
    finally:
        try:
            with contextlib.suppress(Exception):
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
            if finish is not None:
                with contextlib.suppress(Exception):
                    finish()
        finally:
            os._exit(0)


class Records:
    """What each process makes of its positions, as pickled (position, value) records in a
    nameless file of its own, read back here in order. The files are opened before the helpers
    are forked: only this process and its helpers ever hold them, so what is read back is
    unpickled as it was pickled. A record cut short (a helper stopped while writing) ends what
    is taken from its file."""

    def __init__(self, folder: Path, count: int) -> None:
        import tempfile

        self.files: list[BinaryIO] = []
        try:
            for _ in range(count):
                self.files.append(tempfile.TemporaryFile(dir=folder))
        except BaseException:
            self.close()
            raise
        self.next: list[tuple[int, Any] | None] | None = None

    def put(self, number: int, position: int, value: object) -> None:
        """Record what process `number` (this one is 0) made of `position`."""
        import pickle  # here, not at the top: a warm query never starts helpers

        data = memoryview(pickle.dumps((position, value), protocol=pickle.HIGHEST_PROTOCOL))
        fd = self.files[number].fileno()
        while data:
            data = data[os.write(fd, data) :]

    def take(self, position: int) -> Any:
        """What some process recorded of `position`, or None; asked in increasing order, once
        every process has stopped writing."""
        if self.next is None:
            for file in self.files:
                file.seek(0)
            self.next = [self._read(number) for number in range(len(self.files))]
        for number, record in enumerate(self.next):
            while record is not None and record[0] < position:
                record = self.next[number] = self._read(number)
            if record is not None and record[0] == position:
                self.next[number] = self._read(number)
                return record[1]
        return None

    def _read(self, number: int) -> tuple[int, Any] | None:
        import pickle

        try:
            record: tuple[int, Any] = pickle.load(self.files[number])
        except Exception:  # noqa: BLE001 - anything but a whole record ends the file
            return None
        return record

    def close(self) -> None:
        for file in self.files:
            file.close()


def _cores() -> int:
    with contextlib.suppress(AttributeError, OSError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
