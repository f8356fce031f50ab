"""Errors the library raises and the exit codes they map to. `cli.py` turns them into one
line (or one line per problem) on stderr; nothing else in the package exits."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from enum import IntEnum, unique
from typing import NamedTuple

from ct_report.safefile import Refused, Stopped
from ct_report.text import printable


@unique
class ExitCode(IntEnum):
    """ctreport's exit codes (`enum` is imported at start-up anyway, by `re`)."""

    OK = 0
    INVALID_DATA = 1
    """The fact base is missing, unreadable or invalid, or an output file cannot be written."""
    USAGE = 2
    """An unknown command, option, or option value (region, country, year, field...)."""
    NO_MATCH = 3
    """Nothing matched and --fail-empty was given."""
    INTERNAL = 70
    """A bug in ctreport: the message asks for a report (--debug shows the traceback)."""
    INTERRUPTED = 130


class Problem(NamedTuple):
    """One thing wrong with the fact base, located for editors and CI annotations."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        # A file name is as untrusted as the text in the file: escaped, it cannot forge a line.
        return f"{printable(self.file)}:{self.line}:{self.column}: {printable(self.message)}"


class CtReportError(Exception):
    exit_code: int = ExitCode.INVALID_DATA
    """An `ExitCode`, or 128 + a signal number for a run a signal ended."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(CtReportError):
    """A value given to the library is not valid. The message speaks of the value ("unknown
    country 'XX'"); `value_of` names what the value was given for ('country', 'region',
    'years'), so that the command line can name its own option."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, value_of: str | None = None) -> None:
        super().__init__(message)
        self.value_of = value_of


class NoMatchError(CtReportError):
    exit_code = ExitCode.NO_MATCH


class FactBaseError(CtReportError):
    """The fact base cannot be used; `problems` lists every reason found."""

    exit_code = ExitCode.INVALID_DATA

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{self.counted(problems)}; fix them, or check with `ctreport validate`")
        self.problems = problems

    @staticmethod
    def counted(problems: list[Problem]) -> str:
        """'3 problems in 2 files'."""
        files = len({p.file for p in problems})
        noun = "problem" if len(problems) == 1 else "problems"
        return f"{len(problems)} {noun} in {'1 file' if files == 1 else f'{files} files'}"


class WriteError(CtReportError):
    """A file cannot be written where it was asked for; nothing there was changed."""


class Terminated(CtReportError):
    """SIGTERM or SIGHUP arrived while writing; the temporary files are gone."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}; nothing was written")
        self.exit_code = 128 + signum


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """safefile's refusals and signals, as the library's errors."""
    try:
        yield
    except Refused as error:
        raise WriteError(error.message) from None
    except Stopped as error:
        raise Terminated(error.signum) from None
