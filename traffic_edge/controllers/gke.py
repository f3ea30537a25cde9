"""GKE's built-in Gateway controller: the platform provides its classes and the standard-channel CRDs."""

from __future__ import annotations

from typing import Literal

from traffic_edge.controllers.base import (
    CLOUD_LOAD_BALANCER,
    L7_PROTOCOLS,
    ControllerRow,
    GatewayClassRow,
    GatewayFacts,
    ParametersObject,
    Upstream,
    ValuesContext,
)

POLICIES = "https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources"
# Global SSL policies serve the global external Application Load Balancer, regional ones the regional external and
# internal ones (https://cloud.google.com/load-balancing/docs/use-ssl-policies).
CLASSES: tuple[tuple[str, Literal["global", "regional"]], ...] = (
    ("gke-l7-global-external-managed", "global"),
    ("gke-l7-regional-external-managed", "regional"),
    ("gke-l7-rilb", "regional"),
)


def _class(name: str, ssl_policy: Literal["global", "regional"]) -> GatewayClassRow:
    return GatewayClassRow(name, "networking.gke.io/gateway", L7_PROTOCOLS, frozenset({"HTTPRoute"}), ssl_policy)


def ssl_policy(_: ValuesContext, gateway: GatewayFacts) -> tuple[ParametersObject, ...]:
    """A GCPGatewayPolicy naming the SSL policy the platform creates for the gateway's minimum TLS version; it lives
    beside the Gateway it targets (spec.default.sslPolicy, spec.targetRef)."""
    if gateway.ssl_policy is None:
        return ()
    spec = {
        "default": {"sslPolicy": gateway.ssl_policy},
        "targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway.name},
    }
    return (ParametersObject("networking.gke.io/v1", "GCPGatewayPolicy", f"{gateway.name}-tls", gateway.namespace,
                             spec),)


ROW = ControllerRow(
    name="gke",
    classes=tuple(_class(name, scope) for name, scope in CLASSES),
    namespace="kube-system",
    installs_classes=True,
    service_types=CLOUD_LOAD_BALANCER,
    platform="gke",
    platform_manages_crds=True,
    gateway_policies=ssl_policy,
    honours={
        "minTlsVersion": Upstream(
            "takes the minimum TLS version from a Google Cloud SSL policy a GCPGatewayPolicy names; the GKE platform "
            "creates it",
            "https://cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway#configure-ssl-policies",
        ),
    },
    declines={
        "dataPlane": Upstream("runs no proxy in the cluster: the data plane is a Google Cloud load balancer", POLICIES),
    },
    source="https://cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities",
)
