"""Pydantic's validation errors as config issues: the key path a user wrote, what is wrong and the fix."""

from __future__ import annotations

import difflib
from typing import Any, get_args

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from traffic_edge.config.errors import Issue
from traffic_edge.config.hints import gateway_api_hint
from traffic_edge.config.model import StackConfig
from traffic_edge.config.platforms import PLATFORM_KINDS
from traffic_edge.config.types import ABSOLUTE_PATH, DNS1123_LABEL, EMAIL, HOSTNAME, NAMESERVER
from traffic_edge.data.route_kinds import ROUTE_KINDS

# What a pattern mismatch means, by the model's pattern; other patterns are shown as they are.
PATTERN_MESSAGES = {
    DNS1123_LABEL.pattern: "must be a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters",
    HOSTNAME.pattern: "must be a lowercase DNS name (a leading `*.` is allowed)",
    ABSOLUTE_PATH: "must start with /",
    EMAIL: "must be an email address",
    NAMESERVER: "must be host, host:port or [IPv6 address]:port",
}
# Pydantic's errors for a value of the wrong YAML shape.
MAPPING_EXPECTED = ("dict_type", "model_type", "model_attributes_type")


def key_path(loc: tuple[int | str, ...]) -> str:
    """('routes', 2, 'HTTPRoute', 'rules', 0) → routes[2].rules[0]; union tags and pydantic's map-key marker
    (('namespaces', 'Apps', '[key]') → namespaces.Apps) are dropped."""
    path = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif (
            (previous == "platform" and part in PLATFORM_KINDS)
            or (isinstance(previous, int) and part in ROUTE_KINDS)
            or part == "[key]"
        ):
            continue
        else:
            path += f".{part}" if path else str(part)
        previous = part
    return path or "(top level)"


def issue_of(detail: ErrorDetails) -> Issue:
    loc = tuple(detail["loc"])
    path = key_path(loc)
    kind = detail["type"]
    context = detail.get("ctx") or {}
    if detail.get("input") is None and kind not in ("missing", "extra_forbidden"):
        return Issue(path, "is empty", "give it a value, or remove the key")
    hint = gateway_api_hint(detail, path)
    if hint is not None:
        return hint
    if kind == "extra_forbidden":
        key = str(loc[-1])
        close = difflib.get_close_matches(key, _keys_at(loc[:-1]), n=1)
        return Issue(path, "unknown key", f"did you mean `{close[0]}`?" if close else "remove it")
    if kind == "missing":
        return Issue(path, "is required", f"add `{loc[-1]}`")
    if kind in ("greater_than_equal", "less_than_equal") and _is_port(loc):
        return Issue(path, "must be 1-65535", "use a port number between 1 and 65535")
    if kind == "greater_than_equal":
        return Issue(path, f"must be at least {context.get('ge')}")
    if kind == "less_than_equal":
        return Issue(path, f"must be at most {context.get('le')}")
    if kind == "literal_error":
        return Issue(path, f"must be one of {context.get('expected')}")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = context.get("expected_tags") or ", ".join(PLATFORM_KINDS if path == "platform" else ROUTE_KINDS)
        problem = "is required" if kind == "union_tag_not_found" else "unknown kind"
        return Issue(f"{path}.kind", f"{problem}; must be one of {tags}")
    if kind == "string_pattern_mismatch":
        pattern = str(context.get("pattern", ""))
        return Issue(path, PATTERN_MESSAGES.get(pattern, f"must match {pattern}"))
    value = detail["input"]
    if kind in MAPPING_EXPECTED and path == "platform" and value in PLATFORM_KINDS:
        return Issue(path, "must be an object with a `kind`", f"write `platform: {{kind: {value}}}`")
    if kind in MAPPING_EXPECTED:
        return Issue(path, f"must be an object of `key: value` lines, not {_shape(value)}", "indent its keys under it")
    if kind == "list_type":
        return Issue(path, f"input should be a valid list, not {_shape(value)}", "write one `- ` line per item")
    if kind == "value_error":
        return Issue(path, str(context.get("error", detail["msg"])))
    return Issue(path, detail["msg"][:1].lower() + detail["msg"][1:])


def _is_port(loc: tuple[int | str, ...]) -> bool:
    """`…port`, or an item of `…ports`."""
    return loc[-1] == "port" or (isinstance(loc[-1], int) and len(loc) > 1 and loc[-2] == "ports")


def _shape(value: Any) -> str:
    """A YAML value's kind, as a user reads the stack file."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _keys_at(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the object at `loc` accepts, so a typo is matched against its siblings only."""
    models: list[type[BaseModel]] = [StackConfig]
    for part in loc:
        fields = [f for model in models for n, f in model.model_fields.items() if part in (n, f.alias)]
        tagged = [m for m in models if get_args(getattr(m.model_fields.get("kind"), "annotation", None)) == (part,)]
        if fields:
            models = [inner for f in fields for inner in _models_in(f.annotation)]
        elif tagged:  # a union tag picks one of the objects; a list index or map key keeps them
            models = tagged
    keys = sorted({f.alias or n for model in models for n, f in model.model_fields.items()})
    return keys or _vocabulary()


def _vocabulary() -> list[str]:
    """Every key any config object accepts, for 'did you mean' hints."""
    seen: set[str] = set()
    visited: set[type[BaseModel]] = set()
    pending: list[type[BaseModel]] = [StackConfig]
    while pending:
        model = pending.pop()
        if model in visited:
            continue
        visited.add(model)
        for name, field in model.model_fields.items():
            seen.add(field.alias or name)
            pending.extend(_models_in(field.annotation))
    return sorted(seen)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for argument in getattr(annotation, "__args__", ()) + tuple(getattr(annotation, "__metadata__", ())):
        found += _models_in(argument)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and origin is not annotation:
        found += _models_in(origin)
    return found
