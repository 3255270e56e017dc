"""The published JSON Schemas are generated from the dataclasses and stay in step with them."""

from __future__ import annotations

import json

import jsonschema

from conftest import REPO
from envdoctor._schema import SCHEMAS, attribute_docs
from envdoctor.facts import Facts, OsFacts


def test_published_schemas_match_the_code() -> None:
    for name, build in SCHEMAS.items():
        published = json.loads((REPO / "envdoctor/schema" / name).read_text())
        assert published == build(), f"{name} is stale: run python scripts/gen_schema.py"


def test_schemas_are_valid_json_schema() -> None:
    for build in SCHEMAS.values():
        jsonschema.Draft202012Validator.check_schema(build())


def test_every_facts_field_is_documented() -> None:
    # The attribute docstrings are the documentation of the JSON contract.
    schema = SCHEMAS["facts.schema.json"]()
    missing = [f"{name}.{prop}" for name, spec in schema["$defs"].items()
               if "properties" in spec for prop, p in spec["properties"].items()
               if not p.get("description")]
    missing += [prop for prop, p in schema["properties"].items() if not p.get("description")]
    assert missing == []


def test_attribute_docs_reads_the_docstring_after_each_field() -> None:
    assert attribute_docs(OsFacts)["kernel"].startswith("Release of the running kernel")
    assert "schema_version" in attribute_docs(Facts)
