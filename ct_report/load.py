"""Find the fact base, read every file safely, validate it and build the model.

The bundled base ships inside the package (`ct_report/data` in the wheel, `data/` in a source
checkout). `--data`/`CTREPORT_DATA` replace it; `--add`/`CTREPORT_ADD` extend it.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from ct_report import model
from ct_report.errors import FactBaseError, Problem

if TYPE_CHECKING:
    from ct_report import cache, incremental, prefill

Dependency = tuple[str, int, int, str]
"""(absolute path, size, mtime in ns, sha256) of a file the base was built from."""

MAX_FILES = 20_000
MAX_TEXT_BYTES = 8 * 1024 * 1024
MAX_BASE_BYTES = 256 * 1024 * 1024
"""All the YAML files and source texts of a base together: ten times the largest base measured
(100,000 facts, 51.5 MB), small enough that a run cannot be made to read gigabytes. A larger
base one trusts is read with CTREPORT_MAX_BASE_MB set (see `max_base_bytes`)."""


def max_base_bytes() -> int:
    """MAX_BASE_BYTES, or the limit CTREPORT_MAX_BASE_MB sets (in MiB) for a larger base."""
    spelled = os.environ.get("CTREPORT_MAX_BASE_MB", "").strip()
    if not spelled:
        return MAX_BASE_BYTES
    # The length first: int() refuses a number of thousands of digits with an error of its own.
    if len(spelled) > 12 or not spelled.isascii() or not spelled.isdigit() or int(spelled) == 0:
        from ct_report.errors import UsageError
        from ct_report.text import printable

        raise UsageError(
            f"CTREPORT_MAX_BASE_MB is '{printable(spelled)}'; set it to a whole number of MiB, e.g. 1024, or unset it"
        )
    return int(spelled) * 1024 * 1024


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


class FileList:
    """The YAML files of a base, and what listing them found wrong."""

    def __init__(self, named: list[tuple[str, Path]], problems: list[Problem]) -> None:
        self.named = named
        """(file name, root it belongs to), in the base's order: a warm run needs only the names
        (making a Path of each of 4,004 files cost about 0.01 s of every warm query)."""
        self.problems = problems
        self._files: list[tuple[Path, Path]] | None = None

    @property
    def files(self) -> list[tuple[Path, Path]]:
        """(file, root it belongs to); a source's `text:` is relative to that root."""
        if self._files is None:
            self._files = [(Path(name), root) for name, root in self.named]
        return self._files

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.named]


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _yaml_files_under(root: Path) -> tuple[list[str], list[Problem]]:
    """Every .yaml/.yml file below `root`, sorted, and the symbolic links refused. os.scandir
    rather than Path.rglob: it is several times faster on the thousands of files of a large
    fact base, and this runs on every call.

    A symbolic link, to a file or a folder, is followed only when its target is inside the
    root: a base stays inside its folder. Each linked folder is walked once (so a link to a
    parent cannot loop), and a file reached twice is read once."""
    found: list[str] = []
    problems: list[Problem] = []
    real_root = ""
    followed: set[str] = set()
    stack = [str(root)]
    while stack and len(found) <= MAX_FILES:  # over the limit: list_files says so without walking the rest
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # as os.walk did: an unreadable folder adds no files
        for entry in entries:
            yaml_name = entry.name.endswith(YAML_SUFFIXES)
            if entry.is_symlink():
                real_root = real_root or os.path.realpath(root)
                target = os.path.realpath(entry.path)
                is_dir = os.path.isdir(target)
                if not (is_dir or yaml_name):
                    continue
                if not _inside(target, real_root):
                    what = "folder" if is_dir else "file"
                    problems.append(
                        Problem(
                            entry.path,
                            1,
                            1,
                            f"symbolic link to a {what} outside the fact-base folder ({target}); "
                            "a fact base reads only files inside its folder, so copy it in",
                        )
                    )
                elif is_dir and target not in followed and not _inside(os.path.realpath(folder), target):
                    followed.add(target)
                    stack.append(entry.path)
                elif not is_dir:
                    followed.add(target)
                    found.append(entry.path)
            elif entry.is_dir():
                stack.append(entry.path)
            elif yaml_name:
                found.append(entry.path)
    found.sort()
    if followed:
        unique: dict[str, str] = {}
        for path in found:
            unique.setdefault(os.path.realpath(path), path)
        found = sorted(unique.values())
    return found, problems


def list_files(roots: tuple[Path, ...]) -> FileList:
    found = FileList([], [])
    for root in roots:
        if root.is_file():
            found.named.append((str(root), root.parent))
        elif root.is_dir():
            files, refused = _yaml_files_under(root)
            found.problems.extend(refused)
            if not files and not refused:
                found.problems.append(
                    Problem(
                        str(root),
                        1,
                        1,
                        "no .yaml files in this folder; point --data at a fact file or a folder of them",
                    )
                )
            found.named.extend((name, root) for name in files)
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
    if len(found.named) > MAX_FILES:
        found.problems.append(
            Problem(
                str(roots[0]), 1, 1, f"{len(found.named):,} files, over the limit of {MAX_FILES:,}; merge small files"
            )
        )
        return FileList([], found.problems)
    return found


class Documents(NamedTuple):
    """The files that parsed, and what the others mean for checking references."""

    documents: list[tuple[model.Document, Path, Path]]
    problems: list[Problem]
    unresolved: set[str] | None
    """Ids whose definitions were refused; None when a whole file could not be read."""
    read: list[Dependency]
    """What was read of each file, for the cache: taken from the bytes read, not from the file
    afterwards, so a file changed while the base was built leaves the cache stale, not wrong."""


def _read(path: Path, limit: int, budget: list[int]) -> tuple[bytes, Dependency]:
    """A file's bytes and what the cache records of them. `budget` holds what the whole base
    may still read: OverTotal, before reading, when the file does not fit in it."""
    import hashlib

    from ct_report.safefile import read_regular

    read = read_regular(path, limit, budget[0])
    budget[0] -= len(read.data)
    digest = hashlib.sha256(read.data).hexdigest()
    return read.data, (os.path.abspath(path), len(read.data), read.mtime_ns, digest)


class _Helped(NamedTuple):
    """A file a helper reads, without its bytes: on a large base, holding the bytes of every
    file the helpers read would take half the YAML's size."""

    changed: incremental.ChangedFile
    number: int
    """Its place in what was read (`Documents.read`)."""
    position: int
    """Its place in the base."""


Outcome = tuple[Path, Path, "Problem | _Helped | cache.FileResult"]
"""A file of the base, and why it could not be read, or what it gave (or, until the helper is
done, what to take from the store)."""


class Keep(Protocol):
    """What a caller keeps of what each file gave, taken as soon as it is given (see
    `streamed.Kept`); and what a helper that read the file hands back, if anything."""

    def __call__(self, changed: incremental.ChangedFile, result: cache.FileResult) -> cache.FileResult: ...

    def handed(self, changed: incremental.ChangedFile, result: cache.FileResult) -> object:
        """What a helper hands back of a file it read (None: nothing; this process takes the
        file from the store instead)."""

    def taken(self, changed: incremental.ChangedFile, handed: object) -> cache.FileResult | None:
        """What this process keeps of a file from what a helper handed back; None when it does
        not fit the file as read here."""


class _Everything:
    """Everything a file gave is kept; helpers hand nothing back, as the store gives it all."""

    def __call__(self, changed: incremental.ChangedFile, result: cache.FileResult) -> cache.FileResult:
        return result

    def handed(self, changed: incremental.ChangedFile, result: cache.FileResult) -> object:
        return None

    def taken(self, changed: incremental.ChangedFile, handed: object) -> cache.FileResult | None:
        return None


def read_documents(
    files: list[tuple[Path, Path]],
    budget: list[int] | None = None,
    store: cache.FileStore | None = None,
    keep: Keep | None = None,
) -> Documents:
    """Every file read, parsed and converted; with a `store`, a file read before with the same
    content gives what it gave then, and only new or changed files are parsed (on a large base,
    some of them by helper processes: see `prefill`). What each file gave goes through `keep`
    before anything else is read."""
    from ct_report import incremental, prefill
    from ct_report.safefile import OverTotal, Refused
    from ct_report.yamlread import MAX_FILE_BYTES

    keep = keep or _Everything()
    budget = budget if budget is not None else [max_base_bytes()]
    read: list[Dependency] = []
    outcomes: list[Outcome] = []
    helpers = None
    if store is not None:
        store.pack()
        helpers = prefill.start(len(files), _helping(files, store, keep), store.folder.parent, store.seal)
    try:
        for position, (path, root) in enumerate(files):
            name = str(path)
            try:
                data, dependency = _read(path, MAX_FILE_BYTES, budget)
            except OverTotal:
                message = (
                    f"the fact base is over the limit of {max_base_bytes():,} bytes in all (YAML files and source "
                    "texts); split it into several bases, or raise the limit with CTREPORT_MAX_BASE_MB"
                )
                outcomes.append((path, root, Problem(name, 1, 1, message)))
                break  # the rest of the base is not read at all
            except (Refused, OSError) as error:
                outcomes.append((path, root, _unreadable(name, error)))
                continue
            read.append(dependency)
            changed = _changed(path, root, data, dependency)
            if helpers is not None and helpers.takes(position):
                outcomes.append((path, root, _Helped(changed._replace(data=b""), len(read) - 1, position)))
            else:
                outcomes.append((path, root, keep(changed, incremental.through_store(store, changed))))
        if helpers is not None:
            helpers.wait()
        if store is not None:
            store.seal()
            store.refresh()  # the helpers' packs too
        return _gathered(outcomes, store, read, keep, helpers.records if helpers is not None else None)
    finally:
        if helpers is not None:
            helpers.close()  # nothing left to stop once they were waited for
        if store is not None:
            store.seal()


def _helping(files: list[tuple[Path, Path]], store: cache.FileStore, keep: Keep) -> Callable[[int, int], object]:
    """What a helper does with each of its files: read it into the store, and hand back what
    `keep` asks for."""
    fill = _filler(store)

    def help_with(position: int, _: int) -> object:
        filled = fill(*files[position])
        return None if filled is None else keep.handed(*filled)

    return help_with


def _gathered(
    outcomes: list[Outcome],
    store: cache.FileStore | None,
    read: list[Dependency],
    keep: Keep,
    records: prefill.Records | None,
) -> Documents:
    documents: list[tuple[model.Document, Path, Path]] = []
    problems: list[Problem] = []
    unresolved: set[str] | None = set()
    for path, root, outcome in outcomes:
        if isinstance(outcome, Problem):
            problems.append(outcome)
            unresolved = None
            continue
        if isinstance(outcome, _Helped):
            changed = outcome.changed
            handed = records.take(outcome.position) if records is not None else None
            kept = keep.taken(changed, handed) if handed is not None else None
            if kept is None:
                taken = _from_helper(store, outcome, read)
                if isinstance(taken, Problem):
                    problems.append(taken)
                    unresolved = None
                    continue
                kept = keep(*taken)
            elif store is not None:  # the helper's entry, not taken from the store, is still used
                store.use(store.key(changed.read[0], changed.label, changed.read[3]))
            outcome = kept
        document, found, dropped, parsed = outcome
        name = str(path)
        problems.extend(Problem(name, line, column, message) for line, column, message in found)
        if not parsed:
            unresolved = None
        elif unresolved is not None:
            unresolved.update(dropped)
        if document is not None:
            documents.append((document, path, root))
    return Documents(documents, problems, unresolved, read)


def _from_helper(
    store: cache.FileStore | None, helped: _Helped, read: list[Dependency]
) -> tuple[incremental.ChangedFile, cache.FileResult] | Problem:
    """The file as read, and what a helper read of it, from the store; when the helper did not
    finish it, the file is read again here, and what was read of it is recorded anew."""
    from ct_report import incremental
    from ct_report.safefile import Refused
    from ct_report.yamlread import MAX_FILE_BYTES

    changed = helped.changed
    result = store.get(store.key(changed.read[0], changed.label, changed.read[3])) if store else None
    if result is not None:
        return changed, result
    try:
        data, dependency = _read(changed.path, MAX_FILE_BYTES, [max_base_bytes()])
    except (Refused, OSError) as error:
        return _unreadable(str(changed.path), error)
    read[helped.number] = dependency
    changed = changed._replace(data=data, read=dependency)
    return changed._replace(data=b""), incremental.through_store(store, changed)


def _unreadable(name: str, error: Exception) -> Problem:
    from ct_report.safefile import Refused

    if isinstance(error, Refused):
        return Problem(name, 1, 1, error.message)
    return Problem(name, 1, 1, f"cannot read file: {getattr(error, 'strerror', None) or error}")


def _filler(
    store: cache.FileStore | None,
) -> Callable[[Path, Path], tuple[incremental.ChangedFile, cache.FileResult] | None]:
    """What a helper does with each of its files: read it into the store (see `prefill`), and
    give what was read and what it gave."""
    from ct_report import incremental
    from ct_report.yamlread import MAX_FILE_BYTES

    def fill(path: Path, root: Path) -> tuple[incremental.ChangedFile, cache.FileResult]:
        changed = _changed(path, root, *_read(path, MAX_FILE_BYTES, [max_base_bytes()]))
        return changed, incremental.through_store(store, changed)

    return fill


def _changed(path: Path, root: Path, data: bytes, dependency: Dependency) -> incremental.ChangedFile:
    """A file as read, to go through the store (the same for this process and its helpers)."""
    from ct_report import incremental

    return incremental.ChangedFile(path, root, file_label(path, root), data, dependency)


def read_texts(
    documents: list[tuple[model.Document, Path, Path]],
    budget: list[int] | None = None,
    resolved: dict[Path, Path] | None = None,
) -> tuple[dict[str, str | None], list[Dependency]]:
    """Each source's shipped text by source id (None when it cannot be read: outside the base's
    folder, not a regular file, too large, not UTF-8), and what was read of each file. Roots
    are resolved once into `resolved`, which a caller reading document by document passes
    each time: resolving a path asks the system about each of its parts."""
    from ct_report.safefile import Refused

    budget = budget if budget is not None else [max_base_bytes()]
    texts: dict[str, str | None] = {}
    read: list[Dependency] = []
    resolved = resolved if resolved is not None else {}
    for document, _, root in documents:
        for source in document.sources:
            if source.text is None:
                continue
            path = (root / source.text).resolve()
            texts[source.id] = None
            if root not in resolved:
                resolved[root] = root.resolve()
            if not path.is_relative_to(resolved[root]):
                continue
            try:
                data, dependency = _read(path, MAX_TEXT_BYTES, budget)
                texts[source.id] = data.decode("utf-8-sig")
            except (OSError, Refused, UnicodeDecodeError):
                continue
            # Recorded under the path as written: a symbolic link pointed elsewhere is then a
            # change, which its resolved target, still the same file, would not show.
            read.append((os.path.abspath(root / source.text), *dependency[1:]))
    return texts, read


FEW_COLLECTIONS = (200_000, 30, 30)
"""Thresholds of Python's cycle collector for work that makes many objects and few cycles: it
walks every object built so far each time it runs (see `_few_collections`)."""


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """Python's cycle collector walks every object built so far each time it runs: a rebuild
    that makes millions of objects spent a third of its time there. As mypy does, collect far
    less often while the base is built (its objects hold no cycles worth collecting early)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(*FEW_COLLECTIONS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


class Report(NamedTuple):
    """What validating a fact base found."""

    base: model.FactBase
    files: list[Path]
    """Every file the base was built from: the YAML files and the source texts they ship."""
    yaml_files: int
    problems: list[Problem]
    read: list[Dependency]
    """What was read of each of those files (see `Documents.read`)."""
    documents: list[cache.Built]
    """Each YAML file that parsed, its document and texts, in the base's order."""


@_few_collections()
def check(selection: DataSelection, listing: FileList | None = None) -> Report:
    """Read and validate every file of the selection, collecting every problem. Unless the
    selection forgoes the cache, files unchanged since they were last read are not parsed
    again (`cache.FileStore`)."""
    from ct_report import cache, prefill

    listing = listing or list_files(selection.roots)
    prefill.jobs()  # a bad CTREPORT_JOBS is an error whether or not helpers would start
    store = cache.FileStore.beside(cache.cache_file(selection.roots)) if selection.use_cache else None
    checked = _read_and_check(listing.files, store)
    read, text_files = checked.read, checked.text_files
    files = [path for path, _ in listing.files] + [Path(entry[0]) for entry in text_files]
    return Report(
        checked.base,
        files,
        len(listing.files),
        listing.problems + read.problems + checked.problems,
        read.read + text_files,
        checked.built,
    )


class _Checked(NamedTuple):
    """Every file read (`read_documents`), the texts of their sources, and the checks that
    span files."""

    read: Documents
    texts: dict[str, str | None]
    text_files: list[Dependency]
    """What was read of each text."""
    built: list[cache.Built]
    """Each document that parsed, as the cache records it."""
    base: model.FactBase
    problems: list[Problem]
    """What the checks that span files found."""


def _read_and_check(
    files: list[tuple[Path, Path]], store: cache.FileStore | None, keep: Keep | None = None
) -> _Checked:
    """Read every file (through `store`, and `keep`), then the texts their sources ship, and
    check what spans files; the same for a full build and the first pass of a streamed one."""
    from ct_report import cache
    from ct_report.validate import check_base

    budget = [max_base_bytes()]
    read = read_documents(files, budget, store, keep)
    if store:
        store.forget_unused()
    texts: dict[str, str | None] = {}
    text_files: list[Dependency] = []
    built = []
    resolved: dict[Path, Path] = {}
    for document, path, root in read.documents:
        found, text_reads = read_texts([(document, path, root)], budget, resolved)
        texts |= found
        text_files += text_reads
        label = file_label(path, root)
        built.append(cache.Built(os.path.abspath(path), label, document, [entry[0] for entry in text_reads]))
    base, problems = check_base([(doc, str(path)) for doc, path, _ in read.documents], texts, read.unresolved)
    return _Checked(read, texts, text_files, built, base, problems)


def _streamed(selection: DataSelection, listing: FileList) -> model.FactBase | None:
    """The base built by `streamed` (holding one file's facts at a time) and read back from
    the cache it wrote; None when the base has a problem or the file store cannot be used,
    for a full build to say what is wrong."""
    from ct_report import cache, streamed

    cache_path = cache.cache_file(selection.roots)
    store = cache.FileStore.beside(cache_path)
    if store is None or listing.problems:
        return None
    kept = streamed.Kept(store)
    checked = _read_and_check(listing.files, store, kept)
    read, text_files = checked.read, checked.text_files
    if read.problems or checked.problems:
        return None
    dependencies = read.read + text_files
    first = streamed.Pass(
        checked.base, checked.built, checked.texts, kept, dependencies, (len(read.read), len(text_files))
    )
    try:
        return streamed.write(cache_path, first)
    except streamed.Declined:
        return None


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
    from ct_report import cache, prefill

    max_base_bytes()  # a bad CTREPORT_MAX_BASE_MB is an error even when the cache answers
    prefill.jobs()  # and so is a bad CTREPORT_JOBS
    listing = list_files(selection.roots)
    cache_path = cache.cache_file(selection.roots)
    warned = False
    use_cache = selection.use_cache
    if use_cache and not listing.problems:
        try:
            cached = cache.read(cache_path, listing.names)
        except cache.UntrustedCache as problem:
            warn(f"{problem}; not using it (make it yours with mode 700, or set CTREPORT_CACHE_DIR)")
            use_cache = False
        except cache.CacheProblem as problem:
            warn(f"the cache {cache_path} is {problem}; rebuilding it")
            warned = True
        else:
            if isinstance(cached, cache.Stale):
                with contextlib.closing(cached):
                    patched = _patched(cached, listing)
                if patched is not None:
                    return patched
            elif cached is not None:
                return cached
    with _few_collections():
        if use_cache:
            with contextlib.suppress(OSError, UnicodeError):  # the full build meets them again, and says so
                streamed_base = _streamed(selection, listing)
                if streamed_base is not None:
                    _give_back_memory()
                    return streamed_base
        report = _validated(selection._replace(use_cache=use_cache), listing)
        base = report.base
        if not use_cache:
            return base
        try:
            # Answer from the cache just written, as every later run will: its rows are
            # compiled, and the base built from YAML (the larger of the two) can go.
            searched = _searched(base)
            return cache.write(cache_path, base, report.read, _compiled(base), report.documents, searched)
        except (OSError, UnicodeError) as error:
            if isinstance(error, OSError):
                reason, advice = error.strerror or str(error), "set CTREPORT_CACHE_DIR or use --no-cache"
            else:
                reason, advice = "a file name is not valid UTF-8", "rename the file or use --no-cache"
            if not warned:  # one line per run: a cache that could not be read rarely can be written
                warn(f"cannot write the cache in {cache_path.parent} ({reason}); {advice}")
            return base


def _give_back_memory() -> None:
    """Hand the memory a build freed back to the system before the answer is made. The build's
    small objects leave the heap too scattered for the answer's large buffers to reuse it, so
    without this a first run's peak is the build's and the answer's together (at 100,000
    facts, 153 MB instead of 124). Only where the C library is glibc."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _patched(stale: cache.Stale, listing: FileList) -> model.FactBase | None:
    """The base from the stale cache brought up to date by re-reading only the files that
    changed (`incremental.patch`); None leaves it for a full rebuild, which also reports any
    problem those files have."""
    from ct_report import cache, incremental
    from ct_report.safefile import Refused
    from ct_report.yamlread import MAX_FILE_BYTES

    changed = {*stale.changes.changed, *stale.changes.added}
    unchanged_bytes = sum(entry[1] for entry in stale.dependencies if entry[0] not in changed)
    budget = [max_base_bytes() - unchanged_bytes]
    files = []
    try:
        listed = [os.path.abspath(name) for name in listing.names]
        for absolute, (name, root) in zip(listed, listing.named, strict=True):
            if absolute in changed:
                path = Path(name)
                data, read = _read(path, MAX_FILE_BYTES, budget)
                files.append(incremental.ChangedFile(path, root, file_label(path, root), data, read))
        store = cache.FileStore.beside(stale.path)

        def texts_of(document: model.Document, root: Path) -> tuple[dict[str, str | None], list[Dependency]]:
            return read_texts([(document, root, root)], budget)

        return incremental.patch(stale, listed, files, store, texts_of)
    except (OSError, UnicodeError, Refused):
        return None  # the rebuild meets the same trouble and says what it is
    except (ValueError, KeyError, IndexError, TypeError, cache.CacheBroke):
        return None  # what the cache recorded of its files does not fit them, or it is damaged: rebuilt


def _compiled(base: model.FactBase) -> cache.Compiled:
    """What the cache keeps beside the base: each list command's rows, ready to filter and print."""
    from ct_report import cache
    from ct_report.kinds import BY_COMMAND, compiled_blocks
    from ct_report.text import encode_row

    return {
        command: cache.CompiledCommand(
            functools.partial(compiled_blocks, base, command, encode_row), kind.indexed_fields
        )
        for command, kind in BY_COMMAND.items()
    }


def _searched(base: model.FactBase) -> cache.Searched:
    """What the cache keeps of each file for `search` (see kinds.search_entries)."""
    from ct_report.kinds import search_entries

    return lambda document: search_entries(base, document.facts)


def _validated(selection: DataSelection, listing: FileList) -> Report:
    report = check(selection, listing)
    if report.problems:
        raise FactBaseError(report.problems)
    return report
