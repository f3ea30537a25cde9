"""Azure Application Gateway for Containers: the ALB controller chart, its classes, a managed identity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traffic_edge.controllers.base import (
    CLOUD_LOAD_BALANCER,
    L7_PROTOCOLS,
    L7_ROUTES,
    ControllerRow,
    GatewayClassRow,
    ValuesContext,
)
from traffic_edge.data.permissions.azure import AzureGrant, AzureRow
from traffic_edge.data.versions import ChartPin
from traffic_edge.data.workloads import IdentityPaths, Workload

CHART = ChartPin(
    name="alb-controller",
    chart="oci://mcr.microsoft.com/application-lb/charts/alb-controller",
    version="1.12.4",
    repo=None,
    source="https://learn.microsoft.com/azure/application-gateway/for-containers/alb-controller-release-notes",
)
# https://learn.microsoft.com/azure/application-gateway/for-containers/quickstart-deploy-application-gateway-for-containers-alb-controller
# The controller takes its workload identity as a client ID value, not a service-account annotation.
WORKLOAD = Workload(
    name="alb-controller",
    namespace="azure-alb-system",
    service_account="alb-controller-sa",
    identity_name="azure-alb-identity",
    identity_paths=IdentityPaths(
        service_account_annotations=None, pod_labels=None, client_id=("albController", "podIdentity", "clientID")
    ),
)
# Reader on the node resource group; managed deployments also delegate Configuration Manager there.
GRANTS = AzureRow(
    grants=(
        AzureGrant("Reader", "node_resource_group"),
        AzureGrant("AppGw for Containers Configuration Manager", "node_resource_group"),
    ),
    source="https://learn.microsoft.com/azure/application-gateway/for-containers/"
    "quickstart-deploy-application-gateway-for-containers-alb-controller",
)


def values(_: ValuesContext) -> Mapping[str, Any]:
    return {"albController": {"namespace": WORKLOAD.namespace}}


ROW = ControllerRow(
    name="azure-alb",
    classes=(
        GatewayClassRow("azure-alb-external", "alb.networking.azure.io/alb-controller", L7_PROTOCOLS, L7_ROUTES),
    ),
    chart=CHART,
    namespace=WORKLOAD.namespace,
    installs_classes=True,
    values=values,
    workload=WORKLOAD,
    azure=GRANTS,
    service_types=CLOUD_LOAD_BALANCER,
    platform="aks",
    built_against="v1.5.1",
    source="https://learn.microsoft.com/azure/application-gateway/for-containers/alb-controller-release-notes",
)
