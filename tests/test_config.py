"""The stack config model: defaults, key spelling, loading from the Pulumi runtime, secrets and the JSON schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pulumi
import pytest
import yaml

from tests.conftest import STACK_FILES, Config, parse_config, record_component
from traffic_edge.config import ConfigError, StackConfig, load_stack_config
from traffic_edge.config.messages import key_path
from traffic_edge.config.queries import crds_owner
from traffic_edge.config.schema import stack_file_schema
from traffic_edge.config.types import SecretRef
from traffic_edge.controllers import chart_pins, envoy_gateway
from traffic_edge.data.versions import CHARTS, gateway_api_bundle_url
from traffic_edge.offline.render import PROJECT_DIR

MINIMAL: Config = {"platform": {"kind": "onprem"}, "domain": "example.test"}
RFC2136 = {"nameserver": "10.0.0.53", "tsigKeyName": "edge-key.example.test"}


def test_defaults_of_a_minimal_stack() -> None:
    config = parse_config(MINIMAL)
    assert (config.versions.gateway_api, config.versions.gateway_api_channel) == ("v1.6.1", "standard")
    assert config.versions.charts == {}
    assert config.chart_version("cert-manager") == "v1.21.1"
    assert config.chart_version("envoy-gateway") == "v1.9.0"
    assert (config.controller.name, config.controller.service_type, config.controller.values) == (
        "envoy-gateway", "LoadBalancer", {}
    )
    assert (config.issuers.acme, config.issuers.internal_ca) == (None, None)
    assert (config.gateways, config.routes, config.namespaces) == ([], [], {})
    assert config.production is False
    assert config.tsig_secret is None
    assert config.zone_name == "example.test"
    assert crds_owner(config) == "install"  # the Gateway API CRDs are this program's to install


def test_pinned_versions_table() -> None:
    """Where versions live (data.versions, and each controller's module for its chart): what a reviewer compares
    with the refdata and upstream docs."""
    assert (CHARTS["cert-manager"].chart, CHARTS["cert-manager"].version, CHARTS["cert-manager"].repo) == (
        "cert-manager", "v1.21.1", "https://charts.jetstack.io"
    )
    envoy = envoy_gateway.CHART
    assert (envoy.chart, envoy.version, envoy.repo) == ("oci://docker.io/envoyproxy/gateway-helm", "v1.9.0", None)
    assert chart_pins()["envoy-gateway"] is envoy
    assert all(name == pin.name for name, pin in chart_pins().items()), "a pin is overridden under its own name"
    assert gateway_api_bundle_url("v1.6.1", "standard") == (
        "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml"
    )


def test_version_overrides() -> None:
    versions = {"gatewayApiChannel": "experimental", "charts": {"cert-manager": "v1.20.2"}}
    config = parse_config({**MINIMAL, "versions": versions})
    assert (config.versions.gateway_api, config.versions.gateway_api_channel) == ("v1.6.1", "experimental")
    assert config.chart_version("cert-manager") == "v1.20.2"
    assert config.chart_version("envoy-gateway") == "v1.9.0"


def test_keys_are_camel_case_only() -> None:
    """Stack files use Kubernetes-style camelCase; the Python spelling is refused with the right key suggested."""
    config = parse_config({
        **MINIMAL,
        "certManager": {"values": {"replicaCount": 2}},
        "issuers": {"internalCa": {"commonName": "lab CA"}},
        "gateways": [{"name": "edge", "listeners": [{"name": "tls", "protocol": "TLS", "port": 8443,
                                                     "tlsMode": "Passthrough", "allowedRoutes": {"all": True}}]}],
    })
    assert config.cert_manager.values == {"replicaCount": 2}
    assert config.issuers.internal_ca is not None
    assert config.issuers.internal_ca.common_name == "lab CA"
    listener = config.gateways[0].listeners[0]
    assert (listener.tls_mode, listener.allowed_routes.all) == ("Passthrough", True)
    with pytest.raises(ConfigError) as raised:
        parse_config({**MINIMAL, "cert_manager": {}, "versions": {"gateway_api_channel": "standard"}})
    assert [str(issue) for issue in raised.value.issues] == [
        "cert_manager: unknown key (fix: did you mean `certManager`?)",
        "versions.gateway_api_channel: unknown key (fix: did you mean `gatewayApiChannel`?)",
    ]


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("routes", 2, "HTTPRoute", "rules", 0, "backends", 1, "port"), "routes[2].rules[0].backends[1].port"),
        (("platform", "onprem", "kind"), "platform.kind"),
        (("namespaces", "Apps", "[key]"), "namespaces.Apps"),
        ((), "(top level)"),
    ],
)
def test_key_path(loc: tuple[int | str, ...], path: str) -> None:
    assert key_path(loc) == path


def load_in_program(config: Config) -> StackConfig:
    """Run `load_stack_config` as the program does: config handed over by the engine as strings."""
    loaded: list[StackConfig] = []
    record_component(lambda: loaded.append(load_stack_config()), config=config)
    [model] = loaded
    return model


def test_load_reads_json_encoded_objects_from_the_runtime() -> None:
    model = load_in_program({
        **MINIMAL,
        "production": "true",
        "namespaces": {"apps": {"labels": {"team": "apps"}}},
        "issuers": {"acme": {"email": "ops@example.test"}},
        "gateways": [{"name": "edge", "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}],
        "other-project:ignored": "not ours",
    })
    assert model.platform.kind == "onprem"
    assert model.production is True
    assert model.namespaces["apps"].labels == {"team": "apps"}
    assert model.issuers.acme is not None
    assert model.issuers.acme.email == "ops@example.test"
    assert model.gateways[0].listeners[0].port == 80


def test_load_turns_a_secret_key_into_a_reference() -> None:
    model = load_in_program({**MINIMAL, "dns": {"rfc2136": RFC2136}, "tsigSecret": {"secure": "v1:c2VjcmV0"}})
    assert model.tsig_secret == SecretRef(key="tsigSecret")
    assert "c2VjcmV0" not in model.model_dump_json()


def test_load_refuses_a_secret_key_in_clear_text() -> None:
    with pytest.raises(pulumi.RunError) as raised:
        load_in_program({**MINIMAL, "dns": {"rfc2136": RFC2136}, "tsigSecret": "c2VjcmV0"})
    assert "  - tsigSecret: is stored in clear text (fix: pulumi config set --secret tsigSecret <value>)" in str(
        raised.value
    ).splitlines()
    assert "c2VjcmV0" not in str(raised.value)


def test_a_secret_never_enters_the_model() -> None:
    """Only keys that Pulumi marks secret become references; the value stays with the engine."""
    config = parse_config({**MINIMAL, "dns": {"rfc2136": RFC2136}, "tsigSecret": {"secure": "v1:c2VjcmV0"}})
    assert config.tsig_secret == SecretRef(key="tsigSecret")
    with pytest.raises(ConfigError) as raised:
        parse_config({**MINIMAL, "dns": {"rfc2136": RFC2136}, "tsigSecret": "c2VjcmV0"})
    assert {issue.path for issue in raised.value.issues} == {"tsigSecret"}


def test_committed_schema_is_generated() -> None:
    """schema/stack.schema.json is what `python -m traffic_edge schema` writes for the current model."""
    committed = json.loads((PROJECT_DIR / "schema" / "stack.schema.json").read_text())
    generated = stack_file_schema()
    stale = sorted(
        name for name in committed["$defs"].keys() | generated["$defs"].keys()
        if committed["$defs"].get(name) != generated["$defs"].get(name)
    )
    assert committed == generated, f"stale definitions {stale}: run `python -m traffic_edge schema`"


def _stack_file(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=[path.name for path in STACK_FILES])
def test_stack_file_matches_schema(stack_file: Path) -> None:
    """Editors validate stack files with the schema; every example must pass it."""
    schema = stack_file_schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = [f"{'.'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(
        _stack_file(stack_file)
    )]
    assert errors == []


def test_schema_refuses_what_the_model_refuses() -> None:
    """The schema is closed like the model: a typo and a clear-text secret are editor errors too."""
    validator = jsonschema.Draft202012Validator(stack_file_schema())
    bad = {"config": {"traffic-edge:platform": {"kind": "onprem"}, "traffic-edge:domain": "example.test",
                      "traffic-edge:gateway": [], "traffic-edge:tsigSecret": "c2VjcmV0"}}
    paths = sorted("/".join(map(str, error.absolute_path)) for error in validator.iter_errors(bad))
    assert paths == ["config", "config/traffic-edge:tsigSecret"]
