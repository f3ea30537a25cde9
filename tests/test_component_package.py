"""TrafficEdge for other languages: its package schema, and a config object doing what a stack file does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.provider.experimental.component import ComponentProvider

from tests.conftest import PROJECT, RenderStack, record_component
from traffic_edge.offline.diff.compare import resource_key
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.package import TrafficEdge

SCHEMA = PROJECT_DIR / "component" / "schema.json"
TOKEN = "traffic-edge:index:TrafficEdge"


def stack_config(stack: str) -> dict[str, Any]:
    """The keys under `traffic-edge:` of an example stack, as one object."""
    raw = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {key.split(":", 1)[1]: value for key, value in raw.items() if key.startswith(f"{PROJECT}:")}


def test_the_checked_in_schema_is_what_the_component_host_serves() -> None:
    """Regenerate with `python -m traffic_edge package-schema` when the inputs or outputs change."""
    served = json.loads(str(ComponentProvider([TrafficEdge], "traffic-edge", version="0.1.0").schema))
    assert served == json.loads(SCHEMA.read_text())


def test_the_schema_takes_the_stack_config_object_and_gives_the_stack_outputs() -> None:
    resource = json.loads(SCHEMA.read_text())["resources"][TOKEN]
    assert resource["isComponent"] is True
    assert resource["requiredInputs"] == ["config", "project", "stack"]
    assert resource["inputProperties"]["preflight"]["type"] == "boolean"
    assert resource["inputProperties"]["config"]["type"] == "object"
    assert "plain" not in resource["inputProperties"]["tsigSecret"]  # a secret output may be passed
    assert set(resource["properties"]) == {"cluster", "gateways", "gatewayClass", "clusterIssuers", "dnsZone"}
    assert "dnsZone" not in resource["required"]


def test_a_config_object_registers_exactly_what_the_stack_file_does(render_stack: RenderStack) -> None:
    from_file = render_stack(PROJECT_DIR / "Pulumi.dev.yaml")

    def program() -> None:
        TrafficEdge("edge", {"config": stack_config("dev"), "project": PROJECT, "stack": "dev", "preflight": False})

    from_object = record_component(program)
    file_resources = {resource_key(urn): r.inputs for urn, r in from_file.resources.items()}
    object_resources = {resource_key(urn): r.inputs for urn, r in from_object.resources.items()}
    assert object_resources == file_resources


def test_two_edges_live_in_one_stack_without_a_shared_name() -> None:
    def program() -> None:
        for name in ("edge-a", "edge-b"):  # one per cluster (each would take its own Kubernetes provider)
            TrafficEdge(name, {"config": stack_config("dev"), "project": PROJECT, "stack": "two", "preflight": False})

    recording = record_component(program)  # the offline engine refuses a URN registered twice, as the engine does
    names = [registration.name for registration in recording.resources.values()]
    per_edge = {edge: [name for name in names if name.startswith(edge)] for edge in ("edge-a", "edge-b")}
    assert len(per_edge["edge-a"]) == len(per_edge["edge-b"]) == len(names) / 2


def test_an_invalid_config_object_is_refused_with_its_key() -> None:
    def program() -> None:
        config = {**stack_config("dev"), "gatewayz": []}
        TrafficEdge("edge", {"config": config, "project": PROJECT, "stack": "x", "preflight": False})

    with pytest.raises(pulumi.RunError, match=r"gatewayz: unknown key \(fix: did you mean `gateways`\?\)"):
        record_component(program)


def test_the_plugin_hosts_the_package_component() -> None:
    plugin = Path(PROJECT_DIR / "component")
    assert "component_provider_host([TrafficEdge]" in (plugin / "__main__.py").read_text()
    assert yaml.safe_load((plugin / "PulumiPlugin.yaml").read_text())["runtime"]["name"] == "python"
