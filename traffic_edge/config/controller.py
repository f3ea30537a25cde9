"""The Gateway controller's settings: which row of the controller table, and the facts some controllers need.

Keys that fit one controller only are refused for the others (traffic_edge.config.rules.controllers).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from traffic_edge.config.types import Model, Shape
from traffic_edge.controllers import CONTROLLERS
from traffic_edge.controllers.base import ServiceType

_AZURE_GROUP = r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]+"
SubnetId = Annotated[
    str,
    Shape(
        _AZURE_GROUP + r"/providers/Microsoft\.Network/virtualNetworks/[-\w.]+/subnets/[-\w.]+$",
        "a subnet's resource ID, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/"
        "virtualNetworks/<vnet>/subnets/<subnet>",
    ),
]
AlbId = Annotated[
    str,
    Shape(
        _AZURE_GROUP + r"/providers/Microsoft\.ServiceNetworking/trafficControllers/[-\w.]+$",
        "an Application Gateway for Containers resource ID, /subscriptions/<id>/resourceGroups/<group>/providers/"
        "Microsoft.ServiceNetworking/trafficControllers/<name>",
    ),
]
# https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftservicenetworking
FrontendName = Annotated[str, Shape(r"^[A-Za-z0-9]([-\w.]{0,78}\w)?$", "a frontend's name")]
Version = Annotated[str, Shape(r"^v?\d+\.\d+\.\d+$", "a release, e.g. 1.20.2")]


class ApplicationGateway(Model):
    """azure-alb: the Application Gateway for Containers the Gateways are programmed on."""

    mode: Literal["managed", "byo"] = Field(
        description="managed: the ALB controller creates it from an ApplicationLoadBalancer object; byo: it exists "
        "(bring your own) and is named by albId and frontend"
    )
    subnet_id: SubnetId = Field(
        description="the association subnet (delegated to Microsoft.ServiceNetworking/trafficControllers, /24 or "
        "larger); the controller's identity joins it"
    )
    alb_id: AlbId | None = Field(None, description="byo: the Application Gateway for Containers resource ID")
    frontend: FrontendName | None = Field(None, description="byo: the frontend the Gateways listen on")


class Controller(Model):
    name: str = Field("envoy-gateway", description="a row of the controller table")
    service_type: ServiceType = "LoadBalancer"
    load_balancer: bool = Field(
        False,
        description="on-prem: something gives LoadBalancer Services an address (MetalLB, kube-vip, "
        "cloud-provider-kind); charts that create their own LoadBalancer Service wait for it",
    )
    version: Version | None = Field(
        None, description="cilium: the release the cluster runs (Cilium is installed with the cluster)"
    )
    scheme: Literal["internet-facing", "internal"] | None = Field(
        None, description="aws-load-balancer-controller: the load balancers' scheme; default internet-facing"
    )
    application_gateway: ApplicationGateway | None = None
    values: dict[str, Any] = Field(default_factory=dict, description="extra chart values (escape hatch)")

    @field_validator("name")
    @classmethod
    def _known_controller(cls, name: str) -> str:
        if name not in CONTROLLERS:
            raise ValueError(f"unknown controller {name!r}; choose one of {', '.join(sorted(CONTROLLERS))}")
        return name
