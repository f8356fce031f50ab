"""The package's shape: layers that point one way (a module imports only from the layers below
it; function-local and type-only imports count too, so none hides a back edge), and functions
that fit on a screen."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "ct_report"

LAYERS = [
    {"text", "fields", "model", "safefile", "documents", "i18n"},  # foundations: no ctreport imports
    {"errors"},  # the library's errors and exit codes
    {
        "yamlread",
        "present",
        "segments",
        "postings",
        "prefill",
    },  # the YAML reader; how facts read as values; the cache's files and postings; read helpers
    {"kinds"},  # the fact kinds, declared once
    {"validate", "cache", "export"},  # checking, and storage details
    {"incremental"},  # reading one file; patching the cache for changed files
    {"streamed"},  # a first build holding one file at a time
    {"schema", "load"},  # finding, reading and validating a base
    {"query", "provenance"},  # answers as data
    {"analysis", "views"},  # answers across the base; documents as text and rows
    {"render", "chart"},  # output formats
    {"complete"},  # shell-completion values
    {"options"},  # the command line's options, declared once
    {"typer_glue"},  # where the command line leans on Typer's internals
    {"output"},  # how the command line writes an answer
    {"cli", "__main__", "__init__"},  # the command line
]
LAYER = {module: index for index, modules in enumerate(LAYERS) for module in modules}


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ct_report"):
            if node.module == "ct_report":
                found |= {alias.name for alias in node.names if alias.name != "__version__"}
            else:
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("ct_report.")}
    return found - {path.stem}


def test_every_module_has_a_layer() -> None:
    assert {path.stem for path in PACKAGE.glob("*.py")} == set(LAYER)


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        f"{path.stem} (layer {LAYER[path.stem]}) imports {target} (layer {LAYER[target]})"
        for path in sorted(PACKAGE.glob("*.py"))
        for target in sorted(imports_of(path))
        if LAYER[target] >= LAYER[path.stem] and path.stem != "__main__"
    ]
    assert upward == []


def test_the_check_sees_a_back_edge(tmp_path: Path) -> None:
    module = tmp_path / "query.py"
    module.write_text("def f():\n    from ct_report.render import write\n", encoding="utf-8")
    assert imports_of(module) == {"render"}


MAX_FUNCTION_LINES = 60


MAX_CLI_LINES = 450


def test_the_command_line_stays_thin() -> None:
    assert len((PACKAGE / "cli.py").read_text(encoding="utf-8").splitlines()) < MAX_CLI_LINES


def test_functions_fit_on_a_screen() -> None:
    long = [
        f"{path.name}:{node.lineno} {node.name} ({(node.end_lineno or node.lineno) - node.lineno + 1} lines)"
        for path in sorted(PACKAGE.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and (node.end_lineno or node.lineno) - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []
