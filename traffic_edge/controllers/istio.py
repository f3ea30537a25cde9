"""Istio 1.30 (istiod): creates its GatewayClass `istio` and one Service per Gateway."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traffic_edge.controllers.base import ALL_PROTOCOLS, ALL_ROUTES, ControllerRow, GatewayClassRow, ValuesContext
from traffic_edge.data.versions import ChartPin

CHART = ChartPin(
    name="istiod",
    chart="istiod",
    version="1.30.5",
    repo="https://istio-release.storage.googleapis.com/charts",
    source="https://istio.io/latest/docs/setup/install/helm/",
)


def values(context: ValuesContext) -> Mapping[str, Any]:
    # TCPRoute (and TLSRoute before Gateway API v1.5) are alpha in Istio and off unless this is set.
    alpha = bool(context.route_kinds & {"TCPRoute", "TLSRoute"})
    return {"pilot": {"env": {"PILOT_ENABLE_ALPHA_GATEWAY_API": "true"}}} if alpha else {}


def service_type(context: ValuesContext) -> Mapping[str, str]:
    """Istio deploys one Service per Gateway; its type comes from this Gateway annotation."""
    return {} if context.service_type == "LoadBalancer" else {"networking.istio.io/service-type": context.service_type}


ROW = ControllerRow(
    name="istio",
    classes=(GatewayClassRow("istio", "istio.io/gateway-controller", ALL_PROTOCOLS, ALL_ROUTES - {"UDPRoute"}),),
    chart=CHART,
    namespace="istio-system",
    installs_classes=True,
    values=values,
    gateway_annotations=service_type,
    source="https://istio.io/latest/docs/tasks/traffic-management/ingress/gateway-api/",
)
