"""The on-prem platform: RFC 2136 DNS with a TSIG key that only ever travels as a Pulumi secret."""

from __future__ import annotations

from typing import Any

import pulumi

from tests.conftest import (
    DEPLOYMENT,
    SECRET_PLACEHOLDER,
    Config,
    parse_config,
    provision_platform,
    record_component,
)
from traffic_edge.config.load import stack_secrets
from traffic_edge.plan import edge_plan
from traffic_edge.plan.contracts import DnsZone, SecretSpec, WorkloadIdentity
from traffic_edge.platforms.base import Provisioned

TSIG = {"secure": "v1:c2VjcmV0"}  # a stack file's encrypted value; offline it becomes a secret placeholder
WITHOUT_DNS: Config = {"platform": {"kind": "onprem"}, "domain": "lab.example.test"}
WITH_RFC2136: Config = {
    **WITHOUT_DNS,
    "dns": {
        "zone": "example.test",
        "rfc2136": {"nameserver": "10.0.0.53", "tsigKeyName": "edge-key.example.test", "tsigAlgorithm": "HMACSHA512"},
    },
    "tsigSecret": TSIG,
}
TSIG_REF = {"name": "rfc2136-tsig", "key": "tsig-secret-key"}


def provision(config: Config) -> Provisioned:
    """Inside a program: the on-prem platform provisioned as the edge does, the TSIG key a Pulumi secret read from
    the stack's config."""
    model = parse_config(config)
    tsig = stack_secrets(model).get("tsigSecret")
    return provision_platform(model, pulumi.Output.secret(tsig) if tsig is not None else None)


def provisioned(config: Config) -> Provisioned:
    found: list[Provisioned] = []
    record_component(lambda: found.append(provision(config)), config={"tsigSecret": TSIG})
    [result] = found
    return result


def test_without_dns_there_is_no_zone_solver_or_external_dns() -> None:
    bundle = edge_plan(parse_config(WITHOUT_DNS), DEPLOYMENT).gateway_api
    assert bundle is not None, "on-prem, this program installs the Gateway API CRDs"
    assert (bundle.version, bundle.channel) == ("v1.6.1", "standard")
    platform = provisioned(WITHOUT_DNS)
    assert platform.zone is None
    assert platform.dns01 is None
    assert platform.external_dns is None
    assert platform.identities == {}
    assert platform.identity("cert-manager") == WorkloadIdentity()


def test_provision_creates_nothing() -> None:
    def program() -> None:
        provision(WITH_RFC2136)

    recording = record_component(program, config={"tsigSecret": TSIG})
    assert recording.resources == {}


def test_zone_is_the_configured_zone() -> None:
    assert provisioned(WITH_RFC2136).zone == DnsZone(name="example.test")
    without_zone = {**WITH_RFC2136, "dns": {"rfc2136": WITH_RFC2136["dns"]["rfc2136"]}}
    assert provisioned(without_zone).zone == DnsZone(name="lab.example.test")


def platform_values(config: Config) -> tuple[dict[str, Any], dict[str, Any], list[SecretSpec]]:
    """dns01 solver body, external-dns values and their Secrets, read inside a program (config is runtime)."""
    found: list[tuple[dict[str, Any], dict[str, Any], list[SecretSpec]]] = []

    def program() -> None:
        platform = provision(config)
        solver, external_dns = platform.dns01, platform.external_dns
        assert solver is not None
        assert external_dns is not None
        found.append((dict(solver.solver), dict(external_dns.values), [*solver.secrets, *external_dns.secrets]))

    record_component(program, config={"tsigSecret": TSIG})
    [result] = found
    return result


def test_dns01_solver() -> None:
    solver, _, _ = platform_values(WITH_RFC2136)
    assert solver == {
        "rfc2136": {
            "nameserver": "10.0.0.53",
            "tsigKeyName": "edge-key.example.test",
            "tsigAlgorithm": "HMACSHA512",
            "tsigSecretSecretRef": TSIG_REF,
        }
    }


def test_external_dns_values() -> None:
    _, values, _ = platform_values(WITH_RFC2136)
    assert values == {
        "provider": {"name": "rfc2136"},
        "extraArgs": [
            "--rfc2136-host=10.0.0.53",
            "--rfc2136-port=53",
            "--rfc2136-zone=example.test",
            "--rfc2136-tsig-keyname=edge-key.example.test",
            "--rfc2136-tsig-secret-alg=hmac-sha512",
            "--rfc2136-tsig-axfr",
        ],
        "env": [{"name": "EXTERNAL_DNS_RFC2136_TSIG_SECRET", "valueFrom": {"secretKeyRef": TSIG_REF}}],
    }


def test_external_dns_takes_the_port_from_the_nameserver() -> None:
    rfc2136 = {"nameserver": "ns1.example.test:5353", "tsigKeyName": "k.example.test"}
    config = {**WITH_RFC2136, "dns": {"rfc2136": rfc2136}}
    _, values, _ = platform_values(config)
    assert values["extraArgs"][:2] == ["--rfc2136-host=ns1.example.test", "--rfc2136-port=5353"]
    assert "--rfc2136-tsig-secret-alg=hmac-sha256" in values["extraArgs"]


def test_tsig_secret_stays_a_secret_output() -> None:
    """The key is read with require_secret: an Output the engine sees as secret, never a plain string."""
    seen: list[str] = []
    specs: list[SecretSpec] = []

    def program() -> None:
        platform = provision(WITH_RFC2136)
        solver, external_dns = platform.dns01, platform.external_dns
        assert solver is not None
        assert external_dns is not None
        specs.extend([*solver.secrets, *external_dns.secrets])
        for index, spec in enumerate(specs):
            pulumi.export(f"tsig{index}", spec.value)
            spec.value.apply(seen.append)

    recording = record_component(program, config={"tsigSecret": TSIG})
    assert [(spec.name, spec.key) for spec in specs] == [("rfc2136-tsig", "tsig-secret-key")] * 2
    assert all(isinstance(spec.value, pulumi.Output) for spec in specs)
    assert recording.outputs == {"tsig0": "[secret]", "tsig1": "[secret]"}
    assert seen == [f"{SECRET_PLACEHOLDER}traffic-edge:tsigSecret"] * 2, "the value is the configured key"
