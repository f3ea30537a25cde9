"""Who reaches which pods of the edge's workloads on which ports: the data NetworkPolicies are built from.

Ports are container ports (a NetworkPolicy sees traffic after the Service's port mapping). Gateway
controllers declare their data plane in their module (traffic_edge.controllers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Port:
    port: int
    protocol: str = "TCP"


@dataclass(frozen=True)
class Pods:
    """A workload's pods and the ports each kind of peer reaches on them."""

    role: str  # names its policies
    labels: Mapping[str, str]  # pod labels; {} selects every pod of the namespace
    from_api_server: Sequence[Port] = ()
    from_monitoring: Sequence[Port] = ()


@dataclass(frozen=True)
class DataPlane:
    """Where a Gateway controller runs its proxies and how their ports relate to listener ports."""

    controller: Pods
    proxy_ports_to_controller: Sequence[Port]  # the proxies' connections to the controller
    proxy_labels: Mapping[str, str]  # every proxy pod
    gateway_labels: tuple[str, str]  # pod label keys holding the owning Gateway's name and namespace
    proxy_metrics: Sequence[Port]
    privileged_port_shift: int  # a listener port below 1024 listens on port + shift in the container
    source: str


# cert-manager chart v1.21: every component serves metrics on 9402 with prometheus.enabled (the default); the
# webhook listens on webhook.securePort (10250) and its pods carry these labels.
# https://github.com/cert-manager/cert-manager/blob/v1.21.1/deploy/charts/cert-manager/templates/webhook-deployment.yaml
CERT_MANAGER: tuple[Pods, ...] = (
    Pods("cert-manager", labels={}, from_monitoring=(Port(9402),)),
    Pods(
        "cert-manager-webhook",
        labels={"app.kubernetes.io/name": "webhook", "app.kubernetes.io/component": "webhook"},
        from_api_server=(Port(10250),),
    ),
)
# external-dns chart 1.21: metrics and health on service.port, 7979.
# https://github.com/kubernetes-sigs/external-dns/blob/external-dns-helm-chart-1.21.1/charts/external-dns/values.yaml
EXTERNAL_DNS: tuple[Pods, ...] = (
    Pods("external-dns", labels={"app.kubernetes.io/name": "external-dns"}, from_monitoring=(Port(7979),)),
)
