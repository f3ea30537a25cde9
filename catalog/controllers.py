"""Gateway controllers as rows of one table: what each installs, its classes and what they can route.

Adding a controller is a row here plus, where it installs a chart, a values function. Everything the
components and stackconfig.compat need to know about a controller is a field of its row; nothing else
branches on a controller's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

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
    service_account_annotations: Mapping[str, Any] = field(default_factory=dict)  # the platform identity
    pod_labels: Mapping[str, str] = field(default_factory=dict)
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
    chart: str | None = None  # key of catalog.versions.CHARTS; None when the cluster or platform provides it
    installs_classes: bool = False  # the chart or platform creates the GatewayClasses itself
    values: Callable[[ValuesContext], Mapping[str, Any]] = _no_values
    workload: str | None = None  # catalog.workloads key: the controller needs a platform identity
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


def _envoy_gateway_values(context: ValuesContext) -> Mapping[str, Any]:
    # The chart's `crds` subchart installs Envoy's own CRDs and, from crds/, the Gateway API CRDs
    # (skipped when present). Its templated safe-upgrade policy would collide with the one the
    # Gateway API bundle installs, so it is left to the bundle when this program installs it.
    safe_upgrade = {"enabled": not context.manages_gateway_api_crds}
    return {"crds": {"enabled": True, "gatewayAPI": {"safeUpgradePolicy": safe_upgrade}}}


def _envoy_proxy(context: ValuesContext) -> ParametersObject | None:
    """The Envoy Service type is an EnvoyProxy setting, referenced from the GatewayClass."""
    if context.service_type == "LoadBalancer":
        return None
    spec = {"provider": {"type": "Kubernetes", "kubernetes": {"envoyService": {"type": context.service_type}}}}
    return ParametersObject(
        "gateway.envoyproxy.io/v1alpha1", "EnvoyProxy", "traffic-edge", "envoy-gateway-system", spec
    )


def _nginx_gateway_fabric_values(context: ValuesContext) -> Mapping[str, Any]:
    # TLSRoute, TCPRoute and UDPRoute are experimental features of NGF and need them switched on.
    experimental = bool(context.route_kinds & L4_ROUTES)
    return {
        "nginxGateway": {"gatewayClassName": "nginx", "gwAPIExperimentalFeatures": {"enable": experimental}},
        "nginx": {"service": {"type": context.service_type}},
    }


def _istiod_values(context: ValuesContext) -> Mapping[str, Any]:
    # TCPRoute (and TLSRoute before Gateway API v1.5) are alpha in Istio and off unless this is set.
    alpha = bool(context.route_kinds & {"TCPRoute", "TLSRoute"})
    return {"pilot": {"env": {"PILOT_ENABLE_ALPHA_GATEWAY_API": "true"}}} if alpha else {}


def _istio_service_type(context: ValuesContext) -> Mapping[str, str]:
    """Istio deploys one Service per Gateway; its type comes from this Gateway annotation."""
    return {} if context.service_type == "LoadBalancer" else {"networking.istio.io/service-type": context.service_type}


def _traefik_values(context: ValuesContext) -> Mapping[str, Any]:
    """Traefik binds each Gateway listener to the entrypoint with the same port, so every listener port is one.

    The default web/websecure entrypoints are left unexposed; ports below 1024 bind as non-root through the
    namespaced `net.ipv4.ip_unprivileged_port_start` sysctl.
    """
    ports: dict[str, Any] = {"web": {"expose": {"default": False}}, "websecure": {"expose": {"default": False}}}
    for listener in sorted({(item.port, item.protocol == "UDP") for item in context.listeners}):
        port, udp = listener
        ports[f"{'udp' if udp else 'tcp'}{port}"] = {
            "port": port, "exposedPort": port, "protocol": "UDP" if udp else "TCP", "expose": {"default": True},
        }
    # TCPRoute is read from the experimental channel (v1alpha2); stackconfig.compat checks the CRDs serve it.
    experimental = "TCPRoute" in context.route_kinds
    return {
        "providers": {
            "kubernetesGateway": {"enabled": True, "experimentalChannel": experimental},
            "kubernetesIngress": {"enabled": False},
        },
        "gateway": {"enabled": False},
        "gatewayClass": {"enabled": True, "name": "traefik"},
        "ports": ports,
        "service": {"type": context.service_type},
        "podSecurityContext": {"sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]},
    }


def _cilium_class_config(context: ValuesContext) -> ParametersObject | None:
    """CiliumGatewayClassConfig (Cilium ≥ 1.18): the type of the Service Cilium creates for each Gateway."""
    return ParametersObject(
        "cilium.io/v2alpha1", "CiliumGatewayClassConfig", "traffic-edge", "kube-system",
        {"service": {"type": context.service_type}},
    )


def _aws_load_balancer_controller_values(context: ValuesContext) -> Mapping[str, Any]:
    values: dict[str, Any] = {
        "clusterName": context.cluster_name,
        "serviceAccount": {"name": "aws-load-balancer-controller"},
        "controllerConfig": {"featureGates": {"ALBGatewayAPI": True, "NLBGatewayAPI": True}},
    }
    if context.region:
        values["region"] = context.region
    if context.service_account_annotations:
        values["serviceAccount"]["annotations"] = dict(context.service_account_annotations)
    if context.pod_labels:
        values["podLabels"] = dict(context.pod_labels)
    return values


def _load_balancer_configuration(gateway: str, namespace: str, listeners: Listeners) -> ParametersObject:
    """An internet-facing load balancer whose TLS listeners take their ACM certificates from here.

    LBC ignores listener certificateRefs; certificates are ARNs in listenerConfigurations.
    """
    spec: dict[str, Any] = {"scheme": "internet-facing"}
    configurations = [
        {"protocolPort": f"{listener.protocol}:{listener.port}", "defaultCertificate": listener.certificate_arn}
        for listener in listeners if listener.certificate_arn
    ]
    if configurations:
        spec["listenerConfigurations"] = configurations
    return ParametersObject("gateway.k8s.aws/v1beta1", "LoadBalancerConfiguration", gateway, namespace, spec)


def _alb_controller_values(context: ValuesContext) -> Mapping[str, Any]:
    """The ALB controller takes its workload identity as a client ID value, not a service-account annotation."""
    controller: dict[str, Any] = {"namespace": "azure-alb-system"}
    client_id = context.service_account_annotations.get("azure.workload.identity/client-id")
    if client_id is not None:
        controller["podIdentity"] = {"clientID": client_id}
    return {"albController": controller}


def _gke_class(name: str) -> GatewayClassRow:
    return GatewayClassRow(name, "networking.gke.io/gateway", L7_PROTOCOLS, frozenset({"HTTPRoute"}))


CONTROLLERS: dict[str, ControllerRow] = {
    "envoy-gateway": ControllerRow(
        name="envoy-gateway",
        classes=(
            GatewayClassRow(
                "envoy-gateway", "gateway.envoyproxy.io/gatewayclass-controller", ALL_PROTOCOLS, ALL_ROUTES
            ),
        ),
        chart="envoy-gateway",
        namespace="envoy-gateway-system",
        values=_envoy_gateway_values,
        class_parameters=_envoy_proxy,
        built_against="v1.6.1",
        source="https://gateway.envoyproxy.io/docs/tasks/quickstart/",
    ),
    "nginx-gateway-fabric": ControllerRow(
        name="nginx-gateway-fabric",
        classes=(GatewayClassRow("nginx", "gateway.nginx.org/nginx-gateway-controller", ALL_PROTOCOLS, ALL_ROUTES),),
        chart="nginx-gateway-fabric",
        namespace="nginx-gateway",
        installs_classes=True,
        values=_nginx_gateway_fabric_values,
        built_against="v1.5.1",
        reads={"TLSRoute": "v1alpha2", "TCPRoute": "v1alpha2", "UDPRoute": "v1alpha2"},
        source="https://docs.nginx.com/nginx-gateway-fabric/overview/gateway-api-compatibility/",
    ),
    "istio": ControllerRow(
        name="istio",
        classes=(GatewayClassRow("istio", "istio.io/gateway-controller", ALL_PROTOCOLS, ALL_ROUTES - {"UDPRoute"}),),
        chart="istiod",
        namespace="istio-system",
        installs_classes=True,
        values=_istiod_values,
        gateway_annotations=_istio_service_type,
        source="https://istio.io/latest/docs/tasks/traffic-management/ingress/gateway-api/",
    ),
    "traefik": ControllerRow(
        name="traefik",
        classes=(
            GatewayClassRow("traefik", "traefik.io/gateway-controller", ALL_PROTOCOLS, ALL_ROUTES - {"UDPRoute"}),
        ),
        chart="traefik",
        namespace="traefik",
        installs_classes=True,
        values=_traefik_values,
        built_against="v1.5.0",
        reads={"TCPRoute": "v1alpha2"},
        source="https://github.com/rancher/rke2-docs/pull/572",
    ),
    "cilium": ControllerRow(
        name="cilium",
        classes=(
            GatewayClassRow(
                "cilium-traffic-edge", "io.cilium/gateway-controller", ALL_PROTOCOLS - {"UDP"},
                frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute"}),
            ),
        ),
        namespace="kube-system",
        class_parameters=_cilium_class_config,
        reads={"TLSRoute": "v1alpha2"},
        source="https://docs.cilium.io/en/stable/network/servicemesh/gateway-api/parameterized-gatewayclass/",
    ),
    "gke": ControllerRow(
        name="gke",
        classes=tuple(
            _gke_class(name)
            for name in ("gke-l7-global-external-managed", "gke-l7-regional-external-managed", "gke-l7-rilb")
        ),
        namespace="kube-system",
        installs_classes=True,
        service_types=CLOUD_LOAD_BALANCER,
        platform="gke",
        platform_manages_crds=True,
        source="https://cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities",
    ),
    "aws-load-balancer-controller": ControllerRow(
        name="aws-load-balancer-controller",
        classes=(
            GatewayClassRow("aws-alb", "gateway.k8s.aws/alb", L7_PROTOCOLS, L7_ROUTES),
            GatewayClassRow("aws-nlb", "gateway.k8s.aws/nlb", L4_PROTOCOLS, L4_ROUTES),
        ),
        chart="aws-load-balancer-controller",
        namespace="aws-load-balancer-controller",
        values=_aws_load_balancer_controller_values,
        workload="aws-load-balancer-controller",
        certificates="acm",
        shares_l4_l7=False,
        url_rewrite=False,
        service_types=CLOUD_LOAD_BALANCER,
        gateway_parameters=_load_balancer_configuration,
        platform="eks",
        needs_cluster_name=True,
        built_against="v1.5.0",
        reads={"TCPRoute": "v1alpha2", "UDPRoute": "v1alpha2"},
        source="https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/gateway/gateway/",
    ),
    "azure-alb": ControllerRow(
        name="azure-alb",
        classes=(
            GatewayClassRow(
                "azure-alb-external", "alb.networking.azure.io/alb-controller", L7_PROTOCOLS, L7_ROUTES,
            ),
        ),
        chart="alb-controller",
        namespace="azure-alb-system",
        installs_classes=True,
        values=_alb_controller_values,
        workload="alb-controller",
        service_types=CLOUD_LOAD_BALANCER,
        platform="aks",
        built_against="v1.5.1",
        source="https://learn.microsoft.com/azure/application-gateway/for-containers/alb-controller-release-notes",
    ),
}
