"""The checks of a CRD schema that JSON Schema cannot express, walked by hand like apiextensions-apiserver does:
list types (`x-kubernetes-list-type: set` items and `map` keys are unique) and embedded resources
(`x-kubernetes-embedded-resource`: apiVersion and kind required, metadata is ObjectMeta).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from traffic_edge.conformance import meta
from traffic_edge.conformance.field import ErrorType, FieldError, Json, Schema, child, index, key, show


def structural_errors(schema: Schema, value: Json, path: str = "") -> Iterator[FieldError]:
    if isinstance(value, dict):
        if schema.get("x-kubernetes-embedded-resource"):
            yield from _embedded_resource_errors(value, path)
        props: dict[str, Schema] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if name in props:
                yield from structural_errors(props[name], item, child(path, name))
            elif isinstance(extra, dict):
                yield from structural_errors(extra, item, key(path, name))
    elif isinstance(value, list):
        yield from _list_type_errors(schema, value, path)
        items = schema.get("items")
        for i, item in enumerate(value):
            yield from structural_errors(items if isinstance(items, dict) else {}, item, index(path, i))


def _duplicates(items: list[Json]) -> Iterator[tuple[int, Json]]:
    """(index, item) of each item equal to an earlier one."""
    seen: set[str] = set()
    for i, item in enumerate(items):
        text = json.dumps(item, sort_keys=True)
        if text in seen:
            yield i, item
        seen.add(text)


def _list_type_errors(schema: Schema, value: list[Json], path: str) -> Iterator[FieldError]:
    list_type = schema.get("x-kubernetes-list-type")
    if list_type == "set":
        for i, item in _duplicates(value):
            yield FieldError(index(path, i), ErrorType.DUPLICATE, show(item))
    elif list_type == "map":
        keys = schema.get("x-kubernetes-list-map-keys", [])
        projected = [{k: item.get(k) for k in keys} if isinstance(item, dict) else item for item in value]
        for i, entry in _duplicates(projected):
            yield FieldError(index(path, i), ErrorType.DUPLICATE, json.dumps(entry, sort_keys=True))


def _embedded_resource_errors(value: dict[str, Json], path: str) -> Iterator[FieldError]:
    """apiextensions' validateEmbeddedResource; names there need only be URL path segments."""
    for name in ("apiVersion", "kind"):
        item = value.get(name)
        if item is not None and not isinstance(item, str):
            yield FieldError(child(path, name), ErrorType.INVALID, f"{show(item)}: must be a string")
        elif not item:
            yield FieldError(child(path, name), ErrorType.REQUIRED)
    kind = value.get("kind")
    if isinstance(kind, str) and kind:
        yield from (FieldError(child(path, "kind"), ErrorType.INVALID, f"{show(kind)}: may have mixed case, but "
                               f"should otherwise match: {msg}") for msg in meta.dns1035_label(kind.lower()))
    if "metadata" in value:
        metadata = value["metadata"]
        if isinstance(metadata, dict) and not metadata.get("name"):  # the name is optional here
            metadata = {**metadata, "name": "fakename"}
        yield from meta.object_meta_errors(metadata, child(path, "metadata"), meta.path_segment_name)
