"""NetworkPolicies: default-deny ingress in the controller namespaces with exactly the allows they need, and
egress allow-lists. The rendered policies are checked as documents and, through a small evaluator of
NetworkPolicy semantics, as who-may-reach-what."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import RenderStack, parse_config
from traffic_edge.config import ConfigError, Issue
from traffic_edge.config.model import Listener
from traffic_edge.conformance.validator import ManifestValidator, require_refdata
from traffic_edge.controllers import CONTROLLERS, envoy_gateway
from traffic_edge.offline.engine import Recording
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.plan.network_policies import (
    PolicyInputs,
    container_port,
    network_policy_manifests,
    network_policy_objects,
)

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
EG = "envoy-gateway-system"
PROXY = {"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy",
         "app.kubernetes.io/managed-by": "envoy-gateway"}
CONTROLLER = {"control-plane": "envoy-gateway", "app.kubernetes.io/name": "gateway-helm"}
WEBHOOK = {"app.kubernetes.io/name": "webhook", "app.kubernetes.io/component": "webhook",
           "app.kubernetes.io/instance": "cert-manager"}


@pytest.fixture(scope="module")
def stack(render_stack: RenderStack) -> Recording:
    return render_stack(PROJECT_DIR / "Pulumi.multitenant.yaml")


@pytest.fixture(scope="module")
def policies(stack: Recording) -> list[dict[str, Any]]:
    return [r.inputs for r in stack.of_type(NETWORK_POLICY)]


def named(policies: Sequence[dict[str, Any]], namespace: str, name: str) -> dict[str, Any]:
    [found] = [p["spec"] for p in policies if p["metadata"] == {"namespace": namespace, "name": f"traffic-edge-{name}"}]
    spec: dict[str, Any] = found
    return spec


# ---------------------------------------------------------------------------------- the evaluator


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ip: str = "10.244.1.10"


@dataclass(frozen=True)
class Outside:
    """A client that is no pod: the API server, a browser on the internet."""

    ip: str


Peer = Pod | Outside


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    assert set(selector) <= {"matchLabels", "matchExpressions"}, selector
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", expression  # the program selects namespaces by name only
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def _peer_matches(entry: Mapping[str, Any], peer: Peer, policy_namespace: str) -> bool:
    if "ipBlock" in entry:
        address = ipaddress.ip_address(peer.ip)
        block = entry["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(cidr) for cidr in block.get("except", []))
    if not isinstance(peer, Pod):
        return False
    namespace_labels = {"kubernetes.io/metadata.name": peer.namespace}
    if "namespaceSelector" in entry and not _selects(entry["namespaceSelector"], namespace_labels):
        return False
    if "namespaceSelector" not in entry and peer.namespace != policy_namespace:
        return False
    return _selects(entry.get("podSelector", {}), peer.labels)


def _rule_allows(rule: Mapping[str, Any], peers_key: str, peer: Peer, port: int, protocol: str, ns: str) -> bool:
    peers = rule.get(peers_key)
    ports = rule.get("ports")
    peer_ok = not peers or any(_peer_matches(entry, peer, ns) for entry in peers)
    port_ok = not ports or any(item["port"] == port and item.get("protocol", "TCP") == protocol for item in ports)
    return peer_ok and port_ok


def allowed(policies: Sequence[dict[str, Any]], source: Peer, target: Peer, port: int, protocol: str = "TCP") -> bool:
    """Whether NetworkPolicies let `source` open a connection to `target` on `port` (both directions judged)."""

    def direction(pod: Peer, kind: str, peers_key: str, peer: Peer) -> bool:
        if not isinstance(pod, Pod):
            return True
        applying = [p for p in policies if p["metadata"]["namespace"] == pod.namespace
                    and kind in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], pod.labels)]
        return not applying or any(
            _rule_allows(rule, peers_key, peer, port, protocol, pod.namespace)
            for policy in applying for rule in policy["spec"].get(kind.lower(), [])
        )

    return direction(target, "Ingress", "from", source) and direction(source, "Egress", "to", target)


# ---------------------------------------------------------------------------------- documents


def test_manifests_are_what_the_api_server_accepts(policies: list[dict[str, Any]]) -> None:
    require_refdata()
    validator = ManifestValidator()
    assert len(policies) == 12
    for manifest in policies:
        assert validator.validate(manifest) == []


@pytest.mark.parametrize(("port", "protocol", "container"), [
    (80, "HTTP", (10080, "TCP")), (443, "HTTPS", (10443, "TCP")), (1023, "TCP", (11023, "TCP")),
    (1024, "TCP", (1024, "TCP")), (6443, "TLS", (6443, "TCP")), (53, "UDP", (10053, "UDP")),
])
def test_envoy_listens_on_privileged_ports_shifted_by_10000(
    port: int, protocol: str, container: tuple[int, str]
) -> None:
    listener = Listener.model_validate({"name": "l", "protocol": protocol, "port": port})
    found = container_port(envoy_gateway.DATA_PLANE, listener)
    assert (found.port, found.protocol) == container


def test_controller_namespaces_deny_ingress_by_default(policies: list[dict[str, Any]]) -> None:
    for namespace in ("cert-manager", EG):
        assert named(policies, namespace, "default-deny-ingress") == {"podSelector": {}, "policyTypes": ["Ingress"]}


def test_each_gateways_proxies_open_exactly_its_listener_ports(policies: list[dict[str, Any]]) -> None:
    edge = named(policies, EG, "gateway-gateway.edge")
    assert edge == {
        "podSelector": {"matchLabels": {**PROXY, "gateway.envoyproxy.io/owning-gateway-name": "edge",
                                        "gateway.envoyproxy.io/owning-gateway-namespace": "gateway"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"ports": [{"port": 10080, "protocol": "TCP"}, {"port": 10443, "protocol": "TCP"}]}],
    }
    team_c = named(policies, EG, "gateway-team-c.team-c")
    assert team_c["ingress"] == [{"ports": [
        {"port": 6443, "protocol": "TCP"}, {"port": 10080, "protocol": "TCP"}, {"port": 10443, "protocol": "TCP"},
    ]}]


def test_an_egress_rule_is_dns_and_the_listed_networks(policies: list[dict[str, Any]]) -> None:
    """team-b's rule, named `allow-list`, keeps the NetworkPolicy it had before rules were named."""
    assert named(policies, "team-b", "egress-allow-list") == {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [
            {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                     "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
             "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]},
            {"to": [{"ipBlock": {"cidr": "198.51.100.0/24"}}, {"ipBlock": {"cidr": "203.0.113.0/24"}}],
             "ports": [{"port": 443, "protocol": "TCP"}]},
        ],
    }


# ---------------------------------------------------------------------------------- who reaches what


API_SERVER = Outside("172.18.0.2")
INTERNET = Outside("198.51.100.23")
TEAM_A_POD = Pod("team-a", {"app": "shop"})
MONITORING = Pod("monitoring", {"app.kubernetes.io/name": "prometheus"})


def edge_proxy(gateway: str = "edge", namespace: str = "gateway") -> Pod:
    return Pod(EG, {**PROXY, "gateway.envoyproxy.io/owning-gateway-name": gateway,
                    "gateway.envoyproxy.io/owning-gateway-namespace": namespace})


def test_anyone_reaches_the_data_plane_on_listener_ports_only(policies: list[dict[str, Any]]) -> None:
    proxy = edge_proxy()
    assert allowed(policies, INTERNET, proxy, 10443)
    assert allowed(policies, INTERNET, proxy, 10080)
    assert not allowed(policies, INTERNET, proxy, 6443)  # team-c's passthrough port is team-c's proxies' only
    assert allowed(policies, INTERNET, edge_proxy("team-c", "team-c"), 6443)
    assert not allowed(policies, INTERNET, proxy, 19000)  # the Envoy admin port
    assert not allowed(policies, TEAM_A_POD, proxy, 19001)
    assert allowed(policies, MONITORING, proxy, 19001)


def test_only_the_proxies_reach_the_controllers_xds(policies: list[dict[str, Any]]) -> None:
    controller = Pod(EG, CONTROLLER)
    assert allowed(policies, edge_proxy(), controller, 18000)
    assert not allowed(policies, TEAM_A_POD, controller, 18000)
    assert not allowed(policies, INTERNET, controller, 18000)
    assert allowed(policies, API_SERVER, controller, 9443)
    assert allowed(policies, MONITORING, controller, 19001)
    assert not allowed(policies, TEAM_A_POD, controller, 19001)


def test_cert_manager_admits_the_api_server_and_monitoring_only(policies: list[dict[str, Any]]) -> None:
    webhook = Pod("cert-manager", WEBHOOK)
    controller = Pod("cert-manager", {"app.kubernetes.io/name": "cert-manager"})
    assert allowed(policies, API_SERVER, webhook, 10250)
    assert not allowed(policies, API_SERVER, controller, 10250)
    assert allowed(policies, MONITORING, controller, 9402)
    assert not allowed(policies, TEAM_A_POD, controller, 9402)
    assert not allowed(policies, TEAM_A_POD, webhook, 6080)


def test_team_b_leaves_the_cluster_only_for_its_payment_networks(policies: list[dict[str, Any]]) -> None:
    payments = Pod("team-b", {"app": "payments"})
    assert allowed(policies, payments, Outside("203.0.113.9"), 443)
    assert not allowed(policies, payments, Outside("203.0.113.9"), 80)
    assert not allowed(policies, payments, Outside("192.0.2.1"), 443)
    assert allowed(policies, payments, Pod("kube-system", {"k8s-app": "kube-dns"}), 53, "UDP")
    assert not allowed(policies, payments, Pod("kube-system", {"k8s-app": "metrics-server"}), 53, "UDP")
    assert allowed(policies, TEAM_A_POD, Outside("192.0.2.1"), 443)  # team-a has no allow-list


# ---------------------------------------------------------------------------------- settings


def args(controller: str = "envoy-gateway", **overrides: Any) -> PolicyInputs:
    config = parse_config({"platform": {"kind": "onprem"}, "domain": "example.test", "gateways": [
        {"name": "edge", "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}]})
    values: dict[str, Any] = {
        "cert_manager_namespace": "cert-manager", "controller_namespace": EG,
        "data_plane": CONTROLLERS[controller].data_plane, "external_dns_namespace": None, "gateways": config.gateways,
        "monitoring_namespace": "observability", "api_server_cidrs": [], "egress": {},
    }
    return PolicyInputs(**{**values, **overrides})


def test_api_server_cidrs_narrow_the_webhook_allows() -> None:
    found = network_policy_manifests(args(api_server_cidrs=["172.18.0.0/24"]))
    webhooks = [p for p in found if p["metadata"]["name"].endswith("-from-api-server")]
    assert [p["metadata"]["namespace"] for p in webhooks] == ["cert-manager", EG]
    assert {str(p["spec"]["ingress"]) for p in webhooks} == {
        str([{"ports": [{"port": 10250, "protocol": "TCP"}], "from": [{"ipBlock": {"cidr": "172.18.0.0/24"}}]}]),
        str([{"ports": [{"port": 9443, "protocol": "TCP"}], "from": [{"ipBlock": {"cidr": "172.18.0.0/24"}}]}]),
    }
    assert not allowed(found, Outside("10.0.0.1"), Pod("cert-manager", WEBHOOK), 10250)
    assert allowed(found, Pod("observability"), Pod("cert-manager", WEBHOOK), 9402)  # the configured namespace


def test_external_dns_gets_metrics_only() -> None:
    found = [p for p in network_policy_manifests(args(external_dns_namespace="external-dns"))
             if p["metadata"]["namespace"] == "external-dns"]
    assert [p["metadata"]["name"] for p in found] == [
        "traffic-edge-default-deny-ingress", "traffic-edge-external-dns-from-monitoring",
    ]
    assert found[1]["spec"]["ingress"] == [{"ports": [{"port": 7979, "protocol": "TCP"}], "from": [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}}]}]


def test_a_controller_whose_ports_are_unknown_is_left_open() -> None:
    """Denying by default where the allows are not known would cut the data plane off."""
    found = network_policy_manifests(args(controller="nginx-gateway-fabric", controller_namespace="nginx-gateway"))
    assert {p["metadata"]["namespace"] for p in found} == {"cert-manager"}


# ---------------------------------------------------------------------------------- egress rules per pod


def egress_stack(namespace: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return {"platform": {"kind": "onprem"}, "domain": "example.test",
            "gateways": [{"name": "edge", "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}],
            "namespaces": {namespace: {"egress": list(rules)}}}


def egress_policies(namespace: str, *rules: dict[str, Any]) -> list[dict[str, Any]]:
    """The NetworkPolicies a stack renders for the rules of one namespace."""
    config = parse_config(egress_stack(namespace, *rules))
    return [obj.manifest() for obj in network_policy_objects(config) if obj.namespace == namespace]


INSIGHTS_HTTPS = {"name": "insights-https", "pods": {"app": "data-insights"},
                  "to": {"cidrs": ["0.0.0.0/0"]}, "ports": [443]}
INSIGHTS = Pod("analytics", {"app": "data-insights"})
KUBE_DNS_POD = Pod("kube-system", {"k8s-app": "kube-dns"}, ip="10.96.0.10")


def test_only_the_selected_pods_are_held_to_their_egress_rule() -> None:
    """The GKE networking guide's policy: only `app: data-insights` pods reach 0.0.0.0/0 on 443; a NetworkPolicy
    selecting those pods restricts those pods alone, so the namespace's other pods stay unrestricted."""
    [policy] = egress_policies("analytics", INSIGHTS_HTTPS)
    assert policy["metadata"] == {"name": "traffic-edge-egress-insights-https", "namespace": "analytics"}
    assert policy["spec"]["podSelector"] == {"matchLabels": {"app": "data-insights"}}
    assert policy["spec"]["egress"][1] == {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                                           "ports": [{"port": 443, "protocol": "TCP"}]}
    assert allowed([policy], INSIGHTS, INTERNET, 443)
    assert not allowed([policy], INSIGHTS, INTERNET, 80)
    assert allowed([policy], INSIGHTS, KUBE_DNS_POD, 53, "UDP")  # DNS stays allowed where a rule applies
    assert allowed([policy], INSIGHTS, KUBE_DNS_POD, 53, "TCP")
    assert not allowed([policy], INSIGHTS, Pod("kube-system", {"k8s-app": "metrics-server"}), 53, "UDP")
    web = Pod("analytics", {"app": "web"})
    assert allowed([policy], web, INTERNET, 80)
    assert allowed([policy], web, Outside("192.0.2.1"), 5432)


def test_exceptions_destinations_and_protocols_render_as_the_api_server_takes_them() -> None:
    rules: list[dict[str, Any]] = [
        {"name": "reports-export", "pods": {"app": "reports"},
         "to": {"cidrs": ["0.0.0.0/0", "2001:db8::/32"], "except": ["10.0.0.0/8", "2001:db8:1::/48"]}, "ports": [443]},
        {"name": "api-to-postgres", "pods": {"app": "api"},
         "to": {"namespaces": ["databases"], "pods": {"app": "postgres"}}, "ports": [5432]},
        {"name": "metrics", "to": {"pods": {"app": "statsd"}}, "ports": [8125], "protocol": "UDP"},
        {"name": "lockdown", "pods": {"tier": "batch"}},
    ]
    found = {policy["metadata"]["name"]: policy for policy in egress_policies("apps", *rules)}
    assert found["traffic-edge-egress-reports-export"]["spec"]["egress"][1]["to"] == [
        {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}},
        {"ipBlock": {"cidr": "2001:db8::/32", "except": ["2001:db8:1::/48"]}},
    ]
    assert found["traffic-edge-egress-api-to-postgres"]["spec"]["egress"][1]["to"] == [{
        "namespaceSelector": {"matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["databases"]}]},
        "podSelector": {"matchLabels": {"app": "postgres"}}}]
    assert found["traffic-edge-egress-metrics"]["spec"]["podSelector"] == {}  # every pod of the namespace
    assert found["traffic-edge-egress-metrics"]["spec"]["egress"][1] == {
        "to": [{"podSelector": {"matchLabels": {"app": "statsd"}}}], "ports": [{"port": 8125, "protocol": "UDP"}]}
    assert len(found["traffic-edge-egress-lockdown"]["spec"]["egress"]) == 1  # DNS alone
    require_refdata()
    validator = ManifestValidator()
    assert [(name, error) for name, policy in found.items() for error in validator.validate(policy)] == []


def test_who_reaches_what_under_several_rules() -> None:
    rules = [
        {"name": "reports-export", "pods": {"app": "reports"},
         "to": {"cidrs": ["0.0.0.0/0"], "except": ["10.0.0.0/8"]}, "ports": [443]},
        {"name": "api-to-postgres", "pods": {"app": "api"},
         "to": {"namespaces": ["databases"], "pods": {"app": "postgres"}}, "ports": [5432]},
        {"name": "api-https", "pods": {"app": "api"}, "to": {"cidrs": ["203.0.113.0/24"]}, "ports": [443]},
    ]
    found = egress_policies("apps", *rules)
    reports, api = Pod("apps", {"app": "reports"}), Pod("apps", {"app": "api"})
    postgres = Pod("databases", {"app": "postgres"}, ip="10.244.3.7")
    assert allowed(found, reports, INTERNET, 443)
    assert not allowed(found, reports, Outside("10.1.2.3"), 443)  # the exception
    assert not allowed(found, reports, postgres, 5432)
    assert allowed(found, api, postgres, 5432)
    assert not allowed(found, api, Pod("databases", {"app": "redis"}), 5432)
    assert not allowed(found, api, Pod("staging", {"app": "postgres"}), 5432)
    assert allowed(found, api, Outside("203.0.113.9"), 443)  # policies selecting one pod add up
    assert not allowed(found, api, INTERNET, 443)


def test_a_new_rule_renames_nothing_else() -> None:
    before = [p["metadata"]["name"] for p in egress_policies("analytics", INSIGHTS_HTTPS)]
    added = {"name": "a-first", "to": {"cidrs": ["192.0.2.0/24"]}, "ports": [22]}
    after = [p["metadata"]["name"] for p in egress_policies("analytics", added, INSIGHTS_HTTPS)]
    assert before == ["traffic-edge-egress-insights-https"]
    assert after == ["traffic-edge-egress-a-first", "traffic-edge-egress-insights-https"]


def egress_issues(*rules: dict[str, Any]) -> list[Issue]:
    with pytest.raises(ConfigError) as raised:
        parse_config(egress_stack("apps", *rules))
    return raised.value.issues


@pytest.mark.parametrize(("rules", "expected"), [
    ([], Issue("namespaces.apps.egress", "an empty list restricts nothing",
               "add a rule; one without `to` lets its pods reach DNS alone, or remove `egress`")),
    ([INSIGHTS_HTTPS, {**INSIGHTS_HTTPS, "pods": {}}],
     Issue("namespaces.apps.egress[1].name", "insights-https names egress[0] too, and each rule is a NetworkPolicy "
           "of that name", "give each rule its own name")),
    ([{"name": "x", "ports": [443]}],
     Issue("namespaces.apps.egress[0].ports", "ports without destinations allow nothing: the rule lets its pods "
           "reach DNS alone", "add `to` (cidrs, namespaces or pods), or remove `ports`")),
    ([{"name": "x", "to": {"cidrs": ["0.0.0.0/0"]}}],
     Issue("namespaces.apps.egress[0].ports", "the rule has destinations and no ports",
           "list the ports the pods may reach")),
    ([{"name": "x", "to": {}, "ports": [443]}],
     Issue("namespaces.apps.egress[0].to", "names no destination", "give cidrs, namespaces or pods")),
    ([{"name": "x", "to": {"cidrs": ["10.0.0.0/8"], "except": ["192.168.0.0/16"]}, "ports": [443]}],
     Issue("namespaces.apps.egress[0].to.except[0]", "192.168.0.0/16 lies strictly inside none of the rule's cidrs",
           "list only networks inside `cidrs`, each smaller than the CIDR it is cut from")),
    ([{"name": "x", "to": {"cidrs": ["10.0.0.0/8"], "except": ["10.0.0.0/8"]}, "ports": [443]}],
     Issue("namespaces.apps.egress[0].to.except[0]", "10.0.0.0/8 lies strictly inside none of the rule's cidrs",
           "list only networks inside `cidrs`, each smaller than the CIDR it is cut from")),
    ([{"cidrs": ["10.0.0.0/8"], "ports": [443], "name": "x"}],
     Issue("namespaces.apps.egress[0].cidrs", "unknown key",
           "destinations go under `to`: write `to: {cidrs: [...]}` (with `except:` beside them if needed)")),
    ([{"name": "x", "podSelector": {"matchLabels": {"app": "a"}}}],
     Issue("namespaces.apps.egress[0].podSelector", "unknown key",
           "write the labels of the pods the rule restricts as `pods:`")),
    ([{"name": "Insights", "to": {"cidrs": ["0.0.0.0/0"]}, "ports": [443]}],
     Issue("namespaces.apps.egress[0].name", "must be a DNS-1123 label: lowercase letters, digits and '-', at most "
           "63 characters")),
], ids=["empty", "same-name", "ports-without-to", "to-without-ports", "no-destination", "except-outside",
        "except-equal", "cidrs-on-the-rule", "pod-selector", "name-not-a-label"])
def test_each_egress_mistake_is_an_issue_with_its_fix(rules: list[dict[str, Any]], expected: Issue) -> None:
    assert expected in egress_issues(*rules)


def test_the_legitimate_rules_beside_the_mistakes_pass() -> None:
    parse_config(egress_stack("apps", INSIGHTS_HTTPS, {"name": "lockdown", "pods": {"tier": "batch"}},
                              {"name": "x", "to": {"cidrs": ["10.0.0.0/8"], "except": ["10.1.0.0/16"]}, "ports": [1]}))
