"""NetworkPolicies: default-deny ingress in the controller namespaces with exactly the allows they need, and the
egress rules of config, one policy each.

Who may reach what, per namespace (ports are container ports: a NetworkPolicy sees traffic after the
Service's port mapping):
- cert-manager: the API server → the webhook (10250); monitoring → metrics (9402).
- the Gateway controller's namespace (Envoy Gateway: controller and data plane): anyone → each Gateway's
  proxies on its listeners' container ports; the proxies → the controller's xDS (18000) and Wasm (18002)
  servers; the API server → the controller's webhook (9443); monitoring → metrics (19001).
- external-dns: monitoring → metrics (7979).
The API server is not a pod, so its allow is an ipBlock where `guardrails.apiServerCidrs` names its
addresses and open to any source otherwise. Kubelet probes come from the node, which NetworkPolicy
always admits (https://kubernetes.io/docs/concepts/services-networking/network-policies/).
A controller whose row has no data plane gets no policies: its ports are not known here.

An egress rule's policy selects the pods it names and isolates them for egress, so they reach the cluster's DNS
and exactly the rule's destinations; pods no rule selects stay unrestricted, and a pod several rules select may
use them all (policies add up). An ipBlock is meant for addresses outside the cluster: whether it matches pod
addresses after the CNI rewrites them is up to the implementation (the same page, "ipBlock").
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from traffic_edge.config.model import Gateway, Listener, StackConfig
from traffic_edge.config.queries import controller, external_dns_runs
from traffic_edge.config.tenancy import NAMESPACE_LABEL, EgressDestination, EgressRule
from traffic_edge.data.ports import CERT_MANAGER, EXTERNAL_DNS, DataPlane, Pods, Port
from traffic_edge.data.workloads import CERT_MANAGER as CERT_MANAGER_WORKLOAD
from traffic_edge.data.workloads import EXTERNAL_DNS as EXTERNAL_DNS_WORKLOAD
from traffic_edge.plan.objects import OBJECT_PREFIX, KubeObject

API_VERSION = "networking.k8s.io/v1"


# CoreDNS keeps the kube-dns label on kubeadm, kind, GKE, EKS and AKS clusters.
KUBE_DNS = {
    "namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
DNS_PORTS = (Port(53, "UDP"), Port(53, "TCP"))


@dataclass(frozen=True)
class PolicyInputs:
    """What the policies depend on, gathered from config."""

    cert_manager_namespace: str
    controller_namespace: str
    data_plane: DataPlane | None  # None: the controller's ports are not known here
    external_dns_namespace: str | None  # None where external-dns is not installed
    gateways: Sequence[Gateway]
    monitoring_namespace: str
    api_server_cidrs: Sequence[str]
    egress: Mapping[str, Sequence[EgressRule]]  # namespace → its allow-list


def ports(items: Sequence[Port]) -> list[dict[str, Any]]:
    return [{"port": item.port, "protocol": item.protocol} for item in items]


def network_policy(namespace: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "NetworkPolicy",
            "metadata": {"name": OBJECT_PREFIX + name, "namespace": namespace}, "spec": dict(spec)}


def selector(labels: Mapping[str, str]) -> dict[str, Any]:
    return {"matchLabels": dict(labels)} if labels else {}


def default_deny_ingress(namespace: str) -> dict[str, Any]:
    return network_policy(namespace, "default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})


def api_server_peers(cidrs: Sequence[str]) -> list[dict[str, Any]] | None:
    """`from` for the API server: its addresses, or None (any source) where they are not configured."""
    return [{"ipBlock": {"cidr": cidr}} for cidr in cidrs] or None


def ingress_rule(peers: list[dict[str, Any]] | None, allowed: Sequence[Port]) -> dict[str, Any]:
    rule: dict[str, Any] = {"ports": ports(allowed)}
    if peers is not None:
        rule["from"] = peers
    return rule


def allow(namespace: str, name: str, pods: Mapping[str, str], rule: dict[str, Any]) -> dict[str, Any]:
    """One ingress allow; NetworkPolicies add up, so each allow is its own object with a telling name."""
    spec = {"podSelector": selector(pods), "policyTypes": ["Ingress"], "ingress": [rule]}
    return network_policy(namespace, name, spec)


def workload_policies(namespace: str, workload: Pods, args: PolicyInputs) -> list[dict[str, Any]]:
    monitoring = [{"namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: args.monitoring_namespace}}}]
    found = []
    if workload.from_api_server:
        rule = ingress_rule(api_server_peers(args.api_server_cidrs), workload.from_api_server)
        found.append(allow(namespace, f"{workload.role}-from-api-server", workload.labels, rule))
    if workload.from_monitoring:
        rule = ingress_rule(monitoring, workload.from_monitoring)
        found.append(allow(namespace, f"{workload.role}-from-monitoring", workload.labels, rule))
    return found


def container_port(plane: DataPlane, listener: Listener) -> Port:
    shifted = listener.port + plane.privileged_port_shift if listener.port < 1024 else listener.port
    return Port(shifted, "UDP" if listener.protocol == "UDP" else "TCP")


def data_plane_policies(namespace: str, plane: DataPlane, args: PolicyInputs) -> list[dict[str, Any]]:
    """The controller's own allows, then one policy per Gateway admitting anyone to its listener ports."""
    found = workload_policies(namespace, plane.controller, args)
    proxies = [{"podSelector": {"matchLabels": dict(plane.proxy_labels)}}]
    rule = ingress_rule(proxies, plane.proxy_ports_to_controller)
    found.append(allow(namespace, f"{plane.controller.role}-from-proxies", plane.controller.labels, rule))
    proxy_metrics = Pods("proxies", plane.proxy_labels, from_monitoring=plane.proxy_metrics)
    found += workload_policies(namespace, proxy_metrics, args)
    name_label, namespace_label = plane.gateway_labels
    for gateway in args.gateways:
        pods = {**plane.proxy_labels, name_label: gateway.name, namespace_label: gateway.namespace}
        listening = sorted({container_port(plane, listener) for listener in gateway.listeners},
                           key=lambda item: (item.port, item.protocol))
        anyone = ingress_rule(None, listening)
        found.append(allow(namespace, f"gateway-{gateway.namespace}.{gateway.name}", pods, anyone))
    return found


def destinations(to: EgressDestination) -> list[dict[str, Any]]:
    """`to` peers: one ipBlock per CIDR with the exceptions inside it, then the pods (of the namespaces) named."""
    peers: list[dict[str, Any]] = []
    for cidr in to.cidrs:
        network = ipaddress.ip_network(cidr)
        block: dict[str, Any] = {"cidr": cidr}
        inside = [item for item in to.except_ if _strictly_inside(ipaddress.ip_network(item), network)]
        if inside:
            block["except"] = inside
        peers.append({"ipBlock": block})
    if to.namespaces or to.pods:
        peer: dict[str, Any] = {}
        if to.namespaces:
            peer["namespaceSelector"] = {"matchExpressions": [
                {"key": NAMESPACE_LABEL, "operator": "In", "values": list(to.namespaces)}]}
        if to.pods:
            peer["podSelector"] = selector(to.pods)
        peers.append(peer)
    return peers


def _strictly_inside(item: ipaddress.IPv4Network | ipaddress.IPv6Network,
                     network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    return item.version == network.version and item != network and item.subnet_of(network)  # type: ignore[arg-type]


def egress_policy(namespace: str, rule: EgressRule) -> dict[str, Any]:
    """The pods the rule selects reach DNS and exactly its destinations on its ports, nothing else."""
    egress = [{"to": [KUBE_DNS], "ports": ports(DNS_PORTS)}]
    if rule.to is not None:
        egress.append({"to": destinations(rule.to),
                       "ports": ports([Port(port, rule.protocol) for port in rule.ports])})
    spec = {"podSelector": selector(rule.pods), "policyTypes": ["Egress"], "egress": egress}
    return network_policy(namespace, f"egress-{rule.name}", spec)


def network_policy_manifests(args: PolicyInputs) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    controllers = [(args.cert_manager_namespace, CERT_MANAGER)]
    if args.external_dns_namespace is not None:
        controllers.append((args.external_dns_namespace, EXTERNAL_DNS))
    for namespace, workloads in controllers:
        found.append(default_deny_ingress(namespace))
        for workload in workloads:
            found += workload_policies(namespace, workload, args)
    plane = args.data_plane
    if plane is not None:
        found.append(default_deny_ingress(args.controller_namespace))
        found += data_plane_policies(args.controller_namespace, plane, args)
    found += [egress_policy(namespace, rule) for namespace, rules in sorted(args.egress.items()) for rule in rules]
    return found


def network_policy_objects(config: StackConfig) -> list[KubeObject]:
    inputs = PolicyInputs(
        cert_manager_namespace=CERT_MANAGER_WORKLOAD.namespace,
        controller_namespace=controller(config).namespace,
        data_plane=controller(config).data_plane,
        external_dns_namespace=EXTERNAL_DNS_WORKLOAD.namespace if external_dns_runs(config) else None,
        gateways=config.gateways,
        monitoring_namespace=config.guardrails.monitoring_namespace,
        api_server_cidrs=config.guardrails.api_server_cidrs,
        egress={name: settings.egress for name, settings in config.namespaces.items() if settings.egress is not None},
    )
    return [
        KubeObject(item["apiVersion"], item["kind"], item["metadata"], item["spec"])
        for item in network_policy_manifests(inputs)
    ]
