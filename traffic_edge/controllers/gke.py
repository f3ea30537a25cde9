"""GKE's built-in Gateway controller: the platform provides its classes and the standard-channel CRDs."""

from __future__ import annotations

from traffic_edge.controllers.base import (
    CLOUD_LOAD_BALANCER,
    L7_PROTOCOLS,
    ControllerRow,
    GatewayClassRow,
)


def _class(name: str) -> GatewayClassRow:
    return GatewayClassRow(name, "networking.gke.io/gateway", L7_PROTOCOLS, frozenset({"HTTPRoute"}))


ROW = ControllerRow(
    name="gke",
    classes=tuple(
        _class(name) for name in ("gke-l7-global-external-managed", "gke-l7-regional-external-managed", "gke-l7-rilb")
    ),
    namespace="kube-system",
    installs_classes=True,
    service_types=CLOUD_LOAD_BALANCER,
    platform="gke",
    platform_manages_crds=True,
    source="https://cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities",
)
