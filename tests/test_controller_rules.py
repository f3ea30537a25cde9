"""Every controller rule trips on the combination it names and stays quiet on the one beside it.

CASES is keyed by rule id and the tests are parametrized over RULES, so a rule added without its two cases fails
here. The upstream fact behind each case is in the rule's source and in tests/test_controller_rows.py.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import parse_config
from tests.rule_tables import RuleCase, contract_tests
from tests.test_compat import HTTP, HTTPS, cilium, lab, listener, route, with_versions
from traffic_edge.config import ConfigError
from traffic_edge.config.model import StackConfig
from traffic_edge.config.rules import controllers as controller_rules
from traffic_edge.config.rules.controllers import RULES, check
from traffic_edge.controllers.base import ControllerRelease
from traffic_edge.data.versions import GATEWAY_API_VERSION

Config = dict[str, Any]
SUBNET = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/Microsoft.Network/" \
    "virtualNetworks/lab/subnets/alb"
ALB_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/agc/providers/" \
    "Microsoft.ServiceNetworking/trafficControllers/edge"
TLS_TERMINATE = listener("tls", "TLS", 8443, hostname="db.lab.example.test", tlsMode="Terminate",
                         certificate="wildcard")
TLS_PASSTHROUGH = listener("tls", "TLS", 8443, hostname="db.lab.example.test", tlsMode="Passthrough")
TCP = listener("db", "TCP", 5432)


def settings(config: Config, **keys: Any) -> Config:
    """The same edge with these keys under `controller`."""
    config = copy.deepcopy(config)
    config["controller"].update(keys)
    return config


CASES: dict[str, tuple[Config, list[str], Config]] = {
    "controller-key-not-applicable": (
        settings(lab(), scheme="internal"), ["controller.scheme"],
        settings(lab(platform="eks", controller="aws-load-balancer-controller"), scheme="internal"),
    ),
    "controller-version": (
        lab(controller="cilium"), ["controller.version"],
        cilium("1.20.2"),
    ),
    "controller-reads-listed-unserved-version": (
        cilium("1.19.7"), ["versions.gatewayApiChannel"],
        with_versions(cilium("1.19.7"), gatewayApiChannel="experimental"),
    ),
    "controller-needs-newer-gateway-api": (
        with_versions(cilium("1.20.2"), gatewayApi="v1.4.1"), ["versions.gatewayApi"],
        cilium("1.20.2"),
    ),
    "tls-mode-unsupported": (
        lab(controller="nginx-gateway-fabric", listeners=[TLS_TERMINATE], routes=[route("db", "TLSRoute")]),
        ["gateways[0].listeners[0].tlsMode"],
        lab(controller="nginx-gateway-fabric", listeners=[TLS_PASSTHROUGH], routes=[route("db", "TLSRoute")]),
    ),
    "protocol-needs-experimental-channel": (
        lab(controller="istio", listeners=[HTTP, HTTPS, TCP]), ["gateways[0].listeners[2].protocol"],
        with_versions(lab(controller="istio", listeners=[HTTP, HTTPS, TCP]), gatewayApiChannel="experimental"),
    ),
    "load-balancer-undeclared": (
        lab(controller="traefik"), ["controller.serviceType"],
        settings(lab(controller="traefik"), loadBalancer=True),
    ),
    "application-gateway": (
        lab(platform="aks", controller="azure-alb"), ["controller.applicationGateway"],
        settings(lab(platform="aks", controller="azure-alb"),
                 applicationGateway={"mode": "managed", "subnetId": SUBNET}),
    ),
    "crd-chart-version": (
        {**lab(controller="istio"), "versions": {"charts": {"istiod": "1.30.6"}}}, ["versions.charts.istio-base"],
        {**lab(controller="istio"), "versions": {"charts": {"istiod": "1.30.6", "istio-base": "1.30.6"}}},
    ),
}
(test_every_rule_has_a_case_and_every_case_a_rule, test_rule_is_documented, test_rule_trips,
 test_rule_passes_beside) = contract_tests(
    RULES, {rule: RuleCase(tripping, paths, passing) for rule, (tripping, paths, passing) in CASES.items()}, check)


# ------------------------------------------------------------------------------------------ the messages people read

def refusal(config: Config) -> list[str]:
    """Every line of the config error a stack file like `config` gets."""
    with pytest.raises(ConfigError) as raised:
        parse_config(config)
    return [str(issue) for issue in raised.value.issues]


def test_cilium_1_19_on_v1_6_standard_crds_is_refused_for_its_operator() -> None:
    """cilium/cilium @ v1.19.7 : operator/pkg/gateway-api/cell.go (L376-398) checks the version names a CRD lists;
    the v1.6.1 standard TLSRoute CRD lists v1alpha2 with `served: false` (../shared/refdata), so the operator
    crash-loops with no TLSRoute in sight (cilium/cilium#45139)."""
    [line] = refusal(cilium("1.19.7"))
    assert line.startswith(
        "versions.gatewayApiChannel: cilium 1.19.7 reads TLSRoute at v1alpha2, which the Gateway API v1.6.1 standard "
        "CRD lists but does not serve [controller-reads-listed-unserved-version]: the operator takes the kind as "
        "installed"
    )
    assert line.endswith("(fix: upgrade Cilium to 1.20 (reads TLSRoute at v1) and set controller.version, or use "
                         "versions.gatewayApiChannel: experimental (serves v1alpha2))")
    assert [issue for issue in refusal(cilium("1.18.11")) if "[controller-reads-listed-unserved-version]" in issue]


def test_cilium_version_messages() -> None:
    [missing] = refusal(lab(controller="cilium"))
    assert missing.startswith("controller.version: cilium is installed with the cluster; which release it runs "
                              "decides what it reads (known: 1.18.x, 1.19.x, 1.20.x) [controller-version]")
    [unknown] = refusal(cilium("1.17.4"))
    assert unknown.startswith("controller.version: cilium 1.17.4 is not a release this program knows (known: "
                              "1.18.x, 1.19.x, 1.20.x) [controller-version]")
    assert refusal(cilium("1.20")) == [
        "controller.version: must be a release, e.g. 1.20.2"
    ]


def test_keys_of_another_controller_name_the_controller_that_reads_them() -> None:
    lines = refusal(settings(lab(), version="1.20.2", applicationGateway={"mode": "managed", "subnetId": SUBNET}))
    assert [line.split(" [", 1)[0] for line in lines] == [
        "controller.applicationGateway: only azure-alb reads it, not envoy-gateway",
        "controller.version: only cilium reads it, not envoy-gateway",
    ]


def test_application_gateway_modes_name_the_keys_they_need() -> None:
    aks = lab(platform="aks", controller="azure-alb")
    byo = settings(aks, applicationGateway={"mode": "byo", "subnetId": SUBNET})
    config = StackConfig.model_validate(byo)
    assert [issue.message.split(" [", 1)[0] for issue in check(config)] == [
        "mode byo needs albId", "mode byo needs frontend",
    ]
    managed = settings(aks, applicationGateway={"mode": "managed", "subnetId": SUBNET, "albId": ALB_ID})
    assert [(issue.path, issue.message.split(" [", 1)[0]) for issue in check(StackConfig.model_validate(managed))] \
        == [("controller.applicationGateway.albId", "mode managed takes no albId")]
    brought = settings(aks, applicationGateway={"mode": "byo", "subnetId": SUBNET, "albId": ALB_ID,
                                                "frontend": "edge-frontend"})
    assert check(StackConfig.model_validate(brought)) == []


def test_application_gateway_ids_are_checked_for_shape() -> None:
    wrong = settings(lab(platform="aks", controller="azure-alb"),
                     applicationGateway={"mode": "byo", "subnetId": "subnet-alb", "albId": SUBNET, "frontend": "-x"})
    with pytest.raises(ConfigError) as raised:
        parse_config(wrong)
    assert [issue.path for issue in raised.value.issues] == [
        "controller.applicationGateway.albId", "controller.applicationGateway.frontend",
        "controller.applicationGateway.subnetId",
    ]
    assert "must be an Application Gateway for Containers resource ID" in str(raised.value)


def test_traefik_with_a_load_balancer_on_prem_needs_one_declared() -> None:
    [line] = refusal(lab(controller="traefik"))
    assert line.startswith("controller.serviceType: traefik's chart creates a LoadBalancer Service and Helm waits "
                           "for its address, which nothing on-prem is declared to provide [load-balancer-undeclared]")
    assert check(StackConfig.model_validate(settings(lab(controller="traefik"), serviceType="NodePort"))) == []
    # the clouds provision load balancers: there is nothing to declare
    assert [issue.path for issue in check(StackConfig.model_validate(
        settings(lab(platform="gke", controller="traefik"), loadBalancer=True)))] == ["controller.loadBalancer"]
    assert check(StackConfig.model_validate(lab(platform="gke", controller="traefik"))) == []


def test_the_load_balancer_scheme_is_one_upstream_accepts() -> None:
    eks = lab(platform="eks", controller="aws-load-balancer-controller")
    with pytest.raises(ConfigError) as raised:
        parse_config(settings(eks, scheme="public"))
    assert [issue.path for issue in raised.value.issues] == ["controller.scheme"]
    assert "'internet-facing' or 'internal'" in str(raised.value)


def test_the_vpc_is_a_vpc_id() -> None:
    eks = lab(platform="eks", controller="aws-load-balancer-controller")
    eks["platform"] = {**eks["platform"], "vpcId": "my-vpc"}
    with pytest.raises(ConfigError) as raised:
        parse_config(eks)
    assert [str(issue) for issue in raised.value.issues if issue.path == "platform.vpcId"] == [
        "platform.vpcId: must be a VPC ID, vpc-…"
    ]


@pytest.mark.parametrize(("requires", "trips"), [(GATEWAY_API_VERSION, False), ("v1.6.2", True)])
def test_a_controller_runs_on_the_oldest_gateway_api_it_needs(
    monkeypatch: pytest.MonkeyPatch, requires: str, trips: bool
) -> None:
    """`requires_gateway_api` is the oldest release that works: the stack's own release passes, one below trips.
    (No row needs today's default release, so the boundary is set here.)"""
    needs = ControllerRelease(minor="1.20", reads={}, source="fixture", requires_gateway_api=requires)
    monkeypatch.setattr(controller_rules, "controller_release", lambda config: needs)
    config = StackConfig.model_validate(cilium("1.20.2"))
    assert ("versions.gatewayApi" in [issue.path for issue in check(config)]) is trips
