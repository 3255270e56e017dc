"""Turn the frozen dataclasses of Facts and reports into JSON values and back.

Writing is on the hot path of ``envdoctor check --json`` and walks the fields directly
(``dataclasses.asdict`` deep-copies, which costs milliseconds on 2 000 distributions).
Reading is used for snapshots and validates every value against the type hints, so a
hand-edited or truncated snapshot gives a message naming the bad field.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from enum import Enum
from typing import Any, TypeVar, Union

T = TypeVar("T")

JsonValue = Any
"""A value ``json.dumps`` accepts."""


class DecodeError(ValueError):
    """A JSON value does not fit the dataclass it should become; ``path`` names the field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def to_jsonable(value: object) -> JsonValue:
    """Convert dataclasses, enums, lists and dicts into plain JSON values."""
    if value is None or isinstance(value, str | int | float | bool):
        if isinstance(value, Enum):
            return value.value
        return value
    if isinstance(value, Enum):
        return value.value
    fields = getattr(type(value), "__dataclass_fields__", None)
    if fields is not None:
        return {name: to_jsonable(getattr(value, name)) for name in fields}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    raise TypeError(f"cannot serialise {type(value).__name__}")


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls)
        _HINTS[cls] = hints
    return hints


def from_jsonable(cls: type[T], data: JsonValue, path: str = "$") -> T:
    """Build ``cls`` (a dataclass) from JSON data, checking every value's type.

    Keys the dataclass does not know are ignored: a snapshot from a newer envdoctor with the
    same schema version only adds fields. Missing keys take the field's default.
    """
    return typing.cast(T, _decode(cls, data, path))


def _decode(tp: Any, data: JsonValue, path: str) -> object:  # noqa: ANN401 - any type hint
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = typing.get_args(tp)
        if data is None:
            if type(None) in args:
                return None
            raise DecodeError(path, "must not be null")
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _decode(arg, data, path)
            except DecodeError as exc:
                errors.append(exc)
        raise errors[0]
    if origin is list:
        (item_type,) = typing.get_args(tp)
        if not isinstance(data, list):
            raise DecodeError(path, f"expected a list, got {_kind(data)}")
        return [_decode(item_type, v, f"{path}[{i}]") for i, v in enumerate(data)]
    if origin is dict:
        _, value_type = typing.get_args(tp)
        if not isinstance(data, dict):
            raise DecodeError(path, f"expected an object, got {_kind(data)}")
        return {str(k): _decode(value_type, v, f"{path}.{k}") for k, v in data.items()}
    if tp is Any:
        return data
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(data)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in tp)
            raise DecodeError(path, f"{data!r} is not one of {allowed}") from None
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise DecodeError(path, f"expected an object, got {_kind(data)}")
        kwargs = {}
        hints = _hints(tp)  # type: ignore[arg-type]
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _decode(hints[f.name], data[f.name], f"{path}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise DecodeError(path, f"missing required field {f.name!r}")
        return tp(**kwargs)
    if tp is float:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return float(data)
        raise DecodeError(path, f"expected a number, got {_kind(data)}")
    if tp is int:
        if isinstance(data, int) and not isinstance(data, bool):
            return data
        raise DecodeError(path, f"expected an integer, got {_kind(data)}")
    if tp is bool:
        if isinstance(data, bool):
            return data
        raise DecodeError(path, f"expected true or false, got {_kind(data)}")
    if tp is str:
        if isinstance(data, str):
            return data
        raise DecodeError(path, f"expected a string, got {_kind(data)}")
    raise TypeError(f"{path}: no decoder for {tp!r}")


def _kind(data: object) -> str:
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "a boolean"
    if isinstance(data, str):
        return f"the string {data[:40]!r}"
    if isinstance(data, int | float):
        return f"the number {data}"
    if isinstance(data, list):
        return "a list"
    if isinstance(data, dict):
        return "an object"
    return type(data).__name__
