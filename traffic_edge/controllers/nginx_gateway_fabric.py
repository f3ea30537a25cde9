"""NGINX Gateway Fabric 2.6.7: one chart that creates its GatewayClass `nginx`."""

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
    name="nginx-gateway-fabric",
    chart="oci://ghcr.io/nginx/charts/nginx-gateway-fabric",
    version="2.6.7",
    repo=None,
    source="https://docs.nginx.com/nginx-gateway-fabric/install/helm/",
)
REPO = "nginx/nginx-gateway-fabric @ v2.6.7"


def values(context: ValuesContext) -> Mapping[str, Any]:
    # TCPRoute and UDPRoute are experimental features of NGF, read at v1alpha2 behind this flag, which "requires the
    # Gateway APIs installed from the experimental channel" (charts/nginx-gateway-fabric/values.yaml L269-272;
    # internal/controller/state/graph/gatewayclass.go L100-101: both the flag and experimental CRDs). TLSRoute is v1.
    l4 = bool(context.route_kinds & {"TCPRoute", "UDPRoute"})
    experimental = l4 and context.gateway_api_channel == "experimental"
    return {
        "nginxGateway": {"gatewayClassName": "nginx", "gwAPIExperimentalFeatures": {"enable": experimental}},
        "nginx": {"service": {"type": context.service_type}},
    }


def ssl_protocols(minimum: str) -> Mapping[str, str]:
    """A TLS listener option: nginx `ssl_protocols` from the minimum up (one of SSLv2 … TLSv1.3, space-separated;
    internal/controller/state/graph/gateway_listener.go L24, L38, L556-577)."""
    return {"nginx.org/ssl-protocols": " ".join(f"TLSv{version}" for version in ("1.2", "1.3") if version >= minimum)}


ROW = ControllerRow(
    name="nginx-gateway-fabric",
    classes=(GatewayClassRow("nginx", "gateway.nginx.org/nginx-gateway-controller", ALL_PROTOCOLS, ALL_ROUTES),),
    chart=CHART,
    namespace="nginx-gateway",
    installs_classes=True,
    values=values,
    # A TLS listener is valid only in Passthrough mode (internal/controller/state/graph/gateway_listener.go L474-477).
    tls_modes=frozenset({"Passthrough"}),
    # nginx/nginx-gateway-fabric @ v2.6.7 : go.mod (L32) `sigs.k8s.io/gateway-api v1.5.1`; internal/controller/
    # manager.go (L815-826) TLSRoute at v1 whenever its CRD is served, (L841-866) TCPRoute and UDPRoute at v1alpha2
    # only with the experimental flag.
    built_against="v1.5.1",
    reads={"TCPRoute": "v1alpha2", "UDPRoute": "v1alpha2"},
    tls_options=ssl_protocols,
    honours={
        "addresses": Upstream(
            "sets IPAddress addresses as its Service's externalIPs: traffic to them must reach the nodes",
            f"{REPO} : internal/controller/provisioner/objects.go (L664-705), internal/controller/state/graph/"
            "gateway.go (L284-290)",
        ),
        "minTlsVersion": Upstream(
            "takes the TLS protocols of a terminating listener from its tls.options nginx.org/ssl-protocols",
            f"{REPO} : internal/controller/state/dataplane/configuration.go (L1170-1183)",
        ),
    },
    declines={
        "dataPlane": Upstream(
            "takes a Gateway's proxy settings from an NginxProxy object, which has no field for a "
            "PodDisruptionBudget or Service annotations (only patches); this program does not create one",
            f"{REPO} : apis/v1alpha2/nginxproxy_types.go (L600-629, L890-931)",
        ),
    },
    source="https://docs.nginx.com/nginx-gateway-fabric/overview/gateway-api-compatibility/",
)
