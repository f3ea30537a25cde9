"""Tenants may not overlap, and nothing of a tenant may reach outside its namespaces and suffix.

A child tenant (`parent`) holds a suffix under its parent's: the names under it are the child's alone, so the
parent claims none of them and the child none of the parent's others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from traffic_edge.config.acme import tenant_issuer_source
from traffic_edge.config.errors import Issue
from traffic_edge.config.model import Gateway, StackConfig
from traffic_edge.config.queries import (
    admits_all,
    http01_listener,
    in_domain,
    namespace_owners,
    route_hostnames,
    rules_of,
    suffix_owner,
    suffix_parents,
)
from traffic_edge.config.routes import Route, TcpRoute, UdpRoute
from traffic_edge.config.rules.nested_tenants import ancestors, check_parent
from traffic_edge.config.tenancy import RESERVED_LABEL_PREFIX, Tenant
from traffic_edge.controllers import CONTROLLERS
from traffic_edge.data.workloads import CERT_MANAGER, EXTERNAL_DNS

# Listener protocols that carry a hostname; a tenant's gateway must set one under the tenant's suffix.
HOSTNAME_PROTOCOLS = ("HTTP", "HTTPS", "TLS")


def check(config: StackConfig) -> Iterator[Issue]:
    """Tenants may not overlap, and nothing of a tenant may reach outside its namespaces and suffix.

A child tenant (`parent`) holds a suffix under its parent's: the names under it are the child's alone, so the
parent claims none of them and the child none of the parent's others.
"""
    owners = namespace_owners(config.tenants)
    for name, settings in config.namespaces.items():
        for label in sorted(settings.labels):
            if label.startswith(RESERVED_LABEL_PREFIX):
                yield Issue(f"namespaces.{name}.labels", f"{label} is set by this program from `tenants`", "remove it")
    if not config.tenants:
        return
    if not config.guardrails.platform_users and not config.guardrails.platform_groups:
        yield Issue(
            "guardrails.platformGroups",
            "only the platform may change tenant labels, and no identity is named",
            "list the users or groups Pulumi deploys as (`kubectl auth whoami`) here or in platformUsers",
        )
    yield from _tenant_ownership(config, owners)
    by_namespace: dict[str, list[Gateway]] = defaultdict(list)
    for gateway in config.gateways:
        by_namespace[gateway.namespace].append(gateway)
    for g_index, gateway in enumerate(config.gateways):
        owner = owners.get(gateway.namespace)
        if owner is not None:
            yield from _tenant_gateway(config, owners, owner, gateway, by_namespace[gateway.namespace],
                                       f"gateways[{g_index}]")
        else:
            yield from _shared_gateway(owners, gateway, f"gateways[{g_index}]")
    yield from _tenant_routes(config, owners)
    yield from _platform_routes(config, owners)
    gateway_owners = {gateway.name: owners.get(gateway.namespace) for gateway in config.gateways}
    for name, settings in config.namespaces.items():
        for index, gateway_name in enumerate(settings.gateways):
            owner = gateway_owners.get(gateway_name)
            if owner is not None and owners.get(name) not in (None, owner):
                yield Issue(
                    f"namespaces.{name}.gateways[{index}]",
                    f"{gateway_name} is tenant {owner}'s gateway and {name} belongs to tenant {owners[name]}",
                    "attach a namespace only to its own tenant's gateways or to shared ones",
                )


def _shared_gateway(owners: dict[str, str], gateway: Gateway, at: str) -> Iterator[Issue]:
    """A shared gateway admits no tenant wholesale, and keeps its certificates (private keys) out of tenants'
    namespaces: whoever reads Secrets there would hold the key of every name the certificate covers."""
    for l_index, listener in enumerate(gateway.listeners):
        if admits_all(gateway, listener):
            yield Issue(
                f"{at}.listeners[{l_index}].allowedRoutes.all",
                "admits routes from every namespace, other tenants' included",
                "list the namespaces instead",
            )
    for c_index, certificate in enumerate(gateway.certificates):
        tenant = owners.get(certificate.namespace) if certificate.namespace else None
        if tenant is not None:
            yield Issue(
                f"{at}.certificates[{c_index}].namespace",
                f"{certificate.namespace} is tenant {tenant}'s namespace, and {certificate.name} is the certificate "
                f"of the shared gateway {gateway.name}: its private key would be readable by tenant {tenant}",
                f"issue it in a platform namespace, e.g. the gateway's own ({gateway.namespace}): remove `namespace`",
            )


def platform_namespaces(config: StackConfig) -> set[str]:
    """The namespaces of the edge's own workloads (cert-manager, external-dns, the controllers'), whatever runs."""
    workloads = [CERT_MANAGER, EXTERNAL_DNS, *(row.workload for row in CONTROLLERS.values() if row.workload)]
    return {workload.namespace for workload in workloads} | {CONTROLLERS[config.controller.name].namespace}


def _tenant_ownership(config: StackConfig, owners: dict[str, str]) -> Iterator[Issue]:
    suffixes = {tenant.hostname_suffix: name for name, tenant in config.tenants.items()}
    gateways = {gateway.name: gateway for gateway in config.gateways}
    with_gateway = {owners[gateway.namespace] for gateway in config.gateways if gateway.namespace in owners}
    for name, tenant in config.tenants.items():
        yield from _tenant_namespaces(config, owners, name, tenant)
        yield from check_parent(config, name, tenant)
        yield from _tenant_suffix(config, suffixes, name, tenant)
        yield from _tenant_gateway_choice(gateways, owners, name, tenant, name in with_gateway)


def _tenant_namespaces(config: StackConfig, owners: dict[str, str], name: str, tenant: Tenant) -> Iterator[Issue]:
    """A namespace has one tenant, is no platform namespace, and is created here (so it carries the labels)."""
    platform = platform_namespaces(config)
    for index, namespace in enumerate(tenant.namespaces):
        if owners[namespace] != name:
            yield Issue(
                f"tenants.{name}.namespaces[{index}]",
                f"{namespace} is owned by tenant {owners[namespace]} already",
                "give each namespace one tenant",
            )
        if namespace in platform:
            yield Issue(
                f"tenants.{name}.namespaces[{index}]",
                f"{namespace} is a platform namespace",
                "use one of the tenant's own",
            )
        settings = config.namespaces.get(namespace)
        if settings is not None and not settings.create:
            yield Issue(
                f"namespaces.{namespace}.create",
                f"tenant {name}'s namespaces are created and labelled here",
                "remove `create: false` (adopt an existing namespace with `pulumi import`)",
            )


def _tenant_suffix(config: StackConfig, suffixes: dict[str, str], name: str, tenant: Tenant) -> Iterator[Issue]:
    """The suffix lies in the domain, fits a label value, and no other tenant's suffix covers it but an ancestor's."""
    suffix = tenant.hostname_suffix
    at = f"tenants.{name}.hostnameSuffix"
    if not in_domain(suffix, config.domain):
        yield Issue(at, f"{suffix} is outside the domain {config.domain}", f"use a name under {config.domain}")
    if len(suffix) > 63:
        yield Issue(at, "is longer than 63 characters, the limit of the label that carries it", "use a shorter suffix")
    chain = ancestors(config.tenants, name)
    for parent in suffix_parents(suffix):
        other = suffixes.get(parent)
        if other is not None and other != name and parent == suffix:
            yield Issue(at, f"{suffix} is tenant {other}'s suffix too", "give each tenant a suffix of its own")
        elif other is not None and other != name and other not in chain:
            yield Issue(
                at,
                f"{suffix} lies inside tenant {other}'s suffix {parent}",
                f"give each tenant a suffix outside the others', or make {name} its child: parent: {other}",
            )


def _tenant_gateway_choice(
    gateways: dict[str, Gateway], owners: dict[str, str], name: str, tenant: Tenant, owns_gateway: bool
) -> Iterator[Issue]:
    """A tenant has a gateway: a shared one it names, or its own in one of its namespaces."""
    at = f"tenants.{name}.gateway"
    if tenant.gateway is None and not owns_gateway:
        yield Issue(
            at, "the tenant has no gateway",
            "name a shared gateway here, or add a gateway in one of the tenant's namespaces",
        )
    target = gateways.get(tenant.gateway) if tenant.gateway else None
    if tenant.gateway is not None and target is None:
        yield Issue(
            at, f"{tenant.gateway} is not a configured gateway",
            f"use one of {', '.join(sorted(gateways)) or '(none defined)'}",
        )
    elif target is not None and owners.get(target.namespace) not in (None, name):
        yield Issue(
            at, f"{tenant.gateway} is tenant {owners[target.namespace]}'s gateway",
            "attach to a shared gateway or add one in the tenant's namespaces",
        )


def _tenant_gateway(
    config: StackConfig, owners: dict[str, str], owner: str, gateway: Gateway, neighbours: list[Gateway], at: str
) -> Iterator[Issue]:
    """A tenant's own gateway: hostnames under its suffix, its own namespaces only, certificates from its Issuers."""
    yield from _tenant_listeners(owners, owner, config.tenants[owner].hostname_suffix, gateway, at)
    if gateway.certificates and any(other.certificates for other in neighbours if other is not gateway):
        yield Issue(
            f"{at}.namespace",
            f"another gateway with certificates lives in {gateway.namespace}, and a "
            "tenant's issuers are one set per namespace",
            "give each such gateway its own tenant namespace",
        )
    yield from _tenant_certificates(config, owner, gateway, at)


def _tenant_listeners(owners: dict[str, str], owner: str, suffix: str, gateway: Gateway, at: str) -> Iterator[Issue]:
    for l_index, listener in enumerate(gateway.listeners):
        path = f"{at}.listeners[{l_index}]"
        if listener.protocol in HOSTNAME_PROTOCOLS and listener.hostname is None:
            yield Issue(
                f"{path}.hostname",
                f"tenant {owner}'s listeners need a hostname under {suffix}",
                f"set hostname: '*.{suffix}'",
            )
        elif listener.protocol in HOSTNAME_PROTOCOLS and not in_domain(str(listener.hostname), suffix):
            yield Issue(
                f"{path}.hostname",
                f"{listener.hostname} is outside tenant {owner}'s suffix {suffix}",
                f"use a name under {suffix}",
            )
        if listener.allowed_routes.all:
            yield Issue(
                f"{path}.allowedRoutes.all",
                "a tenant's gateway admits only the namespaces it lists",
                "list them in allowedRoutes.namespaces",
            )
        for n_index, namespace in enumerate(listener.allowed_routes.namespaces):
            if owners.get(namespace) not in (None, owner):
                yield Issue(
                    f"{path}.allowedRoutes.namespaces[{n_index}]",
                    f"{namespace} belongs to tenant {owners[namespace]}",
                    f"admit only tenant {owner}'s namespaces or platform ones",
                )


def _tenant_certificates(config: StackConfig, owner: str, gateway: Gateway, at: str) -> Iterator[Issue]:
    """Names under the suffix, issued in the gateway's namespace; ACME (HTTP-01) needs a contact and port 80."""
    tenant = config.tenants[owner]
    suffix = tenant.hostname_suffix
    acme = [index for index, item in enumerate(gateway.certificates)
            if tenant_issuer_source(config, item.issuer) == "acme"]
    for c_index, certificate in enumerate(gateway.certificates):
        path = f"{at}.certificates[{c_index}]"
        if certificate.namespace not in (None, gateway.namespace):
            yield Issue(
                f"{path}.namespace",
                "a tenant's certificates come from the Issuers in its gateway's namespace",
                "remove `namespace`",
            )
        for d_index, dns_name in enumerate(certificate.dns_names):
            if not in_domain(dns_name, suffix):
                yield Issue(
                    f"{path}.dnsNames[{d_index}]",
                    f"{dns_name} is outside tenant {owner}'s suffix {suffix}",
                    f"use a name under {suffix}",
                )
            elif c_index in acme and dns_name.startswith("*."):
                yield Issue(
                    f"{path}.dnsNames[{d_index}]",
                    "a tenant's ACME account solves HTTP-01, which cannot issue wildcard names",
                    "list the names, or use issuer: internal-ca",
                )
    if acme and tenant.acme_email is None and config.issuers.acme is None:
        yield Issue(
            f"tenants.{owner}.acmeEmail",
            f"gateway {gateway.name} takes certificates from the tenant's own ACME account, which needs a contact",
            "set acmeEmail (or issuers.acme.email)",
        )
    if acme and http01_listener(gateway) is None:
        yield Issue(
            f"{at}.listeners",
            f"the tenant's ACME account solves HTTP-01 through gateway {gateway.name}, "
            "which has no HTTP listener on port 80",
            f"add {{protocol: HTTP, port: 80, hostname: '*.{suffix}'}}",
        )


def _tenant_routes(config: StackConfig, owners: dict[str, str]) -> Iterator[Issue]:
    for r_index, route in enumerate(config.routes):
        owner = owners.get(route.namespace)
        if owner is None:
            continue
        suffix = config.tenants[owner].hostname_suffix
        at = f"routes[{r_index}]"
        if not isinstance(route, TcpRoute | UdpRoute) and not route.hostnames:
            yield Issue(
                f"{at}.hostnames",
                f"a route of tenant {owner} must name its hostnames (none matches every name of the listener)",
                f"list names under {suffix}",
            )
        for path, hostname in route_hostnames(route):
            if not in_domain(hostname, suffix):
                yield Issue(
                    f"{at}.{path}",
                    f"{hostname} is outside tenant {owner}'s suffix {suffix}",
                    f"use a name under {suffix}",
                )
        yield from _tenant_backends(owners, owner, route, at)


def _tenant_backends(owners: dict[str, str], owner: str, route: Route, at: str) -> Iterator[Issue]:
    """A tenant's route reaches its own namespaces and platform ones, never another tenant's: the ReferenceGrant it
    would need is the other tenant's to give, not the platform's."""
    for rule_index, rule in enumerate(rules_of(route)):
        for b_index, backend in enumerate(rule.backends):
            other = owners.get(backend.namespace) if backend.namespace else None
            if other is not None and other != owner:
                yield Issue(
                    f"{at}.rules[{rule_index}].backends[{b_index}].namespace",
                    f"tenant {owner}'s route {route.namespace}/{route.name} reaches the Service {backend.service} in "
                    f"{backend.namespace}, tenant {other}'s namespace",
                    f"route to Services in tenant {owner}'s namespaces or in platform namespaces",
                )


def _platform_routes(config: StackConfig, owners: dict[str, str]) -> Iterator[Issue]:
    """A route outside every tenant claims no name inside a tenant's suffix: the suffix is the tenant's alone."""
    suffixes = {tenant.hostname_suffix: name for name, tenant in config.tenants.items()}
    for r_index, route in enumerate(config.routes):
        if route.namespace in owners:
            continue
        for path, hostname in route_hostnames(route):
            found = suffix_owner(suffixes, hostname)
            if found is not None:
                tenant, suffix = found
                yield Issue(
                    f"routes[{r_index}].{path}",
                    f"{hostname} lies in tenant {tenant}'s suffix {suffix}, and {route.namespace} (of "
                    f"{route.kind} {route.name}) is no namespace of tenant {tenant}",
                    f"serve it from one of tenant {tenant}'s namespaces, or use a name outside the tenants' suffixes",
                )
