"""Envoy Gateway v1.9.0: one chart, a GatewayClass this program creates, EnvoyProxy for the Service type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traffic_edge.controllers.base import (
    ALL_PROTOCOLS,
    ALL_ROUTES,
    ControllerRow,
    GatewayClassRow,
    ParametersObject,
    ValuesContext,
)
from traffic_edge.data.ports import DataPlane, Pods, Port
from traffic_edge.data.versions import ChartPin

CHART = ChartPin(
    name="envoy-gateway",
    chart="oci://docker.io/envoyproxy/gateway-helm",
    version="v1.9.0",
    repo=None,
    source="https://gateway.envoyproxy.io/docs/install/install-helm/",
)


def values(context: ValuesContext) -> Mapping[str, Any]:
    # The chart's `crds` subchart installs Envoy's own CRDs and, from crds/, the Gateway API CRDs
    # (skipped when present). Its templated safe-upgrade policy would collide with the one the
    # Gateway API bundle installs, so it is left to the bundle when this program installs it.
    safe_upgrade = {"enabled": not context.manages_gateway_api_crds}
    return {"crds": {"enabled": True, "gatewayAPI": {"safeUpgradePolicy": safe_upgrade}}}


def envoy_proxy(context: ValuesContext) -> ParametersObject | None:
    """The Envoy Service type is an EnvoyProxy setting, referenced from the GatewayClass."""
    if context.service_type == "LoadBalancer":
        return None
    spec = {"provider": {"type": "Kubernetes", "kubernetes": {"envoyService": {"type": context.service_type}}}}
    return ParametersObject(
        "gateway.envoyproxy.io/v1alpha1", "EnvoyProxy", "traffic-edge", "envoy-gateway-system", spec
    )


DATA_PLANE = DataPlane(
    # charts/gateway-helm values.yaml deployment.ports (grpc 18000, ratelimit 18001, wasm 18002, metrics
    # 19001) and the topology-injector webhook on 9443 (templates/envoy-gateway-service.yaml); the rate
    # limit service is not deployed by this program, so 18001 stays closed.
    controller=Pods(
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
)

ROW = ControllerRow(
    name="envoy-gateway",
    classes=(
        GatewayClassRow("envoy-gateway", "gateway.envoyproxy.io/gatewayclass-controller", ALL_PROTOCOLS, ALL_ROUTES),
    ),
    chart=CHART,
    namespace="envoy-gateway-system",
    values=values,
    class_parameters=envoy_proxy,
    data_plane=DATA_PLANE,
    built_against="v1.6.1",
    source="https://gateway.envoyproxy.io/docs/tasks/quickstart/",
)
