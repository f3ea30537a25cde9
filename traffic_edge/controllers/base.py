"""What a Gateway controller is to this program: one row of facts, each controller's module fills one in.

Everything the config rules, the plan and the components need to know about a controller is a field of its
row; nothing else branches on a controller's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

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
TLS_MODES = frozenset({"Terminate", "Passthrough"})
# Helm's default wait (pulumi/pulumi-kubernetes @ v4.32.0 : provider/pkg/provider/helm_release.go L63-64).
RELEASE_TIMEOUT = 300


@dataclass(frozen=True)
class ListenerFacts:
    """One listener as a controller sees it: enough for entrypoints and load-balancer listener configs."""

    protocol: str
    port: int
    certificate_arn: str | None = None


@dataclass(frozen=True)
class AgcDeployment:
    """Application Gateway for Containers: created by the ALB controller from an ApplicationLoadBalancer object
    (managed), or created outside the cluster and named by its resource ID and a frontend (bring your own)."""

    mode: Literal["managed", "byo"]
    subnet_id: str  # the association subnet, delegated to Microsoft.ServiceNetworking/trafficControllers
    alb_id: str | None = None  # byo: the trafficControllers resource ID
    frontend: str | None = None  # byo: the frontend's name


@dataclass(frozen=True)
class ValuesContext:
    """What a controller's chart values and parameter objects may depend on."""

    service_type: ServiceType
    route_kinds: frozenset[str] = frozenset()  # route kinds the stack uses
    listeners: tuple[ListenerFacts, ...] = ()  # every listener of every gateway
    gateway_api_channel: str = "standard"  # the channel of the cluster's Gateway API CRDs
    # Cluster facts from config or, at deploy time, the cluster's stack (platform.clusterStack): Outputs then.
    cluster_name: pulumi.Input[str] | None = None  # the cloud's name for the cluster, where a controller needs it
    region: str | None = None
    vpc_id: pulumi.Input[str | None] | None = None  # where pods cannot read the instance metadata service
    scheme: Literal["internet-facing", "internal"] = "internet-facing"  # cloud load balancers' reach
    agc: AgcDeployment | None = None


@dataclass(frozen=True)
class ParametersObject:
    """A controller-specific object a GatewayClass or Gateway points at with parametersRef."""

    api_version: str
    kind: str
    name: str
    namespace: str
    spec: Mapping[str, Any]
    earlier_api_versions: tuple[str, ...] = ()  # created at these before: existing stacks update it in place

    def class_ref(self) -> dict[str, str]:
        """GatewayClass spec.parametersRef (a namespaced reference)."""
        return {**self.gateway_ref(), "namespace": self.namespace}

    def gateway_ref(self) -> dict[str, str]:
        """Gateway spec.infrastructure.parametersRef (the object lives beside the Gateway)."""
        return {"group": self.api_version.rpartition("/")[0], "kind": self.kind, "name": self.name}


@dataclass(frozen=True)
class CrdChart:
    """Cluster-wide CRDs a controller's chart needs first, from a chart of their own at the controller's version.

    Rendered client-side and applied as objects (pulumi-kubernetes helm.v4.Chart: `helm template | kubectl apply`),
    so upgrades reach the CRDs (Helm never upgrades a chart's crds/), and kept when the stack goes.
    """

    pin: ChartPin
    values: Mapping[str, Any]


@dataclass(frozen=True)
class ControllerRelease:
    """What one release line of a controller the cluster installs does (config `controller.version` picks it)."""

    minor: str  # "1.19": every patch release of that line
    reads: Mapping[str, str]  # route kind → apiVersion watched, where it differs from v1
    source: str
    requires_gateway_api: str | None = None  # the oldest Gateway API release it enables Gateway support with


@dataclass(frozen=True)
class GatewayClassRow:
    name: str
    controller_name: str  # GatewayClass spec.controllerName
    protocols: frozenset[str]  # listener protocols Gateways of this class may use
    route_kinds: frozenset[str]
    # The cloud SSL policy its load balancer takes for a minimum TLS version: global or regional; None: none.
    ssl_policy: Literal["global", "regional"] | None = None


Listeners = tuple[ListenerFacts, ...]


@dataclass(frozen=True)
class Upstream:
    """A fact about a controller, and the upstream source (repo @ tag : path (lines), or a documentation page)."""

    fact: str
    source: str


@dataclass(frozen=True)
class ProxySettings:
    """A gateway's own data plane (config `gateways[].dataPlane`), for the controller that deploys one per Gateway."""

    service_type: ServiceType
    service_annotations: Mapping[str, str] = field(default_factory=dict)
    external_traffic_policy: Literal["Local", "Cluster"] | None = None
    replicas: int | None = None
    min_available: int | str | None = None  # of the PodDisruptionBudget; at most one of the two
    max_unavailable: int | str | None = None


@dataclass(frozen=True)
class GatewayFacts:
    """One Gateway as its controller's parameter and policy objects see it."""

    name: str
    namespace: str
    listeners: Listeners = ()
    proxy: ProxySettings | None = None  # None: the class's defaults
    min_tls_version: Literal["1.2", "1.3"] | None = None
    ssl_policy: str | None = None  # the cloud SSL policy the platform creates for the minimum, where a class takes one


def _no_values(_: ValuesContext) -> Mapping[str, Any]:
    return {}


def _no_class_parameters(_: ValuesContext) -> ParametersObject | None:
    return None


def _no_annotations(_: ValuesContext) -> Mapping[str, str]:
    return {}


def _no_gateway_parameters(_context: ValuesContext, _gateway: GatewayFacts) -> ParametersObject | None:
    return None


def _no_gateway_policies(_context: ValuesContext, _gateway: GatewayFacts) -> tuple[ParametersObject, ...]:
    return ()


def _no_addresses(_: ValuesContext) -> tuple[Mapping[str, str], ...]:
    return ()


def _no_objects(_: ValuesContext) -> tuple[ParametersObject, ...]:
    return ()


def _no_scopes(_: ValuesContext) -> Mapping[str, str]:
    return {}


GatewayParameters = Callable[[ValuesContext, GatewayFacts], ParametersObject | None]
GatewayPolicies = Callable[[ValuesContext, GatewayFacts], tuple[ParametersObject, ...]]
# The per-gateway settings a row may honour or decline (config keys under `gateways[]`).
GATEWAY_SETTINGS = ("addresses", "dataPlane", "minTlsVersion")


@dataclass(frozen=True)
class ControllerRow:
    name: str
    classes: tuple[GatewayClassRow, ...]  # the first is the default class
    namespace: str
    source: str  # upstream documentation of the facts in this row
    chart: ChartPin | None = None  # None when the cluster or platform provides the controller
    crd_chart: CrdChart | None = None  # CRDs installed, as objects, before the controller's chart
    release_timeout: int = RELEASE_TIMEOUT  # seconds Helm waits for the release to be ready
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
    gateway_addresses: Callable[[ValuesContext], tuple[Mapping[str, str], ...]] = _no_addresses  # Gateway spec
    gateway_policies: GatewayPolicies = _no_gateway_policies  # policy objects targeting one Gateway
    # The tls.options of a TLS-terminating listener that set a minimum TLS version, where the controller reads them.
    tls_options: Callable[[str], Mapping[str, str]] | None = None
    # Gateway settings (GATEWAY_SETTINGS) the controller carries, each with how; the others are refused, with the
    # reason from `declines` where upstream shows one.
    honours: Mapping[str, Upstream] = field(default_factory=dict)
    declines: Mapping[str, Upstream] = field(default_factory=dict)
    addresses_need_load_balancer: bool = False  # spec.addresses take effect on a LoadBalancer Service only
    address_limit: int | None = None  # the number of spec.addresses it uses; the rest are ignored
    # Objects the controller needs beside its classes, created after its chart.
    objects: Callable[[ValuesContext], tuple[ParametersObject, ...]] = _no_objects
    identity_scopes: Callable[[ValuesContext], Mapping[str, str]] = _no_scopes  # grant scope kind → resource ID
    tls_modes: frozenset[str] = TLS_MODES  # the TLS listener modes the data plane implements
    experimental_protocols: frozenset[str] = frozenset()  # listener protocols served only over experimental CRDs
    chart_waits_for_load_balancer: bool = False  # the chart creates a LoadBalancer Service Helm waits on
    config_keys: frozenset[str] = frozenset()  # the keys under `controller` only this controller reads
    platform: str | None = None  # the only platform kind this controller runs on
    # Cluster facts its chart takes, from config or the cluster's stack: `clusterName` (required), `vpcId` (optional).
    cluster_facts: frozenset[str] = frozenset()
    platform_manages_crds: bool = False  # the platform installs the Gateway API CRDs (this program must not)
    built_against: str | None = None  # Gateway API release the controller is built for, where upstream states it
    reads: Mapping[str, str] = field(default_factory=dict)  # route kind → apiVersion watched, where it differs from v1
    # A controller the cluster installs: the release lines known here, each with its own facts (controller.version).
    releases: tuple[ControllerRelease, ...] = ()
    # It takes a kind as installed when its CRD lists the version it reads, served or not, then fails to watch it.
    checks_listed_versions: bool = False

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

    def release(self, version: str | None) -> ControllerRelease | None:
        """The release line of `version` (`1.19.7` → the `1.19` row), None for an unknown or absent version."""
        if version is None:
            return None
        minor = ".".join(version.removeprefix("v").split(".")[:2])
        return next((item for item in self.releases if item.minor == minor), None)
