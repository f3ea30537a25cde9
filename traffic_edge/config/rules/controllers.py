"""What one Gateway controller needs from the rest of the config, per its row: its own settings, the CRDs its
release can run with, the listener modes it implements, how its charts are installed.

Each rule is a row like the compatibility rules (traffic_edge.config.rules.compat): the reason, the fix, the
upstream source, and the key paths where a config trips it.
"""

from __future__ import annotations

from collections.abc import Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.queries import controller, controller_reads, controller_release
from traffic_edge.config.rules.compat import Rule, Trip, release
from traffic_edge.controllers import CONTROLLERS
from traffic_edge.data.versions import UNSERVED_ROUTE_VERSIONS

CONTROLLER_KEYS = {"version": "version", "scheme": "scheme", "applicationGateway": "application_gateway"}


def _key_of_another(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    for key, attribute in CONTROLLER_KEYS.items():
        if getattr(config.controller, attribute) is not None and key not in row.config_keys:
            readers = sorted(name for name, other in CONTROLLERS.items() if key in other.config_keys)
            yield Trip(f"controller.{key}", f"only {', '.join(readers)} reads it, not {row.name}")


def _version_missing(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    if not row.releases:
        return
    known = ", ".join(f"{item.minor}.x" for item in row.releases)
    if config.controller.version is None:
        yield Trip("controller.version", f"{row.name} is installed with the cluster; which release it runs decides "
                                         f"what it reads (known: {known})")
    elif controller_release(config) is None:
        yield Trip("controller.version", f"{row.name} {config.controller.version} is not a release this program "
                                         f"knows (known: {known})")


def _listed_not_served(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    if not row.checks_listed_versions:
        return
    versions = config.versions
    unserved = UNSERVED_ROUTE_VERSIONS[(versions.gateway_api, versions.gateway_api_channel)]
    for kind, version in sorted(controller_reads(config).items()):
        if version in unserved.get(kind, ()):
            yield Trip("versions.gatewayApiChannel",
                       f"{row.name} {config.controller.version} reads {kind} at {version}, which the Gateway API "
                       f"{versions.gateway_api} {versions.gateway_api_channel} CRD lists but does not serve")


def _gateway_api_too_old(config: StackConfig) -> Iterator[Trip]:
    found = controller_release(config)
    target = config.versions.gateway_api
    if found is not None and found.requires_gateway_api and release(target) < release(found.requires_gateway_api):
        yield Trip("versions.gatewayApi", f"{controller(config).name} {found.minor} needs Gateway API "
                                          f"{found.requires_gateway_api} or later, not {target}")


def _tls_mode(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    for g_index, gateway in enumerate(config.gateways):
        for l_index, listener in enumerate(gateway.listeners):
            if listener.protocol == "TLS" and listener.tls_mode and listener.tls_mode not in row.tls_modes:
                yield Trip(f"gateways[{g_index}].listeners[{l_index}].tlsMode",
                           f"{row.name} serves TLS listeners in {', '.join(sorted(row.tls_modes))} mode only")


def _experimental_protocol(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    if config.versions.gateway_api_channel == "experimental":
        return
    for g_index, gateway in enumerate(config.gateways):
        for l_index, listener in enumerate(gateway.listeners):
            if listener.protocol in row.experimental_protocols:
                yield Trip(f"gateways[{g_index}].listeners[{l_index}].protocol",
                           f"{row.name} serves {listener.protocol} listeners only over experimental-channel CRDs")


def _load_balancer_undeclared(config: StackConfig) -> Iterator[Trip]:
    row, settings = controller(config), config.controller
    if config.platform.kind != "onprem":
        if settings.load_balancer:
            yield Trip("controller.loadBalancer", f"{config.platform.kind} provisions load balancers itself")
        return
    if row.chart_waits_for_load_balancer and settings.service_type == "LoadBalancer" and not settings.load_balancer:
        yield Trip("controller.serviceType", f"{row.name}'s chart creates a LoadBalancer Service and Helm waits "
                                             "for its address, which nothing on-prem is declared to provide")


def _application_gateway(config: StackConfig) -> Iterator[Trip]:
    if "applicationGateway" not in controller(config).config_keys:
        return
    agc = config.controller.application_gateway
    if agc is None:
        yield Trip("controller.applicationGateway", "a Gateway of class azure-alb-external is programmed on an "
                                                    "Application Gateway for Containers; none is named")
        return
    byo = {"albId": agc.alb_id, "frontend": agc.frontend}
    for key, value in byo.items():
        if (value is None) == (agc.mode == "byo"):
            needed = "needs" if agc.mode == "byo" else "takes no"
            yield Trip(f"controller.applicationGateway.{key}", f"mode {agc.mode} {needed} {key}")


def _crd_chart_version(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    if row.chart is None or row.crd_chart is None:
        return
    chart, crds = row.chart.name, row.crd_chart.pin.name
    if config.chart_version(chart) != config.chart_version(crds):
        yield Trip(f"versions.charts.{crds}", f"{crds} {config.chart_version(crds)} with {chart} "
                                              f"{config.chart_version(chart)}")


RULES: tuple[Rule, ...] = (
    Rule(
        "controller-key-not-applicable",
        "the key configures another controller",
        "remove it, or choose the controller it configures (controller.name)",
        "https://gateway-api.sigs.k8s.io/implementations/",
        _key_of_another,
    ),
    Rule(
        "controller-version",
        "what the controller reads depends on its release, and a controller installed with the cluster has no pin "
        "here",
        "set controller.version to the release the cluster runs (e.g. the cilium-operator image tag)",
        "https://github.com/cilium/cilium/blob/v1.20.2/operator/pkg/gateway-api/helpers/schemes.go",
        _version_missing,
    ),
    Rule(
        "controller-reads-listed-unserved-version",
        "the operator takes the kind as installed because the CRD lists that version, then fails to watch it and "
        "crash-loops, TLSRoutes or not: with Cilium, the CNI operator of the whole cluster",
        "upgrade Cilium to 1.20 (reads TLSRoute at v1) and set controller.version, or use "
        "versions.gatewayApiChannel: experimental (serves v1alpha2)",
        "https://github.com/cilium/cilium/issues/45139",
        _listed_not_served,
    ),
    Rule(
        "controller-needs-newer-gateway-api",
        "the controller requires kinds at versions only newer Gateway API releases serve, and otherwise leaves "
        "Gateway API support off without an error",
        "raise versions.gatewayApi (v1.6.1 serves every kind at v1)",
        "https://github.com/cilium/cilium/blob/v1.20.2/operator/pkg/gateway-api/helpers/schemes.go",
        _gateway_api_too_old,
    ),
    Rule(
        "tls-mode-unsupported",
        "the controller marks the listener invalid and programs nothing on it",
        "use tlsMode: Passthrough (terminate TLS on an HTTPS listener instead), or choose another controller",
        "https://github.com/nginx/nginx-gateway-fabric/blob/v2.6.7/internal/controller/state/graph/"
        "gateway_listener.go",
        _tls_mode,
    ),
    Rule(
        "protocol-needs-experimental-channel",
        "the controller serves the protocol only with its alpha Gateway API support, which on standard CRDs makes it "
        "watch versions they do not serve, so it never becomes ready",
        "use versions.gatewayApiChannel: experimental, or another listener protocol",
        "https://github.com/istio/istio/issues/59387",
        _experimental_protocol,
    ),
    Rule(
        "load-balancer-undeclared",
        "without a load balancer the Service never gets an address, so the Helm release waits until it times out "
        "and the install fails",
        "use controller.serviceType: NodePort, or set controller.loadBalancer: true where MetalLB, kube-vip or "
        "cloud-provider-kind gives LoadBalancer Services an address",
        "https://github.com/helm/helm/blob/06f28ec9a65fd0c66a248b8c32b0e9e4059b00e9/pkg/kube/ready.go",
        _load_balancer_undeclared,
    ),
    Rule(
        "application-gateway",
        "Application Gateway for Containers programs a Gateway only on a managed deployment (an "
        "ApplicationLoadBalancer object) or a brought one (its resource ID and a frontend)",
        "set controller.applicationGateway: {mode: managed, subnetId} or {mode: byo, subnetId, albId, frontend}",
        "https://learn.microsoft.com/azure/application-gateway/for-containers/"
        "how-to-cert-manager-lets-encrypt-gateway-api",
        _application_gateway,
    ),
    Rule(
        "crd-chart-version",
        "a controller's CRD chart is released with the controller: another release's CRDs do not fit it",
        "set both charts to the same version under versions.charts",
        "https://github.com/envoyproxy/gateway/blob/v1.9.0/tools/make/helm.mk",
        _crd_chart_version,
    ),
)


def check(config: StackConfig) -> list[Issue]:
    return [
        Issue(trip.path, f"{trip.detail} [{rule.id}]: {rule.reason}", rule.fix)
        for rule in RULES
        for trip in rule.trips(config)
    ]
