"""Gateway controllers as rows of one table: what each installs, its class and what it can route.

Adding a controller is a row here plus, where it installs a chart, a values function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

RouteKind = Literal["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"]
ServiceType = Literal["LoadBalancer", "NodePort"]


@dataclass(frozen=True)
class ValuesContext:
    """What a controller's chart values may depend on."""

    service_type: ServiceType
    manages_gateway_api_crds: bool  # True when this program (not the chart) installs the Gateway API CRDs


@dataclass(frozen=True)
class ControllerRow:
    name: str
    controller_name: str  # GatewayClass spec.controllerName
    gateway_class: str  # the GatewayClass name gateways use by default
    route_kinds: frozenset[str]
    chart: str | None  # key of catalog.versions.CHARTS; None when the platform/cluster installs it
    namespace: str
    values: Callable[[ValuesContext], Mapping[str, Any]] = field(default=lambda _: {})
    create_gateway_class: bool = True  # False where the platform provides its classes (GKE)
    certificates: Literal["secret", "acm"] = "secret"  # how listener certificates are provided
    shares_l4_l7: bool = True  # whether L4 (TCP/UDP/TLS) and L7 (HTTP/GRPC) routes can share one Gateway
    source: str = ""


def _envoy_gateway_values(context: ValuesContext) -> Mapping[str, Any]:
    # The chart's `crds` subchart installs Envoy's own CRDs and, from crds/, the Gateway API CRDs
    # (skipped when present). Its templated safe-upgrade policy would collide with the one the
    # Gateway API bundle installs, so it is left to the bundle when this program installs it.
    return {"crds": {"enabled": True, "gatewayAPI": {"safeUpgradePolicy": {"enabled": not context.manages_gateway_api_crds}}}}


ALL_ROUTES = frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"})

CONTROLLERS: dict[str, ControllerRow] = {
    "envoy-gateway": ControllerRow(
        name="envoy-gateway",
        controller_name="gateway.envoyproxy.io/gatewayclass-controller",
        gateway_class="envoy-gateway",
        route_kinds=ALL_ROUTES,
        chart="envoy-gateway",
        namespace="envoy-gateway-system",
        values=_envoy_gateway_values,
        source="https://gateway.envoyproxy.io/docs/tasks/quickstart/",
    ),
}
