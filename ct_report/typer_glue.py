"""Where ctreport leans on Typer's and Click's internals, in one place, each use explained and
tested (tests/test_typer_glue.py fails if Typer changes under it):

- commands declare shared options once: `command_registrar` gives each command a signature
  made of its own parameters and the option groups it takes, which Typer reads;
- only the command being run is built (`only_invoked_command`), which halves start-up;
- Click's exceptions, vendored by Typer as `typer._click`, become one line and an exit code
  (`invoke`), and the process ends without the interpreter's slow teardown (`exit_process`).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import typer
from typer.models import ParameterInfo

from ct_report.errors import ExitCode
from ct_report.options import Common, panel_rank
from ct_report.text import printable

Decorator = Callable[[Callable[..., None]], Callable[..., None]]
Runner = Callable[[Common, Callable[[], None]], None]


def command_registrar(app: typer.Typer, run: Runner) -> Callable[[str, list[inspect.Parameter]], Decorator]:
    """`@command(name, options)` for `app`: registers a command taking `common: Common` plus its
    own parameters and the given shared options, parsed into `Common`; `run` calls it."""

    def command(name: str, options: list[inspect.Parameter]) -> Decorator:
        def decorate(func: Callable[..., None]) -> Callable[..., None]:
            own = [
                p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
                for p in inspect.signature(func).parameters.values()
                if p.name != "common"
            ]

            @functools.wraps(func)
            def wrapper(**kwargs: Any) -> None:
                with contextlib.ExitStack() as resources:
                    common = Common(**{p.name: kwargs.pop(p.name) for p in options}, resources=resources)
                    run(common, lambda: func(common=common, **kwargs))

            # Help lists options in declaration order: filters, then output, then the fact base.
            ordered = sorted(options + own, key=panel_rank)
            wrapper.__signature__ = inspect.Signature(ordered)  # type: ignore[attr-defined]
            del wrapper.__wrapped__  # Typer must read the new signature, not the original's
            return app.command(name, short_help=first_sentence(func.__doc__ or ""))(wrapper)

        return decorate

    return command


def first_sentence(doc: str) -> str:
    """The command list shows each command's first sentence whole (Click would cut it at 45
    characters with '...')."""
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    end = paragraph.find(". ")
    return paragraph if end < 0 else paragraph[: end + 1]


def silence_stdout() -> None:
    # The reader went away (`| head -1`); point stdout at /dev/null so the interpreter's
    # final flush does not print a second BrokenPipeError.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def only_invoked_command(app: typer.Typer, argv: list[str]) -> None:
    """Register only the command being run. Typer turns every command's parameters into Click
    objects before dispatching; with ~25 shared options on each of 16 commands that was most of
    ctreport's start-up. Help, completion and unknown commands still see every command."""
    names = {info.name for info in app.registered_commands}
    completing = any(key.startswith("_CTREPORT_COMPLETE") or key == "_TYPER_COMPLETE_ARGS" for key in os.environ)
    if len(argv) > 1 and argv[1] in names and not completing:
        app.registered_commands = [info for info in app.registered_commands if info.name == argv[1]]
        # Completion callbacks serve only the shell's completion requests, and Typer inspects
        # each one's signature while building the command: drop them from a command being run.
        for info in app.registered_commands:
            assert info.callback is not None
            for parameter in inspect.signature(info.callback).parameters.values():
                for meta in getattr(parameter.annotation, "__metadata__", ()):
                    if isinstance(meta, ParameterInfo):
                        meta.autocompletion = None


def invoke(app: typer.Typer, argv: list[str]) -> int:
    """Run the app; Click's usage errors become one line on stderr. The exit code."""
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as error:
        # `ctreport` alone: the overview on stdout, where `| less` finds it.
        print(error.ctx.get_help() if error.ctx is not None else "see ctreport --help")
        return ExitCode.OK
    except ClickException as error:
        names = {info.name for info in app.registered_commands}
        where = f" {argv[1]}" if len(argv) > 1 and argv[1] in names else ""
        hint = flags_for_arguments(app, error.format_message(), where.strip())
        print(
            f"ctreport: {printable(error.format_message().rstrip('.'))}; {hint or f'see ctreport{where} --help'}",
            file=sys.stderr,
        )
        return error.exit_code
    except typer.Abort:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        silence_stdout()
        return ExitCode.OK
    except OSError as error:  # help written to a full disk (`--help > /dev/full`)
        print(f"ctreport: cannot write the output: {error.strerror or error}", file=sys.stderr)
        silence_stdout()  # what is left in the buffer would fail again at exit
        return ExitCode.INVALID_DATA
    except SystemExit as exit:
        # Click ends help or --version output into a closed pipe with exit 1, after swapping
        # stdout for its PacifyFlushWrapper; that is a reader going away, not an error.
        from typer._click.utils import PacifyFlushWrapper

        return ExitCode.OK if isinstance(sys.stdout, PacifyFlushWrapper) else _code(exit.code)
    return _code(code)


def _code(code: object) -> int:
    return code if isinstance(code, int) else ExitCode.OK


def flags_for_arguments(app: typer.Typer, message: str, command_name: str) -> str:
    """For `ctreport summary MA 2021`: 'did you mean ctreport summary --country MA --year 2021?'."""
    found = re.search(r"unexpected extra argument(?:s|\(s\))? \((.*)\)", message)
    info = next((i for i in app.registered_commands if i.name == command_name), None)
    if found is None or info is None or info.callback is None:
        return ""
    takes = set(inspect.signature(info.callback).parameters)
    flags = []
    for word in found.group(1).split():
        if word.isdigit() and len(word) == 4 and "year" in takes:
            flags.append(f"--year {word}")
        elif "country" in takes and not word.isdigit():
            flags.append(f"--country {word}")
        else:
            return ""
    return f"did you mean ctreport {command_name} {' '.join(flags)}?"


def exit_process(code: int) -> NoReturn:
    """End the process without the interpreter's teardown, which frees every object of Typer,
    Click and the fact base one by one and took longer than answering a query (~15 ms, see
    benchmarks/). What a normal exit still does is done here: exit hooks run and both streams
    are flushed, with a closed pipe and a failed write treated as in `_run`.

    Under a profiler, tracer or debugger (cProfile, coverage, pdb) the exit is the normal one,
    so that they can report."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    import atexit

    atexit._run_exitfuncs()
    if sys.stdout is not None:  # None when started with stdout closed (`>&-`)
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            silence_stdout()
        except OSError as error:
            if sys.stderr is not None:
                print(f"ctreport: cannot write the output: {error.strerror or error}", file=sys.stderr)
            code = ExitCode.INVALID_DATA
        except ValueError:  # already closed
            pass
    if sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
    os._exit(code)
