"""The config reference covers every key of the JSON Schema, says where each applies, and is what the README shows."""

from __future__ import annotations

from typing import Any

from traffic_edge.config.load import SECRET_KEYS
from traffic_edge.config.reference import README_END, README_START, reference_markdown, reference_rows
from traffic_edge.config.schema import model_schema
from traffic_edge.offline.render import PROJECT_DIR

PREFIX = "traffic-edge:"


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def schema_keys(root: dict[str, Any], node: dict[str, Any], prefix: str) -> set[str]:
    """Every key path the JSON Schema accepts, written as the reference writes them."""
    node = _resolve(root, node)
    keys: set[str] = set()
    for option in node.get("anyOf", []) + node.get("oneOf", []):
        keys |= schema_keys(root, option, prefix)
    if node.get("type") == "array":
        keys |= schema_keys(root, node.get("items", {}), prefix + "[]")
    named = [node.get("additionalProperties"), *node.get("patternProperties", {}).values()]
    for value_schema in (item for item in named if isinstance(item, dict) and item):
        keys |= schema_keys(root, value_schema, prefix + ".<name>")
    for name, prop in node.get("properties", {}).items():
        key = f"{prefix}.{name}" if prefix else name
        keys.add(key)
        keys |= schema_keys(root, prop, key)
    return keys


def test_the_reference_lists_every_key_of_the_schema_and_no_other() -> None:
    schema = model_schema()
    envelopes = {f"{key}.secure" for key in SECRET_KEYS}  # `{secure: ...}`: how the CLI stores a secret, not a key
    expected = {f"{PREFIX}{key}" for key in schema_keys(schema, schema, "") - envelopes}
    listed = {row.key for row in reference_rows()}
    assert listed == expected


def test_keys_of_one_platform_or_route_kind_say_so() -> None:
    rows = {row.key: row for row in reference_rows()}
    assert rows[f"{PREFIX}platform.region"].applies_to == ["eks"]
    assert rows[f"{PREFIX}platform.clusterStack"].applies_to == ["gke", "eks", "aks"]
    assert rows[f"{PREFIX}routes[].hostname"].applies_to == ["TCPRoute", "UDPRoute"]
    assert rows[f"{PREFIX}routes[].rules[].rewritePrefix"].applies_to == ["HTTPRoute"]
    assert rows[f"{PREFIX}routes[].rules[].backends"].applies_to == []  # every kind
    assert rows[f"{PREFIX}platform.kind"].applies_to == []


def test_keys_under_named_maps_are_documented() -> None:
    keys = {row.key for row in reference_rows()}
    assert f"{PREFIX}namespaces.<name>.egress[].to.cidrs" in keys
    assert f"{PREFIX}tenants.<name>.hostnameSuffix" in keys
    assert f"{PREFIX}versions.charts" in keys


def test_the_readme_shows_the_generated_reference() -> None:
    """Regenerate with `python -m traffic_edge reference`."""
    readme = (PROJECT_DIR / "README.md").read_text()
    shown = readme.split(README_START, 1)[1].split(README_END, 1)[0].strip()
    assert shown == reference_markdown()
