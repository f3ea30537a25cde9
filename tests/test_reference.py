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


def test_every_key_of_namespaces_tenants_guardrails_gateways_and_routes_says_what_it_is() -> None:
    documented = ("namespaces", "tenants", "guardrails", "gateways", "routes")
    rows = [row for row in reference_rows() if row.key.removeprefix(PREFIX).startswith(documented)]
    assert [row.key for row in rows if not row.description or row.description == "a DNS-1123 label"] == []
    assert len([row for row in rows if row.key.startswith(f"{PREFIX}namespaces.<name>.")]) == 13
    assert len([row for row in rows if row.key.startswith(f"{PREFIX}tenants.<name>.")]) == 5


def test_keys_of_one_platform_or_controller_say_so_and_so_do_the_keys_under_them() -> None:
    rows = {row.key.removeprefix(PREFIX): row for row in reference_rows()}
    assert rows["dns.rfc2136"].applies_to == rows["dns.rfc2136.nameserver"].applies_to == ["onprem"]
    assert rows["tsigSecret"].applies_to == ["onprem"]
    assert rows["dns.adopt.id"].applies_to == ["gke", "eks", "aks"]
    assert rows["dns.zone"].applies_to == []
    assert rows["controller.scheme"].applies_to == ["aws-load-balancer-controller"]
    assert rows["controller.applicationGateway.subnetId"].applies_to == ["azure-alb"]
    assert rows["gateways[].dataPlane.replicas"].applies_to == ["envoy-gateway"]
    assert rows["gateways[].listeners[].certificateArn"].applies_to == ["aws-load-balancer-controller"]
    assert rows["gateways[].listeners[].allowedRoutes.selector.matchLabels"].applies_to == []


def test_types_defaults_and_descriptions_are_per_route_kind_where_they_differ() -> None:
    rows = {row.key.removeprefix(PREFIX): row for row in reference_rows()}
    assert rows["routes[].hostnames"].default == "`[]` (`HTTPRoute`, `GRPCRoute`); required (`TLSRoute`)"
    assert rows["routes[].rules[].matches[].method"].type.endswith("(`HTTPRoute`); string (`GRPCRoute`)")
    assert rows["routes[].rules"].description == (
        "at most 16, matched in order of the Gateway API's precedence (`HTTPRoute`, `GRPCRoute`); exactly one "
        "(`TLSRoute`, `TCPRoute`, `UDPRoute`)")
    assert rows["routes[].kind"].type == "`HTTPRoute` \\| `GRPCRoute` \\| `TLSRoute` \\| `TCPRoute` \\| `UDPRoute`"
    assert rows["routes[].kind"].default == '`"HTTPRoute"`'
    assert rows["platform.identity"].default == '`"serviceAccount"` (`gke`); `"irsa"` (`eks`)'
