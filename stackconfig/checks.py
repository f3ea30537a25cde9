"""Rules that relate several config keys; each issue names its key path and the fix."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from catalog.controllers import CONTROLLERS
from catalog.workloads import WORKLOADS
from stackconfig import clouds, compat
from stackconfig.errors import Issue
from stackconfig.model import Gateway, HttpRoute, Listener, Route, StackConfig, TcpRoute, UdpRoute
from stackconfig.tenancy import RESERVED_LABEL_PREFIX, namespace_owners

# Which listener protocols each route kind attaches to. HTTP listeners are absent on purpose:
# they only redirect to HTTPS (and serve ACME HTTP-01 challenges), so no route attaches to them.
ROUTE_PROTOCOLS: dict[str, tuple[str, ...]] = {
    "HTTPRoute": ("HTTPS",),
    "GRPCRoute": ("HTTPS",),
    "TLSRoute": ("TLS",),
    "TCPRoute": ("TCP",),
    "UDPRoute": ("UDP",),
}
LISTENER_TLS: dict[str, str] = {
    "HTTP": "none",
    "HTTPS": "certificate",
    "TLS": "mode",
    "TCP": "none",
    "UDP": "none",
}
ISSUER_SOURCE = {
    "letsencrypt-staging": "issuers.acme",
    "letsencrypt-production": "issuers.acme",
    "internal-ca": "issuers.internalCa",
}


def check(config: StackConfig) -> list[Issue]:
    return [
        *clouds.platform_issues(config),
        *_dns(config),
        *_issuers(config),
        *_gateways(config),
        *_routes(config),
        *_namespaces(config),
        *_tenants(config),
        *compat.check(config),
    ]


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


def attached_listeners(route: Route, gateway: Gateway) -> list[Listener]:
    """The listeners of `gateway` a route attaches to: its protocol's, narrowed to `route.listener` if set."""
    return [
        listener
        for listener in gateway.listeners
        if listener.protocol in ROUTE_PROTOCOLS[route.kind] and route.listener in (None, listener.name)
    ]


def http01_listener(gateway: Gateway) -> Listener | None:
    """The HTTP listener on port 80 that serves ACME HTTP-01 challenges, if the gateway has one."""
    return next((item for item in gateway.listeners if item.protocol == "HTTP" and item.port == 80), None)


def route_hostnames(route: Route) -> list[tuple[str, str]]:
    """(key, hostname) of every hostname a route names; TCP and UDP routes name at most one, for external-dns."""
    if isinstance(route, TcpRoute | UdpRoute):
        return [] if route.hostname is None else [("hostname", route.hostname)]
    return [(f"hostnames[{index}]", hostname) for index, hostname in enumerate(route.hostnames)]


def _duplicates(values: Iterable[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def _dns(config: StackConfig) -> Iterator[Issue]:
    if not in_domain(config.domain, config.zone_name) or config.zone_name.startswith("*."):
        yield Issue(
            "dns.zone",
            f"zone {config.zone_name} does not cover the domain {config.domain}",
            f"use {config.domain} or a parent of it",
        )
    if config.dns.rfc2136 is not None:
        if config.platform.kind != "onprem":
            yield Issue("dns.rfc2136", f"RFC 2136 is for on-prem DNS, not {config.platform.kind}", "remove it")
        if config.tsig_secret is None:
            yield Issue(
                "tsigSecret", "is required with dns.rfc2136", "pulumi config set --secret tsigSecret <base64 TSIG key>"
            )
    yield from clouds.dns_issues(config)


def _issuers(config: StackConfig) -> Iterator[Issue]:
    acme = config.issuers.acme
    if acme is not None and acme.solver == "dns01" and config.platform.kind == "onprem" and config.dns.rfc2136 is None:
        yield Issue(
            "issuers.acme.solver",
            "dns01 on-prem needs an RFC 2136 server",
            "configure dns.rfc2136 or use solver: http01",
        )
    if acme is not None and acme.solver == "http01":
        name = acme.gateway or (config.gateways[0].name if config.gateways else None)
        gateway = next((g for g in config.gateways if g.name == name), None)
        if gateway is None:
            yield Issue(
                "issuers.acme.gateway",
                f"http01 needs a gateway to serve challenges; {name or 'none'} is not one",
                "name one of `gateways`",
            )
        elif http01_listener(gateway) is None:
            yield Issue(
                "issuers.acme.gateway",
                f"gateway {gateway.name} has no HTTP listener on port 80 for HTTP-01",
                "add a listener {protocol: HTTP, port: 80} or use solver: dns01",
            )
    owners = namespace_owners(config.tenants)
    for g_index, gateway in enumerate(config.gateways):
        for c_index, certificate in enumerate(gateway.certificates):
            if certificate.issuer == "letsencrypt-production" and not config.production:
                yield Issue(
                    f"gateways[{g_index}].certificates[{c_index}].issuer",
                    "letsencrypt-production is for production stacks and this one is not marked as such",
                    "use letsencrypt-staging, or set `production: true`",
                )
            source = ISSUER_SOURCE[certificate.issuer]
            configured = config.issuers.acme if source == "issuers.acme" else config.issuers.internal_ca
            if configured is None and gateway.namespace not in owners:  # tenants' issuers: _tenant_gateways
                yield Issue(
                    f"gateways[{g_index}].certificates[{c_index}].issuer",
                    f"{certificate.issuer} is not configured",
                    f"configure {source}",
                )


def _gateways(config: StackConfig) -> Iterator[Issue]:
    for name in _duplicates(g.name for g in config.gateways):
        yield Issue("gateways", f"gateway name {name} is used twice", "give each gateway its own name")
    for g_index, gateway in enumerate(config.gateways):
        at = f"gateways[{g_index}]"
        for name in _duplicates(listener.name for listener in gateway.listeners):
            yield Issue(f"{at}.listeners", f"listener name {name} is used twice", "give each listener its own name")
        for name in _duplicates(certificate.name for certificate in gateway.certificates):
            yield Issue(f"{at}.certificates", f"certificate name {name} is used twice", "rename one")
        for c_index, certificate in enumerate(gateway.certificates):
            for d_index, dns_name in enumerate(certificate.dns_names):
                if not in_domain(dns_name, config.domain):
                    yield Issue(
                        f"{at}.certificates[{c_index}].dnsNames[{d_index}]",
                        f"{dns_name} is outside the domain {config.domain}",
                        f"use a name under {config.domain}",
                    )
        seen_ports: dict[tuple[int, str | None], str] = {}
        for l_index, listener in enumerate(gateway.listeners):
            yield from _listener(config, gateway, listener, f"{at}.listeners[{l_index}]")
            key = (listener.port, listener.hostname)
            if key in seen_ports and listener.protocol not in ("HTTPS", "TLS", "HTTP"):
                yield Issue(
                    f"{at}.listeners[{l_index}].port",
                    f"port {listener.port} is already used by {seen_ports[key]}",
                    "use another port",
                )
            seen_ports.setdefault(key, listener.name)


def _listener(config: StackConfig, gateway: Gateway, listener: Listener, at: str) -> Iterator[Issue]:
    certificates = {certificate.name for certificate in gateway.certificates}
    tls = LISTENER_TLS[listener.protocol]
    if listener.hostname is not None:
        if listener.protocol in ("TCP", "UDP"):
            yield Issue(f"{at}.hostname", f"{listener.protocol} listeners carry no hostname", "remove it")
        elif not in_domain(listener.hostname, config.domain):
            yield Issue(
                f"{at}.hostname",
                f"{listener.hostname} is outside the domain {config.domain}",
                f"use a name under {config.domain}",
            )
    needs_certificate = tls == "certificate" or (tls == "mode" and listener.tls_mode == "Terminate")
    if needs_certificate and listener.certificate is None and listener.certificate_arn is None:
        yield Issue(
            f"{at}.certificate",
            f"a {listener.protocol} listener that terminates TLS needs a certificate",
            f"name one of {at.rsplit('.', 1)[0]}.certificates",
        )
    if listener.certificate is not None:
        if not needs_certificate:
            yield Issue(
                f"{at}.certificate",
                f"a {listener.protocol} listener{' in Passthrough mode' if tls == 'mode' else ''} takes no certificate",
                "remove it",
            )
        elif listener.certificate not in certificates:
            yield Issue(
                f"{at}.certificate",
                f"{listener.certificate} is not a certificate of gateway {gateway.name}",
                f"add it to certificates or use one of {', '.join(sorted(certificates)) or '(none defined)'}",
            )
    if tls == "mode" and listener.tls_mode is None:
        yield Issue(f"{at}.tlsMode", "a TLS listener needs a mode", "set tlsMode: Passthrough or Terminate")
    if tls != "mode" and listener.tls_mode is not None:
        yield Issue(f"{at}.tlsMode", f"only TLS listeners take a mode, not {listener.protocol}", "remove it")


def _routes(config: StackConfig) -> Iterator[Issue]:
    gateways = {gateway.name: gateway for gateway in config.gateways}
    for key in _duplicates(f"{route.kind} {route.namespace}/{route.name}" for route in config.routes):
        yield Issue("routes", f"{key} is defined twice", "give each route its own name")
    for r_index, route in enumerate(config.routes):
        at = f"routes[{r_index}]"
        gateway = gateways.get(route.gateway)
        if gateway is None:
            yield Issue(
                f"{at}.gateway",
                f"{route.gateway} is not a configured gateway",
                f"use one of {', '.join(sorted(gateways)) or '(none defined)'}",
            )
            continue
        listeners = attached_listeners(route, gateway)
        if route.listener is not None and route.listener not in {listener.name for listener in gateway.listeners}:
            yield Issue(
                f"{at}.listener",
                f"gateway {gateway.name} has no listener {route.listener}",
                f"use one of {', '.join(listener.name for listener in gateway.listeners)}",
            )
            continue
        if not listeners:
            wanted = " or ".join(ROUTE_PROTOCOLS[route.kind])
            reason = " (HTTP listeners only redirect to HTTPS)" if route.kind == "HTTPRoute" else ""
            yield Issue(
                f"{at}.listener",
                f"a {route.kind} attaches to {wanted} listeners{reason}",
                f"attach it to a {wanted} listener of gateway {gateway.name}",
            )
            continue
        if not any(_admits(config, gateway, listener, route.namespace) for listener in listeners):
            yield Issue(
                f"{at}.namespace",
                f"namespace {route.namespace} may not attach routes to gateway {gateway.name}",
                f"add {gateway.name} to namespaces.{route.namespace}.gateways",
            )
        yield from _route_hostnames(config, route, listeners, at)
        if isinstance(route, HttpRoute):
            for rule_index, rule in enumerate(route.rules):
                if rule.rewrite_prefix is not None and any(m.path_type != "PathPrefix" for m in rule.matches):
                    yield Issue(
                        f"{at}.rules[{rule_index}].rewritePrefix",
                        "a prefix rewrite needs PathPrefix matches",
                        "use pathType: PathPrefix or drop the rewrite",
                    )


def _admits(config: StackConfig, gateway: Gateway, listener: Listener, namespace: str) -> bool:
    return namespace in allowed_namespaces(config, gateway, listener) or listener.allowed_routes.all


def allowed_namespaces(config: StackConfig, gateway: Gateway, listener: Listener) -> list[str]:
    """The namespace whitelist of one listener: its owner's (the gateway's namespace, or every namespace of the
    tenant owning that), the tenants attached to it, the namespaces granted it, and extras."""
    if listener.protocol == "HTTP":
        return [gateway.namespace]
    owner = namespace_owners(config.tenants).get(gateway.namespace)
    owned = config.tenants[owner].namespaces if owner else []
    attached = [ns for tenant in config.tenants.values() if tenant.gateway == gateway.name for ns in tenant.namespaces]
    granted = [name for name, settings in config.namespaces.items() if gateway.name in settings.gateways]
    return sorted({gateway.namespace, *owned, *attached, *granted, *listener.allowed_routes.namespaces})


def _route_hostnames(config: StackConfig, route: Route, listeners: list[Listener], at: str) -> Iterator[Issue]:
    for path, hostname in route_hostnames(route):
        if not in_domain(hostname, config.domain):
            yield Issue(
                f"{at}.{path}", f"{hostname} is outside the domain {config.domain}", f"use a name under {config.domain}"
            )
        elif not isinstance(route, TcpRoute | UdpRoute) and not any(
            hostnames_intersect(listener.hostname, hostname) for listener in listeners
        ):
            yield Issue(
                f"{at}.{path}",
                f"{hostname} matches no listener hostname of gateway "
                f"({', '.join(str(listener.hostname) for listener in listeners)})",
                "use a hostname the listener serves",
            )


def _namespaces(config: StackConfig) -> Iterator[Issue]:
    gateways = {gateway.name for gateway in config.gateways}
    for name, settings in config.namespaces.items():
        for index, gateway in enumerate(settings.gateways):
            if gateway not in gateways:
                yield Issue(
                    f"namespaces.{name}.gateways[{index}]",
                    f"{gateway} is not a configured gateway",
                    f"use one of {', '.join(sorted(gateways)) or '(none defined)'}",
                )


# Listener protocols that carry a hostname; a tenant's gateway must set one under the tenant's suffix.
HOSTNAME_PROTOCOLS = ("HTTP", "HTTPS", "TLS")


def _tenants(config: StackConfig) -> Iterator[Issue]:
    """Tenants may not overlap, and nothing of a tenant may reach outside its namespaces and suffix."""
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
    for g_index, gateway in enumerate(config.gateways):
        owner = owners.get(gateway.namespace)
        if owner is not None:
            yield from _tenant_gateway(config, owners, owner, gateway, f"gateways[{g_index}]")
            continue
        for l_index, listener in enumerate(gateway.listeners):
            if listener.allowed_routes.all and listener.protocol != "HTTP":
                yield Issue(
                    f"gateways[{g_index}].listeners[{l_index}].allowedRoutes.all",
                    "admits routes from every namespace, other tenants' included",
                    "list the namespaces instead",
                )
    yield from _tenant_routes(config, owners)
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


def _tenant_ownership(config: StackConfig, owners: dict[str, str]) -> Iterator[Issue]:
    platform = {workload.namespace for workload in WORKLOADS.values()} | {CONTROLLERS[config.controller.name].namespace}
    gateways = {gateway.name: gateway for gateway in config.gateways}
    for name, tenant in config.tenants.items():
        at = f"tenants.{name}"
        for index, namespace in enumerate(tenant.namespaces):
            if owners[namespace] != name:
                yield Issue(
                    f"{at}.namespaces[{index}]",
                    f"{namespace} is owned by tenant {owners[namespace]} already",
                    "give each namespace one tenant",
                )
            if namespace in platform:
                yield Issue(
                    f"{at}.namespaces[{index}]", f"{namespace} is a platform namespace", "use one of the tenant's own"
                )
            settings = config.namespaces.get(namespace)
            if settings is not None and not settings.create:
                yield Issue(
                    f"namespaces.{namespace}.create",
                    f"tenant {name}'s namespaces are created and labelled here",
                    "remove `create: false` (adopt an existing namespace with `pulumi import`)",
                )
        suffix = tenant.hostname_suffix
        if not in_domain(suffix, config.domain):
            yield Issue(
                f"{at}.hostnameSuffix",
                f"{suffix} is outside the domain {config.domain}",
                f"use a name under {config.domain}",
            )
        if len(suffix) > 63:
            yield Issue(
                f"{at}.hostnameSuffix",
                "is longer than 63 characters, the limit of the label that carries it",
                "use a shorter suffix",
            )
        for other, other_tenant in config.tenants.items():
            if other != name and in_domain(suffix, other_tenant.hostname_suffix):
                yield Issue(
                    f"{at}.hostnameSuffix",
                    f"{suffix} lies inside tenant {other}'s suffix {other_tenant.hostname_suffix}",
                    "give each tenant a suffix outside the others'",
                )
        owns_gateway = any(owners.get(gateway.namespace) == name for gateway in config.gateways)
        if tenant.gateway is None and not owns_gateway:
            yield Issue(
                f"{at}.gateway",
                "the tenant has no gateway",
                "name a shared gateway here, or add a gateway in one of the tenant's namespaces",
            )
        target = gateways.get(tenant.gateway) if tenant.gateway else None
        if tenant.gateway is not None and target is None:
            yield Issue(
                f"{at}.gateway",
                f"{tenant.gateway} is not a configured gateway",
                f"use one of {', '.join(sorted(gateways)) or '(none defined)'}",
            )
        elif target is not None and owners.get(target.namespace) not in (None, name):
            yield Issue(
                f"{at}.gateway",
                f"{tenant.gateway} is tenant {owners[target.namespace]}'s gateway",
                "attach to a shared gateway or add one in the tenant's namespaces",
            )


def _tenant_gateway(
    config: StackConfig, owners: dict[str, str], owner: str, gateway: Gateway, at: str
) -> Iterator[Issue]:
    """A tenant's own gateway: hostnames under its suffix, its own namespaces only, certificates from its Issuers."""
    tenant = config.tenants[owner]
    suffix = tenant.hostname_suffix
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
    neighbours = [other for other in config.gateways if other.namespace == gateway.namespace and other is not gateway]
    if gateway.certificates and any(other.certificates for other in neighbours):
        yield Issue(
            f"{at}.namespace",
            f"another gateway with certificates lives in {gateway.namespace}, and a "
            "tenant's issuers are one set per namespace",
            "give each such gateway its own tenant namespace",
        )
    acme = [index for index, item in enumerate(gateway.certificates) if ISSUER_SOURCE[item.issuer] == "issuers.acme"]
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
