"""CRD OpenAPI v3 schemas as JSON Schema, validated by `jsonschema` with the API server's value semantics.

The conversion closes objects that list `properties` (the API server prunes unknown fields; here they are
reported so typos fail), turns `nullable` and `x-kubernetes-int-or-string` into JSON Schema types, and keeps only
the formats the API server checks. The validator accepts integral floats where integers are expected (as
kube-openapi does), matches `pattern` with RE2 (Go's regexp) and checks those formats as kube-openapi's strfmt does.
Errors come back as `FieldError`s with the API server's error types.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema
import re2  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError

from traffic_edge.conformance.field import ErrorType, FieldError, Json, Schema, child, index, json_type, key, show

# Formats the API server checks on strings (apiextensions-apiserver validation/formats.go), as go-openapi
# normalizes them (dashes removed). Those a refdata CRD uses are checked here; any other makes conversion fail.
API_SERVER_FORMATS = frozenset({
    "bsonobjectid", "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac", "uuid", "uuid3", "uuid4", "uuid5",
    "isbn", "isbn10", "isbn13", "creditcard", "ssn", "hexcolor", "rgbcolor", "byte", "password", "date", "duration",
    "datetime", "quantity", "k8sshortname", "k8slongname",
})
_MAX_JSON_INTEGER = 2**53 - 1  # swag.IsFloat64AJSONInteger's bound
_INT64 = range(-(2**63), 2**63)
_SLOPPY_IPV4 = re.compile(r"^[0-9]+(\.[0-9]+){3}$")
_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$")
_TIME = re.compile(r"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_KEPT = frozenset({"enum", "pattern", "maxLength", "minLength", "maximum", "minimum", "multipleOf", "maxItems",
                   "minItems", "uniqueItems", "maxProperties", "minProperties", "required"})


class UnsupportedFormatError(ValueError):
    """A schema uses a format the API server checks but this validator does not: it would pass silently."""


def parse_ip_sloppy(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """k8s.io/utils ParseIPSloppy: Go's net.ParseIP before 1.17, which allows leading zeros; never zones."""
    head = re.search(r"[.:]", text)
    if head is None or "%" in text:
        return None
    if head.group() == ".":
        parts = text.split(".")
        if not _SLOPPY_IPV4.match(text) or any(int(part) > 255 for part in parts):
            return None
        return ipaddress.IPv4Address(".".join(str(int(part)) for part in parts))
    prefix, _, last = text.rpartition(":")
    if "." in last:  # an embedded IPv4 address, parsed sloppily too
        embedded = parse_ip_sloppy(last)
        if not isinstance(embedded, ipaddress.IPv4Address):
            return None
        text = f"{prefix}:{embedded}"
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None


def _is_datetime(text: str) -> bool:
    """strfmt.IsDateTime: an RFC 3339 full-date, `t`, then a time with a zone."""
    parts = text.lower().split("t")
    if len(text) < 4 or len(parts) < 2 or not _is_date(parts[0]):
        return False
    match = _TIME.match(parts[1])
    return match is not None and match[1] <= "23" and match[2] <= "59" and match[3] <= "59"


def _is_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    year, month, day = (int(part) for part in text.split("-"))
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


FORMATS = jsonschema.FormatChecker(formats=())
FORMATS.checks("ipv4")(lambda value: not isinstance(value, str) or (parse_ip_sloppy(value) is not None
                                                                     and "." in value))
FORMATS.checks("ipv6")(lambda value: not isinstance(value, str) or (parse_ip_sloppy(value) is not None
                                                                     and ":" in value))
FORMATS.checks("byte")(lambda value: not isinstance(value, str) or bool(_BASE64.match(value)))
FORMATS.checks("datetime")(lambda value: not isinstance(value, str) or _is_datetime(value))


def _is_integer(_checker: Any, value: Json) -> bool:
    """kube-openapi: an int64, or a float that is a whole number JSON can hold exactly (80.0 is an integer)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value in _INT64
    return isinstance(value, float) and value.is_integer() and abs(value) <= _MAX_JSON_INTEGER


@functools.cache
def go_regexp(pattern: str) -> Any:
    """A compiled RE2 expression: Go's regexp syntax and semantics, as the API server matches patterns."""
    return re2.compile(pattern)


def _pattern(validator: Any, pattern: str, instance: Json, _schema: Schema) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not go_regexp(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


KubeValidator: Any = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    validators={"pattern": _pattern},
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


def _format(node: Schema) -> str | None:
    """The format to check, or None where the API server ignores it (unknown, or on a non-string type)."""
    fmt = str(node.get("format", "")).replace("-", "")
    if not fmt or node.get("type", "string") != "string" or fmt not in API_SERVER_FORMATS or fmt == "password":
        return None
    if fmt not in FORMATS.checkers:
        raise UnsupportedFormatError(f"the API server checks format {node['format']!r}; this validator does not")
    return fmt


def _types(node: Schema) -> list[str]:
    if node.get("x-kubernetes-int-or-string"):
        types = ["integer", "string"]
    else:
        types = [node["type"]] if "type" in node else []
    return [*types, "null"] if types and node.get("nullable") else types


def to_json_schema(node: Schema, *, closed: bool = True) -> Schema:
    """One OpenAPI v3 (structural) schema node as JSON Schema; `closed` is off below allOf/anyOf/oneOf/not."""
    out: Schema = {name: value for name, value in node.items() if name in _KEPT}
    if types := _types(node):
        out["type"] = types
    if fmt := _format(node):
        out["format"] = fmt
    for bound, exclusive in (("maximum", "exclusiveMaximum"), ("minimum", "exclusiveMinimum")):
        if node.get(exclusive) and bound in node:
            out[exclusive] = out.pop(bound)
    properties = {name: to_json_schema(prop, closed=closed) for name, prop in node.get("properties", {}).items()}
    if node.get("x-kubernetes-embedded-resource"):
        properties = {"apiVersion": {}, "kind": {}, "metadata": {}, **properties}
    if "properties" in node:
        out["properties"] = properties
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        out["additionalProperties"] = to_json_schema(extra, closed=closed)
    elif extra is not None:
        out["additionalProperties"] = extra
    elif closed and "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    if isinstance(node.get("items"), dict):
        out["items"] = to_json_schema(node["items"], closed=closed)
    for junctor in ("allOf", "anyOf", "oneOf"):
        if junctor in node:
            out[junctor] = [to_json_schema(branch, closed=False) for branch in node[junctor]]
    if "not" in node:
        out["not"] = to_json_schema(node["not"], closed=False)
    return out


@dataclass(frozen=True)
class CompiledSchema:
    """An OpenAPI schema and its JSON Schema validator: the first names paths, the second finds errors."""

    openapi: Schema
    validator: Any

    def errors(self, value: Json) -> list[FieldError]:
        """Every value-validation error, deduplicated, in the order found."""
        found: dict[FieldError, None] = {}
        for error in self.validator.iter_errors(value):
            found.update(dict.fromkeys(_field_errors(self.openapi, error)))
        return list(found)


def compile_schema(schema: Schema) -> CompiledSchema:
    return CompiledSchema(schema, KubeValidator(to_json_schema(schema), format_checker=FORMATS))


def field_path(schema: Schema, instance_path: Sequence[str | int]) -> str:
    """`spec.listeners[0].name`, `labels[app]`: map keys in brackets, as the API server writes paths."""
    path, node = "", schema
    for part in instance_path:
        if isinstance(part, int):
            path, node = index(path, part), node.get("items") or {}
        elif part in node.get("properties", {}):
            path, node = child(path, part), node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict):
            path, node = key(path, part), node["additionalProperties"]
        else:
            path, node = child(path, part), {}
    return path


def _field_errors(schema: Schema, error: ValidationError) -> Iterator[FieldError]:
    path = field_path(schema, list(error.absolute_path))
    value, rule, keyword = error.instance, error.validator_value, str(error.validator)
    if keyword == "required":
        yield from (FieldError(child(path, name), ErrorType.REQUIRED) for name in rule if name not in value)
    elif keyword == "additionalProperties":
        known = error.schema.get("properties", {})
        yield from (FieldError(child(path, name), ErrorType.UNKNOWN_FIELD) for name in value if name not in known)
    elif keyword in ("anyOf", "oneOf"):
        yield FieldError(path, ErrorType.INVALID, _junctor_message(keyword, error))
        yield from _best_branch(schema, error)
    else:
        yield FieldError(path, *_simple_error(keyword, rule, value, error.message))


def _simple_error(keyword: str, rule: Any, value: Json, fallback: str) -> tuple[ErrorType, str]:
    match keyword:
        case "type":
            expected = " or ".join(t for t in ([rule] if isinstance(rule, str) else rule) if t != "null")
            return ErrorType.TYPE_INVALID, f"{show(value)}: must be of type {expected}, not {json_type(value)}"
        case "format":
            return ErrorType.TYPE_INVALID, f"{show(value)}: must be of type {rule}"
        case "enum":
            return ErrorType.NOT_SUPPORTED, f"{show(value)}: supported values: " + ", ".join(map(show, rule))
        case "maxLength":
            return ErrorType.TOO_LONG, f"may not be more than {rule} characters"
        case "maxItems" | "maxProperties":
            return ErrorType.TOO_MANY, f"{len(value)}: must have at most {rule} items"
        case "minLength" | "minItems" | "minProperties":
            return ErrorType.INVALID, f"{show(value)}: should have at least {rule} {_units(keyword)}"
        case "pattern":
            return ErrorType.INVALID, f"{show(value)}: should match '{rule}'"
        case "maximum" | "exclusiveMaximum":
            return ErrorType.INVALID, f"{show(value)}: should be less than {_or_equal(keyword)}{rule}"
        case "minimum" | "exclusiveMinimum":
            return ErrorType.INVALID, f"{show(value)}: should be greater than {_or_equal(keyword)}{rule}"
        case "not":
            return ErrorType.INVALID, f"{show(value)}: must not validate the schema (not)"
    return ErrorType.INVALID, f"{show(value)}: {fallback}"


def _units(keyword: str) -> str:
    return {"minLength": "characters", "minItems": "items"}.get(keyword, "properties")


def _or_equal(keyword: str) -> str:
    return "" if keyword.startswith("exclusive") else "or equal to "


def _junctor_message(keyword: str, error: ValidationError) -> str:
    if keyword == "anyOf":
        return f"{show(error.instance)}: must validate at least one schema (anyOf)"
    found = "Found none valid" if error.context else "Found more than one valid alternative"
    return f"{show(error.instance)}: must validate one and only one schema (oneOf). {found}"


def _best_branch(schema: Schema, error: ValidationError) -> Iterator[FieldError]:
    """Like go-openapi, report the errors of the branch that came closest (here: the one with fewest errors)."""
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    if branches and len(branches) == len(error.validator_value):  # no branch passed
        for sub in min(branches.values(), key=len):
            yield from _field_errors(schema, sub)
