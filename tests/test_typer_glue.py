"""What ctreport relies on in Typer's and Click's internals (ct_report/typer_glue.py): each
test fails if a Typer release changes it, before users see a broken command line."""

from __future__ import annotations

import inspect
from typing import Any

import typer
from typer.testing import CliRunner

from ct_report.options import FILTER_OPTIONS, Common
from ct_report.typer_glue import command_registrar, flags_for_arguments, only_invoked_command


def _app() -> tuple[typer.Typer, list[Common]]:
    app = typer.Typer()
    seen: list[Common] = []

    def run(common: Common, action: Any) -> None:
        seen.append(common)
        action()

    command = command_registrar(app, run)

    @command("first", FILTER_OPTIONS)
    def first(common: Common, name: str = "x") -> None:
        """The first command. More text."""
        typer.echo(f"{name} {common.country} {common.since}")

    @command("second", [])
    def second(common: Common) -> None:
        """The second command."""

    return app, seen


def test_shared_options_reach_the_command_through_the_rewritten_signature() -> None:
    app, seen = _app()
    result = CliRunner().invoke(app, ["first", "--country", "MA", "--since", "2019", "--name", "y"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "y ['MA'] 2019\n"
    assert seen[0].country == ["MA"] and seen[0].since == 2019


def test_the_command_list_shows_the_first_sentence_whole() -> None:
    app, _ = _app()
    assert "The first command." in CliRunner().invoke(app, ["--help"]).stdout


def test_only_the_invoked_command_is_built_without_completion_callbacks() -> None:
    app, _ = _app()
    only_invoked_command(app, ["ctreport", "first"])
    assert [info.name for info in app.registered_commands] == ["first"]
    (info,) = app.registered_commands
    assert info.callback is not None
    metadata = [
        meta
        for parameter in inspect.signature(info.callback).parameters.values()
        for meta in getattr(parameter.annotation, "__metadata__", ())
        if isinstance(meta, typer.models.ParameterInfo)
    ]
    assert metadata and all(meta.autocompletion is None for meta in metadata)


def test_clicks_vendored_exceptions_are_where_ctreport_looks() -> None:
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
    from typer._click.utils import PacifyFlushWrapper

    assert issubclass(NoArgsIsHelpError, ClickException)
    assert PacifyFlushWrapper is not None


def test_extra_arguments_are_read_from_clicks_message() -> None:
    app, _ = _app()
    result = CliRunner().invoke(app, ["first", "MA"], standalone_mode=False)
    message = result.exception.format_message() if hasattr(result.exception, "format_message") else ""
    assert flags_for_arguments(app, message, "first") == "did you mean ctreport first --country MA?"
