"""A gateway's data-plane settings: its proxies' Service, replicas and disruption budget, its addresses.

Which controller carries which setting, and how, is a fact of its row (ControllerRow.honours); the rest are refused
in traffic_edge.config.rules.data_plane.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PlainValidator, Strict, WithJsonSchema

from traffic_edge.config.types import LabelKey, Model
from traffic_edge.controllers.base import ServiceType


def _ip_address(value: str) -> str:
    """As Gateway API's IPAddress type takes it: an IPv4 or IPv6 address, no prefix length."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value} is not an IP address (e.g. 192.0.2.10 or 2001:db8::10)") from None
    return value


IpAddress = Annotated[str, AfterValidator(_ip_address)]
PERCENTAGE = r"^(100|[1-9]?[0-9])%$"


def _pod_count(value: object) -> int | str:
    """A PodDisruptionBudget's minAvailable or maxUnavailable, as its IntOrString takes it: pods, or a percentage."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and re.match(PERCENTAGE, value):
        return value
    shown = str(value).lower() if isinstance(value, bool) else repr(value)
    raise ValueError(f"must be a number of pods (0 or more) or a percentage such as 50%, not {shown}")


def _quoted_version(value: object) -> object:
    """YAML reads `1.2` as a number, which is no version: say so rather than list the versions it already names."""
    if isinstance(value, float):
        raise ValueError(f'write the version as a string, "{value}" (unquoted, YAML reads it as a number)')
    return value


PodCount = Annotated[
    int | str,
    PlainValidator(_pod_count),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": PERCENTAGE}]}),
]
TlsVersion = Annotated[Literal["1.2", "1.3"], BeforeValidator(_quoted_version)]


class ProxyService(Model):
    """The Service in front of the gateway's proxies."""

    type: ServiceType | None = Field(None, description="defaults to controller.serviceType")
    annotations: dict[LabelKey, str] = Field(
        default_factory=dict,
        description="e.g. for an NLB on EKS: service.beta.kubernetes.io/aws-load-balancer-type: external",
    )
    external_traffic_policy: Literal["Local", "Cluster"] | None = Field(
        None, description="Local keeps the client's address and sends traffic only to nodes running a proxy"
    )


class DisruptionBudget(Model):
    """A PodDisruptionBudget over the gateway's proxies: exactly one of the two."""

    min_available: PodCount | None = Field(None, description="proxies that must stay up during a node drain")
    max_unavailable: PodCount | None = Field(None, description="proxies a node drain may take down at once")


class GatewayDataPlane(Model):
    """envoy-gateway: the gateway's own Envoy fleet, set in an EnvoyProxy its infrastructure.parametersRef names."""

    service: ProxyService = Field(default_factory=ProxyService)
    replicas: Annotated[int, Strict(), Field(ge=1)] | None = Field(None, description="proxy pods; Envoy's default 1")
    disruption_budget: DisruptionBudget | None = None
