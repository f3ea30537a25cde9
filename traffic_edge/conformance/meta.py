"""ObjectMeta as the API server validates it for every kind, built-in or custom (apimachinery's
`ValidateObjectMeta` and k8s.io/apimachinery/pkg/util/validation), plus the name rule of each built-in kind.

Each name check returns the API server's messages, empty when valid; the CEL format library reuses them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from traffic_edge.conformance.field import ErrorType, FieldError, Json, child, index, json_type, key, show

NameRule = Callable[[str], list[str]]

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_KNOWN_KEYS = frozenset({
    "name", "generateName", "namespace", "labels", "annotations", "finalizers", "ownerReferences", "uid",
    "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
    "managedFields", "selfLink",
})
_ANNOTATIONS_LIMIT = 256 * 1024


def _pattern_errors(value: str, pattern: re.Pattern[str], max_len: int, what: str) -> list[str]:
    errors = [f"must be no more than {max_len} characters"] if len(value) > max_len else []
    if not pattern.match(value):
        errors.append(f"{what} (regex used for validation is '{pattern.pattern[1:-1]}')")
    return errors


def dns1123_label(value: str) -> list[str]:
    return _pattern_errors(value, _DNS1123_LABEL, 63, "a lowercase RFC 1123 label must consist of lower case "
                           "alphanumeric characters or '-', and must start and end with an alphanumeric character")


def dns1123_subdomain(value: str) -> list[str]:
    return _pattern_errors(value, _DNS1123_SUBDOMAIN, 253, "a lowercase RFC 1123 subdomain must consist of lower "
                           "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                           "character")


def dns1035_label(value: str) -> list[str]:
    return _pattern_errors(value, _DNS1035_LABEL, 63, "a DNS-1035 label must consist of lower case alphanumeric "
                           "characters or '-', start with an alphabetic character, and end with an alphanumeric "
                           "character")


def label_value(value: str) -> list[str]:
    return _pattern_errors(value, _LABEL_VALUE, 63, "a valid label must be an empty string or consist of "
                           "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                           "character")


def qualified_name(value: str) -> list[str]:
    """An optional DNS subdomain prefix and '/', then a name of at most 63 characters."""
    parts = value.split("/")
    if len(parts) > 2:
        return ["a qualified name must consist of an optional DNS subdomain prefix and '/', then a name"]
    errors: list[str] = []
    if len(parts) == 2:
        prefix = parts[0]
        errors += [f"prefix part {msg}" for msg in dns1123_subdomain(prefix)] if prefix else \
            ["prefix part must be non-empty"]
    name = parts[-1]
    if not name:
        errors.append("name part must be non-empty")
    return errors + [f"name part {msg}" for msg in _pattern_errors(name, _QUALIFIED_NAME, 63, "must consist of "
                     "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character")]


def path_segment_name(value: str) -> list[str]:
    """Names that only have to be usable in a URL path (RBAC objects, embedded resources)."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in "/%" if c in value]


# Built-in kinds whose name is not a DNS subdomain (the default): core's and rbac's validation.
BUILTIN_NAME_RULES: dict[tuple[str, str], NameRule] = {
    ("", "Namespace"): dns1123_label,
    ("", "Service"): dns1035_label,
    **{("rbac.authorization.k8s.io", kind): path_segment_name
       for kind in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")},
}


def name_rule(group: str, kind: str) -> NameRule:
    return BUILTIN_NAME_RULES.get((group, kind), dns1123_subdomain)


def object_meta_errors(meta: Json, path: str, rule: NameRule, *, check_namespace: bool = True) -> list[FieldError]:
    """Everything the API server refuses in an object's metadata; `check_namespace` is off where it is cleared."""
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return [FieldError(path, ErrorType.TYPE_INVALID, f"{show(meta)}: must be of type object")]
    errors = [FieldError(child(path, name), ErrorType.UNKNOWN_FIELD) for name in meta if name not in _KNOWN_KEYS]
    errors += _name_errors(meta, path, rule)
    namespace = meta.get("namespace")
    if check_namespace and namespace:
        errors += _invalid(child(path, "namespace"), namespace, dns1123_label)
    errors += list(_labels_errors(meta.get("labels"), child(path, "labels")))
    errors += list(_annotations_errors(meta.get("annotations"), child(path, "annotations")))
    errors += list(_finalizers_errors(meta.get("finalizers"), child(path, "finalizers")))
    errors += list(_owner_reference_errors(meta.get("ownerReferences"), child(path, "ownerReferences")))
    return errors


def _invalid(path: str, value: Json, rule: NameRule) -> list[FieldError]:
    if not isinstance(value, str):
        return [FieldError(path, ErrorType.TYPE_INVALID, f"{show(value)}: must be of type string")]
    return [FieldError(path, ErrorType.INVALID, f"{show(value)}: {msg}") for msg in rule(value)]


def _name_errors(meta: dict[str, Json], path: str, rule: NameRule) -> list[FieldError]:
    """A name, or a generateName the API server completes with five characters (a trailing '-' is fine there)."""
    name, generate = meta.get("name"), meta.get("generateName")
    errors: list[FieldError] = []
    if generate:
        masked = f"{generate[:-1]}a" if isinstance(generate, str) and generate.endswith("-") else generate
        errors = _invalid(child(path, "generateName"), masked, rule)
    if generate and not name:
        return errors
    if not name:
        return [FieldError(child(path, "name"), ErrorType.REQUIRED, "name or generateName is required")]
    return errors + _invalid(child(path, "name"), name, rule)


def _string_map(value: Json, path: str) -> Iterator[tuple[str, str] | FieldError]:
    """Entries of a string map; a null value decodes to "" (Go's zero value), other types are errors."""
    if value is None:
        return
    if not isinstance(value, dict):
        yield FieldError(path, ErrorType.TYPE_INVALID, f"{show(value)}: must be of type object")
        return
    for name, item in value.items():
        if item is None or isinstance(item, str):
            yield name, item or ""
        else:
            yield FieldError(key(path, name), ErrorType.TYPE_INVALID, f"{show(item)}: must be of type string")


def _labels_errors(labels: Json, path: str) -> Iterator[FieldError]:
    for entry in _string_map(labels, path):
        if isinstance(entry, FieldError):
            yield entry
            continue
        name, value = entry
        yield from (FieldError(path, ErrorType.INVALID, f"{show(name)}: {msg}") for msg in qualified_name(name))
        yield from _invalid(key(path, name), value, label_value)


def _annotations_errors(annotations: Json, path: str) -> Iterator[FieldError]:
    size = 0
    for entry in _string_map(annotations, path):
        if isinstance(entry, FieldError):
            yield entry
            continue
        name, value = entry
        size += len(name) + len(value)
        yield from (FieldError(path, ErrorType.INVALID, f"{show(name)}: {msg}") for msg in qualified_name(name.lower()))
    if size > _ANNOTATIONS_LIMIT:
        yield FieldError(path, ErrorType.TOO_LONG, f"may not be more than {_ANNOTATIONS_LIMIT} bytes")


def _finalizers_errors(finalizers: Json, path: str) -> Iterator[FieldError]:
    if finalizers is None:
        return
    if not isinstance(finalizers, list):
        yield FieldError(path, ErrorType.TYPE_INVALID, f"{show(finalizers)}: must be of type array")
        return
    for i, finalizer in enumerate(finalizers):
        yield from _invalid(index(path, i), finalizer, qualified_name)


def _owner_reference_errors(references: Json, path: str) -> Iterator[FieldError]:
    if references is None:
        return
    if not isinstance(references, list):
        yield FieldError(path, ErrorType.TYPE_INVALID, f"{show(references)}: must be of type array")
        return
    for i, ref in enumerate(references):
        if not isinstance(ref, dict):
            yield FieldError(index(path, i), ErrorType.TYPE_INVALID, f"must be of type object, not {json_type(ref)}")
            continue
        yield from (FieldError(child(index(path, i), name), ErrorType.REQUIRED)
                    for name in ("apiVersion", "kind", "name", "uid") if not ref.get(name))
    if sum(isinstance(ref, dict) and ref.get("controller") is True for ref in references) > 1:
        yield FieldError(path, ErrorType.INVALID, "Only one reference can have Controller set to true")
