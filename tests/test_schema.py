"""The published JSON Schema agrees with the loader: it accepts the bundled files and refuses the
corpus files whose breakage a schema can see (unknown keys, missing fields, wrong types, values
outside a list, YAML 1.1 surprises). Checks a schema cannot make (duplicate keys, anchors,
references across files, quotes against texts) are the loader's alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from ct_report.load import bundled_data_dir
from ct_report.schema import json_schema

TESTS = Path(__file__).parent
BROKEN = TESTS / "broken"
DATA = bundled_data_dir()
SCHEMA_FILE = Path(__file__).parent.parent / "data" / "factbase.schema.json"

# Corpus folders whose broken file the schema alone refuses: the file, and the JSON Schema
# keyword that catches it.
SCHEMA_LEVEL = {
    "unknown-key": ("ma-2021.yaml", "additionalProperties"),
    "unknown-key-no-suggestion": ("base.yaml", "additionalProperties"),
    "unknown-section": ("ma-2021.yaml", "additionalProperties"),
    "missing-required-field": ("ma-2021.yaml", "required"),
    "list-for-text": ("ma-2021.yaml", "type"),
    "mapping-for-list": ("ma-2021.yaml", "type"),
    "empty-string": ("ma-2021.yaml", "minLength"),
    "enum-value": ("ma-2021.yaml", "enum"),
    "yaml-boolean-for-text": ("base.yaml", "type"),
    "bare-date-for-text": ("base.yaml", "type"),
    "float-for-text": ("ma-2021.yaml", "type"),
    "quoted-number": ("ma-2021.yaml", "type"),
    "country-code-form": ("ma-2021.yaml", "pattern"),
}


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8-sig"))


def bundled_files() -> list[Path]:
    return sorted(DATA.rglob("*.yaml"))


def test_there_are_bundled_files() -> None:
    assert len(bundled_files()) >= 5


@pytest.mark.parametrize("path", bundled_files(), ids=lambda p: str(p.relative_to(DATA)))
def test_schema_accepts_every_bundled_file(validator: Draft202012Validator, path: Path) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(load(path))]
    assert errors == []


@pytest.mark.parametrize("path", sorted((TESTS / "fixtures" / "tiny").glob("*.yaml")), ids=lambda p: p.name)
def test_schema_accepts_the_tiny_fixture(validator: Draft202012Validator, path: Path) -> None:
    assert list(validator.iter_errors(load(path))) == []


@pytest.mark.parametrize("name", sorted(p.name for p in BROKEN.glob("accepted-*")))
def test_schema_accepts_the_accepted_oddities(validator: Draft202012Validator, name: str) -> None:
    for path in sorted((BROKEN / name).glob("*.yaml")):
        assert list(validator.iter_errors(load(path))) == [], path


@pytest.mark.parametrize("name", sorted(SCHEMA_LEVEL))
def test_schema_refuses_schema_level_breakage(validator: Draft202012Validator, name: str) -> None:
    file, keyword = SCHEMA_LEVEL[name]
    errors = list(validator.iter_errors(load(BROKEN / name / file)))
    assert errors, f"{name}/{file} passes the schema"
    # Errors inside anyOf (optional fields) are reported as anyOf, with the real cause as context.
    keywords = {e.validator for e in errors} | {c.validator for e in errors for c in e.context}
    assert keyword in keywords, [e.message for e in errors]


@pytest.mark.parametrize("name", sorted(SCHEMA_LEVEL))
def test_schema_level_breakage_is_in_the_one_file(validator: Draft202012Validator, name: str) -> None:
    """The other files of each broken base still pass: the schema points at the right file."""
    file, _ = SCHEMA_LEVEL[name]
    for path in sorted((BROKEN / name).glob("*.yaml")):
        if path.name != file:
            assert list(validator.iter_errors(load(path))) == [], path


def test_octal_number_is_beyond_the_schema(validator: Draft202012Validator) -> None:
    """`year: 0755` loads as the integer 493, which the schema must accept; only the loader,
    which sees how the number was written, refuses it."""
    document = load(BROKEN / "octal-year" / "ma-2021.yaml")
    assert document["year"] == 493
    assert list(validator.iter_errors(document)) == []


def test_published_schema_file_is_current(ctreport: Any) -> None:
    run = ctreport(["schema"])
    assert run.code == 0, run.err
    assert SCHEMA_FILE.read_text(encoding="utf-8") == run.out
    assert json.loads(run.out) == json_schema()
