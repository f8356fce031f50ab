"""Helper processes that read part of a large base's files into the file store while this one
reads the rest.

Reading a file (parsing its YAML and validating it) depends on that file alone, and the file
store (`cache.FileStore`) keeps what it gave under a key made of its content. On a machine with
more than one core, forked helpers read some of the files and put what each gave in the store;
this process reads the others, waits for the helpers, and then takes their files from the store
as a rebuild does. An entry holds exactly what parsing those bytes gives, so the base is the
same either way, and whatever a helper did not finish (it failed, was stopped, could not write)
is read here. Only on Linux, where a fork copies a page of this process only once either side
writes to it.

`streamed` forks helpers the same way for the first build's second pass, each making its share
of the files' cache lines; by then this process holds the base's definitions and ids, which the
helpers share with it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import time
from collections.abc import Callable

from ct_report.errors import UsageError

MIN_FILES = 100
"""Below this a base reads in well under a second, and a helper is not worth starting."""
DEFAULT_JOBS = 4
"""At most this many processes read a base unless CTREPORT_JOBS says otherwise: each helper
also costs the main process the time to take its files from the store."""


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


class Helpers:
    """Forked processes reading into the store the files whose position, divided by how many
    processes read, leaves their own number (this process keeps the files that leave 0, and
    those of a helper that could not be started)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.pids: list[int] = []
        self.numbers: set[int] = set()
        self.started = time.monotonic()

    def takes(self, position: int) -> bool:
        return position % self.count in self.numbers

    def wait(self) -> None:
        """Wait for the helpers to end, whether or not they finished: what they left undone is
        read here. A helper's share is about as much work as this process's, so they are given
        as long again, and a second more, before they are stopped (they would only be stuck)."""
        deadline = time.monotonic() + 2 * (time.monotonic() - self.started) + 1
        pause = 0.001
        while self.pids and time.monotonic() < deadline:
            # A helper reaped is forgotten at once: its process id may soon be another's.
            self.pids = [pid for pid in self.pids if not _ended(pid)]
            if self.pids:
                time.sleep(pause)
                pause = min(pause * 2, 0.02)
        self.stop()

    def stop(self) -> None:
        """End the helpers not yet reaped at once (this process is failing, interrupted or done
        waiting), and reap them."""
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.pids = []


def _ended(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG) != (0, 0)
    except ChildProcessError:
        return True


def start(size: int, work: Callable[[int, int], object]) -> Helpers | None:
    """Fork helpers that each call `work(position, number)` for the positions (of `size`) they
    take, `number` being their own; or None when they would not help (fewer than MIN_FILES
    positions, one process asked for, no fork)."""
    count = jobs()
    if size < MIN_FILES or not sys.platform.startswith("linux") or count < 2:
        return None
    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    helpers = Helpers(count)
    parent = os.getpid()  # read before forking: the parent may be gone by the time a helper asks
    # What exists now is left out of the helpers' cycle collections: a collection touches every
    # object it walks, and each page so touched is copied into the helper.
    gc.freeze()
    try:
        for number in range(1, count):
            try:
                pid = os.fork()
            except OSError:
                break  # fewer helpers: the positions of the others are worked on here
            if pid == 0:
                _help(size, number, count, work, parent)
            helpers.pids.append(pid)
            helpers.numbers.add(number)
    finally:
        gc.unfreeze()
    return helpers if helpers.pids else None


def _help(size: int, number: int, count: int, work: Callable[[int, int], object], parent: int) -> None:
    """A helper's life: never returns, never prints, never runs this process's exit hooks. It
    keeps the signal handling it was forked with (Ctrl-C ends it as it ends the main process,
    quietly), and stops once the main process (`parent`) is gone."""
    try:
        for position in range(number, size, count):
            if os.getppid() != parent:
                break
            with contextlib.suppress(Exception):
                work(position, number)
    finally:
        os._exit(0)


def _cores() -> int:
    with contextlib.suppress(AttributeError, OSError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
