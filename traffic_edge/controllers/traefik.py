"""Traefik: one chart that creates its GatewayClass `traefik`; every listener port is an entrypoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traffic_edge.controllers.base import (
    ALL_PROTOCOLS,
    ALL_ROUTES,
    ControllerRow,
    GatewayClassRow,
    Upstream,
    ValuesContext,
)
from traffic_edge.data.versions import ChartPin

CHART = ChartPin(
    name="traefik",
    chart="traefik",
    version="41.5.0",
    repo="https://traefik.github.io/charts",
    source="https://github.com/traefik/traefik-helm-chart/pull/1997",
)
# The chart 41.5.0 ships Traefik v3.7.13 (traefik/traefik-helm-chart#1997); its Gateway provider is read there.
PROVIDER = "traefik/traefik @ v3.7.13 : pkg/provider/kubernetes/gateway"


def values(context: ValuesContext) -> Mapping[str, Any]:
    """Traefik binds each Gateway listener to the entrypoint with the same port, so every listener port is one.

    The default web/websecure entrypoints are left unexposed; ports below 1024 bind as non-root through the
    namespaced `net.ipv4.ip_unprivileged_port_start` sysctl.
    """
    ports: dict[str, Any] = {"web": {"expose": {"default": False}}, "websecure": {"expose": {"default": False}}}
    for port, udp in sorted({(item.port, item.protocol == "UDP") for item in context.listeners}):
        ports[f"{'udp' if udp else 'tcp'}{port}"] = {
            "port": port, "exposedPort": port, "protocol": "UDP" if udp else "TCP", "expose": {"default": True},
        }
    # TCPRoute is read from the experimental channel (v1alpha2); the compat rules check the CRDs serve it.
    experimental = "TCPRoute" in context.route_kinds
    return {
        "providers": {
            "kubernetesGateway": {"enabled": True, "experimentalChannel": experimental},
            "kubernetesIngress": {"enabled": False},
        },
        "gateway": {"enabled": False},
        "gatewayClass": {"enabled": True, "name": "traefik"},
        "ports": ports,
        "service": {"type": context.service_type},
        "podSecurityContext": {"sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]},
    }


ROW = ControllerRow(
    name="traefik",
    classes=(GatewayClassRow("traefik", "traefik.io/gateway-controller", ALL_PROTOCOLS, ALL_ROUTES - {"UDPRoute"}),),
    chart=CHART,
    namespace="traefik",
    installs_classes=True,
    values=values,
    # The chart creates the proxy's Service itself (`service.type`), and Helm counts a LoadBalancer Service ready
    # only once it has an ingress address (helm/helm @ 06f28ec9 :
    # pkg/kube/ready.go, serviceReady): the release waits for
    # the cloud's load balancer, which takes minutes, and never gets one where nothing provisions it.
    chart_waits_for_load_balancer=True,
    release_timeout=600,
    built_against="v1.5.0",
    reads={"TCPRoute": "v1alpha2"},
    declines={
        "addresses": Upstream(
            "reads no Gateway spec.addresses: every Gateway is served by the chart's one Service, and the address "
            "it reports is the provider's statusAddress",
            f"{PROVIDER}/kubernetes.go (L76, L797-820)",
        ),
        "dataPlane": Upstream(
            "serves every Gateway from the chart's one Deployment and Service: set deployment.replicas, "
            "podDisruptionBudget and service.annotations in controller.values",
            "traefik/traefik-helm-chart @ v41.3.0 : traefik/values.yaml (L21-28, L121, L1127-1135)",
        ),
        "minTlsVersion": Upstream(
            "gives Gateway routers no TLS options, so every one takes Traefik's `default` TLS options (a TLSOption "
            "of that name sets the minimum for all routers)",
            f"{PROVIDER}/httproute.go (L149)",
        ),
    },
    source="https://github.com/rancher/rke2-docs/pull/572",
)
