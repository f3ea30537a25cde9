"""NetworkPolicies: default-deny ingress in the controller namespaces with exactly the allows they need, and
per-namespace egress allow-lists from config.

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
A controller without a row in DATA_PLANES gets no policies: its ports are not known here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.kube import NAMESPACE_LABEL, OBJECT_PREFIX, custom_object
from stackconfig.model import Gateway, Listener
from stackconfig.tenancy import EgressRule

API_VERSION = "networking.k8s.io/v1"


@dataclass(frozen=True)
class Port:
    port: int
    protocol: str = "TCP"


@dataclass(frozen=True)
class Workload:
    """A workload's pods and the ports each kind of peer reaches on them."""

    role: str  # names its policies
    pods: Mapping[str, str]  # pod labels; {} selects every pod of the namespace
    from_api_server: Sequence[Port] = ()
    from_monitoring: Sequence[Port] = ()


@dataclass(frozen=True)
class DataPlane:
    """Where a Gateway controller runs its proxies and how their ports relate to listener ports."""

    controller: Workload
    proxy_ports_to_controller: Sequence[Port]  # the proxies' connections to the controller
    proxy_labels: Mapping[str, str]  # every proxy pod
    gateway_labels: tuple[str, str]  # pod label keys holding the owning Gateway's name and namespace
    proxy_metrics: Sequence[Port]
    privileged_port_shift: int  # a listener port below 1024 listens on port + shift in the container
    source: str


# cert-manager chart v1.21: every component serves metrics on 9402 with prometheus.enabled (the default); the
# webhook listens on webhook.securePort (10250) and its pods carry these labels.
# https://github.com/cert-manager/cert-manager/blob/v1.21.1/deploy/charts/cert-manager/templates/webhook-deployment.yaml
CERT_MANAGER: tuple[Workload, ...] = (
    Workload("cert-manager", pods={}, from_monitoring=(Port(9402),)),
    Workload(
        "cert-manager-webhook",
        pods={"app.kubernetes.io/name": "webhook", "app.kubernetes.io/component": "webhook"},
        from_api_server=(Port(10250),),
    ),
)
# external-dns chart 1.21: metrics and health on service.port, 7979.
# https://github.com/kubernetes-sigs/external-dns/blob/external-dns-helm-chart-1.21.1/charts/external-dns/values.yaml
EXTERNAL_DNS: tuple[Workload, ...] = (
    Workload("external-dns", pods={"app.kubernetes.io/name": "external-dns"}, from_monitoring=(Port(7979),)),
)

DATA_PLANES: dict[str, DataPlane] = {
    "envoy-gateway": DataPlane(
        # charts/gateway-helm values.yaml deployment.ports (grpc 18000, ratelimit 18001, wasm 18002, metrics
        # 19001) and the topology-injector webhook on 9443 (templates/envoy-gateway-service.yaml); the rate
        # limit service is not deployed by this program, so 18001 stays closed.
        controller=Workload(
            "controller", {"control-plane": "envoy-gateway"}, from_api_server=(Port(9443),),
            from_monitoring=(Port(19001),),
        ),
        proxy_ports_to_controller=(Port(18000), Port(18002)),
        # internal/infrastructure/kubernetes/proxy/resource.go EnvoyAppLabel(), and the owning-gateway labels of
        # internal/gatewayapi/translator.go.
        proxy_labels={
            "app.kubernetes.io/name": "envoy",
            "app.kubernetes.io/component": "proxy",
            "app.kubernetes.io/managed-by": "envoy-gateway",
        },
        gateway_labels=("gateway.envoyproxy.io/owning-gateway-name", "gateway.envoyproxy.io/owning-gateway-namespace"),
        proxy_metrics=(Port(19001),),
        # internal/gatewayapi/listener.go servicePortToContainerPort: ports 1-1023 + wellKnownPortShift (10000).
        privileged_port_shift=10000,
        source="https://github.com/envoyproxy/gateway/blob/v1.9.0/internal/gatewayapi/listener.go",
    ),
}

# CoreDNS keeps the kube-dns label on kubeadm, kind, GKE, EKS and AKS clusters.
KUBE_DNS = {
    "namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
DNS_PORTS = (Port(53, "UDP"), Port(53, "TCP"))


@dataclass(frozen=True)
class NetworkPoliciesArgs:
    cert_manager_namespace: str
    controller: str  # a key of catalog.controllers.CONTROLLERS
    controller_namespace: str
    external_dns_namespace: str | None  # None where external-dns is not installed
    gateways: Sequence[Gateway]
    monitoring_namespace: str
    api_server_cidrs: Sequence[str]
    egress: Mapping[str, Sequence[EgressRule]]  # namespace → its allow-list
    namespaces: Callable[..., list[pulumi.Resource]]  # namespace names → the Namespace resources managed here


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


def workload_policies(namespace: str, workload: Workload, args: NetworkPoliciesArgs) -> list[dict[str, Any]]:
    monitoring = [{"namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: args.monitoring_namespace}}}]
    found = []
    if workload.from_api_server:
        rule = ingress_rule(api_server_peers(args.api_server_cidrs), workload.from_api_server)
        found.append(allow(namespace, f"{workload.role}-from-api-server", workload.pods, rule))
    if workload.from_monitoring:
        rule = ingress_rule(monitoring, workload.from_monitoring)
        found.append(allow(namespace, f"{workload.role}-from-monitoring", workload.pods, rule))
    return found


def container_port(plane: DataPlane, listener: Listener) -> Port:
    shifted = listener.port + plane.privileged_port_shift if listener.port < 1024 else listener.port
    return Port(shifted, "UDP" if listener.protocol == "UDP" else "TCP")


def data_plane_policies(namespace: str, plane: DataPlane, args: NetworkPoliciesArgs) -> list[dict[str, Any]]:
    """The controller's own allows, then one policy per Gateway admitting anyone to its listener ports."""
    found = workload_policies(namespace, plane.controller, args)
    proxies = [{"podSelector": {"matchLabels": dict(plane.proxy_labels)}}]
    rule = ingress_rule(proxies, plane.proxy_ports_to_controller)
    found.append(allow(namespace, f"{plane.controller.role}-from-proxies", plane.controller.pods, rule))
    proxy_metrics = Workload("proxies", plane.proxy_labels, from_monitoring=plane.proxy_metrics)
    found += workload_policies(namespace, proxy_metrics, args)
    name_label, namespace_label = plane.gateway_labels
    for gateway in args.gateways:
        pods = {**plane.proxy_labels, name_label: gateway.name, namespace_label: gateway.namespace}
        listening = sorted({container_port(plane, listener) for listener in gateway.listeners},
                           key=lambda item: (item.port, item.protocol))
        anyone = ingress_rule(None, listening)
        found.append(allow(namespace, f"gateway-{gateway.namespace}.{gateway.name}", pods, anyone))
    return found


def egress_policy(namespace: str, rules: Sequence[EgressRule]) -> dict[str, Any]:
    """Every pod of the namespace reaches DNS and exactly the listed networks and ports, nothing else."""
    egress = [{"to": [KUBE_DNS], "ports": ports(DNS_PORTS)}]
    egress += [
        {"to": [{"ipBlock": {"cidr": cidr}} for cidr in rule.cidrs],
         "ports": ports([Port(port, rule.protocol) for port in rule.ports])}
        for rule in rules
    ]
    spec = {"podSelector": {}, "policyTypes": ["Egress"], "egress": egress}
    return network_policy(namespace, "egress-allow-list", spec)


def network_policy_manifests(args: NetworkPoliciesArgs) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    controllers = [(args.cert_manager_namespace, CERT_MANAGER)]
    if args.external_dns_namespace is not None:
        controllers.append((args.external_dns_namespace, EXTERNAL_DNS))
    for namespace, workloads in controllers:
        found.append(default_deny_ingress(namespace))
        for workload in workloads:
            found += workload_policies(namespace, workload, args)
    plane = DATA_PLANES.get(args.controller)
    if plane is not None:
        found.append(default_deny_ingress(args.controller_namespace))
        found += data_plane_policies(args.controller_namespace, plane, args)
    found += [egress_policy(namespace, rules) for namespace, rules in sorted(args.egress.items())]
    return found


class NetworkPolicies(pulumi.ComponentResource):
    """Children are named `<component>-<namespace>.<policy name>`."""

    def __init__(self, name: str, args: NetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:network_policies:NetworkPolicies", name, None, opts)
        manifests = network_policy_manifests(args)
        for manifest in manifests:
            metadata = manifest["metadata"]
            custom_object(
                f"{name}-{metadata['namespace']}.{metadata['name']}",
                manifest["apiVersion"],
                manifest["kind"],
                metadata,
                manifest["spec"],
                pulumi.ResourceOptions(parent=self, depends_on=args.namespaces(metadata["namespace"])),
            )
        self.count = len(manifests)
        self.register_outputs({"count": self.count})
