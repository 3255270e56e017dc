"""Validate the knowledge-base tables in envdoctor/knowledge/data/.

Each table is a JSON object with a header (``table``, ``description``, ``as_of``,
``sources``) and lists of rows; every row names its source keys and a status. These tests
check the shape of every table with a JSON Schema written here, that every cited source
exists, that keys are unique and rows ordered newest first, the monotonic rules that hold
between CUDA toolkits, drivers and architectures, the cross-table links, and a set of spot
checks a GPU expert would sign.

Only the standard library, pytest and jsonschema are used; tables are read by path so the
tests do not depend on the envdoctor package.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = REPO_ROOT / "envdoctor" / "knowledge" / "data"
CLASSIC_PATH = REPO_ROOT / "probes" / "_classic.py"

TABLES = (
    "cuda_driver",
    "cuda_arch",
    "gpus",
    "torch",
    "tensorflow",
    "jax",
    "cupy",
    "onnxruntime",
    "paddle",
    "cudnn",
    "rocm",
    "retired",
    "images",
    "cloud",
)


def vkey(version: str) -> tuple[int, ...]:
    """'570.124.06' -> (570, 124, 6): versions compare per dot-separated number."""
    return tuple(int(part) for part in version.split("."))


def load(name: str) -> dict[str, Any]:
    with (DATA / f"{name}.json").open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


@pytest.fixture(scope="module")
def tables() -> dict[str, dict[str, Any]]:
    return {name: load(name) for name in TABLES}


# --------------------------------------------------------------------------- schemas

VERSION = r"^[0-9]+(\.[0-9]+)*$"
MAJOR_MINOR = r"^[0-9]+\.[0-9]+$"
DRIVER = r"^[0-9]{3}(\.[0-9]+){0,2}$"
PY = r"^[0-9]+\.[0-9]+t?$"
MONTH = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"

STR = {"type": "string", "minLength": 1}
STR_OR_NULL = {"type": ["string", "null"], "minLength": 1}
VER = {"type": "string", "pattern": VERSION}
VER_OR_NULL = {"type": ["string", "null"], "pattern": VERSION}
MM = {"type": "string", "pattern": MAJOR_MINOR}
DRV_OR_NULL = {"type": ["string", "null"], "pattern": DRIVER}
STATUS = {"enum": ["verified", "knowledge", "gap"]}
SOURCE = {
    "oneOf": [
        STR,
        {"type": "array", "items": STR, "minItems": 1, "uniqueItems": True},
    ]
}
NOTES = STR
PYTHON = {
    "type": "array",
    "items": {"type": "string", "pattern": PY},
    "minItems": 1,
    "uniqueItems": True,
}


def rows_of(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """An array of row objects with ``source``/``status`` and an optional ``notes``."""
    return {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": {**properties, "source": SOURCE, "status": STATUS, "notes": NOTES},
            "required": [*required, "source", "status"],
            "additionalProperties": False,
        },
    }


def table_schema(name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "table": {"const": name},
            "description": STR,
            "as_of": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
            "sources": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$"},
                "additionalProperties": STR,
            },
            **body,
        },
        "required": ["table", "description", "as_of", "sources", *body],
        "additionalProperties": False,
    }


CUDA_VARIANT = {
    "type": "object",
    "properties": {
        "cuda": MM,
        "cudnn": VER_OR_NULL,
        "arch": {
            "type": ["array", "null"],
            "items": {"type": "string", "pattern": r"^(sm|compute)_[0-9]{2,3}$"},
            "minItems": 1,
            "uniqueItems": True,
        },
        "source": SOURCE,
        "status": STATUS,
        "notes": NOTES,
    },
    "required": ["cuda", "cudnn", "arch", "source", "status"],
    "additionalProperties": False,
}
ROCM_VARIANT = {
    "type": "object",
    "properties": {
        "rocm": VER,
        "gfx": {
            "type": ["array", "null"],
            "items": {"type": "string", "pattern": r"^gfx[0-9a-f]{3,4}$"},
            "minItems": 1,
            "uniqueItems": True,
        },
        "source": SOURCE,
        "status": STATUS,
        "notes": NOTES,
    },
    "required": ["rocm", "gfx", "source", "status"],
    "additionalProperties": False,
}
CPU_VARIANT = {
    "type": "object",
    "properties": {"source": SOURCE, "status": STATUS, "notes": NOTES},
    "required": ["source", "status"],
    "additionalProperties": False,
}

NVIDIA_ARCHS = [
    "tesla",
    "kepler",
    "maxwell",
    "pascal",
    "volta",
    "turing",
    "ampere",
    "ada",
    "hopper",
    "blackwell",
]
# rdna3.5 (Strix/Krackan iGPUs) follows the vocabulary of pci_ids.json.
AMD_ARCHS = [
    "gcn5",
    "cdna1",
    "cdna2",
    "cdna3",
    "cdna4",
    "rdna1",
    "rdna2",
    "rdna3",
    "rdna3.5",
    "rdna4",
]
SEGMENTS = ["datacenter", "workstation", "consumer", "embedded"]
MEMORY = {"type": ["number", "null"], "exclusiveMinimum": 0}

SCHEMAS: dict[str, dict[str, Any]] = {
    "cuda_driver": table_schema(
        "cuda_driver",
        {
            "toolkits": rows_of(
                {
                    "cuda": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+$"},
                    "linux": DRV_OR_NULL,
                    "windows": DRV_OR_NULL,
                },
                ["cuda", "linux", "windows"],
            ),
            "minor_version_compatibility": rows_of(
                {
                    "cuda_major": {"type": "string", "pattern": r"^[0-9]+$"},
                    "linux": {"type": "string", "pattern": DRIVER},
                    "windows": DRV_OR_NULL,
                },
                ["cuda_major", "linux", "windows", "notes"],
            ),
            "driver_branches": rows_of(
                {
                    "branch": {"type": "string", "pattern": r"^[0-9]{3}$"},
                    "max_cuda": MM,
                    "end_of_life": {"type": ["string", "null"], "pattern": MONTH},
                    "kind": {"enum": ["production", "new feature", "long-term support", None]},
                },
                ["branch", "max_cuda", "end_of_life", "kind"],
            ),
            # Optional extra read by KnowledgeBase.last_branch_for_cc.
            "last_branch_for_gpus": rows_of(
                {
                    "compute_capability_below": {"type": "string", "pattern": r"^[0-9]+\.[0-9]$"},
                    "last_branch": {"type": "string", "pattern": r"^[0-9]{3}$"},
                },
                ["compute_capability_below", "last_branch"],
            ),
        },
    ),
    "cuda_arch": table_schema(
        "cuda_arch",
        {
            "toolkits": rows_of(
                {
                    "cuda": MM,
                    "sm": {
                        "type": "array",
                        "items": {"type": "string", "pattern": r"^[0-9]{2,3}$"},
                        "minItems": 1,
                        "uniqueItems": True,
                    },
                    "max_ptx_isa": {"type": ["string", "null"], "pattern": MAJOR_MINOR},
                },
                ["cuda", "sm", "max_ptx_isa"],
            )
        },
    ),
    "gpus": table_schema(
        "gpus",
        {
            "nvidia": rows_of(
                {
                    "name": STR,
                    "aliases": {"type": "array", "items": STR, "uniqueItems": True},
                    "compute_capability": {"type": "string", "pattern": r"^[0-9]+\.[0-9]$"},
                    "architecture": {"enum": NVIDIA_ARCHS},
                    "memory_gb": MEMORY,
                    "segment": {"enum": SEGMENTS},
                },
                ["name", "aliases", "compute_capability", "architecture", "memory_gb", "segment"],
            ),
            "amd": rows_of(
                {
                    "name": STR,
                    "aliases": {"type": "array", "items": STR, "uniqueItems": True},
                    "gfx": {"type": "string", "pattern": r"^gfx[0-9a-f]{3,4}$"},
                    "architecture": {"enum": AMD_ARCHS},
                    "memory_gb": MEMORY,
                    "segment": {"enum": SEGMENTS},
                },
                ["name", "aliases", "gfx", "architecture", "memory_gb", "segment"],
            ),
        },
    ),
    "torch": table_schema(
        "torch",
        {
            "index_url": {"const": "https://download.pytorch.org/whl/{variant}"},
            "releases": rows_of(
                {
                    "torch": MM,
                    "latest": VER_OR_NULL,
                    "date": {"type": "string", "pattern": MONTH},
                    "python": PYTHON,
                    "numpy2": {"type": "boolean"},
                    "pypi_default": {"type": ["string", "null"], "pattern": r"^cu[0-9]{3}$"},
                    "torchvision": {"type": ["string", "null"], "pattern": MAJOR_MINOR},
                    "torchaudio": {"type": ["string", "null"], "pattern": MAJOR_MINOR},
                    "variants": {
                        "type": "object",
                        "minProperties": 1,
                        "patternProperties": {
                            r"^cu[0-9]{3}$": CUDA_VARIANT,
                            r"^rocm[0-9]+(\.[0-9]+)+$": ROCM_VARIANT,
                            r"^cpu$": CPU_VARIANT,
                        },
                        "additionalProperties": False,
                        "required": ["cpu"],
                    },
                },
                [
                    "torch",
                    "latest",
                    "date",
                    "python",
                    "numpy2",
                    "pypi_default",
                    "torchvision",
                    "torchaudio",
                    "variants",
                ],
            ),
            # torch 1.4-1.12: only the companion pairs, for environments still on them.
            "older_companions": rows_of(
                {"torch": MM, "torchvision": {"type": "string", "pattern": MAJOR_MINOR},
                 "torchaudio": {"type": "string", "pattern": MAJOR_MINOR}},
                ["torch", "torchvision", "torchaudio"],
            ),
        },
    ),
    "tensorflow": table_schema(
        "tensorflow",
        {
            "releases": rows_of(
                {
                    "tensorflow": MM,
                    "python": PYTHON,
                    "cuda": VER,
                    "cudnn": VER,
                    "and_cuda": {"type": "boolean"},
                    "windows_native_gpu": {"type": "boolean"},
                    "requires_avx": {"type": "boolean"},
                    "keras": {"enum": ["2", "3"]},
                    "numpy2": {"type": "boolean"},
                },
                [
                    "tensorflow",
                    "python",
                    "cuda",
                    "cudnn",
                    "and_cuda",
                    "windows_native_gpu",
                    "requires_avx",
                    "keras",
                    "numpy2",
                ],
            )
        },
    ),
    "jax": table_schema(
        "jax",
        {
            "releases": rows_of(
                {
                    "jax": VER,
                    "jaxlib": VER,
                    "python": PYTHON,
                    "cuda_plugins": {
                        "type": "array",
                        "items": {"type": "string", "pattern": r"^cuda[0-9]+$"},
                        "uniqueItems": True,
                    },
                    "min_cuda": VER_OR_NULL,
                    "min_cudnn": VER_OR_NULL,
                    "min_driver_linux": DRV_OR_NULL,
                },
                [
                    "jax",
                    "jaxlib",
                    "python",
                    "cuda_plugins",
                    "min_cuda",
                    "min_cudnn",
                    "min_driver_linux",
                ],
            )
        },
    ),
    "cupy": table_schema(
        "cupy",
        {
            "packages": rows_of(
                {
                    "package": {
                        "type": "string",
                        "pattern": r"^cupy-(cuda[0-9]+x?|rocm-[0-9]+-[0-9]+)$",
                    },
                    "cuda": {
                        "type": ["string", "null"],
                        "pattern": r"^[0-9]+(\.[0-9]+|\.x|\.[0-9]+-[0-9]+\.[0-9]+)$",
                    },
                    "min_driver_linux": DRV_OR_NULL,
                },
                ["package", "cuda", "min_driver_linux"],
            ),
            "releases": rows_of(
                {
                    "cupy": {"type": "string", "pattern": r"^[0-9]+$"},
                    "python": PYTHON,
                    "cuda": {
                        "type": "array",
                        "items": {
                            "type": "string",
                            "pattern": r"^[0-9]+(\.[0-9]+|\.x|\.[0-9]+-[0-9]+\.[0-9]+)$",
                        },
                        "minItems": 1,
                        "uniqueItems": True,
                    },
                },
                ["cupy", "python", "cuda"],
            ),
        },
    ),
    "onnxruntime": table_schema(
        "onnxruntime",
        {
            "releases": rows_of(
                {
                    "onnxruntime": MM,
                    "cuda": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)*(\.x)?$"},
                    "cudnn": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)*(\.x)?$"},
                    "cuda11_package": {"type": ["boolean", "null"]},
                },
                ["onnxruntime", "cuda", "cudnn", "cuda11_package"],
            )
        },
    ),
    "paddle": table_schema(
        "paddle",
        {
            "releases": rows_of(
                {
                    "paddle": MM,
                    "variants": {
                        "type": "object",
                        "minProperties": 1,
                        "patternProperties": {
                            r"^cu[0-9]{3}$": {
                                "type": "object",
                                "properties": {
                                    "cuda": MM,
                                    "cudnn": {"type": ["string", "null"], "pattern": MAJOR_MINOR},
                                },
                                "required": ["cuda", "cudnn"],
                                "additionalProperties": False,
                            }
                        },
                        "additionalProperties": False,
                    },
                    "python": PYTHON,
                },
                ["paddle", "variants", "python"],
            )
        },
    ),
    "cudnn": table_schema(
        "cudnn",
        {
            "releases": rows_of(
                {
                    "cudnn": MM,
                    "cuda_majors": {
                        "type": "array",
                        "items": {"type": "string", "pattern": r"^[0-9]+$"},
                        "minItems": 1,
                        "uniqueItems": True,
                    },
                    "min_cuda": {
                        "type": "object",
                        "additionalProperties": {
                            "type": ["string", "null"],
                            "pattern": MAJOR_MINOR,
                        },
                    },
                    "min_driver_linux": {"type": "object", "additionalProperties": DRV_OR_NULL},
                },
                ["cudnn", "cuda_majors", "min_cuda", "min_driver_linux"],
            )
        },
    ),
    "rocm": table_schema(
        "rocm",
        {
            "releases": rows_of(
                {
                    "rocm": MM,
                    "gfx": {
                        "type": ["array", "null"],
                        "items": {"type": "string", "pattern": r"^gfx[0-9a-f]{3,4}$"},
                        "minItems": 1,
                        "uniqueItems": True,
                    },
                    "distros": {
                        "type": ["array", "null"],
                        "items": {
                            "type": "string",
                            "pattern": r"^[a-z]+-[0-9]+(\.[0-9]+)?(-sp[0-9]+)?$",
                        },
                        "minItems": 1,
                        "uniqueItems": True,
                    },
                },
                ["rocm", "gfx", "distros"],
            ),
            "pytorch": rows_of(
                {
                    "torch": MM,
                    "rocm_variants": {
                        "type": "array",
                        "items": {"type": "string", "pattern": r"^rocm[0-9]+(\.[0-9]+)+$"},
                        "minItems": 1,
                        "uniqueItems": True,
                    },
                },
                ["torch", "rocm_variants"],
            ),
        },
    ),
    "retired": table_schema(
        "retired",
        {
            "frameworks": rows_of(
                {
                    "name": STR,
                    "distributions": {
                        "type": "array",
                        "items": {"type": "string", "pattern": r"^[a-z0-9*][a-z0-9*-]*$"},
                        "uniqueItems": True,
                    },
                    "last_release": VER_OR_NULL,
                    "retired": {"type": ["string", "null"], "pattern": MONTH},
                    "successor": STR_OR_NULL,
                },
                ["name", "distributions", "last_release", "retired", "successor"],
            )
        },
    ),
    "images": table_schema(
        "images",
        {
            "cuda": rows_of(
                {
                    "cuda": VER,
                    "os": {"type": "array", "minItems": 1, "uniqueItems": True,
                           "items": {"enum": ["ubuntu16.04", "ubuntu18.04", "ubuntu20.04",
                                              "ubuntu22.04", "ubuntu24.04"]}},
                    "cudnn_tag": {"enum": ["cudnn8", "cudnn9", "cudnn"]},
                },
                ["cuda", "os", "cudnn_tag"],
            ),
            "python": rows_of({"python": MM, "tag": {"type": "string",
                                                      "pattern": r"^3\.[0-9]+-slim-bookworm$"}},
                              ["python", "tag"]),
            "ubuntu_python": rows_of({"os": STR, "python": MM}, ["os", "python"]),
        },
    ),
}


# cloud.json: GPU instance types and vendor GPU images (see test_cloud_table.py for its checks).
PRICE_DATE = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?$"
DLAMI_SSM = r"^/aws/service/deeplearning/ami/(x86_64|arm64)/[a-z0-9.-]+/latest/ami-id$"
CLOUD_IMAGE = {
    "type": "object",
    "properties": {
        "provider": {"enum": ["aws", "azure"]},
        "name": STR,
        "os": {"type": ["string", "null"],
               "pattern": r"^(ubuntu[0-9]{2}\.[0-9]{2}|amazonlinux20[0-9]{2})$"},
        "arch": {"enum": ["x86_64", "arm64"]},
        "ssm_parameter": {"type": ["string", "null"], "pattern": DLAMI_SSM},
        "name_pattern": STR_OR_NULL,
        "urn": {"type": "string", "pattern": r"^[^:\s]+:[^:\s]+:[^:\s]+:[^:\s]+$"},
        "driver": DRV_OR_NULL,
        "cuda": {"type": ["string", "null"], "pattern": MAJOR_MINOR},
        "release": {"type": ["string", "null"], "pattern": r"^[0-9]{8}$"},
        "source": SOURCE,
        "status": STATUS,
        "notes": NOTES,
    },
    "required": ["provider", "name", "os", "arch", "driver", "cuda", "source", "status"],
    "additionalProperties": False,
    "allOf": [
        {"if": {"properties": {"provider": {"const": "aws"}}},
         "then": {"required": ["ssm_parameter", "name_pattern", "release"],
                  "not": {"required": ["urn"]}}},
        {"if": {"properties": {"provider": {"const": "azure"}}},
         "then": {"required": ["urn"],
                  "not": {"anyOf": [{"required": ["ssm_parameter"]}, {"required": ["name_pattern"]},
                                    {"required": ["release"]}]}}},
    ],
}
SCHEMAS["cloud"] = table_schema(
    "cloud",
    {
        "instances": rows_of(
            {
                "provider": {"enum": ["aws", "azure"]},
                "type": {"type": "string",
                         "pattern": r"^([a-z][a-z0-9-]*\.[a-z0-9]+|Standard_[A-Za-z0-9_]+)$"},
                "gpu": STR,
                "gpu_count": {"type": "integer", "minimum": 1},
                "gpu_memory_gib": {"type": "number", "exclusiveMinimum": 0},
                "vcpus": {"type": ["integer", "null"], "minimum": 1},
                "memory_gib": {"type": ["number", "null"], "exclusiveMinimum": 0},
                "arch": {"enum": ["x86_64", "arm64"]},
                "price_usd_hour": {"type": ["number", "null"], "exclusiveMinimum": 0},
                "price_region": STR_OR_NULL,
                "price_as_of": {"type": ["string", "null"], "pattern": PRICE_DATE},
            },
            ["provider", "type", "gpu", "gpu_count", "gpu_memory_gib", "vcpus", "memory_gib",
             "arch", "price_usd_hour", "price_region", "price_as_of"],
        ),
        "images": {"type": "array", "minItems": 1, "items": CLOUD_IMAGE},
    },
)


SCHEMAS["cuda_driver"]["required"].remove("last_branch_for_gpus")


def source_refs(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, row) pair for a ``source`` field anywhere in a table body."""
    if isinstance(node, dict):
        if "source" in node and "status" in node:
            refs = node["source"]
            for ref in [refs] if isinstance(refs, str) else refs:
                yield ref, node
        for value in node.values():
            yield from source_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from source_refs(item)


def body(table: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in table.items() if k not in ("table", "description", "as_of", "sources")}


# --------------------------------------------------------------------------- shape


@pytest.mark.parametrize("name", TABLES)
def test_table_matches_schema(name: str, tables: dict[str, dict[str, Any]]) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMAS[name])
    jsonschema.validate(tables[name], SCHEMAS[name], cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize("name", TABLES)
def test_as_of_is_a_real_past_date(name: str, tables: dict[str, dict[str, Any]]) -> None:
    as_of = dt.date.fromisoformat(tables[name]["as_of"])
    assert dt.date(2020, 1, 1) <= as_of <= dt.date.today()


@pytest.mark.parametrize("name", TABLES)
def test_every_cited_source_exists_and_every_source_is_cited(
    name: str, tables: dict[str, dict[str, Any]]
) -> None:
    table = tables[name]
    cited = {ref for ref, _ in source_refs(body(table))}
    assert cited, "a table without cited sources"
    assert cited <= set(table["sources"]), (
        f"unknown source keys: {sorted(cited - set(table['sources']))}"
    )
    assert set(table["sources"]) <= cited, (
        f"sources never cited: {sorted(set(table['sources']) - cited)}"
    )


@pytest.mark.parametrize("name", TABLES)
def test_gap_rows_say_what_is_missing(name: str, tables: dict[str, dict[str, Any]]) -> None:
    for _, row in source_refs(body(tables[name])):
        if row["status"] == "gap":
            assert row.get("notes"), f"gap row without notes: {row}"


def test_json_files_are_the_listed_tables() -> None:
    stems = {p.stem for p in DATA.glob("*.json")} - {"pci_ids"}
    assert stems == set(TABLES)


# --------------------------------------------------------------------------- uniqueness


def assert_unique(values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    dups = [v for v in values if v in seen or seen.add(v)]  # type: ignore[func-returns-value]
    assert not dups, f"duplicate {what}: {dups}"


def test_unique_keys(tables: dict[str, dict[str, Any]]) -> None:
    t = tables
    assert_unique([r["cuda"] for r in t["cuda_driver"]["toolkits"]], "CUDA toolkit")
    assert_unique(
        [r["cuda_major"] for r in t["cuda_driver"]["minor_version_compatibility"]], "CUDA major"
    )
    assert_unique([r["branch"] for r in t["cuda_driver"]["driver_branches"]], "driver branch")
    assert_unique([r["cuda"] for r in t["cuda_arch"]["toolkits"]], "cuda_arch toolkit")
    assert_unique([r["torch"] for r in t["torch"]["releases"]], "torch release")
    assert_unique([r["tensorflow"] for r in t["tensorflow"]["releases"]], "tensorflow release")
    assert_unique([r["jax"] for r in t["jax"]["releases"]], "jax release")
    assert_unique([r["package"] for r in t["cupy"]["packages"]], "cupy package")
    assert_unique([r["cupy"] for r in t["cupy"]["releases"]], "cupy release")
    assert_unique([r["onnxruntime"] for r in t["onnxruntime"]["releases"]], "onnxruntime release")
    assert_unique([r["paddle"] for r in t["paddle"]["releases"]], "paddle release")
    assert_unique([r["cudnn"] for r in t["cudnn"]["releases"]], "cudnn release")
    assert_unique([r["rocm"] for r in t["rocm"]["releases"]], "rocm release")
    assert_unique([r["torch"] for r in t["rocm"]["pytorch"]], "rocm.pytorch release")
    assert_unique([r["name"] for r in t["retired"]["frameworks"]], "retired framework")


@pytest.mark.parametrize("vendor", ["nvidia", "amd"])
def test_gpu_names_and_aliases_unique_across_table(
    vendor: str, tables: dict[str, dict[str, Any]]
) -> None:
    names = [n.casefold() for r in tables["gpus"][vendor] for n in [r["name"], *r["aliases"]]]
    assert_unique(names, f"{vendor} GPU name/alias")
    for r in tables["gpus"][vendor]:
        for n in [r["name"], *r["aliases"]]:
            assert not re.match(r"^(NVIDIA|Tesla|GeForce|AMD) ", n), (
                f"vendor prefix not stripped: {n}"
            )


def test_torch_variant_keys_match_their_versions(tables: dict[str, dict[str, Any]]) -> None:
    for rel in tables["torch"]["releases"]:
        for key, var in rel["variants"].items():
            if key.startswith("cu"):
                assert key == "cu" + var["cuda"].replace(".", ""), (rel["torch"], key)
            elif key.startswith("rocm"):
                assert key == "rocm" + var["rocm"], (rel["torch"], key)
        if rel["pypi_default"] is not None:
            assert rel["pypi_default"] in rel["variants"], rel["torch"]


# --------------------------------------------------------------------------- ordering

ORDERED = [
    ("cuda_driver", "toolkits", "cuda"),
    ("cuda_driver", "minor_version_compatibility", "cuda_major"),
    ("cuda_driver", "driver_branches", "branch"),
    ("cuda_arch", "toolkits", "cuda"),
    ("torch", "releases", "torch"),
    ("tensorflow", "releases", "tensorflow"),
    ("jax", "releases", "jax"),
    ("cupy", "releases", "cupy"),
    ("onnxruntime", "releases", "onnxruntime"),
    ("paddle", "releases", "paddle"),
    ("cudnn", "releases", "cudnn"),
    ("rocm", "releases", "rocm"),
    ("rocm", "pytorch", "torch"),
]


@pytest.mark.parametrize(("name", "field", "key"), ORDERED)
def test_rows_newest_first(
    name: str, field: str, key: str, tables: dict[str, dict[str, Any]]
) -> None:
    versions = [vkey(r[key]) for r in tables[name][field]]
    assert versions == sorted(versions, reverse=True), f"{name}.{field} not newest first"


def test_value_lists_ascending(tables: dict[str, dict[str, Any]]) -> None:
    for r in tables["cuda_arch"]["toolkits"]:
        assert [int(s) for s in r["sm"]] == sorted(int(s) for s in r["sm"]), r["cuda"]
    for rel in tables["torch"]["releases"]:
        for key, var in rel["variants"].items():
            if key.startswith("cu") and var["arch"]:
                sm = [int(a[3:]) for a in var["arch"] if a.startswith("sm_")]
                assert sm == sorted(sm), (rel["torch"], key)
                first_ptx = next(
                    (i for i, a in enumerate(var["arch"]) if a.startswith("compute_")),
                    len(var["arch"]),
                )
                assert all(a.startswith("compute_") for a in var["arch"][first_ptx:]), (
                    rel["torch"],
                    key,
                )
    for name, field in [
        ("torch", "releases"),
        ("tensorflow", "releases"),
        ("jax", "releases"),
        ("cupy", "releases"),
        ("paddle", "releases"),
    ]:
        for r in tables[name][field]:
            py = [vkey(p.rstrip("t")) for p in r["python"] if not p.endswith("t")]
            assert py == sorted(py), (name, r)


# --------------------------------------------------------------------------- monotonic rules


def test_newer_toolkit_never_needs_older_driver(tables: dict[str, dict[str, Any]]) -> None:
    for os_name in ("linux", "windows"):
        known = [
            (vkey(r["cuda"]), vkey(r[os_name]), r["cuda"])
            for r in tables["cuda_driver"]["toolkits"]
            if r[os_name]
        ]
        known.sort()
        for (_, older_drv, older), (_, newer_drv, newer) in itertools.pairwise(known):
            assert newer_drv >= older_drv, (
                f"{os_name}: CUDA {newer} needs {newer_drv} < {older_drv} of CUDA {older}"
            )


def test_branch_max_cuda_never_decreases(tables: dict[str, dict[str, Any]]) -> None:
    branches = sorted(tables["cuda_driver"]["driver_branches"], key=lambda r: int(r["branch"]))
    for older, newer in itertools.pairwise(branches):
        assert vkey(newer["max_cuda"]) >= vkey(older["max_cuda"]), (
            older["branch"],
            newer["branch"],
        )


def test_branch_is_the_branch_of_its_cuda_first_driver(tables: dict[str, dict[str, Any]]) -> None:
    """The first release of a branch's max_cuda needs a driver of that branch (Table 3)."""
    toolkits = tables["cuda_driver"]["toolkits"]
    for br in tables["cuda_driver"]["driver_branches"]:
        same_minor = [
            r
            for r in toolkits
            if ".".join(r["cuda"].split(".")[:2]) == br["max_cuda"] and r["linux"]
        ]
        if not same_minor:
            assert br["status"] != "verified" or br["max_cuda"] == "12.7", br
            continue
        first = min(same_minor, key=lambda r: vkey(r["cuda"]))
        assert first["linux"].split(".")[0] == br["branch"], (br, first)


def test_last_branch_for_gpus(tables: dict[str, dict[str, Any]]) -> None:
    rows = tables["cuda_driver"].get("last_branch_for_gpus", [])
    bounds = [vkey(r["compute_capability_below"]) for r in rows]
    assert bounds == sorted(bounds), "ascending by compute_capability_below"
    branches = {r["branch"]: r for r in tables["cuda_driver"]["driver_branches"]}
    sms = arch_table(tables)
    for r in rows:
        assert r["last_branch"] in branches
        # The last branch's CUDA can no longer compile for the generation it is last for.
        max_cuda = branches[r["last_branch"]]["max_cuda"]
        newest = max(sms, key=vkey)
        below = vkey(r["compute_capability_below"])
        assert not any(vkey(f"{s[:-1]}.{s[-1]}") < below for s in sms[newest]), r
        assert vkey(max_cuda) <= vkey(newest)
    assert [(r["compute_capability_below"], r["last_branch"]) for r in rows] == [
        ("2.0", "340"),
        ("3.0", "390"),
        ("5.0", "470"),
        ("7.5", "580"),
    ]


def test_minor_version_minimum_not_above_any_toolkit_of_that_major(
    tables: dict[str, dict[str, Any]],
) -> None:
    """A major's minor-version minimum is never above what a toolkit of it needs (11.0 excepted:
    minor-version compatibility starts with 11.1)."""
    for mvc in tables["cuda_driver"]["minor_version_compatibility"]:
        for tk in tables["cuda_driver"]["toolkits"]:
            same_major = tk["cuda"].split(".")[0] == mvc["cuda_major"]
            if same_major and tk["linux"] and not tk["cuda"].startswith("11.0."):
                assert vkey(mvc["linux"]) <= vkey(tk["linux"]), (mvc, tk)


def test_sm_ranges_are_contiguous(tables: dict[str, dict[str, Any]]) -> None:
    """An SM once dropped never comes back; one added stays until dropped."""
    rows = sorted(tables["cuda_arch"]["toolkits"], key=lambda r: vkey(r["cuda"]))
    all_sm = {s for r in rows for s in r["sm"]}
    for sm in all_sm:
        present = [sm in r["sm"] for r in rows]
        first, last = present.index(True), len(present) - 1 - present[::-1].index(True)
        assert all(present[first : last + 1]), f"sm_{sm} has a hole"


def test_ptx_isa_never_decreases(tables: dict[str, dict[str, Any]]) -> None:
    rows = sorted(
        (r for r in tables["cuda_arch"]["toolkits"] if r["max_ptx_isa"]),
        key=lambda r: vkey(r["cuda"]),
    )
    isas = [vkey(r["max_ptx_isa"]) for r in rows]
    assert isas == sorted(isas)


def test_toolkit_tables_cover_the_same_minors(tables: dict[str, dict[str, Any]]) -> None:
    driver_minors = {".".join(r["cuda"].split(".")[:2]) for r in tables["cuda_driver"]["toolkits"]}
    arch_minors = {r["cuda"] for r in tables["cuda_arch"]["toolkits"]}
    assert driver_minors == arch_minors


def arch_table(tables: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    return {r["cuda"]: set(r["sm"]) for r in tables["cuda_arch"]["toolkits"]}


def test_torch_arch_lists_are_compilable_by_their_cuda(tables: dict[str, dict[str, Any]]) -> None:
    sms = arch_table(tables)
    for rel in tables["torch"]["releases"]:
        for key, var in rel["variants"].items():
            if not key.startswith("cu"):
                continue
            assert var["cuda"] in sms, (rel["torch"], key)
            if var["arch"] is None:
                assert var["status"] == "gap"
                continue
            listed = {a.split("_")[1] for a in var["arch"]}
            assert listed <= sms[var["cuda"]], (
                f"torch {rel['torch']} {key}: {sorted(listed - sms[var['cuda']])}"
            )
            for a in var["arch"]:
                if a.startswith("compute_"):
                    assert "sm_" + a.split("_")[1] in var["arch"], (rel["torch"], key, a)


def test_torch_cudnn_versions_are_in_cudnn_table(tables: dict[str, dict[str, Any]]) -> None:
    cudnn = {r["cudnn"]: r for r in tables["cudnn"]["releases"]}
    for rel in tables["torch"]["releases"]:
        for key, var in rel["variants"].items():
            if key.startswith("cu") and var["cudnn"]:
                mm = ".".join(var["cudnn"].split(".")[:2])
                assert mm in cudnn, (rel["torch"], key, var["cudnn"])
                assert var["cuda"].split(".")[0] in cudnn[mm]["cuda_majors"], (rel["torch"], key)


def test_tensorflow_cudnn_versions_are_in_cudnn_table(tables: dict[str, dict[str, Any]]) -> None:
    cudnn = {r["cudnn"] for r in tables["cudnn"]["releases"]}
    for rel in tables["tensorflow"]["releases"]:
        assert rel["cudnn"] in cudnn, rel["tensorflow"]


def test_cudnn_min_fields_match_majors(tables: dict[str, dict[str, Any]]) -> None:
    for r in tables["cudnn"]["releases"]:
        assert set(r["min_cuda"]) == set(r["cuda_majors"]), r["cudnn"]
        assert set(r["min_driver_linux"]) == set(r["cuda_majors"]), r["cudnn"]
        for major, minimum in r["min_cuda"].items():
            if minimum:
                assert minimum.split(".")[0] == major, r["cudnn"]
        if r["status"] == "verified":
            assert all(r["min_cuda"].values()), r["cudnn"]


def test_torch_rocm_variants_agree_with_rocm_table(tables: dict[str, dict[str, Any]]) -> None:
    by_torch = {r["torch"]: set(r["rocm_variants"]) for r in tables["rocm"]["pytorch"]}
    for rel in tables["torch"]["releases"]:
        rocm = {k for k in rel["variants"] if k.startswith("rocm")}
        assert rocm == by_torch[rel["torch"]], rel["torch"]


def test_every_gfx_target_is_a_known_gpu(tables: dict[str, dict[str, Any]]) -> None:
    known = {r["gfx"] for r in tables["gpus"]["amd"]}
    used = {g for r in tables["rocm"]["releases"] for g in (r["gfx"] or [])}
    for rel in tables["torch"]["releases"]:
        for key, var in rel["variants"].items():
            if key.startswith("rocm"):
                used |= set(var["gfx"] or [])
    assert used <= known, sorted(used - known)


def test_every_nvidia_gpu_is_compilable_by_some_toolkit(tables: dict[str, dict[str, Any]]) -> None:
    compilable = set().union(*arch_table(tables).values())
    for g in tables["gpus"]["nvidia"]:
        if g["architecture"] == "tesla":
            continue  # CC 1.x: no toolkit in the table (9.0 on) builds for it, on purpose
        assert g["compute_capability"].replace(".", "") in compilable, g["name"]


def test_architecture_matches_compute_capability(tables: dict[str, dict[str, Any]]) -> None:
    by_major = {
        "1": "tesla",
        "3": "kepler",
        "5": "maxwell",
        "6": "pascal",
        "10": "blackwell",
        "11": "blackwell",
        "12": "blackwell",
    }
    for g in tables["gpus"]["nvidia"]:
        major, minor = g["compute_capability"].split(".")
        if major in by_major:
            expected = by_major[major]
        elif major == "7":
            expected = "turing" if minor == "5" else "volta"
        elif major == "8":
            expected = "ada" if minor == "9" else "ampere"
        else:
            expected = "hopper"
        assert g["architecture"] == expected, g["name"]


def test_amd_architecture_matches_gfx(tables: dict[str, dict[str, Any]]) -> None:
    family = {
        "gfx900": "gcn5",
        "gfx906": "gcn5",
        "gfx908": "cdna1",
        "gfx90a": "cdna2",
        "gfx942": "cdna3",
        "gfx950": "cdna4",
        "gfx101": "rdna1",
        "gfx103": "rdna2",
        "gfx110": "rdna3",
        "gfx115": "rdna3.5",
        "gfx120": "rdna4",
    }
    for g in tables["gpus"]["amd"]:
        key = g["gfx"] if g["gfx"] in family else g["gfx"][:6]
        assert g["architecture"] == family[key], g["name"]


# --------------------------------------------------------------------------- spot checks


def find(rows: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    matches = [r for r in rows if r[key] == value]
    assert len(matches) == 1, f"{key}={value}: {len(matches)} rows"
    return matches[0]


def gpu(tables: dict[str, dict[str, Any]], vendor: str, name: str) -> dict[str, Any]:
    folded = name.casefold()
    matches = [
        r
        for r in tables["gpus"][vendor]
        if folded in {n.casefold() for n in [r["name"], *r["aliases"]]}
    ]
    assert len(matches) == 1, name
    return matches[0]


def test_spot_cuda_drivers(tables: dict[str, dict[str, Any]]) -> None:
    tk = tables["cuda_driver"]["toolkits"]
    assert find(tk, "cuda", "12.4.0")["linux"] == "550.54.14"
    assert all(vkey(r["linux"]) >= vkey("550.54.14") for r in tk if r["cuda"].startswith("12.4."))
    assert find(tk, "cuda", "12.8.0")["linux"] == "570.26"
    assert find(tk, "cuda", "13.0.0")["linux"] == "580.65.06"
    assert find(tk, "cuda", "11.8.0")["linux"] == "520.61.05"
    mvc = tables["cuda_driver"]["minor_version_compatibility"]
    assert find(mvc, "cuda_major", "12")["linux"] == "525.60.13"
    assert find(mvc, "cuda_major", "13")["linux"] == "580.65.06"
    assert find(mvc, "cuda_major", "11")["linux"] == "450.80.02"
    br = tables["cuda_driver"]["driver_branches"]
    assert find(br, "branch", "580")["max_cuda"] == "13.0"
    assert find(br, "branch", "580")["kind"] == "long-term support"
    assert find(br, "branch", "535")["max_cuda"] == "12.2"
    assert find(br, "branch", "550")["max_cuda"] == "12.4"


def test_spot_cuda_arch(tables: dict[str, dict[str, Any]]) -> None:
    sms = arch_table(tables)
    assert "120" in sms["12.8"] and "100" in sms["12.8"] and "120" not in sms["12.6"]
    assert "90" in sms["11.8"] and "89" in sms["11.8"] and "90" not in sms["11.7"]
    assert min(int(s) for s in sms["13.0"]) == 75, "CUDA 13 drops Maxwell/Pascal/Volta"
    assert "70" in sms["12.9"] and "50" in sms["12.9"]
    assert "37" in sms["11.8"] and "37" not in sms["12.0"]
    assert "110" in sms["13.0"] and "101" not in sms["13.0"] and "101" in sms["12.9"]


def torch_variant(tables: dict[str, dict[str, Any]], torch: str, variant: str) -> dict[str, Any]:
    variants: dict[str, dict[str, Any]] = find(tables["torch"]["releases"], "torch", torch)[
        "variants"
    ]
    return variants[variant]


def test_spot_torch(tables: dict[str, dict[str, Any]]) -> None:
    cu124 = torch_variant(tables, "2.5", "cu124")["arch"]
    assert max(int(a[3:]) for a in cu124 if a.startswith("sm_")) == 90
    assert "sm_100" not in cu124 and "sm_120" not in cu124
    # The PyPI cu124 wheel's CUDAConfig.h: SASS for sm_50-sm_90 and no PTX recorded.
    assert "compute_90" not in cu124
    cu128 = torch_variant(tables, "2.7", "cu128")["arch"]
    assert "sm_120" in cu128 and "sm_100" in cu128 and "sm_70" not in cu128
    assert "sm_70" in torch_variant(tables, "2.8", "cu128")["arch"]
    assert "sm_70" not in torch_variant(tables, "2.11", "cu128")["arch"]
    assert "sm_50" in torch_variant(tables, "2.14", "cu126")["arch"]
    assert torch_variant(tables, "2.4", "cu124")["cudnn"].startswith("9.")
    assert torch_variant(tables, "2.3", "cu121")["cudnn"].startswith("8.")
    assert "gfx942" in torch_variant(tables, "2.5", "rocm6.2")["gfx"]
    releases = tables["torch"]["releases"]
    assert find(releases, "torch", "2.5")["pypi_default"] == "cu124"
    assert find(releases, "torch", "2.0")["pypi_default"] == "cu117"
    assert not find(releases, "torch", "2.2")["numpy2"] and find(releases, "torch", "2.3")["numpy2"]
    # No wheel before 2.7 has Blackwell cubins.
    for rel in releases:
        if vkey(rel["torch"]) < (2, 7):
            for key, var in rel["variants"].items():
                if key.startswith("cu") and var["arch"]:
                    assert not {"sm_100", "sm_120"} & set(var["arch"]), (rel["torch"], key)


def test_spot_gpus(tables: dict[str, dict[str, Any]]) -> None:
    expected = {
        "RTX 4090": ("8.9", "ada"),
        "RTX 5090": ("12.0", "blackwell"),
        "RTX 3090": ("8.6", "ampere"),
        "RTX 2080 Ti": ("7.5", "turing"),
        "GTX 1080 Ti": ("6.1", "pascal"),
        "H100": ("9.0", "hopper"),
        "H100 PCIe": ("9.0", "hopper"),
        "H200": ("9.0", "hopper"),
        "A100-SXM4-80GB": ("8.0", "ampere"),
        "A100 40GB": ("8.0", "ampere"),
        "A10G": ("8.6", "ampere"),
        "L4": ("8.9", "ada"),
        "L40S": ("8.9", "ada"),
        "T4": ("7.5", "turing"),
        "V100-SXM2-16GB": ("7.0", "volta"),
        "B200": ("10.0", "blackwell"),
        "GB200": ("10.0", "blackwell"),
        "K80": ("3.7", "kepler"),
        "GB10": ("12.1", "blackwell"),
        "RTX PRO 6000 Blackwell Server Edition": ("12.0", "blackwell"),
    }
    for name, (cc, arch) in expected.items():
        g = gpu(tables, "nvidia", name)
        assert (g["compute_capability"], g["architecture"]) == (cc, arch), name
    assert gpu(tables, "nvidia", "H100")["memory_gb"] == 80
    assert gpu(tables, "nvidia", "A100 80GB")["memory_gb"] == 80
    amd = {
        "MI300X": ("gfx942", "cdna3"),
        "Instinct MI250X": ("gfx90a", "cdna2"),
        "MI355X": ("gfx950", "cdna4"),
        "Radeon RX 7900 XTX": ("gfx1100", "rdna3"),
        "RX 9070 XT": ("gfx1201", "rdna4"),
        "RX 6800 XT": ("gfx1030", "rdna2"),
        "Instinct MI100": ("gfx908", "cdna1"),
    }
    for name, (gfx, arch) in amd.items():
        g = gpu(tables, "amd", name)
        assert (g["gfx"], g["architecture"]) == (gfx, arch), name
    assert gpu(tables, "amd", "MI300X")["memory_gb"] == 192


def test_spot_cloud_gpus_present(tables: dict[str, dict[str, Any]]) -> None:
    for name in [
        "A10G",
        "L4",
        "L40S",
        "T4",
        "V100",
        "A100 40GB",
        "A100 80GB",
        "H100",
        "H200",
        "B200",
        "GB200",
        "M60",
    ]:
        gpu(tables, "nvidia", name)
    for name in ["MI300X", "MI250X", "Radeon Pro V520", "Radeon PRO V620", "Radeon PRO V710"]:
        gpu(tables, "amd", name)


def test_spot_tensorflow(tables: dict[str, dict[str, Any]]) -> None:
    rels = tables["tensorflow"]["releases"]
    native = [r["tensorflow"] for r in rels if r["windows_native_gpu"]]
    assert max(native, key=vkey) == "2.10", "TensorFlow 2.10 is the last with native Windows GPU"
    assert all(not r["windows_native_gpu"] for r in rels if vkey(r["tensorflow"]) > (2, 10))
    assert find(rels, "tensorflow", "2.15")["cuda"] == "12.2"
    assert find(rels, "tensorflow", "2.15")["cudnn"] == "8.9"
    assert find(rels, "tensorflow", "2.16")["keras"] == "3"
    assert (
        find(rels, "tensorflow", "2.14")["and_cuda"]
        and not find(rels, "tensorflow", "2.13")["and_cuda"]
    )
    assert all(r["requires_avx"] for r in rels)


def test_spot_cudnn(tables: dict[str, dict[str, Any]]) -> None:
    rels = tables["cudnn"]["releases"]
    for r in rels:
        if r["cudnn"].startswith("9."):
            assert set(r["cuda_majors"]) <= {"11", "12", "13"}, r["cudnn"]
            if r["min_cuda"].get("12"):
                assert r["min_cuda"]["12"] == "12.0"
                assert r["min_driver_linux"]["12"] == "525.60.13"
            if r["min_cuda"].get("11"):
                # NVIDIA lists 11.0-11.7 (dynamic linking only) besides 11.8; never CUDA 10.
                assert vkey(r["min_cuda"]["11"]) >= (11, 0)
                assert r["min_driver_linux"]["11"] == "450.80.02"
            if r["min_driver_linux"].get("13"):
                assert r["min_driver_linux"]["13"] == "580.65.06"
    # cuDNN 9 reached frameworks only in builds with CUDA >= 11.8.
    for rel in tables["torch"]["releases"]:
        for key, var in rel["variants"].items():
            if key.startswith("cu") and var["cudnn"] and var["cudnn"].startswith("9."):
                assert vkey(var["cuda"]) >= (11, 8), (rel["torch"], key)
    for rel in tables["tensorflow"]["releases"]:
        if rel["cudnn"].startswith("9"):
            assert vkey(rel["cuda"]) >= (11, 8)
    assert "13" in find(rels, "cudnn", "9.17")["cuda_majors"]
    assert "11" not in find(rels, "cudnn", "9.17")["cuda_majors"]


def test_spot_frameworks(tables: dict[str, dict[str, Any]]) -> None:
    jax = tables["jax"]["releases"]
    assert find(jax, "jax", "0.4.26")["min_cuda"] == "12.1"
    assert "cuda13" in jax[0]["cuda_plugins"]
    pkgs = tables["cupy"]["packages"]
    assert find(pkgs, "package", "cupy-cuda12x")["min_driver_linux"] == "525.60.13"
    assert find(pkgs, "package", "cupy-cuda13x")["min_driver_linux"] == "580.65.06"
    ort = tables["onnxruntime"]["releases"]
    assert find(ort, "onnxruntime", "1.19")["cuda"] == "12.x"
    assert find(ort, "onnxruntime", "1.18")["cuda"] == "11.8"
    rocm = tables["rocm"]["releases"]
    assert "gfx942" in find(rocm, "rocm", "6.2")["gfx"]
    assert "ubuntu-22.04" in find(rocm, "rocm", "6.2")["distros"]


def load_classic() -> Any:
    spec = importlib.util.spec_from_file_location("_classic_for_kb_test", CLASSIC_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_retired_consistent_with_classic_probe(tables: dict[str, dict[str, Any]]) -> None:
    classic = {fw.name: fw for fw in load_classic().CLASSIC_FRAMEWORKS}
    rows = {r["name"]: r for r in tables["retired"]["frameworks"]}
    assert set(rows) == set(classic)
    for name, fw in classic.items():
        row = rows[name]
        assert row["distributions"] == list(fw.distributions), name
        if row["successor"] is None:
            assert fw.successor.startswith("none"), name
        else:
            assert fw.successor.startswith(row["successor"]), name
    assert rows["Theano"]["successor"] == "PyTensor"


def test_every_cuda_image_is_a_known_cuda_release(tables: dict[str, dict[str, Any]]) -> None:
    # The planner picks an image by CUDA release; an image for a release the driver table
    # does not know could never be checked against a driver.
    releases = {r["cuda"] for r in tables["cuda_driver"]["toolkits"]}
    for row in tables["images"]["cuda"]:
        assert row["cuda"] in releases, row["cuda"]


def _recorded_torch_wheels() -> list[Path]:
    root = REPO_ROOT / "tests" / "recordings" / "wheel-files"
    from envdoctor.knowledge import KnowledgeBase

    kb = KnowledgeBase()
    # Wheels of a release the table has (2.15.0 was recorded before its release).
    return sorted(d for d in root.glob("torch-[0-9]*") if d.is_dir()
                  and (d / "torch/include/ATen/cuda/CUDAConfig.h").exists()
                  and "aarch64" not in d.name
                  and (kb.torch_release(d.name.split("-")[1]) or {}).get("pypi_default"))


@pytest.mark.parametrize("wheel", _recorded_torch_wheels(), ids=lambda d: d.name)
def test_torch_arch_lists_match_the_real_wheels(wheel: Path) -> None:
    """The PyPI default variant's SASS targets equal the gencode list in the real wheel.

    CUDAConfig.h lists the sm_ targets the build compiled; PTX (compute_) entries are not
    in it, so only the sm_ part is compared.
    """
    from envdoctor.knowledge import KnowledgeBase
    from envdoctor.probes import _build_info as bi

    row = KnowledgeBase().torch_release(wheel.name.split("-")[1])
    assert row is not None
    table = [a for a in row["variants"][row["pypi_default"]]["arch"] if a.startswith("sm_")]
    built = bi.parse_cuda_config_h(
        (wheel / "torch/include/ATen/cuda/CUDAConfig.h").read_text()).arch_list
    assert table == built
