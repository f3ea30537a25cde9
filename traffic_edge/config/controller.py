"""The Gateway controller's settings: which row of the controller table, and the facts some controllers need.

Keys that fit one controller only are refused for the others (traffic_edge.config.rules.controllers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from traffic_edge.config.types import AppliesTo, Model, Shape
from traffic_edge.controllers import CONTROLLERS
from traffic_edge.controllers.base import ControllerRow, ServiceType

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


def controllers_where(test: Callable[[ControllerRow], bool]) -> AppliesTo:
    """The controllers whose rows pass `test`, for the config reference's `applies to` column."""
    return AppliesTo(tuple(name for name, row in CONTROLLERS.items() if test(row)))


def honours(setting: str) -> Callable[[ControllerRow], bool]:
    """A row carries the gateway setting (traffic_edge.config.rules.data_plane refuses it elsewhere)."""
    return lambda row: setting in row.honours


def reads(key: str) -> Callable[[ControllerRow], bool]:
    """A row reads the key under `controller` (traffic_edge.config.rules.controllers refuses it elsewhere)."""
    return lambda row: key in row.config_keys


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
    """The Gateway controller: which row of the controller table, and the facts some controllers need."""

    name: str = Field("envoy-gateway", description="a row of the controller table")
    service_type: ServiceType = Field(
        "LoadBalancer", description="the Service type of the controller's data plane, where it runs one"
    )
    load_balancer: Annotated[bool, AppliesTo(("onprem",))] = Field(
        False,
        description="on-prem: something gives LoadBalancer Services an address (MetalLB, kube-vip, "
        "cloud-provider-kind); charts that create their own LoadBalancer Service wait for it",
    )
    version: Annotated[Version | None, controllers_where(reads("version"))] = Field(
        None, description="cilium: the release the cluster runs (Cilium is installed with the cluster)"
    )
    scheme: Annotated[Literal["internet-facing", "internal"] | None, controllers_where(reads("scheme"))] = Field(
        None, description="aws-load-balancer-controller: the load balancers' scheme; default internet-facing"
    )
    application_gateway: Annotated[ApplicationGateway | None, controllers_where(reads("applicationGateway"))] = None
    values: dict[str, Any] = Field(default_factory=dict, description="extra chart values (escape hatch)")

    @field_validator("name")
    @classmethod
    def _known_controller(cls, name: str) -> str:
        if name not in CONTROLLERS:
            raise ValueError(f"unknown controller {name!r}; choose one of {', '.join(sorted(CONTROLLERS))}")
        return name
