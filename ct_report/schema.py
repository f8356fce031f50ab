"""The JSON Schema of a fact-base file, generated from the model the loader validates against."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, get_args, get_origin

from ct_report import model
from ct_report.validate import fields, hints, is_required, unwrap_optional

SCHEMA_ID = "https://ctreport.invalid/schema/factbase.schema.json"


def json_schema() -> dict[str, Any]:
    definitions: dict[str, Any] = {}
    root = _object_schema(model.Document, definitions)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "ctreport fact-base file",
        "description": "One YAML file of a ctreport fact base. Every section is optional; files are merged on load.",
        **root,
        "$defs": dict(sorted(definitions.items())),
    }


def _object_schema(cls: type, definitions: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required = []
    for name, f in fields(cls).items():
        prop = _type_schema(hints(cls)[name], definitions)
        doc = f.metadata.get("doc")
        if doc:
            prop = {"description": doc, **prop}
        if f.metadata.get("pattern"):
            prop = _with_pattern(prop, f.metadata["pattern"])
        properties[name] = prop
        if is_required(f) and not f.metadata.get("inherited"):
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = required
    if cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "("):
        schema["description"] = cls.__doc__.strip().splitlines()[0]
    return schema


def _with_pattern(prop: dict[str, Any], pattern: str) -> dict[str, Any]:
    if prop.get("type") == "string":
        return {**prop, "pattern": pattern}
    if "anyOf" in prop:
        return {**prop, "anyOf": [_with_pattern(p, pattern) for p in prop["anyOf"]]}
    return prop


def _type_schema(hint: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    inner, optional = unwrap_optional(hint)
    if optional:
        return {"anyOf": [_type_schema(inner, definitions), {"type": "null"}]}
    if dataclasses.is_dataclass(inner):
        name = inner.__name__  # type: ignore[union-attr]
        if name not in definitions:
            definitions[name] = {}  # placeholder against recursion
            definitions[name] = _object_schema(inner, definitions)  # type: ignore[arg-type]
        return {"$ref": f"#/$defs/{name}"}
    if get_origin(inner) is tuple:
        return {"type": "array", "items": _type_schema(get_args(inner)[0], definitions)}
    if get_origin(inner) is Literal:
        return {"type": "string", "enum": list(get_args(inner))}
    if inner is int:
        return {"type": "integer"}
    if inner is str:
        return {"type": "string", "minLength": 1}
    raise TypeError(f"unsupported schema type {inner!r}")  # pragma: no cover - model bug
