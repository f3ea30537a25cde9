"""A gateway's data-plane settings are taken where its controller carries them and refused, with the controller's
reason and its upstream source, where it does not; its class is the controller's unless another tool provides it.

CASES is keyed by rule id and the tests are parametrized over RULES, so a rule added without its two cases fails
here. The messages below are what a user reads.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from tests.conftest import parse_config
from tests.rule_tables import RuleCase, contract_tests
from tests.test_compat import DOMAIN, HTTP, HTTPS, cilium, lab, listener
from traffic_edge.config import ConfigError
from traffic_edge.config.model import Gateway, StackConfig
from traffic_edge.config.rules.data_plane import RULES, SETTING_ATTRIBUTES, check
from traffic_edge.controllers import CONTROLLERS
from traffic_edge.controllers.base import GATEWAY_SETTINGS

Config = dict[str, Any]
LB_IP, OTHER_IP = "192.0.2.10", "192.0.2.11"
NLB = {"service.beta.kubernetes.io/aws-load-balancer-type": "external"}


def gateway(config: Config, **keys: Any) -> Config:
    """The same edge with these keys on its gateway `edge`."""
    config = copy.deepcopy(config)
    config["gateways"][0].update(keys)
    return config


def controller(config: Config, **keys: Any) -> Config:
    config = copy.deepcopy(config)
    config["controller"].update(keys)
    return config


def gke(**platform: Any) -> Config:
    config = lab(platform="gke", controller="gke", cluster={"context": "gke-lab"})
    config["platform"] = {**config["platform"], **platform}
    return config


CILIUM = cilium("1.20.2")
ISTIO = lab(controller="istio")
HA = {"replicas": 2, "disruptionBudget": {"minAvailable": 1}}

CASES: dict[str, tuple[Config, list[str], Config]] = {
    "gateway-setting-not-carried": (
        gateway(ISTIO, minTlsVersion="1.2"), ["gateways[0].minTlsVersion"],
        gateway(lab(), minTlsVersion="1.2"),
    ),
    "addresses-need-load-balancer": (
        gateway(controller(CILIUM, serviceType="NodePort"), addresses=[LB_IP]), ["gateways[0].addresses"],
        gateway(CILIUM, addresses=[LB_IP]),
    ),
    "addresses-past-limit": (
        gateway(ISTIO, addresses=[LB_IP, OTHER_IP]), ["gateways[0].addresses[1]"],
        gateway(ISTIO, addresses=[LB_IP]),
    ),
    "address-twice": (
        gateway(lab(), addresses=[LB_IP, LB_IP]), ["gateways[0].addresses"],
        gateway(lab(), addresses=[LB_IP, OTHER_IP]),
    ),
    "disruption-budget-one-of": (
        gateway(lab(), dataPlane={"replicas": 2, "disruptionBudget": {}}), ["gateways[0].dataPlane.disruptionBudget"],
        gateway(lab(), dataPlane=HA),
    ),
    "disruption-budget-blocks-drains": (
        gateway(lab(), dataPlane={"disruptionBudget": {"minAvailable": 1}}),
        ["gateways[0].dataPlane.disruptionBudget.minAvailable"],
        gateway(lab(), dataPlane=HA),
    ),
    "gateway-class-unknown": (
        gateway(lab(), className="shared-envoy"), ["gateways[0].className"],
        gateway(lab(), className="shared-envoy", externalClass=True),
    ),
    "external-class-of-the-controller": (
        gateway(lab(), externalClass=True), ["gateways[0].externalClass"],
        gateway(lab(), className="shared-envoy", externalClass=True),
    ),
    "min-tls-without-tls": (
        gateway(lab(listeners=[HTTP]), minTlsVersion="1.3"), ["gateways[0].minTlsVersion"],
        gateway(lab(listeners=[HTTP, HTTPS]), minTlsVersion="1.3"),
    ),
    "ssl-policy-scope": (
        gateway(gke(), className="gke-l7-rilb", minTlsVersion="1.2"), ["platform.location"],
        gateway(gke(location="europe-west1-b"), className="gke-l7-rilb", minTlsVersion="1.2"),
    ),
    "controller-values-without-chart": (
        controller(CILIUM, values={"gatewayAPI": {"enabled": True}}), ["controller.values"],
        CILIUM,
    ),
}
(test_every_rule_has_a_case_and_every_case_a_rule, test_rule_is_documented, test_rule_trips,
 test_rule_passes_beside) = contract_tests(
    RULES, {rule: RuleCase(tripping, paths, passing) for rule, (tripping, paths, passing) in CASES.items()}, check)


# ------------------------------------------------------------------------------------------ what each row says

SOURCE = re.compile(r"^([\w.-]+/[\w.-]+ @ v?[\d.]+ : \S.*\(L\d+.*\)|https://\S+)$")


def test_every_setting_a_row_may_carry_is_a_gateway_key() -> None:
    assert tuple(SETTING_ATTRIBUTES) == GATEWAY_SETTINGS
    assert all(attribute in Gateway.model_fields for attribute in SETTING_ATTRIBUTES.values())


@pytest.mark.parametrize("name", sorted(CONTROLLERS))
def test_a_row_carries_or_declines_each_setting_with_its_source(name: str) -> None:
    row = CONTROLLERS[name]
    assert set(row.honours) | set(row.declines) <= set(GATEWAY_SETTINGS)
    assert not set(row.honours) & set(row.declines)
    for fact in (*row.honours.values(), *row.declines.values()):
        assert fact.fact
        assert SOURCE.match(fact.source), fact.source
    assert row.addresses_need_load_balancer <= ("addresses" in row.honours)


def test_who_carries_what() -> None:
    """The upstream facts behind the rows, as a reviewer checks them against the sources they cite."""
    carriers = {setting: sorted(n for n, row in CONTROLLERS.items() if setting in row.honours)
                for setting in GATEWAY_SETTINGS}
    assert carriers == {
        "addresses": ["cilium", "envoy-gateway", "istio", "nginx-gateway-fabric"],
        "dataPlane": ["envoy-gateway"],
        "minTlsVersion": ["envoy-gateway", "gke", "nginx-gateway-fabric"],
    }
    assert [name for name, row in CONTROLLERS.items() if row.addresses_need_load_balancer] == ["cilium", "istio"]
    assert {name: row.address_limit for name, row in CONTROLLERS.items() if row.address_limit} == {"istio": 1}


# ------------------------------------------------------------------------------------------ the messages people read

def refusal(config: Config) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(config)
    return [str(issue) for issue in raised.value.issues]


def test_a_declined_setting_names_the_controllers_reason_and_source() -> None:
    [line] = refusal(gateway(ISTIO, minTlsVersion="1.2"))
    assert line == (
        "gateways[0].minTlsVersion: istio reads no per-Gateway minimum: its gateways take the mesh-wide "
        "meshConfig.tlsDefaults.minProtocolVersion (an istiod value: controller.values) (istio/istio @ 1.30.3 : "
        "pilot/pkg/networking/core/listener.go (L201-226)) [gateway-setting-not-carried]: the controller would not "
        "carry the setting, so the gateway would run without it (fix: remove it, or choose a controller that carries "
        "it (controller.name))"
    )


def test_a_setting_no_fact_covers_names_the_controllers_that_carry_it() -> None:
    [line] = refusal(gateway(gke(), addresses=[LB_IP]))
    assert line.startswith("gateways[0].addresses: this program sets it for cilium, envoy-gateway, istio, "
                           "nginx-gateway-fabric only, not gke [gateway-setting-not-carried]")


def test_proxies_on_a_controller_without_per_gateway_proxies() -> None:
    lines = refusal(gateway(controller(lab(controller="traefik"), serviceType="NodePort"), dataPlane=HA,
                            addresses=[LB_IP]))
    assert [line.split(" (", 1)[0] for line in lines] == [
        "gateways[0].addresses: traefik reads no Gateway spec.addresses: every Gateway is served by the chart's one "
        "Service, and the address it reports is the provider's statusAddress",
        "gateways[0].dataPlane: traefik serves every Gateway from the chart's one Deployment and Service: set "
        "deployment.replicas, podDisruptionBudget and service.annotations in controller.values",
    ]


def test_cilium_addresses_need_its_load_balancer_service() -> None:
    [line] = refusal(gateway(controller(CILIUM, serviceType="NodePort"), addresses=[LB_IP]))
    assert line.startswith("gateways[0].addresses: cilium asks LB-IPAM for the addresses (annotation "
                           "io.cilium/lb-ipam-ips on its Service), which assigns them from a CiliumLoadBalancerIPPool "
                           "to LoadBalancer Services only (cilium/cilium @ v1.20.2 : ")
    assert line.endswith("and controller.serviceType is NodePort [addresses-need-load-balancer]: the addresses are "
                         "only assigned to a LoadBalancer Service, so the Gateway would run without them (fix: use "
                         "controller.serviceType: LoadBalancer (on-prem: with something that assigns addresses, and "
                         "declare it in controller.loadBalancer), or remove addresses)")


def test_cilium_on_node_ports_passes_for_a_gateway_without_addresses() -> None:
    parse_config(controller(CILIUM, serviceType="NodePort"))


def test_a_budget_that_allows_no_eviction() -> None:
    assert refusal(gateway(lab(), dataPlane={"replicas": 2, "disruptionBudget": {"minAvailable": "100%"}})) == [
        "gateways[0].dataPlane.disruptionBudget.minAvailable: minAvailable 100% of 2 proxies "
        "[disruption-budget-blocks-drains]: the budget allows no voluntary eviction, so every node drain and cluster "
        "upgrade hangs on the proxies (fix: raise dataPlane.replicas above minAvailable, or lower minAvailable (or "
        "raise maxUnavailable above 0))"
    ]
    assert [line.split(" [")[0] for line in refusal(gateway(lab(), dataPlane={
        "replicas": 3, "disruptionBudget": {"maxUnavailable": "0%"}}))] == [
        "gateways[0].dataPlane.disruptionBudget.maxUnavailable: maxUnavailable 0% of 3 proxies"]
    for budget in ({"minAvailable": "50%"}, {"minAvailable": 2}, {"maxUnavailable": "10%"}):
        assert check(StackConfig.model_validate(gateway(lab(), dataPlane={"replicas": 3, "disruptionBudget": budget
                                                                          }))) == []


def test_a_class_another_tool_provides() -> None:
    [line] = refusal(gateway(lab(), className="shared-envoy"))
    assert line.startswith("gateways[0].className: shared-envoy is not a class of envoy-gateway (envoy-gateway), "
                           "and nothing in this stack creates it [gateway-class-unknown]")
    assert line.endswith("(fix: use one of the controller's classes (or leave className unset), or set "
                         "externalClass: true where another tool creates the class for the same controller)")
    [line] = refusal(gateway(lab(), className="envoy-gateway", externalClass=True))
    assert line.startswith("gateways[0].externalClass: envoy-gateway is envoy-gateway's own class "
                           "[external-class-of-the-controller]")
    [line] = refusal(gateway(lab(), externalClass=True))
    assert line.startswith("gateways[0].externalClass: no className is set [external-class-of-the-controller]")


def test_an_unknown_class_lists_every_class_of_the_controller() -> None:
    [line] = refusal(gateway(gke(), className="gke-l7-shared"))
    known = ", ".join(item.name for item in CONTROLLERS["gke"].classes)
    assert known.count(", ") >= 1
    assert line.startswith(f"gateways[0].className: gke-l7-shared is not a class of gke ({known}), and nothing in "
                           "this stack creates it [gateway-class-unknown]")


def test_an_ssl_policy_for_a_class_of_unknown_scope() -> None:
    [line] = refusal(gateway(gke(), className="gke-l7-global-external-managed-mc", externalClass=True,
                             minTlsVersion="1.2"))
    assert line.startswith("gateways[0].minTlsVersion: the SSL policy of class gke-l7-global-external-managed-mc is "
                           "global or regional as its load balancer is, which this program does not know "
                           "[ssl-policy-scope]")
    global_class = gateway(gke(), minTlsVersion="1.2")  # gke-l7-global-external-managed: no region needed
    assert check(StackConfig.model_validate(global_class)) == []


def test_values_for_a_controller_without_a_chart() -> None:
    [line] = refusal(controller(CILIUM, values={"gatewayAPI": {"enabled": True}}))
    assert line == (
        "controller.values: cilium has no chart here: it comes with the cluster [controller-values-without-chart]: "
        "this program installs no chart for the controller, so the values would be dropped (fix: remove "
        "controller.values, and set them where the controller is installed)"
    )
    [line] = refusal(controller(gke(), values={"x": 1}))
    assert line.startswith("controller.values: gke has no chart here: it comes with the gke platform")


# ------------------------------------------------------------------------------------------ the keys' own shapes

@pytest.mark.parametrize(("keys", "expected"), [
    ({"addresses": ["10.0.0.300"]},
     "gateways[0].addresses[0]: 10.0.0.300 is not an IP address (e.g. 192.0.2.10 or 2001:db8::10)"),
    ({"addresses": [f"192.0.2.{n}" for n in range(17)]},
     "gateways[0].addresses: list should have at most 16 items after validation, not 17"),
    ({"minTlsVersion": "1.1"}, "gateways[0].minTlsVersion: must be one of '1.2' or '1.3'"),
    ({"minTlsVersion": 1.2},
     'gateways[0].minTlsVersion: write the version as a string, "1.2" (unquoted, YAML reads it as a number)'),
    ({"dataPlane": {"replicas": 0}}, "gateways[0].dataPlane.replicas: must be at least 1"),
    ({"dataPlane": {"disruptionBudget": {"minAvailable": "150%"}}},
     "gateways[0].dataPlane.disruptionBudget.minAvailable: must be a number of pods (0 or more) or a percentage "
     "such as 50%, not '150%'"),
    ({"dataPlane": {"disruptionBudget": {"maxUnavailable": True}}},
     "gateways[0].dataPlane.disruptionBudget.maxUnavailable: must be a number of pods (0 or more) or a percentage "
     "such as 50%, not true"),
    ({"dataPlane": {"service": {"type": "ClusterIP"}}},
     "gateways[0].dataPlane.service.type: must be one of 'LoadBalancer' or 'NodePort'"),
    ({"dataPlane": {"service": {"annotations": {"aws load balancer": "nlb"}}}},
     "gateways[0].dataPlane.service.annotations.aws load balancer: must be a label key: [prefix/]name, the name at "
     "most 63 characters"),
    ({"dataPlane": {"service": {"externalTrafficPolicy": "local"}}},
     "gateways[0].dataPlane.service.externalTrafficPolicy: must be one of 'Local' or 'Cluster'"),
    ({"dataPlane": {"proxies": 2}}, "gateways[0].dataPlane.proxies: unknown key (fix: remove it)"),
])
def test_a_key_of_the_wrong_shape(keys: Config, expected: str) -> None:
    assert refusal(gateway(lab(), **keys)) == [expected]


def test_the_settings_as_the_gitops_stack_writes_them() -> None:
    config = parse_config(gateway(lab(), minTlsVersion="1.2", addresses=[LB_IP],
                                  dataPlane={**HA, "service": {"annotations": NLB, "externalTrafficPolicy": "Local"}}))
    [edge] = config.gateways
    assert (edge.min_tls_version, edge.addresses) == ("1.2", [LB_IP])
    assert edge.data_plane is not None
    assert edge.data_plane.service.annotations == NLB


@pytest.mark.parametrize(("mode", "refused"), [("Passthrough", True), ("Terminate", False)])
def test_a_tls_listener_carries_a_minimum_only_where_the_gateway_terminates_it(mode: str, refused: bool) -> None:
    """A passed-through TLS stream is the backend's to terminate: a gateway minimum would be set on nothing."""
    tls = listener("tls", "TLS", 8443, hostname=f"db.{DOMAIN}", tlsMode=mode,
                   **({"certificate": "wildcard"} if mode == "Terminate" else {}))
    config = gateway(lab(listeners=[tls], routes=[]), minTlsVersion="1.3")
    if not refused:
        parse_config(config)
        return
    assert [line.split(" [")[0] for line in refusal(config)] == [
        "gateways[0].minTlsVersion: gateway edge terminates no TLS"]


@pytest.mark.parametrize(("data_plane", "trips"), [
    ({"replicas": 2}, []),  # no budget: nothing to judge
    ({"replicas": 2, "disruptionBudget": {"minAvailable": "50%"}}, []),  # one of two pods may go
    ({"disruptionBudget": {"maxUnavailable": "50%"}}, []),  # one replica by default: 50% rounds up to it
    ({"replicas": 2, "disruptionBudget": {"minAvailable": 1, "maxUnavailable": 1}},
     ["gateways[0].dataPlane.disruptionBudget: both of minAvailable and maxUnavailable"]),
    ({"replicas": 2, "disruptionBudget": {}},
     ["gateways[0].dataPlane.disruptionBudget: neither of minAvailable and maxUnavailable"]),
    # 67% of 3 is 2.01 pods, rounded up to all 3: no proxy may go (by hundredths: 67 of 100, not 2 of 3)
    ({"replicas": 3, "disruptionBudget": {"minAvailable": "67%"}},
     ["gateways[0].dataPlane.disruptionBudget.minAvailable: minAvailable 67% of 3 proxies"]),
    ({"replicas": 3, "disruptionBudget": {"minAvailable": "66%"}}, []),
], ids=["replicas-only", "half-of-two", "default-replica", "both", "neither", "rounds-up-to-all", "leaves-one"])
def test_a_disruption_budget_is_judged_as_the_disruption_controller_counts(
    data_plane: Config, trips: list[str]
) -> None:
    """Percentages round up (kubernetes pkg/controller/disruption); a gateway without replicas runs one proxy."""
    config = gateway(lab(), dataPlane=data_plane)
    if not trips:
        parse_config(config)
        return
    assert [line.split(" [")[0].split(" (")[0] for line in refusal(config)] == trips
