"""Answer, offline, what the Kubernetes API server would answer for a rendered object.

CRD objects are checked against the upstream CRD schemas in refdata the way the
apiextensions-apiserver does it: structural defaulting first, then the OpenAPI
value validations, list-type invariants and the ``x-kubernetes-validations`` CEL
rules (evaluated with cel-python).  Unlike the API server, unknown fields are
reported instead of pruned, so typos fail.  Built-in kinds go to
kubernetes-validate in strict mode.  Helm values are checked like ``helm
install`` does: chart defaults coalesced with the given values, then the
chart's ``values.schema.json``.
"""

from __future__ import annotations

import base64
import copy
import datetime
import functools
import ipaddress
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import kubernetes_validate
import pytest
import re2  # type: ignore[import-untyped]  # Go regexp semantics, as the API server uses
import yaml
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.evaluation import CELEvalError, base_functions

Schema = dict[str, Any]
Json = Any

REFDATA: Path = Path(
    os.environ.get("TRAFFIC_EDGE_REFDATA")
    or Path(__file__).resolve().parents[2].parent / "shared" / "refdata"
).resolve()

_CERT_MANAGER_CRDS = "cert-manager/v1.21.1/crds"
_EXTERNAL_DNS_CRDS = "external-dns/*/crds"
_K8S_VERSION = ".".join(kubernetes_validate.latest_version().split(".")[:2])

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_OLD_SELF = re.compile(r"\boldSelf\b")
_OBJECT_META_KEYS = frozenset(
    {
        "name", "generateName", "namespace", "labels", "annotations", "finalizers",
        "ownerReferences", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink",
    }
)
_CEL_RESERVED = frozenset(
    {
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
        "function", "if", "import", "let", "loop", "package", "namespace", "return", "var",
        "void", "while",
    }
)
_CEL_ESCAPES = {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}
_CEL_MACROS = frozenset({"has", "all", "exists", "exists_one", "map", "filter"})
_JSON_TYPES: dict[type, str] = {
    dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
    float: "number", type(None): "null",
}


def refdata_available() -> bool:
    """True when the upstream reference data can be read."""
    return (REFDATA / "gateway-api").is_dir()


def require_refdata() -> None:
    """Skip the calling test, naming the missing path, when refdata is absent."""
    if not refdata_available():
        pytest.skip(
            f"reference data not found at {REFDATA} "
            "(expected <project root>/../shared/refdata, or set TRAFFIC_EDGE_REFDATA)"
        )


# --------------------------------------------------------------------------- CRD loading


@dataclass(frozen=True)
class _CrdVersion:
    served: bool
    schema: Schema


@dataclass(frozen=True)
class _Crd:
    group: str
    kind: str
    versions: dict[str, _CrdVersion]
    source: str


@functools.cache
def _crds_in(pattern: str) -> tuple[_Crd, ...]:
    """All CRDs in the refdata files matching ``pattern``; other documents are ignored."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    crds = []
    for path in sorted(REFDATA.glob(pattern)):
        with path.open() as fh:
            for doc in yaml.load_all(fh, Loader=loader):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                versions = {
                    v["name"]: _CrdVersion(bool(v.get("served")), v["schema"]["openAPIV3Schema"])
                    for v in spec["versions"]
                }
                crds.append(
                    _Crd(spec["group"], spec["names"]["kind"], versions, str(path.relative_to(REFDATA)))
                )
    return tuple(crds)


def _gateway_api_crds(version: str, channel: str) -> tuple[_Crd, ...]:
    return _crds_in(f"gateway-api/{version}/{channel}/*.yaml")


@functools.cache
def _crd_index(gateway_api_version: str, channel: str) -> dict[tuple[str, str], _Crd]:
    crds = (
        _gateway_api_crds(gateway_api_version, channel)
        + _crds_in(f"{_CERT_MANAGER_CRDS}/*.yaml")
        + _crds_in(f"{_EXTERNAL_DNS_CRDS}/*.yaml")
    )
    return {(c.group, c.kind): c for c in crds}


@functools.cache
def _crd_groups() -> frozenset[str]:
    """Every group some refdata CRD serves: objects in these groups are never built-ins."""
    pins = [(d.parent.name, d.name) for d in (REFDATA / "gateway-api").glob("*/*") if d.is_dir()]
    return frozenset(c.group for pin in pins for c in _crd_index(*pin).values())


def loaded_crds(gateway_api_version: str, channel: str) -> list[tuple[str, str, Schema]]:
    """(source file, kind/version, schema) of every CRD version a validator for this pin loads."""
    return [
        (crd.source, f"{crd.kind}/{name}", ver.schema)
        for crd in _crd_index(gateway_api_version, channel).values()
        for name, ver in crd.versions.items()
    ]


# --------------------------------------------------------------------------- CEL


class _NamedFormat(celtypes.StringType):
    """Value of ``format.<name>()`` from the Kubernetes format library."""


def _dns1123_label_errors(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _DNS1123_LABEL.match(value):
        errors.append(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
            "and must start and end with an alphanumeric character"
        )
    return errors


_FORMATS: dict[str, Any] = {"dns1123Label": _dns1123_label_errors}


def _cel_is_ip(value: celtypes.StringType) -> celtypes.BoolType:
    """Kubernetes ``isIP``: no zones, no IPv4-mapped IPv6, no leading zeros."""
    if "%" in value:
        return celtypes.BoolType(False)
    try:
        addr = ipaddress.ip_address(str(value))
    except ValueError:
        return celtypes.BoolType(False)
    mapped = isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None
    return celtypes.BoolType(not mapped)


def _cel_split(value: celtypes.StringType, sep: celtypes.StringType,
               limit: celtypes.IntType | None = None) -> celtypes.ListType:
    """Kubernetes strings-library ``split`` (Go ``strings.SplitN`` semantics)."""
    n = -1 if limit is None else int(limit)
    if n == 0:
        return celtypes.ListType()
    text, separator = str(value), str(sep)
    if separator == "":
        parts = list(text) if n < 0 else list(text[: n - 1]) + ([text[n - 1:]] if len(text) >= n else [])
    else:
        parts = text.split(separator) if n < 0 else text.split(separator, n - 1)
    return celtypes.ListType([celtypes.StringType(p) for p in parts])


def _cel_substring(value: celtypes.StringType, start: celtypes.IntType,
                   end: celtypes.IntType | None = None) -> celtypes.StringType:
    """Kubernetes strings-library ``substring`` (code point indices, range-checked)."""
    stop = len(value) if end is None else int(end)
    if not 0 <= int(start) <= stop <= len(value):
        raise ValueError(f"substring({int(start)}, {stop}) out of range for string of length {len(value)}")
    return celtypes.StringType(str(value)[int(start):stop])


def _cel_format(name: str) -> Any:
    def make(_format_library: Any) -> _NamedFormat:
        return _NamedFormat(name)

    return make


def _cel_format_validate(fmt: Any, value: celtypes.StringType) -> celtypes.ListType | None:
    """``<Format>.validate(s)``: null when valid, else the list of problems."""
    if not isinstance(fmt, _NamedFormat):
        raise TypeError("validate() needs a format from the format library")
    errors = _FORMATS[str(fmt)](str(value))
    return celtypes.ListType([celtypes.StringType(e) for e in errors]) if errors else None


_CEL_FUNCTIONS: dict[str, Any] = {
    "isIP": _cel_is_ip,
    "split": _cel_split,
    "substring": _cel_substring,
    "validate": _cel_format_validate,
    **{name: _cel_format(name) for name in _FORMATS},
}
_CEL_VARIABLES = frozenset({"self", "oldSelf", "format"})
_CEL_FORMAT_LIBRARY = celtypes.MapType()


@functools.lru_cache(maxsize=1)
def _cel_env() -> celpy.Environment:
    return celpy.Environment()


def _walk_tree(tree: Any) -> Iterator[Any]:
    stack = [tree]
    while stack:
        node = stack.pop()
        if hasattr(node, "children"):
            yield node
            stack.extend(node.children)


def _unsupported_names(tree: Any) -> set[str]:
    """Functions and free variables in a parsed rule that the evaluator would not resolve."""
    known = set(base_functions) | set(_CEL_FUNCTIONS) | _CEL_MACROS
    bound: set[str] = set()
    idents: set[str] = set()
    calls: set[str] = set()
    for node in _walk_tree(tree):
        if node.data == "ident_arg":
            calls.add(str(node.children[0]))
        elif node.data == "member_dot_arg":
            calls.add(str(node.children[1]))
            if str(node.children[1]) in _CEL_MACROS and len(node.children) > 2:
                first_arg = node.children[2].children[0]
                bound.update(str(n.children[0]) for n in _walk_tree(first_arg) if n.data == "ident")
        elif node.data == "ident":
            idents.add(str(node.children[0]))
    return (calls - known) | (idents - bound - _CEL_VARIABLES)


@functools.cache
def compile_rule(rule: str) -> celpy.Runner:
    """Compile a CEL rule once; raise if celpy cannot parse it or it needs unknown functions."""
    env = _cel_env()
    tree = env.compile(rule)
    missing = _unsupported_names(tree)
    if missing:
        raise ValueError(f"CEL rule uses names the validator does not provide: {sorted(missing)}: {rule}")
    return env.program(tree, functions=_CEL_FUNCTIONS)


def _activation(value: Any) -> dict[str, Any]:
    return {"self": value, "format": _CEL_FORMAT_LIBRARY}


def evaluate_rule(rule: str, value: Json) -> Any:
    """Evaluate one rule with ``self`` bound to a plain JSON value (no schema escaping)."""
    return compile_rule(rule).evaluate(_activation(json_to_cel(value)))


def _cel_escape(name: str) -> str | None:
    """Property name as CEL sees it (apiserver escaping); None when not addressable."""
    if not name or name[0].isdigit():
        return None
    if name in _CEL_RESERVED:
        return f"__{name}__"
    escaped = re.sub(r"__|[-./]", lambda m: _CEL_ESCAPES[m.group(0)], name)
    return escaped if all(c == "_" or c.isalnum() for c in escaped) else None


# --------------------------------------------------------------------------- defaulting


def apply_defaults(schema: Schema, obj: Json) -> Json:
    """Structural defaulting as the API server does it, in place; returns ``obj``.

    Non-nullable nulls are dropped (or replaced by the default), absent properties
    get their ``default``, and the walk continues into array items and
    additionalProperties values, only below objects that exist.
    """
    if isinstance(obj, dict):
        props: dict[str, Schema] = schema.get("properties", {})
        for key, prop in props.items():
            if key in obj and obj[key] is None and not prop.get("nullable"):
                del obj[key]
            if key not in obj and "default" in prop:
                obj[key] = copy.deepcopy(prop["default"])
        extra = schema.get("additionalProperties")
        for key, value in obj.items():
            if key in props:
                apply_defaults(props[key], value)
            elif isinstance(extra, dict):
                apply_defaults(extra, value)
    elif isinstance(obj, list) and isinstance(schema.get("items"), dict):
        for item in obj:
            apply_defaults(schema["items"], item)
    return obj


# --------------------------------------------------------------------------- schema validation


@dataclass
class _Problems:
    errors: list[tuple[str, str]] = field(default_factory=list)
    blocking: bool = False  # a type error: the API server then skips CEL rules
    skipped: list[str] = field(default_factory=list)

    def add(self, path: str, message: str, *, blocking: bool = False) -> None:
        self.errors.append((path or "<root>", message))
        self.blocking = self.blocking or blocking


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path and key else path or key


def _json_type(value: Json) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _type_ok(schema: Schema, value: Json) -> bool:
    if schema.get("x-kubernetes-int-or-string"):
        return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    expected = schema.get("type")
    if expected is None:
        return True
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return bool(_json_type(value) == expected)


@functools.cache
def _pattern(expr: str) -> Any:
    return re2.compile(expr)


def _format_ok(fmt: str, value: Json) -> bool:
    """The string and integer formats the apiextensions validator enforces (others pass)."""
    if fmt == "int32":
        return bool(-(2**31) <= value < 2**31)
    if fmt == "int64":
        return bool(-(2**63) <= value < 2**63)
    if not isinstance(value, str):
        return True
    try:
        if fmt == "ipv4":
            ipaddress.IPv4Address(value)
        elif fmt == "ipv6":
            ipaddress.IPv6Address(value)
        elif fmt == "byte":
            base64.b64decode(value, validate=True)
        elif fmt == "date-time":
            if not _RFC3339.match(value):
                return False
            datetime.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _unique(items: list[Json]) -> Iterator[tuple[int, Json]]:
    """(index, item) for each item equal to an earlier one."""
    seen: set[str] = set()
    for i, item in enumerate(items):
        key = json.dumps(item, sort_keys=True)
        if key in seen:
            yield i, item
        seen.add(key)


def _check(schema: Schema, value: Json, path: str, out: _Problems, *, closed: bool = True) -> None:
    """OpenAPI v3 (CRD subset) value validation; ``closed`` is off inside anyOf/oneOf/allOf/not."""
    if value is None and schema.get("nullable"):
        return
    if not _type_ok(schema, value):
        expected = "integer or string" if schema.get("x-kubernetes-int-or-string") else schema["type"]
        out.add(path, f"must be of type {expected}, got {_json_type(value)}", blocking=True)
        return
    if "enum" in schema and not any(value == e and type(value) is type(e) for e in schema["enum"]):
        out.add(path, f"Unsupported value: {json.dumps(value)}: supported values: "
                      + ", ".join(json.dumps(e) for e in schema["enum"]))
    fmt = schema.get("format")
    if fmt and not _format_ok(fmt, value):
        out.add(path, f"Invalid value: {json.dumps(value)}: must be a valid {fmt}")
    if isinstance(value, str):
        _check_string(schema, value, path, out)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(schema, value, path, out)
    elif isinstance(value, list):
        _check_array(schema, value, path, out, closed=closed)
    elif isinstance(value, dict):
        _check_object(schema, value, path, out, closed=closed)
    _check_junctors(schema, value, path, out)


def _check_string(schema: Schema, value: str, path: str, out: _Problems) -> None:
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        out.add(path, f"Too long: may not be more than {schema['maxLength']} characters")
    if "minLength" in schema and len(value) < schema["minLength"]:
        out.add(path, f"Invalid value: {json.dumps(value)}: should be at least {schema['minLength']} chars long")
    if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
        out.add(path, f"Invalid value: {json.dumps(value)}: should match '{schema['pattern']}'")


def _check_number(schema: Schema, value: float, path: str, out: _Problems) -> None:
    if "maximum" in schema:
        limit, exclusive = schema["maximum"], bool(schema.get("exclusiveMaximum"))
        if value > limit or (exclusive and value == limit):
            out.add(path, f"Invalid value: {value}: must be less than {'' if exclusive else 'or equal to '}{limit}")
    if "minimum" in schema:
        limit, exclusive = schema["minimum"], bool(schema.get("exclusiveMinimum"))
        if value < limit or (exclusive and value == limit):
            out.add(path, f"Invalid value: {value}: must be greater than {'' if exclusive else 'or equal to '}{limit}")
    if schema.get("multipleOf") and value % schema["multipleOf"]:
        out.add(path, f"Invalid value: {value}: must be a multiple of {schema['multipleOf']}")


def _check_array(schema: Schema, value: list[Json], path: str, out: _Problems, *, closed: bool) -> None:
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        out.add(path, f"Too many: {len(value)}: must have at most {schema['maxItems']} items")
    if "minItems" in schema and len(value) < schema["minItems"]:
        out.add(path, f"Invalid value: {len(value)} items: must have at least {schema['minItems']} items")
    list_type = schema.get("x-kubernetes-list-type")
    if list_type == "set" or schema.get("uniqueItems"):
        for i, item in _unique(value):
            out.add(f"{path}[{i}]", f"Duplicate value: {json.dumps(item)}")
    elif list_type == "map":
        keys = schema.get("x-kubernetes-list-map-keys", [])
        projected = [{k: item.get(k) for k in keys} if isinstance(item, dict) else item for item in value]
        for i, key in _unique(projected):
            out.add(f"{path}[{i}]", f"Duplicate value: {json.dumps(key, sort_keys=True)}")
    items = schema.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(value):
            _check(items, item, f"{path}[{i}]", out, closed=closed)


def _check_object(schema: Schema, value: dict[str, Json], path: str, out: _Problems, *, closed: bool) -> None:
    for key in schema.get("required", []):
        if key not in value:
            out.add(_child(path, key), "Required value")
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        out.add(path, f"Too many: {len(value)}: must have at most {schema['maxProperties']} items")
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        out.add(path, f"Invalid value: {len(value)}: must have at least {schema['minProperties']} items")
    props: dict[str, Schema] = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    embedded = bool(schema.get("x-kubernetes-embedded-resource"))
    open_ = not closed or schema.get("x-kubernetes-preserve-unknown-fields") or extra is True
    for key, child in value.items():
        if key in props:
            _check(props[key], child, _child(path, key), out, closed=closed)
        elif isinstance(extra, dict):
            _check(extra, child, f"{path}[{key}]", out, closed=closed)
        elif embedded and key in ("apiVersion", "kind", "metadata"):
            continue
        elif not open_:
            out.add(_child(path, key), f"unknown field {json.dumps(key)}")
    if embedded:
        for key in ("apiVersion", "kind"):
            if not value.get(key):
                out.add(_child(path, key), "Required value: must not be empty")
        if "metadata" in value:
            _check_object_meta(value["metadata"], _child(path, "metadata"), out, name_required=False)


def _check_junctors(schema: Schema, value: Json, path: str, out: _Problems) -> None:
    def passes(branch: Schema) -> bool:
        probe = _Problems()
        _check(branch, value, path, probe, closed=False)
        return not probe.errors

    if "allOf" in schema:
        for branch in schema["allOf"]:
            _check(branch, value, path, out, closed=False)
    if "anyOf" in schema and not any(passes(b) for b in schema["anyOf"]):
        out.add(path, f"Invalid value: {json.dumps(value)}: must validate at least one schema (anyOf)")
    if "oneOf" in schema:
        matched = sum(passes(b) for b in schema["oneOf"])
        if matched != 1:
            out.add(path, f"Invalid value: {json.dumps(value)}: must validate one and only one schema (oneOf), "
                          f"matched {matched}")
    if "not" in schema and passes(schema["not"]):
        out.add(path, f"Invalid value: {json.dumps(value)}: must not validate the schema (not)")


def _check_object_meta(meta: Json, path: str, out: _Problems, *, name_required: bool) -> None:
    """The ObjectMeta checks the API server applies to every object."""
    if not isinstance(meta, dict):
        out.add(path, f"must be of type object, got {_json_type(meta)}", blocking=True)
        return
    for key in meta:
        if key not in _OBJECT_META_KEYS:
            out.add(_child(path, key), f"unknown field {json.dumps(key)}")
    _check_name(meta, _child(path, "name"), out, required=name_required)
    namespace = meta.get("namespace")
    if namespace is not None and (not isinstance(namespace, str) or len(namespace) > 63
                                  or not _DNS1123_LABEL.match(namespace)):
        out.add(_child(path, "namespace"), f"Invalid value: {json.dumps(namespace)}: must be a DNS-1123 label")
    for key in ("labels", "annotations"):
        _check_string_map(meta.get(key), _child(path, key), out, values_are_labels=key == "labels")
    finalizers = meta.get("finalizers", [])
    if not isinstance(finalizers, list) or not all(isinstance(f, str) and _qualified_name_ok(f) for f in finalizers):
        out.add(_child(path, "finalizers"), "Invalid value: must be a list of qualified names")
    for i, ref in enumerate(meta.get("ownerReferences") or []):
        for key in ("apiVersion", "kind", "name", "uid"):
            if not isinstance(ref, dict) or not ref.get(key):
                out.add(f"{path}.ownerReferences[{i}].{key}", "Required value")


def _check_name(meta: dict[str, Json], path: str, out: _Problems, *, required: bool,
                pattern: re.Pattern[str] = _DNS1123_SUBDOMAIN, max_len: int = 253) -> None:
    name = meta.get("name")
    if name is None:
        if required and not meta.get("generateName"):
            out.add(path, "Required value: name or generateName is required")
    elif not isinstance(name, str):
        out.add(path, f"must be of type string, got {_json_type(name)}", blocking=True)
    elif len(name) > max_len or not pattern.match(name):
        out.add(path, f"Invalid value: {json.dumps(name)}: must match '{pattern.pattern}' "
                      f"and be at most {max_len} characters")


def _qualified_name_ok(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix)):
        return False
    return len(name) <= 63 and bool(_QUALIFIED_NAME.match(name))


def _check_string_map(value: Json, path: str, out: _Problems, *, values_are_labels: bool) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        out.add(path, f"must be of type object, got {_json_type(value)}", blocking=True)
        return
    for key, item in value.items():
        if not _qualified_name_ok(key if values_are_labels else key.lower()):
            out.add(path, f"Invalid value: {json.dumps(key)}: key must be a qualified name "
                          "(optional DNS subdomain prefix and '/', then at most 63 alphanumerics, '-', '_' or '.')")
        if not isinstance(item, str):
            out.add(f"{path}[{key}]", f"must be of type string, got {_json_type(item)}", blocking=True)
        elif values_are_labels and (len(item) > 63 or not _LABEL_VALUE.match(item)):
            out.add(f"{path}[{key}]", f"Invalid value: {json.dumps(item)}: must be a valid label value")
    if not values_are_labels and sum(len(k) + len(str(v)) for k, v in value.items()) > 256 * 1024:
        out.add(path, "Too long: must have at most 262144 bytes")


# --------------------------------------------------------------------------- CEL evaluation


def _to_cel(schema: Schema, value: Json, path: str, out: _Problems) -> Any:
    """Convert a (defaulted, pruned) value to CEL as the API server exposes it, running
    every ``x-kubernetes-validations`` rule on the way."""
    if value is None:
        return None
    if isinstance(value, dict):
        props: dict[str, Schema] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        cel: dict[Any, Any] = {}
        for key, child in value.items():
            if key in props:
                name = _cel_escape(key)
                converted = _to_cel(props[key], child, _child(path, key), out)
                if name is not None:
                    cel[celtypes.StringType(name)] = converted
            elif isinstance(extra, dict):
                cel[celtypes.StringType(key)] = _to_cel(extra, child, f"{path}[{key}]", out)
            elif schema.get("x-kubernetes-preserve-unknown-fields") or extra is True or (
                schema.get("x-kubernetes-embedded-resource") and key in ("apiVersion", "kind", "metadata")
            ):
                cel[celtypes.StringType(key)] = json_to_cel(child)
        result: Any = celtypes.MapType(cel)
    elif isinstance(value, list):
        items: Schema = schema["items"] if isinstance(schema.get("items"), dict) else {}
        result = celtypes.ListType([_to_cel(items, item, f"{path}[{i}]", out) for i, item in enumerate(value)])
    elif schema.get("type") == "number" and not isinstance(value, bool):
        result = celtypes.DoubleType(float(value))
    else:
        result = json_to_cel(value)
    for rule in schema.get("x-kubernetes-validations", ()):
        _run_rule(rule, result, path, out)
    return result


def _run_rule(rule: dict[str, str], value: Any, path: str, out: _Problems) -> None:
    text, field_path = rule["rule"], rule.get("fieldPath", "")
    where = path + field_path if field_path.startswith("[") else _child(path, field_path.lstrip("."))
    if _OLD_SELF.search(text):
        out.skipped.append(f"{where or '<root>'}: {text}")
        return
    activation = _activation(value)
    message = rule.get("message") or f"failed rule: {text}"
    try:
        verdict = compile_rule(text).evaluate(activation)
    except CELEvalError as exc:
        out.add(where, f"{message} (rule could not be evaluated: {_cel_error_text(exc)})")
        return
    if not isinstance(verdict, celtypes.BoolType):
        out.add(where, f"rule did not evaluate to a bool ({verdict!r}): {text}")
    elif not verdict:
        if rule.get("messageExpression"):
            try:
                message = str(compile_rule(rule["messageExpression"]).evaluate(activation))
            except CELEvalError as exc:
                message = f"{message} (messageExpression failed: {_cel_error_text(exc)})"
        out.add(where, message)


def _cel_error_text(exc: CELEvalError) -> str:
    """celpy's own message, e.g. "no such member in mapping: 'tls'"."""
    return str(exc.args[0]) if exc.args else repr(exc)


def validate_against_schema(schema: Schema, value: Json) -> list[str]:
    """Default, then validate ``value`` against one structural schema (no ObjectMeta rules)."""
    obj = apply_defaults(schema, copy.deepcopy(value))
    out = _Problems()
    _check(schema, obj, "", out)
    if not out.blocking:
        _to_cel(schema, obj, "", out)
    return [f"{p}: {m}" for p, m in out.errors]


# --------------------------------------------------------------------------- public validator


@dataclass(frozen=True)
class ValidationResult:
    """Errors, plus what the API server would have stored and which rules it defers."""

    errors: list[str]
    defaulted: dict[str, Json] | None  # None for built-in kinds (no CRD defaulting)
    skipped_rules: list[str]  # transition rules (``oldSelf``): only run on update


class ManifestValidator:
    """Validator for one Gateway API pin; cheap to construct, caches are module-wide."""

    def __init__(self, gateway_api_version: str = "v1.6.1", channel: str = "standard") -> None:
        directory = REFDATA / "gateway-api" / gateway_api_version / channel
        if not directory.is_dir():
            raise ValueError(f"no Gateway API CRDs at {directory}")
        self.gateway_api_version = gateway_api_version
        self.channel = channel
        self._crds = _crd_index(gateway_api_version, channel)

    def validate(self, manifest: dict[str, Json]) -> list[str]:
        """Error strings ``Kind/namespace/name: path: message``; empty when the API server accepts it."""
        return self.check(manifest).errors

    def check(self, manifest: dict[str, Json]) -> ValidationResult:
        """Like :meth:`validate`, also returning the defaulted object and skipped rules."""
        meta: dict[str, Json] = manifest["metadata"] if isinstance(manifest.get("metadata"), dict) else {}
        ident = "/".join(
            str(p) for p in (manifest.get("kind", "<no kind>"), meta.get("namespace"),
                             meta.get("name") or meta.get("generateName") or "<no name>") if p
        )
        api_version = manifest.get("apiVersion")
        if not isinstance(api_version, str) or not isinstance(manifest.get("kind"), str):
            return ValidationResult([f"{ident}: <root>: apiVersion and kind are required strings"], None, [])
        group, _, version = api_version.rpartition("/")
        out = _Problems()
        defaulted: dict[str, Json] | None = None
        if group in _crd_groups():
            defaulted = self._check_custom(group, version, manifest, out)
        elif "." not in group or group.endswith(".k8s.io"):
            _check_builtin(manifest, out)
        else:
            out.add("", f"no CRD for {api_version} {manifest['kind']} in the reference data")
        return ValidationResult([f"{ident}: {p}: {m}" for p, m in out.errors], defaulted, out.skipped)

    def schema_for(self, api_version: str, kind: str) -> Schema:
        """The openAPIV3Schema the API server would use for this apiVersion and kind."""
        group, _, version = api_version.rpartition("/")
        crd = self._crds.get((group, kind))
        if crd is None or version not in crd.versions:
            raise KeyError(f"{api_version} {kind} is not defined by the loaded CRDs")
        return crd.versions[version].schema

    def _check_custom(
        self, group: str, version: str, manifest: dict[str, Json], out: _Problems
    ) -> dict[str, Json] | None:
        kind = manifest["kind"]
        crd = self._crds.get((group, kind))
        if crd is None:
            out.add("", self._absent_message(group, kind))
            return None
        served = [name for name, v in crd.versions.items() if v.served]
        if version not in crd.versions:
            out.add("apiVersion", f"{group}/{version} is not a version of {kind} ({crd.source} serves {served})")
            return None
        if not crd.versions[version].served:
            out.add("apiVersion", f"{group}/{version} {kind} is not served by {crd.source} "
                                  f"(served: {', '.join(served) or 'none'})")
            return None
        schema = crd.versions[version].schema
        obj: dict[str, Json] = apply_defaults(schema, copy.deepcopy(manifest))
        # metadata is ObjectMeta, not the CRD's bare `type: object`: checked and exposed separately
        props = schema.get("properties", {})
        body_schema = {**schema, "properties": {k: v for k, v in props.items() if k != "metadata"}}
        body = {k: v for k, v in obj.items() if k != "metadata"}
        meta = obj.get("metadata", {})
        _check(body_schema, body, "", out)
        _check_object_meta(meta, "metadata", out, name_required=True)
        if out.blocking:
            out.add("", "some validation rules were not checked because the object was invalid; "
                        "correct the existing errors to complete validation")
            return obj
        root = _to_cel({**body_schema, "x-kubernetes-validations": []}, body, "", out)
        # at the root, CEL sees only metadata.name and metadata.generateName
        root[celtypes.StringType("metadata")] = json_to_cel(
            {k: meta[k] for k in ("name", "generateName") if k in meta})
        for rule in schema.get("x-kubernetes-validations", ()):
            _run_rule(rule, root, "", out)
        return obj

    def _absent_message(self, group: str, kind: str) -> str:
        if group.startswith("gateway.networking"):
            elsewhere = [
                ch.name for ch in sorted((REFDATA / "gateway-api" / self.gateway_api_version).iterdir())
                if ch.name != self.channel and any(
                    c.group == group and c.kind == kind for c in _gateway_api_crds(self.gateway_api_version, ch.name))
            ]
            where = f" (it is only in the {', '.join(elsewhere)} channel)" if elsewhere else ""
            return (f"{group} {kind} is absent from the Gateway API {self.gateway_api_version} "
                    f"{self.channel} channel{where}")
        return f"no CRD for {group} {kind} in the reference data"


_BUILTIN_NAME_RULES: dict[tuple[str, str], tuple[re.Pattern[str], int]] = {
    ("", "Namespace"): (_DNS1123_LABEL, 63),
    ("", "Service"): (_DNS1035_LABEL, 63),
}


def _check_builtin(manifest: dict[str, Json], out: _Problems) -> None:
    """Built-in kinds: kubernetes-validate (strict) plus the ObjectMeta rules it lacks."""
    group = manifest["apiVersion"].rpartition("/")[0]
    try:
        kubernetes_validate.validate(manifest, _K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.path).lstrip(".")
        out.add(path, f"{exc.message} (Kubernetes {_K8S_VERSION} schema)")
    except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.InvalidSchemaError) as exc:
        out.add("", exc.message)
    if group == "rbac.authorization.k8s.io":  # path-segment names: anything but '/', '%', '.', '..'
        pattern, max_len = re.compile(r"^(?!\.{1,2}$)[^/%]+$"), 253
    else:
        pattern, max_len = _BUILTIN_NAME_RULES.get((group, manifest["kind"]), (_DNS1123_SUBDOMAIN, 253))
    meta = manifest.get("metadata")
    _check_name(meta if isinstance(meta, dict) else {}, "metadata.name", out,
                required=True, pattern=pattern, max_len=max_len)


# --------------------------------------------------------------------------- Helm values


_CHARTS: dict[tuple[str, str], str] = {
    ("cert-manager", "1.21.1"): "cert-manager/v1.21.1/chart",
    ("external-dns", "1.21.1"): "external-dns/external-dns-helm-chart-1.21.1/chart",
    ("nginx-gateway-fabric", "2.6.7"): "nginx-gateway-fabric/v2.6.7/chart",
    ("envoy-gateway", "1.9.0"): "envoy-gateway/v1.9.0/gateway-helm",
    ("aws-load-balancer-controller", "3.5.0"): "aws-load-balancer-controller/v3.5.0/chart",
}


@functools.cache
def _chart(chart: str, version: str) -> tuple[dict[str, Json], Any] | None:
    key = (chart, version.removeprefix("v"))
    if key not in _CHARTS:
        raise ValueError(f"no reference data for chart {chart} {version}; known: {sorted(_CHARTS)}")
    directory = REFDATA / _CHARTS[key]
    schema_file = directory / "values.schema.json"
    if not schema_file.is_file():
        return None
    schema = json.loads(schema_file.read_text())
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    defaults = yaml.safe_load((directory / "values.yaml").read_text()) or {}
    return defaults, validator_cls(schema)


def coalesce_values(defaults: dict[str, Json], values: dict[str, Json]) -> dict[str, Json]:
    """Helm's merge of user values over chart defaults: maps merge, user wins, null deletes."""
    merged = copy.deepcopy(defaults)
    for key, value in values.items():
        if value is None and key in merged:
            del merged[key]
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = coalesce_values(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def validate_helm_values(chart: str, version: str, values: dict[str, Json]) -> list[str] | None:
    """Errors ``path: message`` for chart defaults + ``values``; None when the chart ships no schema."""
    loaded = _chart(chart, version)
    if loaded is None:
        return None
    defaults, validator = loaded
    merged = coalesce_values(defaults, values)
    errors = sorted(validator.iter_errors(merged), key=lambda e: list(map(str, e.absolute_path)))
    return [
        f"{''.join(f'[{p}]' if isinstance(p, int) else f'.{p}' for p in e.absolute_path).lstrip('.') or '<root>'}: "
        f"{e.message}"
        for e in errors
    ]
