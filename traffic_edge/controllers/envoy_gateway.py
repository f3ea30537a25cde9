"""Envoy Gateway v1.9.0: its CRDs, then its chart; a GatewayClass this program creates, EnvoyProxy for the Service
type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traffic_edge.controllers.base import (
    ALL_PROTOCOLS,
    ALL_ROUTES,
    ControllerRow,
    CrdChart,
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
# Envoy Gateway's own CRDs (EnvoyProxy, the policies) and nothing else: the Gateway API CRDs have one owner, this
# program's verified bundle or the platform (versions.gatewayApiCrds). "Installing CRDs separately": the CRD chart
# through `helm template | kubectl apply`, then gateway-helm with `crds.enabled=false` (envoyproxy/gateway @ v1.9.0 :
# site/content/en/latest/install/install-helm.md (L65-100); charts/gateway-crds-helm/values.yaml (L1-6)
# `crds.gatewayAPI.enabled`, `crds.envoyGateway.enabled`; both charts are released at the release's version,
# tools/make/helm.mk (L11-12, L27)).
CRD_CHART = CrdChart(
    ChartPin(
        name="envoy-gateway-crds",
        chart="oci://docker.io/envoyproxy/gateway-crds-helm",
        version="v1.9.0",
        repo=None,
        source="https://github.com/envoyproxy/gateway/tree/v1.9.0/charts/gateway-crds-helm",
    ),
    values={"crds": {"gatewayAPI": {"enabled": False}, "envoyGateway": {"enabled": True}}},
)


def values(_: ValuesContext) -> Mapping[str, Any]:
    # The `crds` subchart (charts/gateway-helm/Chart.yaml: `condition: crds.enabled`) would install, from its
    # crds/, the experimental Gateway API bundle and gateway.networking.x-k8s.io CRDs, which Helm never upgrades.
    return {"crds": {"enabled": False}}


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
    crd_chart=CRD_CHART,
    namespace="envoy-gateway-system",
    values=values,
    class_parameters=envoy_proxy,
    data_plane=DATA_PLANE,
    built_against="v1.6.1",
    source="https://gateway.envoyproxy.io/docs/tasks/quickstart/",
)
