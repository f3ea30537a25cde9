"""Field errors shaped like the API server's (`field.Error`): a path, a type and a detail.

The type matters beyond the text: the API server skips the CEL rules of a custom resource when any
"blocking" error (wrong type, missing required field, unsupported enum value, too long, too many) was found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

Json = Any
Schema = dict[str, Any]

ROOT = "<root>"


class ErrorType(Enum):
    """`field.ErrorType`, with the text the API server prints for each."""

    REQUIRED = "Required value"
    NOT_SUPPORTED = "Unsupported value"
    INVALID = "Invalid value"
    TYPE_INVALID = "Invalid type"  # printed as "Invalid value", like the API server
    TOO_LONG = "Too long"
    TOO_MANY = "Too many"
    DUPLICATE = "Duplicate value"
    FORBIDDEN = "Forbidden"
    UNKNOWN_FIELD = "unknown field"  # pruned by the API server; reported here so typos fail

    @property
    def text(self) -> str:
        return "Invalid value" if self is ErrorType.TYPE_INVALID else self.value


BLOCKING = frozenset(
    {ErrorType.REQUIRED, ErrorType.NOT_SUPPORTED, ErrorType.TOO_LONG, ErrorType.TOO_MANY, ErrorType.TYPE_INVALID}
)
RULES_NOT_CHECKED = (
    "some validation rules were not checked because the object was invalid; "
    "correct the existing errors to complete validation"
)


@dataclass(frozen=True)
class FieldError:
    path: str
    type: ErrorType
    detail: str = ""

    def __str__(self) -> str:
        body = f"{self.type.text}: {self.detail}" if self.detail else self.type.text
        return f"{self.path or ROOT}: {body}"


def blocks_rules(errors: list[FieldError]) -> bool:
    """True when the API server would not run the CEL rules (its `hasBlockingErr`)."""
    return any(error.type in BLOCKING for error in errors)


def child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def key(path: str, name: str) -> str:
    return f"{path}[{name}]"


def show(value: Json) -> str:
    """A value as an error prints it: scalars as JSON, containers by their type (they can be huge)."""
    if isinstance(value, dict):
        return '"object"'
    if isinstance(value, list):
        return '"array"'
    return json.dumps(value)


def json_type(value: Json) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {dict: "object", list: "array", str: "string", float: "number"}.get(type(value), "null")
