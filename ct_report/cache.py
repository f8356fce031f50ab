"""A compiled cache of the validated fact base, so repeated runs skip YAML parsing and validation.

The cache is sections of JSON (reading it cannot run code): the validated base, and each list
command's rows already worked out, so a repeated query only filters and prints. There is one
cache per set of fact-base roots, in the user's cache directory (`CTREPORT_CACHE_DIR`
overrides): an index file and the data files it names (see segments). It is trusted only when
it was written by this ctreport version and every file it was built from (the YAML, the source
texts, and the ctreport modules that shape it) still has the recorded size, modification time
and SHA-256; a file whose time changed but whose content did not is rehashed, not rebuilt; when
only some YAML files changed, `Stale` lets the caller patch their facts in (`write_patched`)
instead of rebuilding. A checksum per segment catches truncation and corruption. Data files are
never changed once written, and the index is written to a temporary file renamed into place, so
concurrent runs never read a half-written cache.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import json
import os
import stat as stat_module
import sys
import types
import typing
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, NoReturn

from ct_report import __version__, model, postings, segments
from ct_report.errors import CtReportError
from ct_report.safefile import Refused, open_regular
from ct_report.text import compact_json

CACHE_FORMAT = 15
PREAMBLE = b'{"format":15}\n'
"""The first line: a ctreport that put its header first (format 3 and before) reads it, sees
another format and rebuilds silently instead of calling the file damaged."""
Dependency = tuple[str, int, int, str]
"""(absolute path, size, mtime in ns, sha256) of a file the base was built from."""


def cache_dir() -> Path:
    override = os.environ.get("CTREPORT_CACHE_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "ctreport" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ctreport"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ctreport"


def cache_file(roots: tuple[Path, ...]) -> Path:
    """One cache per set of roots as written (rows show file paths as given) and per ctreport
    install (two installs of one version may differ)."""
    # zlib is loaded at start-up anyway; hashlib is not, and only a changed file needs it.
    spelled = [f"{os.path.abspath(root)}\1{root}" for root in roots]
    joined = "\0".join([*spelled, os.path.dirname(os.path.abspath(__file__))]).encode(errors="surrogateescape")
    key = f"{zlib.crc32(joined):08x}{zlib.adler32(joined):08x}"
    return cache_dir() / f"base-{key}.json"


MAX_HASHED_BYTES = 8 * 1024 * 1024
"""No file the cache depends on is larger (fact files and texts have this limit too)."""


def file_hash(path: Path) -> str:
    """The SHA-256 of a regular file; Refused (a FIFO, a device, a huge file) or OSError."""
    import hashlib

    from ct_report.safefile import read_regular

    return hashlib.sha256(read_regular(path, MAX_HASHED_BYTES).data).hexdigest()


def dependency(path: Path) -> Dependency:
    """What the cache records of one of ctreport's own modules."""
    import hashlib

    from ct_report.safefile import read_regular

    read = read_regular(path, MAX_HASHED_BYTES)
    return (os.path.abspath(path), len(read.data), read.mtime_ns, hashlib.sha256(read.data).hexdigest())


class Changes(NamedTuple):
    """How the YAML files of a base differ from those a cache was built from."""

    dependencies: list[Any]
    """What the cache recorded, with the times of touched-but-unchanged files brought up to date."""
    changed: list[str]
    added: list[str]
    removed: list[str]


def _changes(recorded: list[Any], yaml_count: int, yaml_files: Sequence[str | Path]) -> Changes | None:
    """Which YAML files changed, were added or went away since the cache was built (its first
    `yaml_count` dependencies are its YAML files); None if anything else changed (a source
    text, ctreport's code): then the cache is rebuilt, not patched."""
    listed = [os.path.abspath(p) for p in yaml_files]
    listed_set = set(listed)
    current, changed, removed = [], [], []
    for number, (path, size, mtime_ns, digest) in enumerate(recorded):
        is_yaml = number < yaml_count
        if is_yaml and path not in listed_set:
            removed.append(path)
            continue
        try:
            stat = os.stat(path)
            same = stat.st_size == size and (stat.st_mtime_ns == mtime_ns or file_hash(Path(path)) == digest)
        except (OSError, Refused):
            return None
        if same:
            current.append([path, size, stat.st_mtime_ns, digest])
        elif is_yaml:
            changed.append(path)
            current.append([path, size, mtime_ns, digest])
        else:
            return None
    known = {entry[0] for entry in recorded[:yaml_count]}
    return Changes(current, changed, [path for path in listed if path not in known], removed)


class CacheBroke(CtReportError):
    """A cache found damaged once in use (a section failed its checksum): it was removed."""


class CacheProblem(Exception):
    """The cache file exists but cannot be used; the message says why."""


class UntrustedCache(CacheProblem):
    """The cache folder may be written by someone else: neither read nor written this run."""


def _untrusted(status: os.stat_result) -> str:
    """Why a cache file or folder with this status cannot be trusted, or ''. As ssh and pip
    treat their own files: it must be the user's and writable by nobody else, or another
    user could change every answer (a checksum only catches accidents)."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # pragma: no cover - Windows: the folder is in the user's profile
        return ""
    if status.st_uid != getuid():
        return f"owned by another user (uid {status.st_uid})"
    if status.st_mode & 0o022:
        return f"writable by other users (mode {status.st_mode & 0o777:o})"
    return ""


def _untrusted_folder(folder: Path) -> str:
    """Why the cache folder cannot be trusted, or '' (also when it does not exist yet)."""
    try:
        status = os.stat(folder)
    except OSError:
        return ""
    if not stat_module.S_ISDIR(status.st_mode):
        return ""  # reading the file in it fails, and says so
    reason = _untrusted(status)
    return f"the cache folder {folder} is {reason}" if reason else ""


def read(path: Path, yaml_files: Sequence[str | Path]) -> model.FactBase | Stale | None:
    """The cached base if valid and current; Stale if intact but some of its YAML files
    changed since (the caller closes it); None if absent or otherwise stale; CacheProblem if
    damaged.

    The file is an index (see segments): a first line naming the format, then one JSON line
    (format, version, the files the base was built from, the data files and which of their
    segments make each section, with each segment's CRC-32) with a checksum of its own: so a
    stale cache is recognised without decoding the base. The data files are opened at once
    and kept open, so a run replacing the cache meanwhile does not change what we read. Each
    section is read, and checked, only when a query needs it: a section found damaged then
    removes the cache and fails the command (CacheBroke), which the next run rebuilds."""
    untrusted = _untrusted_folder(path.parent)
    if untrusted:
        raise UntrustedCache(untrusted)
    for attempt in range(2):
        try:
            return _read_index(path, yaml_files)
        except FileNotFoundError:
            # A data file went away between reading the index and opening it: another run
            # replaced the index meanwhile, and the new one is read once more.
            if attempt:
                return None
    return None


def _read_index(path: Path, yaml_files: Sequence[str | Path]) -> model.FactBase | Stale | None:
    try:
        fd, status = open_regular(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise CacheProblem(f"unreadable ({error.strerror or error})") from None
    except Refused as refused:
        raise CacheProblem(f"not a regular file ({refused.message.split(',')[0]})") from None
    reason = _untrusted(status)
    if reason:
        os.close(fd)
        raise CacheProblem(f"{reason}, so it is not trusted")
    try:
        header = _index_header(fd, status.st_size)
    except OSError as error:
        raise CacheProblem(f"unreadable ({error.strerror or error})") from None
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise CacheProblem(f"damaged ({error})") from None
    finally:
        os.close(fd)
    if header is None:
        return None
    changes = _changes(header["dependencies"], header["yaml_files"], yaml_files)
    if changes is None:
        return None
    try:
        opened = _OpenCache(segments.open_data(path.parent, path.stem, header["data"], _untrusted), path, header)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise CacheProblem(f"unreadable ({error.strerror or error})") from None
    except ValueError as error:
        raise CacheProblem(f"damaged ({error})") from None
    try:
        base = _checked_base(opened, header, changes)
    except BaseException:
        opened.close()
        raise
    # What runs racing to write this cache left, once no run can still be writing it.
    segments.remove_unused(path.parent, path.stem, [name for name, _ in header["data"]])
    return base


def section_bytes(path: Path) -> dict[str, bytes]:
    """Every section of the cache at `path`, its lines joined, for looking into a cache: two
    caches of the same base hold the same sections, however their segments lie."""
    fd, status = open_regular(path)
    try:
        header = _index_header(fd, status.st_size)
    finally:
        os.close(fd)
    if header is None:
        raise ValueError(f"{path} is a cache of another format or version")
    opened = _OpenCache(segments.open_data(path.parent, path.stem, header["data"], _untrusted), path, header)
    try:
        return {name: opened.reader.part(name) for name in header["sections"]}
    finally:
        opened.close()


MAX_INDEX_BYTES = 64 * 1024 * 1024
"""An index names segments and files: a few megabytes at a million facts."""


def _index_header(fd: int, size: int) -> dict[str, Any] | None:
    """The index's header, checked; None for a cache of another version or format."""
    header, data, signed = _trailer(fd, size)
    if header is None:
        if _older_format(data):
            return None
        raise ValueError("no trailer line")
    if header.get("format") != CACHE_FORMAT or header.get("version") != __version__:
        return None  # written by another ctreport: stale, not damaged
    if not signed:
        raise ValueError("trailer checksum mismatch")
    if not _well_formed(header["sections"], header["data"]):
        raise ValueError("sections do not fit the data files")
    return header


def _checked_base(opened: _OpenCache, header: dict[str, Any], changes: Changes) -> model.FactBase | Stale:
    try:
        meta = json.loads(opened.reader.part("meta"))
        if not all(
            f"{what}:{command}" in header["sections"]
            for command, indexed in meta["compiled"].items()
            for what in ("keys", "rows", "blocks", *(["values"] if indexed else []))
        ):
            raise ValueError("compiled rows missing")
    except OSError as error:
        raise CacheProblem(f"unreadable ({error.strerror or error})") from None
    except (ValueError, KeyError, TypeError) as error:
        raise CacheProblem(f"damaged ({error})") from None
    if changes.changed or changes.added or changes.removed:
        return Stale(opened, meta, _base_from_sections(meta, _Sections(opened.lines, opened.decoded)), header, changes)
    dependencies = changes.dependencies
    if dependencies != header["dependencies"]:
        # Touched, not changed (a reinstall, a checkout): record the new times, or every run
        # would hash those files again.
        with contextlib.suppress(OSError):
            _write_index(opened.path, {**header, "dependencies": dependencies})
    return _opened_base(opened, meta)


class _OpenCache:
    """A checked cache file, kept open so that every section comes from the file that was
    checked, even if another run replaces it meanwhile."""

    def __init__(self, fds: list[int], path: Path, header: dict[str, Any]) -> None:
        self.reader = segments.Reader(fds, header["sections"])
        self.data: list[list[Any]] = header["data"]
        """[name, size] of each data file, in the order segments number them."""
        self.path = path
        self.closed = False
        self._files: list[dict[str, Any]] | None = None

    @property
    def sections(self) -> dict[str, list[segments.Segment]]:
        return self.reader.sections

    def part(self, name: str) -> bytes:
        """A section's bytes, checked against its segments' checksums (each section is checked
        when read, so a query pays for checking only what it reads)."""
        return b"\n".join(self.pieces(name))

    def pieces(self, name: str) -> list[bytes]:
        """A section's runs of lines as read (see segments.Reader.pieces)."""
        if self.closed:
            raise RuntimeError(f"section {name} wanted after the base was released")
        try:
            return self.reader.pieces(name)
        except (OSError, ValueError) as error:
            self._failed(str(error))

    def runs(self, name: str, most: int) -> Iterator[bytes]:
        """A section's runs of lines one at a time, each of at most `most` bytes (see
        segments.Reader.runs)."""
        if self.closed:
            raise RuntimeError(f"section {name} wanted after the base was released")
        try:
            yield from self.reader.runs(name, most)
        except (OSError, ValueError) as error:
            self._failed(str(error))

    def lines(self, name: str) -> list[bytes]:
        """A section's lines (see `part`)."""
        if self.closed:
            raise RuntimeError(f"section {name} wanted after the base was released")
        try:
            return self.reader.lines(name)
        except (OSError, ValueError) as error:
            self._failed(str(error))

    def decoded(self, name: str, lines: bool = False) -> Any:
        """A section's JSON value; with `lines`, the list of its JSON lines' values."""
        try:
            if not lines:
                return json.loads(self.part(name))
            pieces = self.pieces(name)
            return json.loads(b"[" + b",".join(piece.replace(b"\n", b",") for piece in pieces) + b"]")
        except (OSError, ValueError) as error:
            self._failed(f"section {name}: {error}")

    def files(self) -> list[dict[str, Any]]:
        """What the `files` section records of each YAML file (decoded once; not to be changed)."""
        if self._files is None:
            self._files = self.decoded("files", lines=True)
        return self._files

    def lines_at(self, name: str, numbers: Iterable[int]) -> list[bytes]:
        """Some lines of a section (see segments.Reader.lines_at)."""
        if self.closed:
            raise RuntimeError(f"section {name} wanted after the base was released")
        try:
            return self.reader.lines_at(name, numbers)
        except (OSError, ValueError) as error:
            self._failed(str(error))

    def line(self, name: str, number: int) -> Any:
        """The value of one line of a section of JSON lines (only its segment is read)."""
        try:
            return json.loads(self.reader.line(name, number))
        except (OSError, ValueError) as error:
            self._failed(f"section {name}, line {number + 1}: {error}")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            for fd in self.reader.fds:
                os.close(fd)

    def _failed(self, reason: str) -> NoReturn:
        # Only by hand, or a fault of the disk: ctreport writes new files, never edits one.
        for path in [self.path, *(self.path.parent / name for name, _ in self.data)]:
            with contextlib.suppress(OSError):
                path.unlink()
        raise CacheBroke(f"the cache {self.path} broke while in use ({reason}); it was removed: run the command again")


class Stale:
    """An intact cache built before some of its YAML files changed, were added or went away:
    what patching it needs. It holds the cache file open; `close` it once done."""

    def __init__(
        self, opened: _OpenCache, meta: dict[str, Any], base: model.FactBase, header: dict[str, Any], changes: Changes
    ) -> None:
        self.opened = opened
        self.meta = meta
        self.base = base
        """The cached base, loaded lazily: its definitions, texts and compiled rows."""
        self.changes = changes
        self.recorded: list[Any] = header["dependencies"]
        """What the cache recorded of each file, as it was."""
        self.yaml_count: int = header["yaml_files"]
        self.text_count: int = header["text_files"]

    @property
    def path(self) -> Path:
        return self.opened.path

    @property
    def dependencies(self) -> list[Any]:
        """What the cache recorded of each file it was built from, touched-but-unchanged files'
        times brought up to date (a removed file's entry left out)."""
        return self.changes.dependencies

    def files(self) -> list[dict[str, Any]]:
        """What the cache recorded of each YAML file (`file_entry`, without its facts' ids),
        decoded once (not to be changed)."""
        return self.opened.files()

    def ids_of(self, number: int) -> list[str]:
        """The ids of the facts of file `number`."""
        ids: list[str] = self.opened.line("ids", number)
        return ids

    def holding(self, wanted: Iterable[str], leaving: Iterable[int] = ()) -> set[str]:
        """Those of the `wanted` fact ids that a file not numbered `leaving` holds: each looked
        for in the bytes of the files' ids, and a line where it occurs decoded to be sure."""
        wanted = set(wanted)
        if not wanted:
            return set()
        gone = set(leaving)
        lines = [line for number, line in enumerate(self.opened.lines("ids")) if number not in gone]
        every = b"\n".join(lines)
        found = set()
        for ident in wanted:
            needle = _dumps(ident)
            if needle in every and any(needle in line and ident in json.loads(line) for line in lines):
                found.add(ident)
        return found

    def sources(self, wanted: Iterable[str], leaving: Iterable[int] = ()) -> dict[str, Any]:
        """Every source id, without the sources of the files numbered `leaving`: the `wanted`
        ones built, decoded from the lines of the files defining them; the others None (enough
        to know that they exist; decoding every file's sources costs more than the rest of a
        patch)."""
        gone, wanted = set(leaving), set(wanted)
        files = self.files()
        found: dict[str, Any] = {}
        holders = set()
        for number, entry in enumerate(files):
            if number not in gone:
                for ident in entry["sources"]:
                    found[ident] = None
                    if ident in wanted:
                        holders.add(number)
        build = _builder(model.Source)
        for number in sorted(holders):
            for item in self.sources_of(number):
                if item["id"] in wanted:
                    found[item["id"]] = build(item)
        return found

    def sources_of(self, number: int) -> list[dict[str, Any]]:
        """The sources file `number` defined, as stored (decoded anew on each call)."""
        stored: list[dict[str, Any]] = self.opened.line("sources", number)
        return stored

    def close(self) -> None:
        self.opened.close()


REQUIRED_SECTIONS = (
    "meta",
    "regions",
    "countries",
    "entities",
    "editions",
    "sources",
    "texts",
    "search",
    "ids",
    "files",
) + tuple(f"facts:{kind}" for kind in model.FACT_KINDS)


def _well_formed(sections: Any, data: Any) -> bool:
    """Every section the reader needs is there, as segments within the data files."""
    if not (isinstance(data, list) and all(isinstance(file, list) and len(file) == 2 for file in data)):
        return False
    sizes = [size for _, size in data]
    return (
        isinstance(sections, dict)
        and all(name in sections for name in REQUIRED_SECTIONS)
        and all(isinstance(section, list) for section in sections.values())
        and all(
            isinstance(segment, list)
            and len(segment) == 5
            and all(type(n) is int for n in segment)
            and 0 <= segment[0] < len(sizes)
            and 0 <= segment[1] <= segment[2] < sizes[segment[0]]
            and segment[4] > 0
            for section in sections.values()
            for segment in section
        )
    )


def _write_index(path: Path, header: dict[str, Any]) -> None:
    """Replace the index (OSError, leaving it as it was, if it cannot be written)."""
    with _replacing(path) as stream:
        stream.write(PREAMBLE + _trailer_line(header))


def _trailer(fd: int, size: int) -> tuple[dict[str, Any] | None, bytes, bool]:
    """The index's last line as an object (None if it has no such line), the whole file, and
    whether the line before it holds that line's checksum (see `_trailer_line`). ValueError
    for a file larger than an index ever is, before reading any of it."""
    if size > MAX_INDEX_BYTES:
        raise ValueError(f"{size:,} bytes, more than an index ever holds")
    data = segments.read_at(fd, 0, size)
    newline = data.rfind(b"\n", 0, len(data) - 1)
    if not data.endswith(b"\n") or newline < 0:
        return None, data, False
    line = data[newline + 1 : -1]
    header = json.loads(line)
    if not isinstance(header, dict):
        raise ValueError("trailer is not an object")
    checksum = data[data.rfind(b"\n", 0, newline) + 1 : newline]
    return header, data, checksum == b"%08x" % zlib.crc32(line)


def _older_format(raw: bytes) -> bool:
    """A cache of ctreport before format 4, which put its header first: stale, not damaged."""
    try:
        header = json.loads(raw[: raw.find(b"\n")])
    except ValueError:
        return False
    return isinstance(header, dict) and isinstance(header.get("format"), int) and header["format"] < CACHE_FORMAT


Block = tuple[str, int, list[Any], list[bytes]]
"""A list command's rows of one country-year: (country, year, each row's key fields, each row's
JSON line). The rows of a command are its blocks in (country, year) order."""
SpooledRows = tuple[str, int, bytes, list[bytes]]
"""A block as a spool gives it back, its keys still JSON (see `_Spool`)."""


class CompiledCommand(NamedTuple):
    """What the caller wants stored beside the base for one list command (the cache does not
    know how rows are made)."""

    blocks: Callable[[], Iterable[Block]]
    indexed: tuple[str, ...] = ()
    """Key fields whose values get postings (see `postings`): a filter on them reads only the
    numbers of the rows it keeps."""


Compiled = Mapping[str, CompiledCommand]
SHARED = ("regions", "countries", "entities", "editions")
"""The definitions other files' rows show (names, regions): a change to them rebuilds the cache."""
Searched = Callable[[model.Document], list[tuple[list[Any], bytes]]]
"""A file's search entries (`kinds.search_entries` of its facts), given by the caller as
compiled rows are."""


class Built(NamedTuple):
    """One YAML file as a base was built from it."""

    path: str
    """Its absolute path."""
    label: str
    """How rows name it (`load.file_label`)."""
    document: model.Document
    texts: list[str]
    """The absolute paths of the source texts read for its sources, in order."""


def write(
    path: Path,
    base: model.FactBase,
    dependencies: list[Dependency],
    compiled: Compiled,
    files: list[Built],
    searched: Searched,
) -> model.FactBase:
    """The cache of `base`, built from `files` (in the order their facts appear in the base);
    `dependencies` are what was read of them and then of their texts. `base` is read back
    from the file written (see `_write`)."""
    counts = (len(files), len(dependencies) - len(files))
    sections = _sections(base, files, compiled, searched)
    return _write(path, sections, dependencies + _code_dependencies(), counts)


SpooledBlock = tuple[str, str, int, bytes, bytes, int]
"""A list command's block as `write_streamed` takes it: the command, the country-year, its
keys (JSON), its rows' lines joined by line breaks, and how many rows."""
FileLines = tuple[list[bytes], list[SpooledBlock]]
"""One YAML file as `write_streamed` takes it (see `file_lines`); files that share
country-years give their rows together, as blocks with no lines."""


def file_lines(built: Built, searched: list[tuple[list[Any], bytes]], texts: Mapping[str, str]) -> list[bytes]:
    """A file's line in each section of one line per file (in `_per_file_sections` order):
    plain bytes, which a helper process can make and hand over (see `streamed`)."""
    document = built.document
    by_kind = _by_kind(document.facts)
    entry = file_entry(built)
    return [
        _sources_line(document),
        _texts_line(document, texts),
        *(_facts_line(by_kind.get(kind, ())) for kind in model.FACT_KINDS),
        _search_line(searched),
        _dumps(entry["ids"]),
        _dumps(_without_ids(entry)),
    ]


def spooled(blocks: Iterable[tuple[str, Iterable[Block]]]) -> list[SpooledBlock]:
    """Each command's blocks as `write_streamed` takes them."""
    return [
        (command, country, year, _dumps(keys), b"\n".join(rows), len(rows))
        for command, command_blocks in blocks
        for country, year, keys, rows in command_blocks
    ]


def _per_file_sections() -> list[str]:
    return ["sources", "texts", *(f"facts:{kind}" for kind in model.FACT_KINDS), "search", "ids", "files"]


def write_streamed(
    path: Path,
    shared: model.FactBase,
    years: list[int],
    indexed: dict[str, list[str]],
    files: Iterable[FileLines],
    dependencies: list[Dependency],
    counts: tuple[int, int],
) -> model.FactBase:
    """The cache `write` makes, written as `files` come (in the base's order, each from
    `file_lines`), so that no more than one file is held at a time: `shared` gives the
    definitions, `years` every year a fact covers, and `indexed` each list command's indexed
    fields; `dependencies` and `counts` are as for `write`. The files' lines go into their
    sections side by side; each command's rows wait in a spool file until every file has given
    its blocks, and are then written in answer order."""
    names = _per_file_sections()

    def fill(writer: segments.Writer) -> dict[str, list[segments.Segment]]:
        side = segments.SideBySide(writer)
        side.add("meta", _dumps({"years": years, "compiled": indexed}))
        for part in SHARED:
            side.add(part, b"".join(_array(_to_plain(item) for item in getattr(shared, part).values())))
        with _Spool(path.parent) as spool:
            for lines, blocks in files:
                if lines:  # none from files that share country-years: only their rows
                    for name, line in zip(names, lines, strict=True):
                        side.add(name, line)
                spool.add(blocks)
            written = side.finish()
            for command, fields in indexed.items():
                for name, items in _rows_parts(command, fields, spool.blocks(command)):
                    written[name] = writer.section(items)
        return {name: written.get(name, []) for name in _section_names(indexed)}

    return _write_filled(path, fill, dependencies + _code_dependencies(), counts, None)


def _section_names(indexed: dict[str, list[str]]) -> list[str]:
    """Every section's name, in the order `_sections` gives them."""
    names = ["meta", *SHARED, *_per_file_sections()[:-2]]
    for command, fields in indexed.items():
        names += [f"rows:{command}", f"keys:{command}", f"blocks:{command}"] + ([f"values:{command}"] if fields else [])
    return [*names, "ids", "files"]


class _Spool:
    """List commands' blocks kept in a nameless temporary file beside the cache until they
    can be given back in answer order (country, then year)."""

    def __init__(self, folder: Path) -> None:
        import tempfile

        self.file = tempfile.TemporaryFile(dir=folder)
        self.position = 0
        self.placed: dict[str, list[tuple[str, int, bytes, int, int, int]]] = {}

    def __enter__(self) -> _Spool:
        return self

    def __exit__(self, *_: object) -> None:
        self.file.close()

    def add(self, blocks: Iterable[SpooledBlock]) -> None:
        for command, country, year, keys, data, count in blocks:
            self.file.write(data)
            self.placed.setdefault(command, []).append((country, year, keys, self.position, len(data), count))
            self.position += len(data)

    def blocks(self, command: str) -> Iterator[SpooledRows]:
        self.file.flush()
        fd = self.file.fileno()
        for country, year, keys, start, size, count in sorted(self.placed.get(command, []), key=_block_key):
            data = segments.read_at(fd, start, size)
            yield country, year, keys, data.split(b"\n") if count else []


def _block_key(placed: tuple[str, int, bytes, int, int, int]) -> tuple[str, int]:
    return placed[0], placed[1]


def file_entry(built: Built) -> dict[str, Any]:
    """What the cache records of one YAML file, so that a change to it can be patched in
    (`write_patched`) after checking it against the rest without reading the rest again:
    a digest of its shared definitions, the sources it defines and those it cites, its facts'
    ids, country-years, references to other facts and tally, and the texts it reads."""
    import hashlib

    document = built.document
    definitions = [[_to_plain(item) for item in getattr(document, part)] for part in SHARED]
    tally = model.tally_facts(document.facts)
    cited = {s for fact in document.facts for s in (fact.source, *fact.corroborated_by)}
    cited |= {source.summarises for source in document.sources if source.summarises}
    cited |= {edition.published_source for edition in document.editions if edition.published_source}
    return {
        "path": built.path,
        "label": built.label,
        "definitions": hashlib.sha256(_dumps(definitions)).hexdigest(),
        "sources": [source.id for source in document.sources],
        "cites": sorted(cited),
        "texts": built.texts,
        "ids": [fact.id for fact in document.facts],
        "keys": [list(key) for key in sorted({(fact.country, fact.year) for fact in document.facts})],
        "refs": sorted({ref for fact in document.facts for ref in fact.conflicts_with}),
        "tally": [[c, y, n, dict(sorted(cited.items()))] for (c, y), (n, cited) in sorted(tally.items())],
    }


def defines_nothing_shared(entry: dict[str, Any]) -> bool:
    return bool(entry["definitions"] == _nothing_shared())


@cache
def _nothing_shared() -> str:
    """The definitions digest of a file that defines no region, country, entity or edition."""
    digest: str = file_entry(Built("", "", model.Document(), []))["definitions"]
    return digest


def _write(
    path: Path,
    sections: Iterable[tuple[str, Iterable[segments.Item]]],
    dependencies: list[Any],
    counts: tuple[int, int],
    old: _OpenCache | None = None,
) -> model.FactBase:
    """Write a data file and the index over it; the base as a later run reads it, from the
    files just written (kept open, so a run replacing them meanwhile changes nothing here, and
    not checked again). With `old`, the cache being patched, sections may give lines of it by
    number, and its segments are reused where they can be (see segments.Reader.planned)."""
    reuse = old is not None and len(old.data) < segments.MAX_DATA_FILES

    def fill(writer: segments.Writer) -> dict[str, list[segments.Segment]]:
        written: dict[str, list[segments.Segment]] = {}
        for name, items in sections:
            if old is None:
                written[name] = writer.section(typing.cast(Iterable[bytes], items))
            else:
                written[name] = old.reader.planned(name, list(items), writer, reuse)
                old.reader.forget(name)
        return written

    return _write_filled(path, fill, dependencies, counts, old if reuse else None)


def _write_filled(
    path: Path,
    fill: Callable[[segments.Writer], dict[str, list[segments.Segment]]],
    dependencies: list[Any],
    counts: tuple[int, int],
    reused: _OpenCache | None,
) -> model.FactBase:
    """Write a data file through `fill` (which gives each section's segments) and the index
    over it and over the data files of `reused` (see `_write`)."""
    # Private from the start: a cache anyone else can write is a cache anyone can forge.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    writer = segments.Writer(path.parent, path.stem, len(reused.data) if reused else 0)
    try:
        written = fill(writer)
        writer.flush()
        data, fds = _data_files(reused, writer, written)
    except BaseException:
        writer.discard()
        raise
    header = {
        "format": CACHE_FORMAT,
        "version": __version__,
        "dependencies": dependencies,
        "yaml_files": counts[0],
        "text_files": counts[1],
        "data": data,
        "sections": written,
    }
    replaced = _data_names(path)
    opened = _OpenCache(fds, path, header)
    try:
        _write_index(path, header)
    except BaseException:
        opened.close()  # the writer's descriptor too
        writer.discard(closed=True)
        raise
    segments.remove_unused(path.parent, path.stem, [name for name, _ in data], replaced)
    return _opened_base(opened, opened.decoded("meta"))


def _data_files(
    old: _OpenCache | None, writer: segments.Writer, written: dict[str, list[segments.Segment]]
) -> tuple[list[list[Any]], list[int]]:
    """The data files the new index uses ([name, size] each, numbered anew) and descriptors
    to read them; the segments are renumbered in place."""
    files = [*(old.data if old else []), [writer.name, writer.position]]
    used = sorted({segment[0] for section in written.values() for segment in section} | {len(files) - 1})
    number = {old_number: new_number for new_number, old_number in enumerate(used)}
    for section in written.values():
        for segment in section:
            segment[0] = number[segment[0]]
    fds = [writer.fd if n == len(files) - 1 else os.dup(old.reader.fds[n]) for n in used]  # type: ignore[union-attr]
    return [files[n] for n in used], fds


def _data_names(path: Path) -> list[str]:
    """The data files of the index at `path` as it is now (none if it cannot be read)."""
    try:
        fd, status = open_regular(path)
    except (OSError, Refused):
        return []
    try:
        header, _, _ = _trailer(fd, status.st_size)
        return [name for name, _ in header["data"]] if isinstance(header, dict) else []
    except (OSError, ValueError, KeyError, TypeError):
        return []
    finally:
        os.close(fd)


def _opened_base(opened: _OpenCache, meta: dict[str, Any]) -> model.FactBase:
    lookups = (_locator(opened), _selector(opened), _tally(opened), _searcher(opened))
    sections = _Sections(opened.lines, opened.decoded, opened.line, opened.runs, opened.lines_at)
    base = _base_from_sections(meta, sections, lookups)
    # Closed when the command ends (`release`), or at the latest when the base is collected.
    base.release = weakref.finalize(base, opened.close)
    base.damaged = opened._failed
    return base


class Placed(NamedTuple):
    """A YAML file's place in a patched cache: what is recorded of it, and either the file as
    now read (`built`, with its texts) or its place in the stale cache (`before`)."""

    entry: dict[str, Any]
    built: Built | None
    texts: dict[str, str]
    before: int | None


def write_patched(
    stale: Stale,
    files: list[Placed],
    blocks: dict[str, list[Block]],
    replaced: set[tuple[str, int]],
    searched: Searched,
    dependencies: list[Any],
    counts: tuple[int, int],
) -> model.FactBase:
    """The stale cache with some files' facts, sources and texts replaced, added or taken
    away: `files` lists every YAML file of the base in order, and `blocks` every command's new
    blocks for the `replaced` country-years (those the changed files held before and hold now,
    which no other file shares). The result is the file a full rebuild writes; the base is
    read back from it (see `_write`): only the segments holding what changed are written."""
    sections = _patched_sections(stale, files, blocks, replaced, searched)
    return _write(stale.path, sections, dependencies, counts, stale.opened)


def _patched_sections(
    stale: Stale,
    files: list[Placed],
    blocks: dict[str, list[Block]],
    replaced: set[tuple[str, int]],
    searched: Searched,
) -> Iterator[tuple[str, Iterable[segments.Item]]]:
    """The sections of the patched cache, each as its lines: new ones, or the numbers of the
    stale cache's lines that come over unchanged."""
    years = sorted({key[1] for placed in files for key in placed.entry["keys"]})
    yield "meta", [_dumps({"years": years, "compiled": stale.meta["compiled"]})]
    for part in SHARED:
        yield part, [0]  # unchanged: a patch declines when they change

    yield "sources", _spliced(stale, "sources", files, lambda document, _: _sources_line(document))
    yield "texts", _spliced(stale, "texts", files, _texts_line)
    for kind in model.FACT_KINDS:
        yield f"facts:{kind}", _spliced(stale, f"facts:{kind}", files, functools.partial(_kind_line, kind))
    yield "search", _spliced(stale, "search", files, lambda document, _: _search_line(searched(document)))
    for command, indexed in stale.meta["compiled"].items():
        recorded = stale.opened.decoded(f"blocks:{command}")
        kept = _unchanged_blocks(recorded, replaced)
        merged = sorted([*kept, *blocks[command]], key=lambda block: (block[0], block[1]))
        yield f"rows:{command}", [line for block in merged for line in block[3]]
        yield f"keys:{command}", [keys if type(keys) is int else _dumps(keys) for _, _, keys, _ in merged]
        yield f"blocks:{command}", [_dumps([[country, year, len(lines)] for country, year, _, lines in merged])]
        if indexed:
            gone = [n for n, (country, year, _) in enumerate(recorded) if (country, year) in replaced]
            yield f"values:{command}", _patched_values(stale.opened, command, indexed, merged, gone)
    yield "ids", [_dumps(p.entry["ids"]) if p.before is None else p.before for p in files]
    yield "files", [_dumps(_without_ids(p.entry)) if p.before is None else p.before for p in files]


def _spliced(
    stale: Stale, section: str, files: list[Placed], make: Callable[[model.Document, dict[str, str]], bytes]
) -> list[segments.Item]:
    """A section of one line per file: a changed or added file's line made anew, the others'
    taken from the stale cache (by number)."""
    return [
        make(placed.built.document, placed.texts) if placed.built is not None else typing.cast(int, placed.before)
        for placed in files
    ]


def _kind_line(kind: str, document: model.Document, _: dict[str, str]) -> bytes:
    return _facts_line(fact for fact in document.facts if fact.kind == kind)


def _patched_values(
    opened: _OpenCache, command: str, indexed: list[str], merged: list[Any], gone: list[int]
) -> list[segments.Item]:
    """A command's postings after a patch: `merged` are its blocks (kept ones as in
    `_unchanged_blocks`), `gone` the numbers of the stale blocks replaced."""
    added, touched = postings.Builder(indexed), postings.Builder(indexed)
    for number in gone:
        for key in opened.line(f"keys:{command}", number):
            touched.note(0, key)
    moves: list[postings.Move] = []
    start = 0
    for _, _, keys, lines in merged:
        if type(keys) is int:
            moves.append((lines.start, lines.stop, start - lines.start))
        else:
            for offset, key in enumerate(keys):
                added.note(start + offset, key)
        start += len(lines)
    section = f"values:{command}"
    directory = opened.line(section, 0)
    return list(postings.patched(directory, moves, added.rows, touched.rows, lambda n: opened.line(section, n)))


def _unchanged_blocks(recorded: list[Any], replaced: set[Any]) -> list[Any]:
    """A command's blocks of the country-years not replaced, as the numbers of their lines in
    the stale cache: its line of keys, and the range of its rows."""
    kept, start = [], 0
    for number, (country, year, count) in enumerate(recorded):
        if (country, year) not in replaced:
            kept.append((country, year, number, range(start, start + count)))
        start += count
    return kept


def _trailer_line(header: dict[str, Any]) -> bytes:
    """The header as the index's last line, after a line holding its CRC-32: the offsets and
    dependencies are trusted too. The checksum covers the line's bytes as written, so reading
    it costs no second encoding of the header (7 ms for the 4,004 files of 100,000 facts)."""
    line = json.dumps(header).encode()
    return b"%08x\n" % zlib.crc32(line) + line + b"\n"


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[BinaryIO]:
    """A stream to a temporary file that replaces `path` once complete: a concurrent run sees
    the old cache or the new one, never half of one."""
    import tempfile

    # Private from the start: a cache anyone else can write is a cache anyone can forge.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- (de)serialisation of the model -------------------------------------------------------


def plain(value: Any) -> Any:
    """A model value as the cache stores it (see `_to_plain`)."""
    return _to_plain(value)


def _to_plain(value: Any, transient: bool = False) -> Any:
    """Plain JSON data; fields still at their default (None, empty) are left out, and so are
    the fields only validation needs (where each was written) unless `transient`."""
    kind: type = type(value)
    names = _plain_fields(kind, transient)
    if names is not None:
        plain = {}
        for name in names:
            v = getattr(value, name)
            if v is not None and v != ():
                plain[name] = _to_plain(v, transient) if type(v) not in _SCALARS else v
        return plain
    if type(value) is tuple:
        return [v if type(v) in _SCALARS else _to_plain(v, transient) for v in value]
    if kind is model.Positions:
        return value.plain()
    if kind is model.Origin:
        return list(value)
    return value


_SCALARS = frozenset({str, int, float, bool})


@cache
def _plain_fields(cls: type, transient: bool) -> tuple[str, ...] | None:
    """The fields `_to_plain` writes of a dataclass, None for any other type (this runs for
    every value of a large base, where dataclasses.fields is slow)."""
    if not dataclasses.is_dataclass(cls):
        return None
    return tuple(f.name for f in dataclasses.fields(cls) if transient or not f.metadata.get("transient"))


def _dumps(value: Any) -> bytes:
    return compact_json(value)


def _code_dependencies() -> list[Dependency]:
    """ctreport's own modules, which shape what the cache holds: a changed install (say, an
    editable one being worked on) rebuilds it even when its version number stayed the same."""
    return [dependency(module) for module in sorted(Path(__file__).parent.glob("*.py"))]


def _array(items: Iterable[Any], batch: int = 1000) -> Iterator[bytes]:
    """A JSON array, `batch` items at a time: a large base is never held as one string, and
    json.dumps is not called once per item (its set-up cost more than the encoding)."""
    yield b"["
    iterator = iter(items)
    first = True
    while chunk := list(itertools.islice(iterator, batch)):
        yield (b"" if first else b",") + _dumps(chunk)[1:-1]
        first = False
    yield b"]"


def _sections(
    base: model.FactBase, files: list[Built], compiled: Compiled, searched: Searched
) -> Iterator[tuple[str, Iterable[segments.Item]]]:
    """The payload's named sections, each as chunks of bytes: `meta` (the years, the commands
    with compiled rows), `regions` to `sources`, `texts`, the facts of each kind (one line per
    file, so that a changed file's line can be replaced), each file's search entries (`search`),
    each list command's compiled rows (the fields its filters read, `keys:`, one line per
    country-year; each row's JSON line, `rows:`; the country-years and their numbers of rows,
    `blocks:`), and last what `file_entry` records of each file, one line per file: its facts'
    ids (`ids`) apart from the rest (`files`), which a patch decodes whole. A query decodes only
    the sections it reads."""
    indexed = {command: list(wanted.indexed) for command, wanted in compiled.items()}
    yield "meta", [_dumps({"years": list(base.years), "compiled": indexed})]
    for part in SHARED:
        yield part, [b"".join(_array(_to_plain(item) for item in getattr(base, part).values()))]
    yield "sources", (_sources_line(built.document) for built in files)
    texts = base.texts
    yield "texts", (_texts_line(built.document, texts) for built in files)
    by_kind = [_by_kind(built.document.facts) for built in files]
    for kind in model.FACT_KINDS:
        yield f"facts:{kind}", (_facts_line(facts.get(kind, ())) for facts in by_kind)
    yield "search", (_search_line(searched(built.document)) for built in files)
    for command, wanted in compiled.items():
        yield from _rows_parts(command, wanted.indexed, wanted.blocks())
    entries = [file_entry(built) for built in files]
    yield "ids", [_dumps(entry["ids"]) for entry in entries]
    yield "files", [_dumps(_without_ids(entry)) for entry in entries]


def _rows_parts(
    command: str, indexed: Sequence[str], blocks: Iterable[Block | SpooledRows]
) -> Iterator[tuple[str, Iterable[bytes]]]:
    """A list command's sections from its blocks in answer order: its rows, the keys and
    sizes of its blocks, and the postings of its indexed fields (see `_sections`). Each part
    must be written before the next is asked for."""
    keys: list[bytes] = []
    counts: list[list[Any]] = []
    values = postings.Builder(indexed)
    yield f"rows:{command}", _rows_noting(blocks, keys, counts, values)
    # The writer has taken every row by now, and so filled the lists and the postings.
    yield f"keys:{command}", keys
    yield f"blocks:{command}", [_dumps(counts)]
    if indexed:
        yield f"values:{command}", values.lines()


def _rows_noting(
    blocks: Iterable[Block | SpooledRows], keys: list[bytes], counts: list[list[Any]], values: postings.Builder
) -> Iterator[bytes]:
    """The rows of each block in turn, noting its keys line, its [country, year, number of
    rows] and its rows' postings as it comes: the rows are written as they are made, never
    all held."""
    number = 0
    for country, year, block_keys, lines in blocks:
        # Spooled keys are already JSON, made by whichever process made the block.
        keys.append(block_keys if isinstance(block_keys, bytes) else _dumps(block_keys))
        counts.append([country, year, len(lines)])
        if values.fields:
            decoded = json.loads(block_keys) if isinstance(block_keys, bytes) else block_keys
            for offset, key in enumerate(decoded):
                values.note(number + offset, key)
        number += len(lines)
        yield from lines


def _without_ids(entry: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in entry.items() if name != "ids"}


def _by_kind(facts: Iterable[model.Fact]) -> dict[str, list[model.Fact]]:
    found: dict[str, list[model.Fact]] = {}
    for fact in facts:
        found.setdefault(fact.kind, []).append(fact)
    return found


def _facts_line(facts: Iterable[model.Fact]) -> bytes:
    """A file's facts of one kind."""
    return _dumps([_to_plain(fact) for fact in facts])


def _sources_line(document: model.Document) -> bytes:
    return _dumps([_to_plain(source) for source in document.sources])


def _texts_line(document: model.Document, texts: Mapping[str, str]) -> bytes:
    return _dumps({source.id: texts[source.id] for source in document.sources if source.id in texts})


def _search_line(entries: list[tuple[list[Any], bytes]]) -> bytes:
    """A file's search entries (`kinds.SearchEntry`: each part JSON text, which never holds a
    raw control character) with a unit separator between an entry's parts and tabs between
    entries, so that a search can pick single entries out of the line before decoding any."""
    return b"\t".join(_dumps(scored) + b"\x1f" + found for scored, found in entries)


def _origin(plain: list[Any]) -> model.Origin:
    file, line, column, label = plain
    return model.Origin(file, line, column, label)


def _optional(build: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else build(value)


def _each(build: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda values: tuple(build(v) for v in values)


@cache
def _builder(cls: type, checked: bool = False) -> Callable[[dict[str, Any]], Any]:
    """A function turning a plain dict back into `cls`, converting only the fields that need it.
    The cache's data (CRC-checked, written from a validated base) skips the constructor's
    checks; `checked` keeps them, for data that has no checksum (the store's entries)."""
    converters: dict[str, Callable[[Any], Any]] = {}
    for f in dataclasses.fields(cls):
        hint = f.type  # real types: model.py does not postpone its annotations
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = args[0] if typing.get_origin(hint) in (typing.Union, types.UnionType) else hint
        if dataclasses.is_dataclass(inner):
            converters[f.name] = _optional(_builder(typing.cast(type, inner), checked))
        elif inner is model.Positions:
            converters[f.name] = _optional(model.Positions.from_plain)
        elif inner is model.Origin:
            converters[f.name] = _optional(_origin)
        elif typing.get_origin(inner) is tuple:
            item = typing.get_args(inner)[0]
            converters[f.name] = (
                _each(_builder(typing.cast(type, item), checked)) if dataclasses.is_dataclass(item) else tuple
            )

    make = cls.from_fields if issubclass(cls, model.Record) and not checked else lambda data: cls(**data)

    def construct(data: dict[str, Any]) -> Any:
        for name, convert in converters.items():
            if name in data:
                data[name] = convert(data[name])
        return make(data)

    return construct


def _locator(opened: _OpenCache) -> Callable[[str], model.Fact | None]:
    """Finds a fact by id through the `ids` section: only the lines of the file holding it
    are decoded (`show` on a large base would otherwise build every fact)."""
    holder: dict[str, int] = {}

    def locate(fact_id: str) -> model.Fact | None:
        if not holder:
            every = opened.decoded("ids", lines=True)
            holder.update((ident, number) for number, ids in enumerate(every) for ident in ids)
        number = holder.get(fact_id)
        if number is None:
            return None
        for kind in model.FACT_KINDS:
            for plain in opened.line(f"facts:{kind}", number):
                if plain["id"] == fact_id:
                    fact: model.Fact = _builder(model.Fact)(plain)
                    return fact
        return None

    return locate


def _selector(opened: _OpenCache) -> model.FactSelector:
    """The facts of the files holding some of the wanted country-years, in the base's order:
    only those files' lines are decoded (the caller keeps the wanted facts among them)."""

    def select(wanted: Callable[[str, int], bool]) -> list[model.Fact]:
        numbers = [n for n, entry in enumerate(opened.files()) if any(wanted(c, y) for c, y in entry["keys"])]
        build = _builder(model.Fact)
        return [build(plain) for kind in model.FACT_KINDS for n in numbers for plain in opened.line(f"facts:{kind}", n)]

    return select


def _searcher(opened: _OpenCache) -> model.SearchSelector:
    """The search entries that may match every term, found in the section's bytes: each term's
    word, as JSON escapes it (character by character, so a word in an entry's folded text is in
    its bytes, folded the same way), or the id of one of the things whose names hold it, as a
    JSON string. Only those entries are decoded, and `search` keeps those that match."""

    def select(terms: Sequence[model.SearchTerm]) -> list[tuple[list[Any], bytes]]:
        needles = []
        for term in terms:
            if term.named is not None:
                try:
                    needles.append([_dumps(term.word)[1:-1], *(_dumps(ident) for ident in term.named)])
                except UnicodeError:
                    return []  # text no file can hold (a lone surrogate): no fact holds it

        def holds(data: bytes) -> bool:
            return all(any(needle in data for needle in alternatives) for alternatives in needles)

        wanted = []
        # A word looked for alone (no name holds it) is jumped to; alternatives need each line.
        alone = next((alternatives[0] for alternatives in needles if len(alternatives) == 1), None)
        # The one word of a search: an entry around a place it is holds it (nothing to test).
        test = None if len(needles) == 1 else holds
        for data in opened.runs("search", SEARCH_RUN_BYTES):
            if alone is not None:
                wanted += _entries_holding(data, alone, test)
                continue
            for line in data.split(b"\n"):
                if holds(line):
                    # A file without facts has an empty line.
                    wanted += [entry for entry in line.split(b"\t") if entry and holds(entry)]
        parts = [entry.partition(b"\x1f") for entry in wanted]
        scored = json.loads(b"[" + b",".join([part[0] for part in parts]) + b"]")
        return list(zip(scored, [part[2] for part in parts], strict=True))

    return select


SEARCH_RUN_BYTES = 4 * 1024 * 1024
"""How much of the search section a search reads at a time: not the whole section (250 MB at
300,000 facts)."""


def _entries_holding(data: bytes, needle: bytes, holds: Callable[[bytes], bool] | None) -> list[bytes]:
    """The entries of a piece of the search section (tab-separated, one line per file) whose
    bytes hold `needle` and pass `holds` (if given): found by jumping from one place the needle
    is to the next, so that a word in few entries costs a scan of memory, not a split of every
    line. Each end of an entry is the nearer of a tab and a line end, each looked for no
    further than the tab: finding them costs about the length of the entry, however long its
    line is."""
    found = []
    at = data.find(needle)
    while at >= 0:
        start = data.rfind(b"\t", 0, at) + 1
        start = data.rfind(b"\n", start, at) + 1 or start
        tab = data.find(b"\t", at)
        tab = len(data) if tab < 0 else tab
        end = data.find(b"\n", at, tab)
        end = tab if end < 0 else end
        entry = data[start:end]
        if holds is None or holds(entry):
            found.append(entry)
        at = data.find(needle, end)
    return found


def _tally(opened: _OpenCache) -> Callable[[], model.Tally]:
    """The base's tally from what each file's entry recorded (`file_entry`)."""

    def tally() -> model.Tally:
        found: model.Tally = {}
        for entry in opened.files():
            for country, year, count, cited in entry["tally"]:
                total, merged = found.get((country, year), (0, {}))
                for source, number in cited.items():
                    merged[source] = merged.get(source, 0) + number
                found[(country, year)] = (total + count, merged)
        return found

    return tally


RowsAt = Callable[[list[int]], list[bytes]]
"""The JSON lines of some rows of a command, by number (ascending)."""


def _within(
    decoded: Callable[..., Any],
    line: Callable[[str, int], Any] | None,
    command: str,
    rows_at: RowsAt,
    wanted: Callable[[str, int], bool],
) -> model.CompiledRows:
    """A command's rows of the country-years `wanted` keeps, found from its blocks (country,
    year, number of rows): the other country-years' keys are never decoded, their rows' segments
    never read, and their number is known without reading any row."""
    kept, ranges, start = [], [], 0
    for number, (country, year, count) in enumerate(decoded(f"blocks:{command}")):
        if wanted(country, year):
            kept.append(number)
            ranges.append((start, start + count))
        start += count

    def rows() -> list[bytes]:
        return rows_at([row for first, end in ranges for row in range(first, end)])

    count = sum(end - first for first, end in ranges)
    if line is None:
        everything = decoded(f"keys:{command}", True)
        return model.CompiledRows(rows, lambda: [key for n in kept for key in everything[n]], number=lambda: count)
    return model.CompiledRows(
        rows, lambda: [key for n in kept for key in line(f"keys:{command}", n)], number=lambda: count
    )


def _filtered(
    decoded: Callable[..., Any],
    line: Callable[[str, int], Any],
    command: str,
    rows_at: RowsAt,
    indexed: frozenset[str],
) -> model.RowSelector:
    """A command's rows that a filter on `indexed` fields keeps, found from its postings: no
    row's fields are decoded. None for a filter on another field."""

    def select(match: postings.Match, wanted: Callable[[str, int], bool] | None) -> model.CompiledRows | None:
        if not match.keys() <= indexed:
            return None
        section = f"values:{command}"
        rows = postings.select(line(section, 0), lambda number: line(section, number), match)
        if wanted is not None:
            rows = _in_blocks(rows, decoded(f"blocks:{command}"), wanted)

        def chosen_rows() -> list[bytes]:
            return rows_at(rows)

        def chosen_keys() -> list[dict[str, Any]]:
            every = [key for block in decoded(f"keys:{command}", True) for key in block]
            return [every[number] for number in rows]

        return model.CompiledRows(chosen_rows, chosen_keys, number=lambda: len(rows))

    return select


def _in_blocks(rows: list[int], blocks: list[Any], wanted: Callable[[str, int], bool]) -> list[int]:
    """The rows (ascending) that lie in a block of a country-year `wanted` keeps."""
    kept: list[int] = []
    block, end = -1, 0
    for row in rows:
        while row >= end:
            block += 1
            end += blocks[block][2]
        if wanted(blocks[block][0], blocks[block][1]):
            kept.append(row)
    return kept


class _Sections(NamedTuple):
    """How a base built from the cache reads its sections: whole, decoded, and (when the cache
    stays open for queries) by line, in runs, or some lines only."""

    lines: Callable[[str], list[bytes]]
    decoded: Callable[..., Any]
    line: Callable[[str, int], Any] | None = None
    runs: Callable[[str, int], Iterator[bytes]] | None = None
    lines_at: Callable[[str, Iterable[int]], list[bytes]] | None = None


def _compiled(command: str, indexed: frozenset[str], sections: _Sections) -> model.CompiledLoader:
    """A list command's compiled rows, each part read when first wanted."""
    decoded, line, runs, lines_at = sections.decoded, sections.line, sections.runs, sections.lines_at

    def load() -> model.CompiledRows:
        encoded = functools.cache(lambda: sections.lines(f"rows:{command}"))
        rows_at: RowsAt = (
            (lambda numbers: lines_at(f"rows:{command}", numbers))
            if lines_at
            else (lambda numbers: [encoded()[number] for number in numbers])
        )
        return model.CompiledRows(
            load_encoded=encoded,
            load_keys=lambda: [key for block in decoded(f"keys:{command}", True) for key in block],
            within=lambda wanted: _within(decoded, line, command, rows_at, wanted),
            number=lambda: sum(count for _, _, count in decoded(f"blocks:{command}")),
            select=_filtered(decoded, line, command, rows_at, indexed) if indexed and line else None,
            load_runs=(lambda size: runs(f"rows:{command}", size)) if runs else None,
        )

    return load


def _base_from_sections(
    meta: dict[str, Any],
    sections: _Sections,
    lookups: tuple[
        Callable[[str], model.Fact | None], model.FactSelector, Callable[[], model.Tally], model.SearchSelector
    ]
    | None = None,
) -> model.FactBase:
    build_fact = _builder(model.Fact)
    decoded = sections.decoded

    def facts(kind: str) -> model.FactLoader:
        return lambda: tuple(build_fact(f) for file in decoded(f"facts:{kind}", True) for f in file)

    def index(section: str, cls: type, key: str) -> Callable[[], dict[str, Any]]:
        def load() -> dict[str, Any]:
            build = _builder(cls)
            return {item[key]: build(item) for item in decoded(section)}

        return load

    return model.FactBase(
        regions=index("regions", model.Region, "id"),
        countries=index("countries", model.Country, "code"),
        entities=index("entities", model.Entity, "id"),
        editions=index("editions", model.Edition, "id"),
        sources=lambda: model.BuiltOnUse(
            {item["id"]: item for line in decoded("sources", True) for item in line}, _builder(model.Source)
        ),
        facts_by_kind={kind: facts(kind) for kind in model.FACT_KINDS},
        years=tuple(meta["years"]),
        texts=lambda: {ident: text for line in decoded("texts", True) for ident, text in line.items()},
        compiled={
            command: _compiled(command, frozenset(indexed), sections) for command, indexed in meta["compiled"].items()
        },
        locate=lookups[0] if lookups else None,
        select=lookups[1] if lookups else None,
        tally=lookups[2] if lookups else None,
        search=lookups[3] if lookups else None,
    )


# --- what each file gave, for rebuilding only the files that changed -----------------------

FileResult = tuple[model.Document | None, list[tuple[int, int, str]], list[str], bool]
"""What reading one YAML file gave: its document (None if refused), its problems as (line,
column, message), the ids it refused, and whether it could be parsed at all."""


class FileStore:
    """What reading each YAML file gave, kept under a key made of the file's SHA-256, its path
    and label, and ctreport's own code: a rebuild reads again only the files that changed. It
    lives beside the cache it feeds and is trusted as that cache is: private to the user, each
    entry checked like the cache file, anything unreadable read again from the YAML."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.used: set[str] = set()
        self._packing = False
        self._writer: _PackWriter | None = None
        self._packs: list[str] | None = None
        """The sealed packs, oldest first; read when first needed."""
        self._located: dict[str, tuple[str, int, int]] = {}
        """Where each key of those packs is: (pack, offset, size)."""

    @classmethod
    def beside(cls, cache_path: Path) -> FileStore | None:
        """The store of one cache, or None when its folder cannot be trusted."""
        folder = cache_path.with_suffix(".files")
        if _untrusted_folder(cache_path.parent) or _untrusted_folder(folder):
            return None
        return cls(folder)

    def key(self, path: str, label: str, digest: str) -> str:
        import hashlib

        spelled = "\0".join([digest, path, label, _code_digest()]).encode(errors="surrogateescape")
        return hashlib.sha256(spelled).hexdigest()[:32]

    def get(self, key: str) -> FileResult | None:
        self.use(key)
        self._read_packs()
        located = self._located.get(key)
        if located is not None:
            result = _entry(*located)
            if result is not None:
                return result
            del self._located[key]  # damaged: its pack no longer counts as holding it
        return _entry(str(self.folder / f"{key}.json"), 0, -1)

    def use(self, key: str) -> None:
        """Keep an entry this build used (a helper's, taken from what it handed back) when the
        unused are forgotten."""
        self.used.add(key)

    def put(self, key: str, result: FileResult) -> None:
        """Kept for the next rebuild; a store that cannot be written only costs time."""
        document, problems, dropped, parsed = result
        stored = {
            "document": None if document is None else _to_plain(document, transient=True),
            "problems": problems,
            "dropped": sorted(dropped),
            "parsed": parsed,
        }
        with contextlib.suppress(OSError, UnicodeError, ValueError):
            data = _dumps(stored)
            # _replacing makes the store folder 0700, but not a missing cache folder above it.
            self.folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self._packing:
                if self._writer is None or self._writer.pid != os.getpid():  # a helper starts its own
                    self._writer = _PackWriter(self.folder)
                self._writer.add(key, data)
                return
            with _replacing(self.folder / f"{key}.json") as stream:
                stream.write(data)

    def pack(self) -> None:
        """Put what follows in one file (a pack) until `seal`: creating a file per entry costs
        the system about half a millisecond each, more than the rest of putting it. Each
        process that puts (a helper too) writes a pack of its own."""
        self._packing = True

    def seal(self) -> None:
        """Make this process's pack readable, to this process and to any other."""
        self._packing = False
        writer, self._writer = self._writer, None
        if writer is None or writer.pid != os.getpid():
            return
        with contextlib.suppress(OSError, ValueError):
            path = writer.seal()
            if self._packs is not None:
                self._packs.append(path)
                self._located.update((key, (path, offset, size)) for key, (offset, size) in writer.entries.items())

    def refresh(self) -> None:
        """Read the packs again when next needed (other processes sealed theirs)."""
        self._packs = None
        self._located = {}

    def _read_packs(self) -> None:
        """Every pack's index. A key in several packs is taken from the newest: an entry read
        again after its copy was found damaged is newer than that copy."""
        if self._packs is not None:
            return
        packs = []
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.folder):
                if entry.name.endswith(PACK_SUFFIX):
                    with contextlib.suppress(OSError):
                        packs.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
        self._packs = [path for _, path in sorted(packs)]
        for path in self._packs:
            self._located.update(_pack_index(path))

    def forget(self, key: str) -> None:
        """Remove one entry (a file's old version, once a patch has replaced it)."""
        with contextlib.suppress(OSError):
            os.unlink(self.folder / f"{key}.json")

    def forget_unused(self) -> None:
        """Remove what no file of this build used (the files' old versions, deleted files), and
        what a write that was killed left behind."""
        self._read_packs()
        holding = {self._located[key][0] for key in self.used if key in self._located}
        for path in self._packs or []:
            if path not in holding:  # every entry in it unused, damaged, or newer elsewhere
                with contextlib.suppress(OSError):
                    os.unlink(path)
        self._remove(lambda name: name.endswith(".json") and name[:-5] not in self.used)

    def forget_all_but(self, keys: set[str]) -> None:
        """Remove every entry but those of `keys` (the base's files as they now are), and what
        a write that was killed left behind."""
        self.used = set(keys)
        self.refresh()
        self.forget_unused()

    def forget_abandoned(self) -> None:
        """Remove what a write that was killed left behind (not a run writing now: an hour old)."""
        self._remove(lambda name: False)

    def _remove(self, unused: Callable[[str], bool]) -> None:
        import time

        abandoned = time.time() - 3600
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.folder):
                if unused(entry.name) or (entry.name.endswith(".tmp") and entry.stat().st_mtime < abandoned):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


def _entry(path: str, offset: int, size: int) -> FileResult | None:
    """The entry at `offset` in `path` (`size` bytes, or to its end when negative); None when it
    cannot be trusted or read, or is of another shape (the YAML is then read again)."""
    try:
        fd, status = open_regular(path)
    except (OSError, Refused):
        return None
    try:
        if _untrusted(status):
            return None
        stored = json.loads(segments.read_at(fd, offset, status.st_size if size < 0 else size))
        document = stored["document"]
        return (
            None if document is None else _builder(model.Document, checked=True)(document),
            [(line, column, message) for line, column, message in stored["problems"]],
            list(stored["dropped"]),
            bool(stored["parsed"]),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    finally:
        os.close(fd)


PACK_SUFFIX = ".pack"
_PACK_END = b"ctpack1:"
"""A pack ends with these bytes, then where its index starts (8 bytes, little-endian)."""


class _PackWriter:
    """One process's entries, one after another in a file of their own, then their index (a
    JSON object of [offset, size] by key). Named as a pack once sealed."""

    def __init__(self, folder: Path) -> None:
        import tempfile

        folder.mkdir(mode=0o700, exist_ok=True)
        self.pid = os.getpid()
        handle, self.path = tempfile.mkstemp(dir=folder, suffix=PACK_SUFFIX + ".tmp")
        self.stream = os.fdopen(handle, "wb")
        self.entries: dict[str, tuple[int, int]] = {}
        self.size = 0

    def add(self, key: str, data: bytes) -> None:
        self.stream.write(data)
        self.entries[key] = (self.size, len(data))
        self.size += len(data)

    def seal(self) -> str:
        try:
            with self.stream:
                self.stream.seek(self.size)  # past the last whole entry: one cut short is dropped
                self.stream.truncate()
                self.stream.write(_dumps(self.entries))
                self.stream.write(_PACK_END + self.size.to_bytes(8, "little"))
            sealed = self.path.removesuffix(".tmp")
            os.replace(self.path, sealed)
        except BaseException:
            Path(self.path).unlink(missing_ok=True)
            raise
        return sealed


def _pack_index(path: str) -> dict[str, tuple[str, int, int]]:
    """Where each entry of a pack is: (pack, offset, size); nothing when the pack cannot be
    trusted or read (its entries are read again from the YAML)."""
    trailer = len(_PACK_END) + 8
    try:
        fd, status = open_regular(path)
    except (OSError, Refused):
        return {}
    try:
        if _untrusted(status) or status.st_size < trailer:
            return {}
        end = segments.read_at(fd, status.st_size - trailer, trailer)
        start = int.from_bytes(end[len(_PACK_END) :], "little")
        if not end.startswith(_PACK_END) or start > status.st_size - trailer:
            return {}
        index = json.loads(segments.read_at(fd, start, status.st_size - trailer - start))
        located = {}
        for key, (offset, size) in index.items():
            if type(key) is not str or type(offset) is not int or type(size) is not int:
                return {}
            if not 0 <= offset <= offset + size <= start:
                return {}
            located[key] = (path, offset, size)
        return located
    except (OSError, ValueError, TypeError, AttributeError):
        return {}
    finally:
        os.close(fd)


@cache
def _code_digest() -> str:
    """What shapes an entry besides the file: ctreport's version and modules, PyYAML's version
    and parser (libyaml words syntax errors differently) and Python's Unicode tables. A change
    of any reads every file again."""
    import unicodedata

    import yaml

    from ct_report.yamlread import Loader

    tools = [__version__, yaml.__version__, Loader.__name__, unicodedata.unidata_version, sys.version]
    return ":".join(tools) + ":" + ",".join(digest for *_, digest in _code_dependencies())
