"""Pure questions about a valid config that the rules, the plan and the tools all ask."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from traffic_edge.config.acme import http01_certificate_namespaces
from traffic_edge.config.model import Gateway, Listener, StackConfig
from traffic_edge.config.routes import GrpcRoute, GrpcRule, HttpRoute, HttpRule, L4Rule, Route, TcpRoute, UdpRoute
from traffic_edge.config.tenancy import NAMESPACE_LABEL, SUFFIX_LABEL, TENANT_LABEL, Tenant
from traffic_edge.controllers import CONTROLLERS
from traffic_edge.controllers.base import ControllerRelease, ControllerRow, GatewayClassRow
from traffic_edge.data.route_kinds import ROUTE_KINDS
from traffic_edge.data.versions import SERVED_ROUTE_VERSIONS
from traffic_edge.data.workloads import CERT_MANAGER, EXTERNAL_DNS

# The namespaces every cluster starts with (https://kubernetes.io/docs/concepts/overview/working-with-objects/
# namespaces/#initial-namespaces): the edge's objects may live there, but it never creates, labels or deletes them.
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
# Listener protocols whose routes carry no hostname, so no admission policy can hold a tenant to its suffix there.
UNCHECKED_HOSTNAME_PROTOCOLS = ("TCP", "UDP")


def in_domain(hostname: str, domain: str) -> bool:
    """True when `hostname` (possibly `*.x`) names something inside `domain`."""
    bare = hostname[2:] if hostname.startswith("*.") else hostname
    return bare == domain or bare.endswith("." + domain)


def hostnames_intersect(listener: str | None, route: str) -> bool:
    """Gateway API hostname matching: a `*.` label matches one or more labels on the left."""
    if listener is None:
        return True
    if listener.startswith("*.") and route.startswith("*."):
        return route.endswith(listener[1:]) or listener.endswith(route[1:])
    if listener.startswith("*."):
        return route.endswith(listener[1:])
    if route.startswith("*."):
        return listener.endswith(route[1:])
    return listener == route


def controller(config: StackConfig) -> ControllerRow:
    return CONTROLLERS[config.controller.name]


def controller_release(config: StackConfig) -> ControllerRelease | None:
    """The release line of a controller the cluster installs (controller.version), where the row knows it."""
    return controller(config).release(config.controller.version)


def controller_reads(config: StackConfig) -> Mapping[str, str]:
    """Route kind → the apiVersion the controller watches, where it differs from v1: its release's, else its row's."""
    release = controller_release(config)
    return release.reads if release is not None else controller(config).reads


Owner = Literal["install", "adopt", "platform"]


def crds_owner(config: StackConfig) -> Owner:
    """Who owns the Gateway API CRDs: as configured, else the platform where it manages them, else this program."""
    if config.versions.gateway_api_crds is not None:
        return config.versions.gateway_api_crds
    return "platform" if controller(config).platform_manages_crds else "install"


def served(config: StackConfig) -> dict[str, frozenset[str]]:
    """Route kind → the apiVersions the stack's Gateway API CRDs serve."""
    return SERVED_ROUTE_VERSIONS[(config.versions.gateway_api, config.versions.gateway_api_channel)]


def gateway_class(config: StackConfig, gateway: Gateway) -> GatewayClassRow | None:
    """The class row a Gateway uses; None for a class the controller table does not know."""
    row = controller(config)
    if gateway.class_name is not None:
        return row.class_named(gateway.class_name)
    return row.class_for(listener.protocol for listener in gateway.listeners)


def gateway_class_name(config: StackConfig, gateway: Gateway) -> str:
    """The configured class, else the controller's class that serves every listener protocol."""
    row = controller(config)
    return gateway.class_name or row.class_for(listener.protocol for listener in gateway.listeners).name


def terminates_tls(gateway: Gateway) -> bool:
    """The gateway serves TLS it terminates itself: an HTTPS listener, or a TLS one in Terminate mode."""
    return any(item.protocol == "HTTPS" or (item.protocol == "TLS" and item.tls_mode == "Terminate")
               for item in gateway.listeners)


def redirects_to_https(gateway: Gateway, listener: Listener) -> bool:
    """An HTTP listener only redirects to HTTPS (and serves ACME challenges) as configured, else where its gateway
    terminates TLS: TLS on every public listener unless the user says otherwise. Otherwise it carries routes."""
    if listener.protocol != "HTTP":
        return False
    if listener.http_mode is not None:
        return listener.http_mode == "redirect"
    return terminates_tls(gateway)


def attached_listeners(route: Route, gateway: Gateway) -> list[Listener]:
    """The listeners of `gateway` a route attaches to: its protocol's that carry routes, narrowed to `route.listener`
    if set."""
    protocols = ROUTE_KINDS[route.kind].protocols
    return [
        listener
        for listener in gateway.listeners
        if listener.protocol in protocols and route.listener in (None, listener.name)
        and not redirects_to_https(gateway, listener)
    ]


def rules_of(route: Route) -> Sequence[HttpRule | GrpcRule | L4Rule]:
    """A route's rules, whatever its kind."""
    if isinstance(route, HttpRoute):
        return route.rules
    if isinstance(route, GrpcRoute):
        return route.rules
    return route.rules


def http01_listener(gateway: Gateway) -> Listener | None:
    """The HTTP listener on port 80 that serves ACME HTTP-01 challenges, if the gateway has one."""
    return next((item for item in gateway.listeners if item.protocol == "HTTP" and item.port == 80), None)


def route_hostnames(route: Route) -> list[tuple[str, str]]:
    """(key, hostname) of every hostname a route names; TCP and UDP routes name at most one, for external-dns."""
    if isinstance(route, TcpRoute | UdpRoute):
        return [] if route.hostname is None else [("hostname", route.hostname)]
    return [(f"hostnames[{index}]", hostname) for index, hostname in enumerate(route.hostnames)]


def published(route: Route) -> bool:
    """Whether external-dns has a name to publish for the route: TCP and UDP only through the annotation."""
    return route.hostname is not None if isinstance(route, TcpRoute | UdpRoute) else True


def published_route_kinds(config: StackConfig) -> frozenset[str]:
    """The route kinds external-dns watches: the stack's own, and HTTPRoute wherever a listener serves HTTPRoutes,
    since application charts attach theirs there (README, "Routes from application charts"); external-dns refuses
    to start without a --source (kubernetes-sigs/external-dns @ v0.20.0 : pkg/apis/externaldns/types.go, `source`
    is Required)."""
    kinds = {route.kind for route in config.routes if published(route)}
    if any(listener.protocol == "HTTPS" or (listener.protocol == "HTTP" and not redirects_to_https(gateway, listener))
           for gateway in config.gateways for listener in gateway.listeners):
        kinds.add("HTTPRoute")
    return frozenset(kinds)


def external_dns_runs(config: StackConfig) -> bool:
    """external-dns is installed when enabled and the platform has DNS to write (on-prem: an RFC 2136 server)."""
    return config.external_dns.enabled and (config.platform.kind != "onprem" or config.dns.rfc2136 is not None)


def namespace_owners(tenants: Mapping[str, Tenant]) -> dict[str, str]:
    """Namespace → the tenant owning it (the first, where the rules report a namespace owned twice)."""
    owners: dict[str, str] = {}
    for name, tenant in tenants.items():
        for namespace in tenant.namespaces:
            owners.setdefault(namespace, name)
    return owners


def suffix_parents(hostname: str) -> Iterator[str]:
    """The name itself (bare of `*.`) and every name above it: looked up in a dict, a suffix search stays linear."""
    labels = hostname.removeprefix("*.").split(".")
    for index in range(len(labels)):
        yield ".".join(labels[index:])


def suffix_owner(suffixes: Mapping[str, str], hostname: str) -> tuple[str, str] | None:
    """(tenant, suffix) of the tenant whose suffix holds `hostname` most closely (a child's before its parent's)."""
    return next(((suffixes[parent], parent) for parent in suffix_parents(hostname) if parent in suffixes), None)


def tenant_labels(name: str, tenant: Tenant) -> dict[str, str]:
    return {TENANT_LABEL: name, SUFFIX_LABEL: tenant.hostname_suffix}


def http01_namespaces(config: StackConfig, gateway: Gateway) -> set[str]:
    """Where cert-manager creates the HTTP-01 challenge routes that attach to this gateway's port-80 listener.

    cert-manager creates each solver HTTPRoute in its Certificate's namespace (cert-manager @ v1.21.1 :
    pkg/issuer/acme/http/httproute.go), so that namespace must be admitted there.
    """
    owners = namespace_owners(config.tenants)
    if gateway.namespace in owners:  # a tenant's own ACME account: its certificates live beside the gateway
        return {gateway.namespace}
    platform = [other for other in config.gateways if other.namespace not in owners]
    return http01_certificate_namespaces(config, gateway, platform)


def allowed_namespaces(config: StackConfig, gateway: Gateway, listener: Listener) -> list[str]:
    """The namespace whitelist of one listener: its owner's (the gateway's namespace, or every namespace of the
    tenant owning that), the tenants attached to it, the namespaces granted it, and extras. A listener that only
    redirects to HTTPS admits its own namespace alone, so that a route without sectionName never attaches to it
    (traffic_edge.plan.admission); the one serving ACME HTTP-01 challenges also admits the namespaces of the
    certificates they are for.

    A shared gateway's TCP and UDP listeners check no hostname, so they admit a tenant's namespace only where the
    listener lists it in allowedRoutes.namespaces."""
    challenges = http01_namespaces(config, gateway) if listener is http01_listener(gateway) else set()
    if redirects_to_https(gateway, listener):
        return sorted({gateway.namespace, *challenges})
    owners = namespace_owners(config.tenants)
    owner = owners.get(gateway.namespace)
    owned = config.tenants[owner].namespaces if owner else []
    attached = [ns for tenant in config.tenants.values() if tenant.gateway == gateway.name for ns in tenant.namespaces]
    granted = [name for name, settings in config.namespaces.items() if gateway.name in settings.gateways]
    if owner is None and listener.protocol in UNCHECKED_HOSTNAME_PROTOCOLS:
        attached, granted = [], [name for name in granted if name not in owners]
    return sorted({gateway.namespace, *owned, *attached, *granted, *listener.allowed_routes.namespaces, *challenges})


@dataclass(frozen=True)
class Selected:
    """A listener that admits the namespaces carrying `labels` (allowedRoutes.selector), and never one of the tenants
    in `not_tenants`: those not given its gateway, rendered as a `NotIn` on the tenant label that only the platform
    sets (the Gateway API takes one selector per listener, so a whitelist cannot be added to it)."""

    labels: Mapping[str, str]
    not_tenants: tuple[str, ...] = ()

    def admits(self, labels: Mapping[str, str] | None) -> bool:
        """Whether a namespace with these labels is admitted; None, a namespace made elsewhere whose labels this stack
        does not know, is taken to carry them (it is never a tenant's: tenants' namespaces are made here)."""
        if labels is None:
            return True
        return labels.get(TENANT_LABEL) not in self.not_tenants and all(
            labels.get(key) == value for key, value in self.labels.items())


Admission = frozenset[str] | Selected | None  # a whitelist, a selector, or None: every namespace


def given_tenants(config: StackConfig, gateway: Gateway, listener: Listener) -> set[str]:
    """The tenants whose namespaces the listener's whitelist holds: the gateway's owner, tenants attached to the
    gateway or granted it, and those the listener names (on a shared gateway's TCP and UDP listeners, only those)."""
    owners = namespace_owners(config.tenants)
    return {owners[name] for name in allowed_namespaces(config, gateway, listener) if name in owners}


def listener_admission(config: StackConfig, gateway: Gateway, listener: Listener) -> Admission:
    if admits_all(gateway, listener):
        return None
    selector = listener.allowed_routes.selector
    if selector is not None:
        others = set(config.tenants) - given_tenants(config, gateway, listener)
        return Selected(dict(selector.match_labels), tuple(sorted(others)))
    return frozenset(allowed_namespaces(config, gateway, listener))


def admissions(config: StackConfig) -> dict[tuple[str, str], Admission]:
    """(gateway, listener) → the namespaces whose routes it admits: worked out once per listener, so that asking for
    each route stays linear in the routes."""
    return {
        (gateway.name, listener.name): listener_admission(config, gateway, listener)
        for gateway in config.gateways
        for listener in gateway.listeners
    }


def admits(admission: Admission, namespace: str, labels: Mapping[str, str] | None) -> bool:
    """Whether a listener admits routes from `namespace`, which carries `labels` (None: not known here)."""
    if admission is None:
        return True
    if isinstance(admission, Selected):
        return admission.admits(labels)
    return namespace in admission


def admits_all(gateway: Gateway, listener: Listener) -> bool:
    """`allowedRoutes.all`, honoured on every listener that sets it: on a port-80 listener that redirects it admits
    cert-manager's challenge routes from any namespace (and http-listener-routes refuses any other route there)."""
    return listener.allowed_routes.all


def managed_namespaces(config: StackConfig) -> dict[str, dict[str, str]]:
    """Namespace → labels, for every namespace this program creates: never one every cluster starts with (a
    gateway may live in `default`, a controller in kube-system)."""
    row = controller(config)
    managed: dict[str, dict[str, str]] = {CERT_MANAGER.namespace: {}}
    if row.chart is not None:
        managed[row.namespace] = {}
    for gateway in config.gateways:
        managed.setdefault(gateway.namespace, {})
    for name, settings in config.namespaces.items():
        if settings.create:
            managed[name] = dict(settings.labels)
        else:
            managed.pop(name, None)
    for name, tenant in config.tenants.items():
        for namespace in tenant.namespaces:
            managed[namespace] = {**managed.get(namespace, {}), **tenant_labels(name, tenant)}
    if external_dns_runs(config):
        managed[EXTERNAL_DNS.namespace] = {}
    return {name: labels for name, labels in managed.items() if name not in SYSTEM_NAMESPACES}


def known_labels(managed: Mapping[str, Mapping[str, str]], namespace: str) -> dict[str, str] | None:
    """The labels a namespace carries as far as this stack knows: those it sets on one it creates (`managed`), with
    the name label the API server adds; None for a namespace made elsewhere."""
    return {**managed[namespace], NAMESPACE_LABEL: namespace} if namespace in managed else None
