"""Find the fact base, read every file safely, validate it and build the model.

The bundled base ships inside the package (`ct_report/data` in the wheel, `data/` in a source
checkout). `--data`/`CTREPORT_DATA` replace it; `--add`/`CTREPORT_ADD` extend it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ct_report import model
from ct_report.errors import FactBaseError, Problem

if TYPE_CHECKING:
    from ct_report.validate import Positions

MAX_FILES = 20_000
MAX_TEXT_BYTES = 8 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")


def bundled_data_dir() -> Path:
    """The fact base shipped with ctreport: inside the installed package, else the checkout's data/."""
    here = Path(os.path.abspath(__file__)).parent
    packaged = here / "data"
    if packaged.is_dir():
        return packaged
    return here.parent / "data"


class DataSelection(NamedTuple):
    """Which files make up the fact base for this run."""

    roots: tuple[Path, ...]
    use_cache: bool = True

    @classmethod
    def choose(
        cls, data: list[Path] | None = None, add: list[Path] | None = None, use_cache: bool = True
    ) -> DataSelection:
        """Command-line paths win over the environment; `add` always extends the chosen base."""
        env_data = [Path(p) for p in os.environ.get("CTREPORT_DATA", "").split(os.pathsep) if p]
        env_add = [Path(p) for p in os.environ.get("CTREPORT_ADD", "").split(os.pathsep) if p]
        chosen = list(data or env_data)
        extra = list(add or env_add)
        if chosen:
            return cls(tuple(chosen + extra), use_cache=use_cache)
        return cls((bundled_data_dir(), *extra), use_cache=use_cache)


class FileList(NamedTuple):
    files: list[tuple[Path, Path]]
    """(file, root it belongs to); a source's `text:` is relative to that root."""
    problems: list[Problem]


def _yaml_files_under(root: Path) -> list[Path]:
    """Every .yaml/.yml file below `root`, sorted. os.walk rather than Path.rglob: it is several
    times faster on the thousands of files of a large fact base, and this runs on every call."""
    found: list[str] = []
    for folder, _, names in os.walk(root):
        found.extend(os.path.join(folder, name) for name in names if name.endswith(YAML_SUFFIXES))
        if len(found) > MAX_FILES:
            break  # over the limit already; list_files says so without walking the rest
    return [Path(p) for p in sorted(found)]


def list_files(roots: tuple[Path, ...]) -> FileList:
    found = FileList([], [])
    for root in roots:
        if root.is_file():
            found.files.append((root, root.parent))
        elif root.is_dir():
            files = _yaml_files_under(root)
            if not files:
                found.problems.append(
                    Problem(
                        str(root),
                        1,
                        1,
                        "no .yaml files in this folder; point --data at a fact file or a folder of them",
                    )
                )
            found.files.extend((p, root) for p in files)
        else:
            found.problems.append(
                Problem(
                    str(root),
                    1,
                    1,
                    ("not a file or folder" if root.exists() else "no such file or folder")
                    + "; check the path (given as an argument, with --data/--add, or in CTREPORT_DATA/CTREPORT_ADD)",
                )
            )
    if len(found.files) > MAX_FILES:
        found.problems.append(
            Problem(
                str(roots[0]), 1, 1, f"{len(found.files):,} files, over the limit of {MAX_FILES:,}; merge small files"
            )
        )
        return FileList([], found.problems)
    return found


class Documents(NamedTuple):
    """The files that parsed, and what the others mean for checking references."""

    documents: list[tuple[model.Document, Path, Path]]
    positions: Positions
    problems: list[Problem]
    unresolved: set[str] | None
    """Ids whose definitions were refused; None when a whole file could not be read."""


def read_documents(files: list[tuple[Path, Path]]) -> Documents:
    # Imported here: a run answered from the cache never pays for PyYAML.
    from ct_report.validate import Converter
    from ct_report.yamlread import decode, parse

    documents: list[tuple[model.Document, Path, Path]] = []
    positions: Positions = {}
    problems: list[Problem] = []
    unresolved: set[str] | None = set()
    for path, root in files:
        name = str(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            problems.append(Problem(name, 1, 1, f"cannot read file: {error.strerror or error}"))
            unresolved = None
            continue
        text, found = decode(data, name)
        root_node = None
        if text is not None and not found:
            root_node, found = parse(text, name)
        if root_node is None:
            problems.extend(found)
            unresolved = None
            continue
        converter = Converter(name)
        document = converter.to_document(root_node)
        # In the order they appear in the file, whichever step found them.
        problems.extend(sorted(found + converter.problems, key=lambda p: (p.line, p.column)))
        positions.update(converter.positions)
        if unresolved is not None:
            unresolved |= converter.dropped
        if document is not None:
            documents.append((document, path, root))
    return Documents(documents, positions, problems, unresolved)


def read_texts(documents: list[tuple[model.Document, Path, Path]]) -> tuple[dict[str, str | None], list[Path]]:
    """Each source's shipped text by source id (None when unreadable), and the files read."""
    texts: dict[str, str | None] = {}
    read: list[Path] = []
    for document, _, root in documents:
        for source in document.sources:
            if source.text is None:
                continue
            path = (root / source.text).resolve()
            try:
                if not path.is_relative_to(root.resolve()) or path.stat().st_size > MAX_TEXT_BYTES:
                    texts[source.id] = None
                    continue
                texts[source.id] = path.read_text(encoding="utf-8-sig")
                read.append(path)
            except (OSError, UnicodeDecodeError):
                texts[source.id] = None
    return texts, read


class Report(NamedTuple):
    """What validating a fact base found."""

    base: model.FactBase
    files: list[Path]
    """Every file the base was built from: the YAML files and the source texts they ship."""
    yaml_files: int
    problems: list[Problem]


def check(selection: DataSelection, listing: FileList | None = None) -> Report:
    """Read and validate every file of the selection, collecting every problem."""
    from ct_report.validate import check_base

    listing = listing or list_files(selection.roots)
    read = read_documents(listing.files)
    texts, text_files = read_texts(read.documents)
    base, cross_problems = check_base(
        [(doc, str(path)) for doc, path, _ in read.documents], texts, read.positions, read.unresolved
    )
    files = [path for path, _ in listing.files] + text_files
    base.memo["file_labels"] = {str(path): file_label(path, root) for path, root in listing.files}
    return Report(base, files, len(listing.files), listing.problems + read.problems + cross_problems)


def file_label(path: Path, root: Path) -> str:
    """How rows name a fact-base file: relative to its root, after the root's name, or
    'bundled' for the base that ships with ctreport: 'bundled:facts/2021/MA.yaml',
    'my-notes:2021.yaml'. Problems keep the full path, for editors."""
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
    name = "bundled" if root == bundled_data_dir() else (root.name or str(root))
    return f"{name}:{relative}"


def _ignore(message: str) -> None:
    pass


def load_base(selection: DataSelection, warn: Callable[[str], None] = _ignore) -> model.FactBase:
    """The validated fact base, from the compiled cache when it is current; raise FactBaseError
    listing every problem. Cache trouble never fails a run: it is reported through `warn`."""
    from ct_report import cache

    listing = list_files(selection.roots)
    cache_path = cache.cache_file(selection.roots)
    warned = False
    if selection.use_cache and not listing.problems:
        try:
            cached = cache.read(cache_path, [path for path, _ in listing.files])
        except cache.CacheProblem as problem:
            warn(f"the cache {cache_path} is {problem}; rebuilding it")
            warned = True
        else:
            if cached is not None:
                return cached
    base, files = _validated(selection, listing)
    if not selection.use_cache:
        return base
    try:
        cache.write(cache_path, base, [cache.dependency(path) for path in files])
    except (OSError, UnicodeError) as error:
        if isinstance(error, OSError):
            reason, advice = error.strerror or str(error), "set CTREPORT_CACHE_DIR or use --no-cache"
        else:
            reason, advice = "a file name is not valid UTF-8", "rename the file or use --no-cache"
        if not warned:  # one line per run: a cache that could not be read rarely can be written
            warn(f"cannot write the cache in {cache_path.parent} ({reason}); {advice}")
        return base
    # Answer from the cache just written, as every later run will: its rows are compiled, and
    # the base built from YAML (the larger of the two in memory) can go before the query runs.
    del base
    try:
        written = cache.read(cache_path, [path for path, _ in listing.files])
    except cache.CacheProblem:
        written = None
    return written if written is not None else _validated(selection, listing)[0]


def _validated(selection: DataSelection, listing: FileList) -> tuple[model.FactBase, list[Path]]:
    report = check(selection, listing)
    if report.problems:
        raise FactBaseError(report.problems)
    return report.base, report.files
