"""NGINX Gateway Fabric 2.6.7: one chart that creates its GatewayClass `nginx`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traffic_edge.controllers.base import (
    ALL_PROTOCOLS,
    ALL_ROUTES,
    L4_ROUTES,
    ControllerRow,
    GatewayClassRow,
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


def values(context: ValuesContext) -> Mapping[str, Any]:
    # TLSRoute, TCPRoute and UDPRoute are experimental features of NGF and need them switched on.
    experimental = bool(context.route_kinds & L4_ROUTES)
    return {
        "nginxGateway": {"gatewayClassName": "nginx", "gwAPIExperimentalFeatures": {"enable": experimental}},
        "nginx": {"service": {"type": context.service_type}},
    }


ROW = ControllerRow(
    name="nginx-gateway-fabric",
    classes=(GatewayClassRow("nginx", "gateway.nginx.org/nginx-gateway-controller", ALL_PROTOCOLS, ALL_ROUTES),),
    chart=CHART,
    namespace="nginx-gateway",
    installs_classes=True,
    values=values,
    built_against="v1.5.1",
    reads={"TLSRoute": "v1alpha2", "TCPRoute": "v1alpha2", "UDPRoute": "v1alpha2"},
    source="https://docs.nginx.com/nginx-gateway-fabric/overview/gateway-api-compatibility/",
)
