"""A second process that parses part of a large base into the file store while this one reads
the rest.

Reading a file (parsing its YAML and validating it) depends on that file alone, and the file
store (`cache.FileStore`) keeps what it gave under a key made of its content. On a machine with
a second core, a forked helper reads every other file and puts what each gave in the store; this
process reads the others, waits for the helper, and then takes the helper's files from the store
as a rebuild does. An entry holds exactly what parsing those bytes gives, so the base is the same
either way, and whatever the helper did not finish (it failed, was killed, could not write) is
read here. Only on Linux: a fork there copies nothing but this process, which at that point
holds little more than the list of files.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

MIN_FILES = 100
"""Below this a base reads in well under a second, and a second process is not worth starting."""


class Helper:
    """A forked process reading the files at odd positions of the list into the store."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.started = time.monotonic()

    @staticmethod
    def takes(position: int) -> bool:
        return position % 2 == 1

    def wait(self) -> None:
        """Wait for the helper to end, whether or not it finished: what it left undone is read
        here. Its share is about as much work as this process's, so it is given as long again,
        and a second more, before it is stopped (it would only be stuck)."""
        deadline = time.monotonic() + 2 * (time.monotonic() - self.started) + 1
        pause = 0.001
        while time.monotonic() < deadline:
            try:
                if os.waitpid(self.pid, os.WNOHANG) != (0, 0):
                    return
            except ChildProcessError:
                return
            time.sleep(pause)
            pause = min(pause * 2, 0.02)
        self.stop()

    def stop(self) -> None:
        """End the helper at once (this process is failing, interrupted or done waiting)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def start(files: list[tuple[Path, Path]], fill: Callable[[Path, Path], object]) -> Helper | None:
    """Fork a helper that calls `fill` on each file it takes, or None when one would not help
    (few files, one core, no fork)."""
    if len(files) < MIN_FILES or not sys.platform.startswith("linux") or _cores() < 2:
        return None
    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid:
        return Helper(pid)
    try:  # the helper: never returns, never prints, never runs this process's exit hooks
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        for position, (path, root) in enumerate(files):
            if Helper.takes(position):
                with contextlib.suppress(Exception):
                    fill(path, root)
    finally:
        os._exit(0)


def _cores() -> int:
    with contextlib.suppress(AttributeError, OSError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
