"""Azure Application Gateway for Containers: the ALB controller chart, its class, a managed identity, and the
Application Gateway for Containers each Gateway is programmed on (managed by the controller, or brought)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traffic_edge.controllers.base import (
    CLOUD_LOAD_BALANCER,
    L7_PROTOCOLS,
    L7_ROUTES,
    AgcDeployment,
    ControllerRow,
    GatewayClassRow,
    ParametersObject,
    Upstream,
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
# Reader on the node resource group (deploy quickstart); Configuration Manager where the Application Gateway for
# Containers resource lives (managed: the node resource group, where the controller creates it; bring your own: its
# resource group) and Network Contributor on the association subnet, to join it (both create quickstarts:
# quickstart-create-application-gateway-for-containers-managed-by-alb-controller, "Delegate permissions to managed
# identity"; …-byo-deployment, the same section).
GRANTS = AzureRow(
    grants=(
        AzureGrant("Reader", "node_resource_group"),
        AzureGrant("AppGw for Containers Configuration Manager", "alb_resource_group"),
        AzureGrant("Network Contributor", "alb_subnet"),
    ),
    source="https://learn.microsoft.com/azure/application-gateway/for-containers/"
    "quickstart-create-application-gateway-for-containers-managed-by-alb-controller",
)
# Managed: the controller creates the Application Gateway for Containers from this object, and a Gateway names it by
# annotations (alb.networking.azure.io/v1 ApplicationLoadBalancer, spec.associations [subnet ID]; how-to-cert-manager-
# lets-encrypt-gateway-api: `alb.networking.azure.io/alb-namespace`, `alb.networking.azure.io/alb-name`). Bring your
# own: the Gateway names the resource (`alb.networking.azure.io/alb-id`) and a frontend as its address.
ALB_GROUP = "alb.networking.azure.io"
ALB_NAME = "traffic-edge"
FRONTEND_ADDRESS_TYPE = f"{ALB_GROUP}/alb-frontend"


def _deployment(context: ValuesContext) -> AgcDeployment:
    assert context.agc is not None  # the config rules require controller.applicationGateway for azure-alb
    return context.agc


def values(_: ValuesContext) -> Mapping[str, Any]:
    return {"albController": {"namespace": WORKLOAD.namespace}}


def application_load_balancer(context: ValuesContext) -> tuple[ParametersObject, ...]:
    agc = _deployment(context)
    if agc.mode != "managed":
        return ()
    spec = {"associations": [agc.subnet_id]}
    return (ParametersObject(f"{ALB_GROUP}/v1", "ApplicationLoadBalancer", ALB_NAME, WORKLOAD.namespace, spec),)


def gateway_annotations(context: ValuesContext) -> Mapping[str, str]:
    agc = _deployment(context)
    if agc.mode == "managed":
        return {f"{ALB_GROUP}/alb-namespace": WORKLOAD.namespace, f"{ALB_GROUP}/alb-name": ALB_NAME}
    assert agc.alb_id is not None
    return {f"{ALB_GROUP}/alb-id": agc.alb_id}


def gateway_addresses(context: ValuesContext) -> tuple[Mapping[str, str], ...]:
    agc = _deployment(context)
    if agc.mode != "byo":
        return ()
    assert agc.frontend is not None
    return ({"type": FRONTEND_ADDRESS_TYPE, "value": agc.frontend},)


def identity_scopes(context: ValuesContext) -> Mapping[str, str]:
    """The association subnet; bring your own: the resource group in the resource's ID."""
    agc = _deployment(context)
    scopes = {"alb_subnet": agc.subnet_id}
    if agc.alb_id is not None:
        scopes["alb_resource_group"] = agc.alb_id.split("/providers/")[0]
    return scopes


ROW = ControllerRow(
    name="azure-alb",
    classes=(
        GatewayClassRow("azure-alb-external", "alb.networking.azure.io/alb-controller", L7_PROTOCOLS, L7_ROUTES),
    ),
    chart=CHART,
    namespace=WORKLOAD.namespace,
    installs_classes=True,
    values=values,
    objects=application_load_balancer,
    gateway_annotations=gateway_annotations,
    gateway_addresses=gateway_addresses,
    identity_scopes=identity_scopes,
    config_keys=frozenset({"applicationGateway"}),
    declines={
        "addresses": Upstream(
            "takes one address only, a frontend of type alb.networking.azure.io/alb-frontend, which this program "
            "sets from controller.applicationGateway.frontend (bring your own)",
            "https://learn.microsoft.com/azure/application-gateway/for-containers/"
            "quickstart-create-application-gateway-for-containers-byo-deployment",
        ),
        "dataPlane": Upstream(
            "runs no proxy in the cluster: the data plane is the Application Gateway for Containers",
            "https://learn.microsoft.com/azure/application-gateway/for-containers/overview",
        ),
    },
    workload=WORKLOAD,
    azure=GRANTS,
    service_types=CLOUD_LOAD_BALANCER,
    platform="aks",
    built_against="v1.5.1",
    source="https://learn.microsoft.com/azure/application-gateway/for-containers/alb-controller-release-notes",
)
