"""Generate JSON Schemas from the dataclasses of Facts and the report.

The schemas in ``envdoctor/schema/`` are written by ``scripts/gen_schema.py`` from this
module and checked by a test, so the published contract cannot drift from the code.
Field descriptions are the attribute docstrings in the source.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
import types
import typing
from enum import Enum
from typing import Any, Union

from envdoctor import facts as facts_module
from envdoctor import report as report_module

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def attribute_docs(cls: type) -> dict[str, str]:
    """Attribute docstrings of a class: the string literal after each annotated field."""
    source = textwrap.dedent(inspect.getsource(cls))
    tree = ast.parse(source)
    class_def = tree.body[0]
    assert isinstance(class_def, ast.ClassDef)  # noqa: S101 - getsource returns the class
    docs: dict[str, str] = {}
    body = class_def.body
    for node, following in zip(body, [*body[1:], None], strict=True):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(inspect.cleandoc(following.value.value).split())
    return docs


class _Builder:
    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}

    def ref(self, tp: Any) -> dict[str, Any]:  # noqa: ANN401 - any type hint
        origin = typing.get_origin(tp)
        if origin is Union or origin is types.UnionType:
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            inner = self.ref(args[0]) if len(args) == 1 else {"anyOf": [self.ref(a) for a in args]}
            return {"anyOf": [inner, {"type": "null"}]}
        if origin is list:
            (item,) = typing.get_args(tp)
            return {"type": "array", "items": self.ref(item)}
        if origin is dict:
            _, value = typing.get_args(tp)
            return {"type": "object", "additionalProperties": self.ref(value)}
        if tp is str:
            return {"type": "string"}
        if tp is bool:
            return {"type": "boolean"}
        if tp is int:
            return {"type": "integer"}
        if tp is float:
            return {"type": "number"}
        if tp is Any:
            return {}
        if isinstance(tp, type) and issubclass(tp, Enum):
            name = tp.__name__
            if name not in self.defs:
                docs = attribute_docs(tp)
                self.defs[name] = {
                    "description": inspect.cleandoc(tp.__doc__ or name),
                    "enum": [m.value for m in tp],
                    "x-enum-descriptions": {m.value: docs.get(m.name, "") for m in tp},
                }
            return {"$ref": f"#/$defs/{name}"}
        if dataclasses.is_dataclass(tp):
            name = tp.__name__
            if name not in self.defs:
                self.defs[name] = {}  # placeholder against recursion
                self.defs[name] = self.object_schema(tp)  # type: ignore[arg-type]
            return {"$ref": f"#/$defs/{name}"}
        raise TypeError(f"no schema for {tp!r}")

    def object_schema(self, cls: type) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        docs = attribute_docs(cls)
        props: dict[str, Any] = {}
        required = []
        for f in dataclasses.fields(cls):
            prop = dict(self.ref(hints[f.name]))
            if f.name in docs:
                prop["description"] = docs[f.name]
            props[f.name] = prop
            required.append(f.name)
        return {
            "type": "object",
            "description": inspect.cleandoc(cls.__doc__ or cls.__name__),
            "properties": props,
            # Writers always write every field; readers may meet older snapshots that lack
            # newer fields, which is why envdoctor's own reader fills defaults.
            "required": required,
            "additionalProperties": False,
        }


def facts_schema() -> dict[str, Any]:
    """The JSON Schema of a Facts document (``envdoctor snapshot``)."""
    builder = _Builder()
    root = builder.object_schema(facts_module.Facts)
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": "https://envdoctor.dev/schema/facts.schema.json",
        "title": "envdoctor facts",
        **root,
        "$defs": dict(sorted(builder.defs.items())),
    }


def report_schema() -> dict[str, Any]:
    """The JSON Schema of the ``envdoctor check --json`` document."""
    builder = _Builder()
    facts_root = builder.object_schema(facts_module.Facts)
    finding = builder.ref(report_module.Finding)
    ignored = builder.ref(report_module.IgnoredFinding)
    builder.defs["Facts"] = facts_root
    count = {"type": "integer", "minimum": 0}
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": "https://envdoctor.dev/schema/report.schema.json",
        "title": "envdoctor check --json",
        "type": "object",
        "properties": {
            "report_schema_version": {"const": report_module.REPORT_SCHEMA_VERSION,
                                      "description": "Version of this document's shape."},
            "envdoctor_version": {"type": "string"},
            "summary": {
                "type": "object",
                "description": "Counts of findings by severity, and of ignored findings.",
                "properties": {"errors": count, "warnings": count, "info": count,
                               "ignored": count},
                "required": ["errors", "warnings", "info", "ignored"],
                "additionalProperties": False,
            },
            "findings": {"type": "array", "items": finding,
                         "description": "Findings, errors first."},
            "ignored": {"type": "array", "items": ignored,
                        "description": "Findings waived by --ignore or the config file."},
            "facts": {"$ref": "#/$defs/Facts"},
        },
        "required": ["report_schema_version", "envdoctor_version", "summary", "findings",
                     "ignored", "facts"],
        "additionalProperties": False,
        "$defs": dict(sorted(builder.defs.items())),
    }


SCHEMAS = {"facts.schema.json": facts_schema, "report.schema.json": report_schema}
"""File name in ``envdoctor/schema/`` → function that builds it."""
