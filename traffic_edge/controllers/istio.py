"""Istio 1.30: the `base` chart (cluster-wide CRDs), then istiod, which creates its GatewayClass `istio` and one
Service per Gateway."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traffic_edge.controllers.base import (
    ALL_PROTOCOLS,
    ALL_ROUTES,
    ControllerRow,
    CrdChart,
    GatewayClassRow,
    Upstream,
    ValuesContext,
)
from traffic_edge.data.versions import ChartPin

REPOSITORY = "https://istio-release.storage.googleapis.com/charts"
REPO = "istio/istio @ 1.30.3"
CHART = ChartPin(
    name="istiod",
    chart="istiod",
    version="1.30.5",
    repo=REPOSITORY,
    source="https://istio.io/latest/docs/setup/install/helm/",
)
# "Before installing, ensure CRDs are installed in the cluster (from the `istio/base` chart)" (istio/istio @ 1.30.3 :
# manifests/charts/istio-control/istio-discovery/README.md); base "installs resources shared by all Istio revisions.
# This includes Istio CRDs." (manifests/charts/base/README.md), as templates (values.yaml `enableCRDTemplates: true`),
# so applying it upgrades them. Both charts are released at the same version.
# Its validating webhook renders `failurePolicy: Ignore` on install, and istiod sets Fail once it serves
# (pkg/webhooks/validation/controller/controller.go L257-276); rendered as Fail from the start
# (templates/defaultrevision-validatingwebhookconfiguration.yaml, `base.validationFailurePolicy`) no re-apply
# reverts istiod or conflicts with its field manager. This program creates no Istio configuration objects.
CRD_CHART = CrdChart(
    ChartPin(
        name="istio-base",
        chart="base",
        version="1.30.5",
        repo=REPOSITORY,
        source="https://github.com/istio/istio/tree/1.30.3/manifests/charts/base",
    ),
    values={"base": {"validationFailurePolicy": "Fail"}},
)
# The alpha flag turns on the TCP listener and the TCPRoute v1alpha2 watch (istio/istio @ 1.30.3 :
# pilot/pkg/config/kube/gateway/conversion.go L2152-2155, controller.go L212-217); istiod's CRD
# watcher checks bundle versions, never `served`, so on standard CRDs, which list v1alpha2 unserved, it watches a
# version the API server does not serve and never becomes ready (istio/istio#59387).
ALPHA_FLAG = {"pilot": {"env": {"PILOT_ENABLE_ALPHA_GATEWAY_API": "true"}}}


def values(context: ValuesContext) -> Mapping[str, Any]:
    tcp = "TCPRoute" in context.route_kinds or any(item.protocol == "TCP" for item in context.listeners)
    return ALPHA_FLAG if tcp and context.gateway_api_channel == "experimental" else {}


def service_type(context: ValuesContext) -> Mapping[str, str]:
    """Istio deploys one Service per Gateway; its type comes from this Gateway annotation."""
    return {} if context.service_type == "LoadBalancer" else {"networking.istio.io/service-type": context.service_type}


ROW = ControllerRow(
    name="istio",
    classes=(GatewayClassRow("istio", "istio.io/gateway-controller", ALL_PROTOCOLS, ALL_ROUTES - {"UDPRoute"}),),
    chart=CHART,
    crd_chart=CRD_CHART,
    namespace="istio-system",
    installs_classes=True,
    values=values,
    gateway_annotations=service_type,
    experimental_protocols=frozenset({"TCP"}),
    # go.mod `sigs.k8s.io/gateway-api v1.5.1`; pkg/config/schema/gvk/resources.gen.go (L73 TCPRoute v1alpha2, L74
    # TLSRoute v1, L79 UDPRoute v1alpha2) at istio/istio @ 1.30.3, unchanged on release-1.30; TCPRoute is read at v1
    # from 1.31 (istio/istio#60766).
    built_against="v1.5.1",
    reads={"TCPRoute": "v1alpha2", "UDPRoute": "v1alpha2"},
    honours={
        "addresses": Upstream(
            "sets the first address as its LoadBalancer Service's loadBalancerIP",
            f"{REPO} : manifests/charts/istio-control/istio-discovery/files/kube-gateway.yaml (L356-357)",
        ),
    },
    addresses_need_load_balancer=True,
    address_limit=1,
    declines={
        "dataPlane": Upstream(
            "takes a Gateway's Deployment, Service and PodDisruptionBudget overrides from a ConfigMap its "
            "infrastructure.parametersRef names; this program does not create one",
            f"{REPO} : pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go (L761-770)",
        ),
        "minTlsVersion": Upstream(
            "reads no per-Gateway minimum: its gateways take the mesh-wide meshConfig.tlsDefaults.minProtocolVersion "
            "(an istiod value: controller.values)",
            f"{REPO} : pilot/pkg/networking/core/listener.go (L201-226)",
        ),
    },
    source="https://istio.io/latest/docs/tasks/traffic-management/ingress/gateway-api/",
)
