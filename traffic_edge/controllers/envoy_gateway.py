"""Envoy Gateway v1.9.0: its CRDs, then its chart; a GatewayClass this program creates, EnvoyProxy for the Service
type (the class's, or a gateway's own data plane), ClientTrafficPolicy for a gateway's minimum TLS version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traffic_edge.controllers.base import (
    ALL_PROTOCOLS,
    ALL_ROUTES,
    ControllerRow,
    CrdChart,
    GatewayClassRow,
    GatewayFacts,
    ParametersObject,
    Upstream,
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


API_VERSION = "gateway.envoyproxy.io/v1alpha1"
GATEWAY_API_GROUP = "gateway.networking.k8s.io"
REPO = "envoyproxy/gateway @ v1.9.0"


def envoy_proxy(context: ValuesContext) -> ParametersObject | None:
    """The Envoy Service type is an EnvoyProxy setting, referenced from the GatewayClass."""
    if context.service_type == "LoadBalancer":
        return None
    spec = {"provider": {"type": "Kubernetes", "kubernetes": {"envoyService": {"type": context.service_type}}}}
    return ParametersObject(API_VERSION, "EnvoyProxy", "traffic-edge", "envoy-gateway-system", spec)


def gateway_proxy(_: ValuesContext, gateway: GatewayFacts) -> ParametersObject | None:
    """A gateway's own Envoy fleet: an EnvoyProxy beside the Gateway, named by its infrastructure.parametersRef.

    Unless it sets mergeType, a Gateway's EnvoyProxy replaces the class's entirely (api/v1alpha1/envoyproxy_types.go
    L226-232), so it carries the Service type too. Fields: envoyService {type, annotations, externalTrafficPolicy},
    envoyDeployment.replicas, envoyPDB {minAvailable | maxUnavailable} (charts/gateway-helm/charts/crds/crds/
    generated/gateway.envoyproxy.io_envoyproxies.yaml).
    """
    proxy = gateway.proxy
    if proxy is None:
        return None
    service: dict[str, Any] = {"type": proxy.service_type}
    if proxy.service_annotations:
        service["annotations"] = dict(proxy.service_annotations)
    if proxy.external_traffic_policy is not None:
        service["externalTrafficPolicy"] = proxy.external_traffic_policy
    kubernetes: dict[str, Any] = {"envoyService": service}
    if proxy.replicas is not None:
        kubernetes["envoyDeployment"] = {"replicas": proxy.replicas}
    budget = {key: value for key, value in (("minAvailable", proxy.min_available),
                                            ("maxUnavailable", proxy.max_unavailable)) if value is not None}
    if budget:
        kubernetes["envoyPDB"] = budget
    spec = {"provider": {"type": "Kubernetes", "kubernetes": kubernetes}}
    return ParametersObject(API_VERSION, "EnvoyProxy", f"{gateway.name}-proxy", gateway.namespace, spec)


def client_traffic_policy(_: ValuesContext, gateway: GatewayFacts) -> tuple[ParametersObject, ...]:
    """The minimum TLS version of the Gateway's TLS-terminating listeners: ClientTrafficPolicy spec.tls.minVersion
    (enum Auto, 1.0-1.3; 1.2 when unset), targeting the Gateway (gateway.envoyproxy.io_clienttrafficpolicies.yaml)."""
    if gateway.min_tls_version is None:
        return ()
    spec = {
        "targetRefs": [{"group": GATEWAY_API_GROUP, "kind": "Gateway", "name": gateway.name}],
        "tls": {"minVersion": gateway.min_tls_version},
    }
    return (ParametersObject(API_VERSION, "ClientTrafficPolicy", f"{gateway.name}-tls", gateway.namespace, spec),)


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
    gateway_parameters=gateway_proxy,
    gateway_policies=client_traffic_policy,
    honours={
        "addresses": Upstream(
            "sets the addresses as its Service's externalIPs: traffic to them must reach the nodes",
            f"{REPO} : internal/gatewayapi/address.go (L20-33), internal/infrastructure/kubernetes/proxy/"
            "resource_provider.go (L259-269)",
        ),
        "dataPlane": Upstream(
            "deploys one Envoy fleet per Gateway, set by an EnvoyProxy its infrastructure.parametersRef names",
            f"{REPO} : internal/gatewayapi/contexts.go (L96-124), api/v1alpha1/envoyproxy_types.go (L226-232)",
        ),
        "minTlsVersion": Upstream(
            "takes the minimum TLS version from a ClientTrafficPolicy targeting the Gateway",
            f"{REPO} : charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_clienttrafficpolicies.yaml "
            "(L1100, L1842-1852)",
        ),
    },
    data_plane=DATA_PLANE,
    built_against="v1.6.1",
    source="https://gateway.envoyproxy.io/docs/tasks/quickstart/",
)
