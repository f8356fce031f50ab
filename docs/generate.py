"""Write docs/cli.md, the CLI reference, from the Typer app itself.

    python docs/generate.py > docs/cli.md

tests/test_docs.py fails when docs/cli.md differs from what this prints.
"""

from __future__ import annotations

import typer
import typer.cli
import typer.main

from ct_report.cli import app


def reference() -> str:
    command = typer.main.get_command(app)
    context = typer.Context(command, info_name="ctreport", obj={})
    docs = typer.cli.get_docs_for_click(obj=command, ctx=context, name="ctreport", title="ctreport CLI reference")
    return docs.strip() + "\n"


if __name__ == "__main__":
    print(reference(), end="")
