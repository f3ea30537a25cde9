"""Version skew and capability mismatches, refused before anything is created.

Users most often find these after a deploy: a CRD channel, controller, external-dns and cert-manager that
do not fit together. Each rule is a row: an id, the reason, the fix, the upstream source that documents the
failure, and a predicate yielding the key paths where the config trips it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import Gateway, StackConfig
from traffic_edge.config.platforms import Eks
from traffic_edge.config.queries import (
    attached_listeners,
    controller,
    controller_reads,
    external_dns_runs,
    gateway_class,
    published,
    published_route_kinds,
    redirects_to_https,
    served,
)
from traffic_edge.config.routes import HttpRoute, Route, TcpRoute, UdpRoute
from traffic_edge.controllers.base import L4_PROTOCOLS, L7_PROTOCOLS
from traffic_edge.data.versions import ROUTE_API_VERSIONS, external_dns_image

# Gateway API bundles from v1.5 on install the safe-upgrades ValidatingAdmissionPolicy, which refuses older bundles.
SAFE_UPGRADES_SINCE = "v1.5.0"


@dataclass(frozen=True)
class Trip:
    """Where a rule trips, and the specifics of this config."""

    path: str
    detail: str


@dataclass(frozen=True)
class Rule:
    id: str
    reason: str
    fix: str
    source: str
    trips: Callable[[StackConfig], Iterator[Trip]]


def release(version: str) -> tuple[int, ...]:
    """`v1.6.1` → (1, 6, 1), for ordering releases."""
    return tuple(int(part) for part in version.removeprefix("v").split("."))








def routes_with_gateways(config: StackConfig) -> Iterator[tuple[int, Route, Gateway]]:
    gateways = {gateway.name: gateway for gateway in config.gateways}
    for index, route in enumerate(config.routes):
        if route.gateway in gateways:
            yield index, route, gateways[route.gateway]








def _route_kind_unsupported(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    gateways = {gateway.name: gateway for gateway in config.gateways}
    for index, route in enumerate(config.routes):
        gateway = gateways.get(route.gateway)
        row_class = gateway_class(config, gateway) if gateway is not None else None
        kinds = row_class.route_kinds if row_class is not None else row.route_kinds
        if route.kind not in kinds:
            where = f"GatewayClass {row_class.name}" if row_class is not None else f"controller {row.name}"
            yield Trip(f"routes[{index}].kind",
                       f"{where} does not serve {route.kind} (it serves {', '.join(sorted(kinds))})")


def _l4_l7_shared(config: StackConfig) -> Iterator[Trip]:
    if controller(config).shares_l4_l7:
        return
    for index, gateway in enumerate(config.gateways):
        protocols = {listener.protocol for listener in gateway.listeners}
        if protocols & L4_PROTOCOLS and protocols & L7_PROTOCOLS:
            yield Trip(f"gateways[{index}].listeners",
                       f"gateway {gateway.name} mixes {', '.join(sorted(protocols & L7_PROTOCOLS))} with "
                       f"{', '.join(sorted(protocols & L4_PROTOCOLS))}")


def _experimental_over_managed(config: StackConfig) -> Iterator[Trip]:
    if config.versions.gateway_api_channel == "experimental" and controller(config).platform_manages_crds:
        yield Trip("versions.gatewayApiChannel", f"{config.platform.kind} installs the standard channel itself")


def _external_dns_unserved(config: StackConfig) -> Iterator[Trip]:
    if not external_dns_runs(config):
        return
    kinds = published_route_kinds(config) & set(served(config))
    versions = served(config)
    image = external_dns_image(config.versions.gateway_api, config.versions.gateway_api_channel, kinds)
    for index, route in enumerate(config.routes):
        if route.kind in kinds and published(route) and image.reads[route.kind] not in versions[route.kind]:
            yield Trip(f"routes[{index}]",
                       f"external-dns {image.tag} reads {route.kind} at {image.reads[route.kind]}; Gateway API "
                       f"{config.versions.gateway_api} {config.versions.gateway_api_channel} serves "
                       f"{', '.join(sorted(versions[route.kind]))}")


def _secret_on_acm_listener(config: StackConfig) -> Iterator[Trip]:
    if controller(config).certificates != "acm":
        return
    for g_index, gateway in enumerate(config.gateways):
        for l_index, listener in enumerate(gateway.listeners):
            if listener.certificate is not None:
                yield Trip(f"gateways[{g_index}].listeners[{l_index}].certificate",
                           f"listener {listener.name} names the cert-manager certificate {listener.certificate}")


def _acm_misplaced(config: StackConfig) -> Iterator[Trip]:
    takes_acm = controller(config).certificates == "acm"
    for g_index, gateway in enumerate(config.gateways):
        for l_index, listener in enumerate(gateway.listeners):
            if listener.certificate_arn is not None and not (takes_acm and listener.protocol == "HTTPS"):
                where = "an HTTPS" if takes_acm else f"a {controller(config).name}"
                yield Trip(f"gateways[{g_index}].listeners[{l_index}].certificateArn",
                           f"listener {listener.name} is not {where} listener")


def _downgrade(config: StackConfig) -> Iterator[Trip]:
    installed = config.versions.installed_gateway_api
    target = config.versions.gateway_api
    if installed and release(installed) >= release(SAFE_UPGRADES_SINCE) > release(target):
        yield Trip("versions.gatewayApi", f"{target} over the installed {installed}")


def _cert_manager_without_crds(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    if row.platform_manages_crds and row.platform != config.platform.kind:
        yield Trip("controller.name", f"{row.name} leaves the CRDs to {row.platform}, but the platform is "
                                      f"{config.platform.kind}: nothing installs them")


def _controller_platform(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    if row.platform is not None and row.platform != config.platform.kind:
        yield Trip("controller.name", f"{row.name} runs on {row.platform} only, not {config.platform.kind}")


def _cluster_name(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    platform = config.platform
    if ("clusterName" in row.cluster_facts and isinstance(platform, Eks) and platform.cluster_name is None
            and platform.cluster_stack is None):
        yield Trip("platform.clusterName", f"{row.name}'s chart takes the cluster name as a value")


def _built_against_newer(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    target = config.versions.gateway_api
    if row.built_against and release(row.built_against) > release(target):
        yield Trip("versions.gatewayApi",
                   f"{row.name} is built against Gateway API {row.built_against}, newer than {target}")


def _controller_reads_unserved(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    versions = served(config)
    reads = controller_reads(config)
    for index, route in enumerate(config.routes):
        wanted = reads.get(route.kind, "v1")
        if route.kind in versions and wanted not in versions[route.kind]:
            yield Trip(f"routes[{index}].kind",
                       f"{row.name} reads {route.kind} at {wanted}; Gateway API {config.versions.gateway_api} "
                       f"{config.versions.gateway_api_channel} serves {', '.join(sorted(versions[route.kind]))}")


def _service_type(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    if config.controller.service_type not in row.service_types:
        yield Trip("controller.serviceType",
                   f"{row.name} provisions a cloud load balancer, not a {config.controller.service_type}")


def _listener_wildcard_published(config: StackConfig) -> Iterator[Trip]:
    if not external_dns_runs(config):
        return
    for index, route, gateway in routes_with_gateways(config):
        if isinstance(route, TcpRoute | UdpRoute) or route.hostnames:
            continue
        for listener in attached_listeners(route, gateway):
            if listener.hostname and listener.hostname.startswith("*."):
                yield Trip(f"routes[{index}].hostnames",
                           f"{route.kind} {route.name} has no hostnames, so external-dns would publish the listener's "
                           f"{listener.hostname}")
    for g_index, gateway in enumerate(config.gateways):
        for l_index, listener in enumerate(gateway.listeners):
            if redirects_to_https(gateway, listener) and listener.hostname and listener.hostname.startswith("*."):
                yield Trip(f"gateways[{g_index}].listeners[{l_index}].hostname",
                           f"the HTTPS redirect on {listener.name} has no hostnames, so external-dns would publish "
                           f"{listener.hostname}")


def _url_rewrite(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    if row.url_rewrite:
        return
    for index, route in enumerate(config.routes):
        if isinstance(route, HttpRoute):
            for r_index, rule in enumerate(route.rules):
                if rule.rewrite_prefix is not None:
                    yield Trip(f"routes[{index}].rules[{r_index}].rewritePrefix", f"{row.name} cannot rewrite paths")


def _kind_not_in_channel(config: StackConfig) -> Iterator[Trip]:
    kinds = ROUTE_API_VERSIONS[(config.versions.gateway_api, config.versions.gateway_api_channel)]
    for index, route in enumerate(config.routes):
        if route.kind not in kinds:
            yield Trip(f"routes[{index}].kind", f"Gateway API {config.versions.gateway_api} "
                       f"{config.versions.gateway_api_channel} has no {route.kind}")


RULES: tuple[Rule, ...] = (
    Rule(
        "route-kind-unsupported",
        "the Gateway's class does not implement this route kind, so the route is never accepted",
        "choose a controller (controller.name) or GatewayClass that serves it, or another route kind",
        "https://gateway-api.sigs.k8s.io/implementations/",
        _route_kind_unsupported,
    ),
    Rule(
        "route-kind-not-in-channel",
        "the installed Gateway API CRDs do not define this route kind",
        "use versions.gatewayApi v1.6.1 (every route kind at v1) or versions.gatewayApiChannel: experimental",
        "https://github.com/kubernetes-sigs/gateway-api/tree/v1.4.1/config/crd/standard",
        _kind_not_in_channel,
    ),
    Rule(
        "l4-l7-shared-gateway",
        "this controller puts L7 listeners on an ALB and L4 listeners on an NLB: one Gateway cannot have both",
        "split the listeners into two gateways, one HTTP/HTTPS and one TCP/UDP/TLS",
        "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/gateway/gateway/",
        _l4_l7_shared,
    ),
    Rule(
        "experimental-over-managed-crds",
        "the platform manages the standard-channel CRDs and refuses experimental ones",
        "use versions.gatewayApiChannel: standard",
        "https://github.com/kubernetes-sigs/external-dns/pull/6367",
        _experimental_over_managed,
    ),
    Rule(
        "external-dns-unserved-version",
        "external-dns watches the route kind at an apiVersion the CRDs do not serve and crash-loops on startup, "
        "which stops all DNS updates",
        "use versions.gatewayApiChannel: experimental (serves v1alpha2 beside v1), drop the route's `hostname` so "
        "external-dns need not watch the kind, or set externalDns.enabled: false",
        "https://github.com/kubernetes-sigs/external-dns/issues/6749",
        _external_dns_unserved,
    ),
    Rule(
        "external-dns-listener-wildcard",
        "a wildcard listener hostname would become a wildcard DNS record for the whole subdomain",
        "list the concrete hostnames the route serves (its `hostnames`), or give the listener a concrete hostname",
        "https://github.com/kubernetes-sigs/external-dns/blob/master/docs/sources/gateway-api.md#hostnames",
        _listener_wildcard_published,
    ),
    Rule(
        "secret-certificate-on-acm-listener",
        "AWS load balancers take listener certificates from ACM; certificateRefs to cert-manager Secrets are ignored",
        "set the listener's certificateArn to an ACM certificate and drop `certificate`",
        "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/gateway/l7gateway/",
        _secret_on_acm_listener,
    ),
    Rule(
        "acm-certificate-misplaced",
        "an ACM certificate ARN applies only to HTTPS listeners of the AWS Load Balancer Controller",
        "use `certificate` (a cert-manager certificate) instead, or remove certificateArn",
        "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/gateway/loadbalancerconfig/",
        _acm_misplaced,
    ),
    Rule(
        "gateway-api-downgrade",
        "the safe-upgrades ValidatingAdmissionPolicy of Gateway API v1.5+ refuses CRDs older than v1.5",
        "keep versions.gatewayApi at or above the installed release",
        "https://github.com/kubernetes-sigs/gateway-api/blob/v1.6.1/config/crd/standard/"
        "gateway.networking.k8s.io_vap_safeupgrades.yaml",
        _downgrade,
    ),
    Rule(
        "cert-manager-gateway-api-without-crds",
        "cert-manager's Gateway API support crash-loops the controller when the Gateway API CRDs are missing",
        "use the platform whose controller you chose, or a controller this program installs the CRDs for",
        "https://github.com/cert-manager/cert-manager/pull/4310",
        _cert_manager_without_crds,
    ),
    Rule(
        "controller-platform",
        "this controller drives one cloud's load balancers and cannot run elsewhere",
        "choose a controller for this platform (envoy-gateway, nginx-gateway-fabric, istio, traefik and cilium "
        "run anywhere)",
        "https://gateway-api.sigs.k8s.io/implementations/",
        _controller_platform,
    ),
    Rule(
        "cluster-name-required",
        "the chart refuses to install without the cluster's name",
        "set platform.clusterName, or name the cluster's stack (exporting `clusterName`) in platform.clusterStack",
        "https://github.com/aws/eks-charts/blob/master/stable/aws-load-balancer-controller/values.yaml",
        _cluster_name,
    ),
    Rule(
        "controller-built-against-newer",
        "the controller expects fields and kinds of a newer Gateway API than the CRDs installed",
        "raise versions.gatewayApi to the controller's release or later, or pin an older controller chart",
        "https://github.com/kubernetes-sigs/gateway-api/releases",
        _built_against_newer,
    ),
    Rule(
        "controller-reads-unserved-version",
        "the controller watches the route kind at an apiVersion the CRDs do not serve, so the route is never "
        "programmed",
        "use CRDs that serve it (versions.gatewayApiChannel: experimental serves v1alpha2 beside v1; "
        "versions.gatewayApi v1.6.1 serves every route kind at v1), or another route kind",
        "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/gateway/gateway/",
        _controller_reads_unserved,
    ),
    Rule(
        "service-type-unsupported",
        "the controller exposes Gateways through the cloud's load balancer only",
        "use controller.serviceType: LoadBalancer",
        "https://cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities",
        _service_type,
    ),
    Rule(
        "url-rewrite-unsupported",
        "the data plane does not implement the URLRewrite filter",
        "drop rewritePrefix and serve the path the backend expects, or choose another controller",
        "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/gateway/l7gateway/",
        _url_rewrite,
    ),
)


def check(config: StackConfig) -> list[Issue]:
    return [
        Issue(trip.path, f"{trip.detail} [{rule.id}]: {rule.reason}", rule.fix)
        for rule in RULES
        for trip in rule.trips(config)
    ]
