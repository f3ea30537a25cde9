"""Cilium's built-in Gateway controller: installed with the cluster; this program adds a parameterised class.

Its version is a platform fact (config `controller.version`): what the operator reads depends on it. The operator
enables Gateway API support only with kube-proxy replacement and only if the CRDs exist when it starts
(operator/pkg/gateway-api/cell.go: `KubeProxyReplacement` precondition, CRD discovery once at start), so a first
install of the CRDs is followed by `kubectl -n kube-system rollout restart deployment/cilium-operator`.
"""

from __future__ import annotations

from traffic_edge.controllers.base import (
    ALL_PROTOCOLS,
    ControllerRelease,
    ControllerRow,
    GatewayClassRow,
    ParametersObject,
    Upstream,
    ValuesContext,
)

MODULE = "https://github.com/cilium/cilium/blob"
REPO = "cilium/cilium @ v1.20.2"
# The operator registers TLSRoute at v1alpha2 when the CRD lists that version; `checkCRD` compares
# `spec.versions[].name` and never reads `served` (operator/pkg/gateway-api/cell.go: v1.18.11 L220-232, v1.19.7
# L376-398). Gateway API v1.5+ standard CRDs list v1alpha2 unserved, so the operator's watch fails and it
# crash-loops, TLSRoutes or not (cilium/cilium#44920, cilium/cilium#45139). ReferenceGrant is read at v1beta1, which
# every bundle known here serves.
RELEASES = (
    ControllerRelease(
        minor="1.18",
        reads={"TLSRoute": "v1alpha2"},  # cell.go L65-67; go.mod gateway-api v1.3.1-0.20250611112659-17a60f668a0d
        source=f"{MODULE}/v1.18.11/operator/pkg/gateway-api/cell.go",
    ),
    ControllerRelease(
        minor="1.19",
        reads={"TLSRoute": "v1alpha2"},  # cell.go L75-78; go.mod gateway-api v1.4.0-rc.2
        source=f"{MODULE}/v1.19.7/operator/pkg/gateway-api/cell.go",
    ),
    # Every kind at v1; TLSRoute, ReferenceGrant and BackendTLSPolicy at v1 are required, or Gateway API support
    # stays off (operator/pkg/gateway-api/helpers/schemes.go L22-30): Gateway API v1.5 or later. go.mod v1.6.1.
    ControllerRelease(
        minor="1.20",
        reads={},
        requires_gateway_api="v1.5.0",
        source=f"{MODULE}/v1.20.2/operator/pkg/gateway-api/helpers/schemes.go",
    ),
)


def class_config(context: ValuesContext) -> ParametersObject | None:
    """CiliumGatewayClassConfig (Cilium ≥ 1.18): the type of the Service Cilium creates for each Gateway."""
    return ParametersObject(
        "cilium.io/v2alpha1", "CiliumGatewayClassConfig", "traffic-edge", "kube-system",
        {"service": {"type": context.service_type}},
    )


ROW = ControllerRow(
    name="cilium",
    classes=(
        GatewayClassRow(
            "cilium-traffic-edge", "io.cilium/gateway-controller", ALL_PROTOCOLS - {"UDP"},
            frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute"}),
        ),
    ),
    namespace="kube-system",
    class_parameters=class_config,
    releases=RELEASES,
    config_keys=frozenset({"version"}),
    honours={
        "addresses": Upstream(
            "asks LB-IPAM for the addresses (annotation io.cilium/lb-ipam-ips on its Service), which assigns them "
            "from a CiliumLoadBalancerIPPool to LoadBalancer Services only",
            f"{REPO} : operator/pkg/model/ingestion/gateway.go (L160-170), operator/pkg/lbipam/lbipam.go "
            "(L1111-1116), operator/pkg/gateway-api/status_gateway_address.go (L41-64)",
        ),
    },
    addresses_need_load_balancer=True,
    declines={
        "dataPlane": Upstream(
            "refuses a Gateway's infrastructure.parametersRef: every Gateway is served by the node's Envoy, and the "
            "Service type is the class's (controller.serviceType)",
            f"{REPO} : operator/pkg/gateway-api/gateway_reconcile.go (L91-95)",
        ),
        "minTlsVersion": Upstream(
            "gives a terminating listener's TLS context its certificates only, so Envoy's default minimum (TLS 1.2) "
            "applies and cannot be raised per Gateway",
            f"{REPO} : operator/pkg/model/translation/envoy_listener.go (L896-925)",
        ),
    },
    checks_listed_versions=True,
    source="https://docs.cilium.io/en/stable/network/servicemesh/gateway-api/parameterized-gatewayclass/",
)
