"""What a Gateway controller is to this program: one row of facts, each controller's module fills one in.

Everything the config rules, the plan and the components need to know about a controller is a field of its
row; nothing else branches on a controller's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from traffic_edge.data.permissions.aws import AwsRow
from traffic_edge.data.permissions.azure import AzureRow
from traffic_edge.data.ports import DataPlane
from traffic_edge.data.versions import ChartPin
from traffic_edge.data.workloads import Workload

ServiceType = Literal["LoadBalancer", "NodePort"]

L7_PROTOCOLS = frozenset({"HTTP", "HTTPS"})
L4_PROTOCOLS = frozenset({"TLS", "TCP", "UDP"})
ALL_ROUTES = frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"})
L7_ROUTES = frozenset({"HTTPRoute", "GRPCRoute"})
L4_ROUTES = frozenset({"TLSRoute", "TCPRoute", "UDPRoute"})
ALL_PROTOCOLS = L7_PROTOCOLS | L4_PROTOCOLS
BOTH_SERVICE_TYPES: frozenset[ServiceType] = frozenset({"LoadBalancer", "NodePort"})
CLOUD_LOAD_BALANCER: frozenset[ServiceType] = frozenset({"LoadBalancer"})


@dataclass(frozen=True)
class ListenerFacts:
    """One listener as a controller sees it: enough for entrypoints and load-balancer listener configs."""

    protocol: str
    port: int
    certificate_arn: str | None = None


@dataclass(frozen=True)
class ValuesContext:
    """What a controller's chart values and parameter objects may depend on."""

    service_type: ServiceType
    manages_gateway_api_crds: bool  # True when this program (not the chart) installs the Gateway API CRDs
    route_kinds: frozenset[str] = frozenset()  # route kinds the stack uses
    listeners: tuple[ListenerFacts, ...] = ()  # every listener of every gateway
    cluster_name: str | None = None  # the cloud's name for the cluster, where a controller needs it
    region: str | None = None


@dataclass(frozen=True)
class ParametersObject:
    """A controller-specific object a GatewayClass or Gateway points at with parametersRef."""

    api_version: str
    kind: str
    name: str
    namespace: str
    spec: Mapping[str, Any]

    def class_ref(self) -> dict[str, str]:
        """GatewayClass spec.parametersRef (a namespaced reference)."""
        return {**self.gateway_ref(), "namespace": self.namespace}

    def gateway_ref(self) -> dict[str, str]:
        """Gateway spec.infrastructure.parametersRef (the object lives beside the Gateway)."""
        return {"group": self.api_version.rpartition("/")[0], "kind": self.kind, "name": self.name}


@dataclass(frozen=True)
class GatewayClassRow:
    name: str
    controller_name: str  # GatewayClass spec.controllerName
    protocols: frozenset[str]  # listener protocols Gateways of this class may use
    route_kinds: frozenset[str]


Listeners = tuple[ListenerFacts, ...]


def _no_values(_: ValuesContext) -> Mapping[str, Any]:
    return {}


def _no_class_parameters(_: ValuesContext) -> ParametersObject | None:
    return None


def _no_annotations(_: ValuesContext) -> Mapping[str, str]:
    return {}


def _no_gateway_parameters(_gateway: str, _namespace: str, _listeners: Listeners) -> ParametersObject | None:
    return None


GatewayParameters = Callable[[str, str, Listeners], ParametersObject | None]


@dataclass(frozen=True)
class ControllerRow:
    name: str
    classes: tuple[GatewayClassRow, ...]  # the first is the default class
    namespace: str
    source: str  # upstream documentation of the facts in this row
    chart: ChartPin | None = None  # None when the cluster or platform provides the controller
    installs_classes: bool = False  # the chart or platform creates the GatewayClasses itself
    values: Callable[[ValuesContext], Mapping[str, Any]] = _no_values
    workload: Workload | None = None  # the controller needs a platform identity, as this service account
    aws: AwsRow | None = None  # what its identity may do, per cloud
    azure: AzureRow | None = None
    data_plane: DataPlane | None = None  # its pods and ports, for NetworkPolicies; None: ports not known here
    certificates: Literal["secret", "acm"] = "secret"  # how listener certificates are provided
    shares_l4_l7: bool = True  # whether L4 (TCP/UDP/TLS) and L7 (HTTP/HTTPS) listeners can share one Gateway
    url_rewrite: bool = True  # whether the data plane implements the URLRewrite filter
    service_types: frozenset[ServiceType] = BOTH_SERVICE_TYPES
    class_parameters: Callable[[ValuesContext], ParametersObject | None] = _no_class_parameters
    gateway_annotations: Callable[[ValuesContext], Mapping[str, str]] = _no_annotations
    gateway_parameters: GatewayParameters = _no_gateway_parameters
    platform: str | None = None  # the only platform kind this controller runs on
    needs_cluster_name: bool = False  # the chart requires the cloud's cluster name (platform.clusterName)
    platform_manages_crds: bool = False  # the platform installs the Gateway API CRDs (this program must not)
    built_against: str | None = None  # Gateway API release the controller is built for, where upstream states it
    reads: Mapping[str, str] = field(default_factory=dict)  # route kind → apiVersion watched, where it differs from v1

    @property
    def route_kinds(self) -> frozenset[str]:
        return frozenset().union(*(row.route_kinds for row in self.classes))

    @property
    def gateway_class(self) -> str:
        return self.classes[0].name

    def class_for(self, protocols: Iterable[str]) -> GatewayClassRow:
        """The first class serving every listener protocol of a Gateway; the default class when none does."""
        wanted = set(protocols)
        return next((row for row in self.classes if wanted <= row.protocols), self.classes[0])

    def class_named(self, name: str) -> GatewayClassRow | None:
        return next((row for row in self.classes if row.name == name), None)
