"""A compiled cache of the validated fact base, so repeated runs skip YAML parsing and validation.

The cache is plain JSON (reading it cannot run code), one file per set of fact-base roots, in
the user's cache directory (`CTREPORT_CACHE_DIR` overrides). It is trusted only when it was
written by this ctreport version and every file it was built from still has the recorded size,
modification time and SHA-256; a file whose time changed but whose content did not is rehashed,
not rebuilt. A checksum over the payload catches truncation and corruption. Writes go to a
temporary file renamed into place, so concurrent runs never read a half-written cache.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import types
import typing
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from ct_report import __version__, model

CACHE_FORMAT = 3
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
    # zlib is loaded at start-up anyway; hashlib is not, and only a changed file needs it.
    joined = "\0".join(os.path.abspath(r) for r in roots).encode()
    key = f"{zlib.crc32(joined):08x}{zlib.adler32(joined):08x}"
    return cache_dir() / f"base-{key}.json"


def file_hash(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def dependency(path: Path) -> Dependency:
    stat = path.stat()
    return (os.path.abspath(path), stat.st_size, stat.st_mtime_ns, file_hash(path))


def _unchanged(recorded: list[Any], yaml_files: list[Path]) -> bool:
    """Every recorded file unchanged, and the YAML files are exactly those recorded."""
    recorded_paths = {entry[0] for entry in recorded}
    if not {os.path.abspath(p) for p in yaml_files} <= recorded_paths:
        return False
    for path, size, mtime_ns, digest in recorded:
        try:
            stat = os.stat(path)
        except OSError:
            return False
        if stat.st_size != size:
            return False
        if stat.st_mtime_ns != mtime_ns and file_hash(Path(path)) != digest:
            return False
    return True


class CacheProblem(Exception):
    """The cache file exists but cannot be used; the message says why."""


def read(path: Path, yaml_files: list[Path]) -> model.FactBase | None:
    """The cached base if valid and current; None if absent or stale; CacheProblem if damaged.

    The file is one JSON header line (format, version, the files the base was built from, the
    payload's length and CRC-32), then the payload: so a stale cache is recognised without
    parsing the base, and a damaged one before trusting it."""
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise CacheProblem(f"unreadable ({error.strerror or error})") from None
    try:
        end_of_header = raw.find(b"\n")
        if end_of_header < 0:
            raise ValueError("no header line")
        header = json.loads(raw[:end_of_header])
        if not isinstance(header, dict):
            raise ValueError("header is not an object")
        if header.get("format") != CACHE_FORMAT or header.get("version") != __version__:
            return None  # written by another ctreport: stale, not damaged
        payload = memoryview(raw)[end_of_header + 1 :]
        if len(payload) != header["length"] or zlib.crc32(payload) != header["crc32"]:
            raise ValueError("length or checksum mismatch")
        if not _unchanged(header["dependencies"], yaml_files):
            return None
        return _base_from_payload(bytes(payload))
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise CacheProblem(f"damaged ({error})") from None


def write(path: Path, base: model.FactBase, dependencies: list[Dependency]) -> None:
    import tempfile

    payload = _payload(base)
    header = {
        "format": CACHE_FORMAT,
        "version": __version__,
        "dependencies": dependencies,
        "length": len(payload),
        "crc32": zlib.crc32(payload),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(json.dumps(header, ensure_ascii=False).encode() + b"\n")
            stream.write(payload)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- (de)serialisation of the model -------------------------------------------------------


def _to_plain(value: Any) -> Any:
    """Plain JSON data; fields still at their default (None, empty) are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _to_plain(v)
            for f in dataclasses.fields(value)
            if (v := getattr(value, f.name)) is not None and v != ()
        }
    if isinstance(value, tuple):
        return [_to_plain(v) for v in value]
    return value


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _payload(base: model.FactBase) -> bytes:
    """A line of everything but the facts, then one JSON array per fact kind, back to back;
    the first line records where each array lies, so a query decodes only the kinds it reads."""
    sections = [_dumps([_to_plain(f) for f in base.of_kind(kind)]) for kind in model.FACT_KINDS]
    offsets, position = {}, 0
    for kind, section in zip(model.FACT_KINDS, sections, strict=True):
        offsets[kind] = [position, position + len(section)]
        position += len(section)
    meta = {
        "regions": [_to_plain(r) for r in base.regions.values()],
        "countries": [_to_plain(c) for c in base.countries.values()],
        "entities": [_to_plain(e) for e in base.entities.values()],
        "editions": [_to_plain(e) for e in base.editions.values()],
        "sources": [_to_plain(s) for s in base.sources.values()],
        "texts": base.texts,
        "years": list(base.years),
        "kinds": offsets,
    }
    return _dumps(meta) + b"\n" + b"".join(sections)


def _optional(build: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else build(value)


def _each(build: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda values: tuple(build(v) for v in values)


@cache
def _builder(cls: type) -> Callable[[dict[str, Any]], Any]:
    """A function turning a plain dict back into `cls`, converting only the fields that need it."""
    converters: dict[str, Callable[[Any], Any]] = {}
    for f in dataclasses.fields(cls):
        hint = f.type  # real types: model.py does not postpone its annotations
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = args[0] if typing.get_origin(hint) in (typing.Union, types.UnionType) else hint
        if dataclasses.is_dataclass(inner):
            converters[f.name] = _optional(_builder(typing.cast(type, inner)))
        elif typing.get_origin(inner) is tuple:
            item = typing.get_args(inner)[0]
            converters[f.name] = _each(_builder(typing.cast(type, item))) if dataclasses.is_dataclass(item) else tuple

    def construct(data: dict[str, Any]) -> Any:
        for name, convert in converters.items():
            if name in data:
                data[name] = convert(data[name])
        return cls(**data)

    return construct


def _base_from_payload(payload: bytes) -> model.FactBase:
    end_of_meta = payload.index(b"\n")
    meta = json.loads(payload[:end_of_meta])
    sections = memoryview(payload)[end_of_meta + 1 :]
    build_fact = _builder(model.Fact)

    def loader(start: int, end: int) -> model.FactLoader:
        return lambda: tuple(build_fact(f) for f in json.loads(bytes(sections[start:end])))

    def index(section: str, cls: type, key: str) -> dict[str, Any]:
        build = _builder(cls)
        return {item[key]: build(item) for item in meta[section]}

    facts_by_kind: dict[str, tuple[model.Fact, ...] | model.FactLoader] = {
        kind: loader(start, end) for kind, (start, end) in meta["kinds"].items()
    }
    return model.FactBase(
        regions=index("regions", model.Region, "id"),
        countries=index("countries", model.Country, "code"),
        entities=index("entities", model.Entity, "id"),
        editions=index("editions", model.Edition, "id"),
        sources=index("sources", model.Source, "id"),
        facts_by_kind=facts_by_kind,
        years=tuple(meta["years"]),
        texts=dict(meta["texts"]),
    )
