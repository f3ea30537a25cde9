"""Every compatibility rule trips on the combination it names and stays quiet on the one beside it (the contract
of tests/rule_tables.py over CASES), and the messages people read."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import STACK_FILES, Rejection, parse_config, write_stack
from tests.rule_tables import RuleCase, contract_tests, rule_ids
from traffic_edge.config import ConfigError
from traffic_edge.config.model import StackConfig
from traffic_edge.config.rules.compat import RULES, check, release

Config = dict[str, Any]
DOMAIN = "lab.example.test"
ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"


def route(name: str, kind: str = "HTTPRoute", **extra: Any) -> Config:
    spec: Config = {"name": name, "kind": kind, "namespace": "apps", "gateway": "edge",
                    "rules": [{"backends": [{"service": name, "port": 8080}]}], **extra}
    if kind in ("HTTPRoute", "GRPCRoute", "TLSRoute") and "hostnames" not in extra:
        spec["hostnames"] = [f"{name}.{DOMAIN}"]
    return spec


def listener(name: str, protocol: str, port: int, **extra: Any) -> Config:
    return {"name": name, "protocol": protocol, "port": port, **extra}


HTTP = listener("http", "HTTP", 80)
HTTPS = listener("https", "HTTPS", 443, hostname=f"*.{DOMAIN}", certificate="wildcard")
ALB_HTTPS = listener("https", "HTTPS", 443, hostname=f"*.{DOMAIN}", certificateArn=ARN)
WILDCARD = {"name": "wildcard", "issuer": "internal-ca", "dnsNames": [f"*.{DOMAIN}"]}


PLATFORMS: dict[str, Config] = {
    "onprem": {"kind": "onprem"},
    "gke": {"kind": "gke", "project": "lab-project"},
    "eks": {"kind": "eks", "region": "eu-west-1", "clusterName": "lab"},
    "aks": {"kind": "aks"},
}


def lab(*, platform: str = "onprem", controller: str = "envoy-gateway", listeners: list[Config] | None = None,
        routes: list[Config] | None = None, **extra: Any) -> Config:
    """An edge with one gateway `edge` and one HTTPRoute, on the given platform and controller."""
    config: Config = {
        "platform": PLATFORMS[platform],
        "domain": DOMAIN,
        "controller": {"name": controller},
        "issuers": {"internalCa": {}},
        "namespaces": {"apps": {"gateways": ["edge"]}},
        "gateways": [{"name": "edge", "namespace": "gateway", "certificates": [WILDCARD],
                      "listeners": listeners if listeners is not None else [HTTP, HTTPS]}],
        "routes": routes if routes is not None else [route("web")],
    }
    return {**config, **extra}


RFC2136: Config = {"dns": {"rfc2136": {"nameserver": "ns1.example.test", "tsigKeyName": "edge"}},
           "tsigSecret": {"key": "tsigSecret"}}
NLB_LISTENERS = [listener("tcp", "TCP", 5432)]
EKS: Config = {"platform": "eks", "controller": "aws-load-balancer-controller"}
API_V1: Config = {"matches": [{"path": "/v1"}], "backends": [{"service": "api", "port": 8080}]}
GKE: Config = {"platform": "gke", "controller": "gke"}


def with_versions(config: Config, **versions: str) -> Config:
    return {**config, "versions": versions}


def cilium(version: str = "1.19.7", **extra: Any) -> Config:
    """A lab on Cilium, which the cluster installs: its release is config."""
    config = lab(controller="cilium", **extra)
    config["controller"] = {"name": "cilium", "version": version}
    return config


TLS_PASSTHROUGH = listener("tls", "TLS", 8443, tlsMode="Passthrough")


# rule id → (config that trips it, the key paths it trips at, the other rules that trip with it, a config that passes)
Case = tuple[Config, list[str], set[str], Config]
CASES: dict[str, Case] = {
    "route-kind-unsupported": (
        lab(**GKE, routes=[route("api", "GRPCRoute")]), ["routes[0].kind"], set(),
        lab(**GKE, routes=[route("api")]),
    ),
    "route-kind-not-in-channel": (
        with_versions(cilium(listeners=[TLS_PASSTHROUGH], routes=[route("db", "TLSRoute")]), gatewayApi="v1.4.1"),
        ["routes[0].kind"], set(),
        with_versions(cilium(listeners=[TLS_PASSTHROUGH], routes=[route("db", "TLSRoute")]), gatewayApi="v1.4.1",
                      gatewayApiChannel="experimental"),
    ),
    "l4-l7-shared-gateway": (
        with_versions(lab(**EKS, listeners=[HTTP, ALB_HTTPS, *NLB_LISTENERS]), gatewayApiChannel="experimental"),
        ["gateways[0].listeners"], set(),
        with_versions(lab(**EKS, listeners=[HTTP, ALB_HTTPS]), gatewayApiChannel="experimental"),
    ),
    "experimental-over-managed-crds": (
        with_versions(lab(**GKE), gatewayApiChannel="experimental"), ["versions.gatewayApiChannel"], set(),
        lab(**GKE),
    ),
    "external-dns-unserved-version": (
        lab(**RFC2136, listeners=[HTTP, HTTPS, listener("db", "TCP", 5432)],
            routes=[route("web"), route("db", "TCPRoute", hostname=f"db.{DOMAIN}")]),
        ["routes[1]"], set(),
        with_versions(lab(**RFC2136, listeners=[HTTP, HTTPS, listener("db", "TCP", 5432)],
                          routes=[route("web"), route("db", "TCPRoute", hostname=f"db.{DOMAIN}")]),
                      gatewayApiChannel="experimental"),
    ),
    "external-dns-listener-wildcard": (
        lab(**RFC2136, routes=[route("web", hostnames=[])]), ["routes[0].hostnames"], set(),
        lab(**RFC2136, routes=[route("web")]),
    ),
    "secret-certificate-on-acm-listener": (
        lab(**EKS), ["gateways[0].listeners[1].certificate"], set(),
        lab(**EKS, listeners=[HTTP, ALB_HTTPS]),
    ),
    "acm-certificate-misplaced": (
        lab(listeners=[HTTP, ALB_HTTPS]), ["gateways[0].listeners[1].certificateArn"], set(),
        lab(**EKS, listeners=[HTTP, ALB_HTTPS]),
    ),
    "gateway-api-downgrade": (
        with_versions(cilium(), gatewayApi="v1.4.1", installedGatewayApi="v1.6.1"),
        ["versions.gatewayApi"], set(),
        with_versions(cilium(), gatewayApi="v1.4.1", installedGatewayApi="v1.4.1"),
    ),
    "cert-manager-gateway-api-without-crds": (
        lab(controller="gke"), ["controller.name"], {"controller-platform"},
        lab(**GKE),
    ),
    "controller-platform": (
        lab(controller="aws-load-balancer-controller", listeners=[HTTP, ALB_HTTPS]), ["controller.name"], set(),
        lab(**EKS, listeners=[HTTP, ALB_HTTPS]),
    ),
    "cluster-name-required": (
        {**lab(**EKS, listeners=[HTTP, ALB_HTTPS]), "platform": {"kind": "eks", "region": "eu-west-1"}},
        ["platform.clusterName"], set(),
        lab(**EKS, listeners=[HTTP, ALB_HTTPS]),
    ),
    "controller-built-against-newer": (
        with_versions(lab(controller="nginx-gateway-fabric"), gatewayApi="v1.4.1"), ["versions.gatewayApi"], set(),
        lab(controller="nginx-gateway-fabric"),
    ),
    # Istio 1.30 reads TCPRoute at v1alpha2 (istio/istio @ 1.30.3 : pkg/config/schema/gvk/resources.gen.go L73),
    # which v1.6.1 standard CRDs list but do not serve.
    "controller-reads-unserved-version": (
        lab(controller="istio", listeners=NLB_LISTENERS, routes=[route("db", "TCPRoute")]), ["routes[0].kind"], set(),
        with_versions(lab(controller="istio", listeners=NLB_LISTENERS, routes=[route("db", "TCPRoute")]),
                      gatewayApiChannel="experimental"),
    ),
    "service-type-unsupported": (
        lab(**GKE, controller_service_type="NodePort"), ["controller.serviceType"], set(),
        lab(**GKE),
    ),
    "url-rewrite-unsupported": (
        lab(**EKS, listeners=[HTTP, ALB_HTTPS], routes=[route("api", rules=[{**API_V1, "rewritePrefix": "/"}])]),
        ["routes[0].rules[0].rewritePrefix"], set(),
        lab(**EKS, listeners=[HTTP, ALB_HTTPS], routes=[route("api", rules=[API_V1])]),
    ),
}


def model(raw: Config) -> StackConfig:
    raw = copy.deepcopy(raw)
    service_type = raw.pop("controller_service_type", None)
    if service_type is not None:
        raw["controller"]["serviceType"] = service_type
    return StackConfig.model_validate(raw)


(test_every_rule_has_a_case_and_every_case_a_rule, test_rule_is_documented, test_rule_trips,
 test_rule_passes_beside) = contract_tests(
    RULES, {rule: RuleCase(tripping, paths, passing, frozenset(also))
            for rule, (tripping, paths, also, passing) in CASES.items()}, check, model)


def test_tls_route_is_unsupported_on_application_gateway_for_containers() -> None:
    config = model(lab(platform="aks", controller="azure-alb", routes=[route("web"), route("db", "TCPRoute")],
                       listeners=[HTTP, HTTPS, listener("db", "TCP", 5432)]))
    [trip] = next(rule for rule in RULES if rule.id == "route-kind-unsupported").trips(config)
    assert trip.path == "routes[1].kind"
    assert trip.detail == "GatewayClass azure-alb-external does not serve TCPRoute (it serves GRPCRoute, HTTPRoute)"


def test_external_dns_detail_names_image_and_served_versions() -> None:
    tripping, *_ = CASES["external-dns-unserved-version"]
    [issue] = check(model(tripping))
    assert issue.message.startswith(
        "external-dns v0.22.0 reads TCPRoute at v1alpha2; Gateway API v1.6.1 standard serves v1 [external-dns-"
    )


def test_a_redirect_on_a_wildcard_http_listener_would_publish_the_wildcard() -> None:
    config = model(lab(**RFC2136, listeners=[listener("http", "HTTP", 80, hostname=f"*.{DOMAIN}"), HTTPS]))
    assert [issue.path for issue in check(config)] == ["gateways[0].listeners[0].hostname"]


def test_a_route_without_hostnames_on_an_exact_listener_publishes_that_name() -> None:
    exact = listener("https", "HTTPS", 443, hostname=f"web.{DOMAIN}", certificate="wildcard")
    assert check(model(lab(**RFC2136, listeners=[HTTP, exact], routes=[route("web", hostnames=[])]))) == []


def test_a_redirect_on_an_exact_http_listener_publishes_that_name() -> None:
    exact = listener("http", "HTTP", 80, hostname=f"web.{DOMAIN}")
    assert check(model(lab(**RFC2136, listeners=[exact, HTTPS]))) == []


def test_an_acm_certificate_belongs_on_an_https_listener_of_the_alb_controller() -> None:
    elsewhere, *_ = CASES["acm-certificate-misplaced"]
    [issue] = check(model(elsewhere))
    assert issue.message.startswith("listener https is not a envoy-gateway listener [acm-certificate-misplaced]")
    on_tls = listener("tls", "TLS", 8443, hostname=f"db.{DOMAIN}", certificateArn=ARN)
    found = check(model(lab(**EKS, listeners=[HTTP, ALB_HTTPS, on_tls])))
    assert [issue.message.split(" [", 1)[0] for issue in found if issue.path.endswith(".certificateArn")] == [
        "listener tls is not an HTTPS listener"]
    assert "gateways[0].listeners[2].certificateArn" in [issue.path for issue in found]


def test_without_dns_external_dns_rules_do_not_apply() -> None:
    tripping, *_ = CASES["external-dns-listener-wildcard"]
    without_dns: Config = {key: value for key, value in tripping.items() if key not in RFC2136}
    assert check(model(without_dns)) == []
    assert check(model({**tripping, "externalDns": {"enabled": False}})) == []


def test_controller_reading_v1alpha2_routes_passes_where_they_are_served() -> None:
    config = lab(controller="nginx-gateway-fabric", listeners=[HTTP, HTTPS, listener("dns", "UDP", 53)],
                 routes=[route("web"), route("dns", "UDPRoute")])
    assert rule_ids(check(model(config))) == {"controller-reads-unserved-version"}
    assert check(model(with_versions(config, gatewayApiChannel="experimental"))) == []


def test_release_order() -> None:
    assert release("v1.4.1") < release("v1.5.0") < release("v1.6.1") < release("v1.10.0")


def test_compat_issues_reach_the_config_error() -> None:
    tripping, paths, *_ = CASES["gateway-api-downgrade"]
    with pytest.raises(ConfigError) as raised:
        parse_config(tripping)
    assert [issue.path for issue in raised.value.issues] == paths
    assert "[gateway-api-downgrade]" in str(raised.value)


def test_a_downgrade_is_refused_from_the_first_bundle_with_the_safe_upgrades_policy() -> None:
    """v1.5.0 is the first bundle installing safe-upgrades (SAFE_UPGRADES_SINCE): from it on, older ones are refused."""
    with pytest.raises(ConfigError) as raised:
        parse_config(with_versions(cilium(), gatewayApi="v1.4.1", installedGatewayApi="v1.5.0"))
    assert [issue.path for issue in raised.value.issues] == ["versions.gatewayApi"]
    parse_config(with_versions(cilium(), gatewayApi="v1.4.1", installedGatewayApi="v1.4.9"))


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=[path.name for path in STACK_FILES])
def test_example_stacks_pass(stack_file: Path) -> None:
    raw = yaml.safe_load(stack_file.read_text())["config"]
    config = {key.split(":", 1)[1]: value for key, value in raw.items() if key.startswith("traffic-edge:")}
    if "tsigSecret" in config:
        config["tsigSecret"] = {"key": "tsigSecret"}
    assert check(StackConfig.model_validate(config)) == []


def test_refused_before_any_resource_is_registered(
    tmp_path: Path, render_rejected: Callable[[Path], Rejection]
) -> None:
    tripping, *_ = CASES["route-kind-not-in-channel"]
    rejection = render_rejected(write_stack(tmp_path, tripping))
    assert "[route-kind-not-in-channel]" in rejection.message
    assert rejection.stack_urn
    assert rejection.registered == {}
