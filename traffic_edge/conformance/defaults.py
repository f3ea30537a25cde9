"""What the API server does to a custom resource before validating it: drop nulls, then fill in defaults.

Follows apiextensions-apiserver's `PruneNonNullableNullsWithoutDefaults` and `Default`: a null where the schema
is not nullable is removed (in properties and string maps alike) unless a default replaces it; absent
properties get their default; defaults are applied only below objects that exist.
"""

from __future__ import annotations

import copy

from traffic_edge.conformance.field import Json, Schema


def _field_schema(schema: Schema | None, name: str) -> Schema | None:
    """The schema of a map entry: its property, else additionalProperties when that is a schema."""
    if schema is None:
        return None
    if name in schema.get("properties", {}):
        prop: Schema = schema["properties"][name]
        return prop
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def _items_schema(schema: Schema | None) -> Schema | None:
    items = (schema or {}).get("items")
    return items if isinstance(items, dict) else None


def _is_null_to_replace(value: Json, schema: Schema | None) -> bool:
    return value is None and schema is not None and not schema.get("nullable")


def prune_nulls(schema: Schema | None, value: Json) -> None:
    """Remove, in place, map entries that are null where the schema is not nullable and has no default."""
    if isinstance(value, dict):
        for name in list(value):
            prop = _field_schema(schema, name)
            if _is_null_to_replace(value[name], prop) and "default" not in (prop or {}):
                del value[name]
            else:
                prune_nulls(prop, value[name])
    elif isinstance(value, list):
        for item in value:
            prune_nulls(_items_schema(schema), item)


def default(schema: Schema | None, value: Json) -> None:
    """Fill in, in place, the defaults of absent properties (and of non-nullable nulls left by pruning)."""
    if schema is None:
        return
    if isinstance(value, dict):
        for name, prop in schema.get("properties", {}).items():
            if "default" in prop and (name not in value or _is_null_to_replace(value[name], prop)):
                value[name] = copy.deepcopy(prop["default"])
        for name in value:
            prop = _field_schema(schema, name)
            if name not in schema.get("properties", {}) and _is_null_to_replace(value[name], prop):
                value[name] = copy.deepcopy((prop or {}).get("default"))
            default(prop, value[name])
    elif isinstance(value, list):
        items = _items_schema(schema)
        for i, item in enumerate(value):
            if _is_null_to_replace(item, items):
                value[i] = copy.deepcopy((items or {}).get("default"))
            default(items, value[i])


def apply_defaults(schema: Schema, obj: Json) -> Json:
    """Nulls dropped, then defaults applied, in place, in the API server's order; returns `obj`."""
    prune_nulls(schema, obj)
    default(schema, obj)
    return obj
