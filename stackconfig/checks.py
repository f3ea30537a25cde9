"""Rules that relate several config keys; each issue names its key path and the fix."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from catalog.controllers import CONTROLLERS
from stackconfig.errors import Issue
from stackconfig.model import Gateway, HttpRoute, Listener, StackConfig, TcpRoute, UdpRoute

# Platforms whose provider module is implemented.
AVAILABLE_PLATFORMS = ("onprem",)

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
        *_platform(config),
        *_dns(config),
        *_issuers(config),
        *_gateways(config),
        *_routes(config),
        *_namespaces(config),
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


def _duplicates(values: Iterable[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def _platform(config: StackConfig) -> Iterator[Issue]:
    if config.platform.kind not in AVAILABLE_PLATFORMS:
        yield Issue(
            "platform.kind",
            f"{config.platform.kind} is not available yet",
            f"use one of {', '.join(AVAILABLE_PLATFORMS)}",
        )


def _dns(config: StackConfig) -> Iterator[Issue]:
    if not in_domain(config.domain, config.zone_name) or config.zone_name.startswith("*."):
        yield Issue("dns.zone", f"zone {config.zone_name} does not cover the domain {config.domain}",
                    f"use {config.domain} or a parent of it")
    if config.dns.rfc2136 is not None:
        if config.platform.kind != "onprem":
            yield Issue("dns.rfc2136", f"RFC 2136 is for on-prem DNS, not {config.platform.kind}", "remove it")
        if config.tsig_secret is None:
            yield Issue("tsigSecret", "is required with dns.rfc2136",
                        "pulumi config set --secret tsigSecret <base64 TSIG key>")


def _issuers(config: StackConfig) -> Iterator[Issue]:
    acme = config.issuers.acme
    if acme is not None and acme.solver == "dns01" and config.platform.kind == "onprem" and config.dns.rfc2136 is None:
        yield Issue("issuers.acme.solver", "dns01 on-prem needs an RFC 2136 server",
                    "configure dns.rfc2136 or use solver: http01")
    if acme is not None and acme.solver == "http01":
        name = acme.gateway or (config.gateways[0].name if config.gateways else None)
        gateway = next((g for g in config.gateways if g.name == name), None)
        if gateway is None:
            yield Issue("issuers.acme.gateway", f"http01 needs a gateway to serve challenges; {name or 'none'} is not one",
                        "name one of `gateways`")
        elif not any(listener.protocol == "HTTP" and listener.port == 80 for listener in gateway.listeners):
            yield Issue("issuers.acme.gateway", f"gateway {gateway.name} has no HTTP listener on port 80 for HTTP-01",
                        "add a listener {protocol: HTTP, port: 80} or use solver: dns01")
    for g_index, gateway in enumerate(config.gateways):
        for c_index, certificate in enumerate(gateway.certificates):
            source = ISSUER_SOURCE[certificate.issuer]
            configured = config.issuers.acme if source == "issuers.acme" else config.issuers.internal_ca
            if configured is None:
                yield Issue(f"gateways[{g_index}].certificates[{c_index}].issuer",
                            f"{certificate.issuer} is not configured", f"configure {source}")


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
                    yield Issue(f"{at}.certificates[{c_index}].dnsNames[{d_index}]",
                                f"{dns_name} is outside the domain {config.domain}", f"use a name under {config.domain}")
        seen_ports: dict[tuple[int, str | None], str] = {}
        for l_index, listener in enumerate(gateway.listeners):
            yield from _listener(config, gateway, listener, f"{at}.listeners[{l_index}]")
            key = (listener.port, listener.hostname)
            if key in seen_ports and listener.protocol not in ("HTTPS", "TLS", "HTTP"):
                yield Issue(f"{at}.listeners[{l_index}].port", f"port {listener.port} is already used by {seen_ports[key]}",
                            "use another port")
            seen_ports.setdefault(key, listener.name)


def _listener(config: StackConfig, gateway: Gateway, listener: Listener, at: str) -> Iterator[Issue]:
    certificates = {certificate.name for certificate in gateway.certificates}
    tls = LISTENER_TLS[listener.protocol]
    if listener.hostname is not None:
        if listener.protocol in ("TCP", "UDP"):
            yield Issue(f"{at}.hostname", f"{listener.protocol} listeners carry no hostname", "remove it")
        elif not in_domain(listener.hostname, config.domain):
            yield Issue(f"{at}.hostname", f"{listener.hostname} is outside the domain {config.domain}",
                        f"use a name under {config.domain}")
    needs_certificate = tls == "certificate" or (tls == "mode" and listener.tls_mode == "Terminate")
    if needs_certificate and listener.certificate is None:
        yield Issue(f"{at}.certificate", f"a {listener.protocol} listener that terminates TLS needs a certificate",
                    f"name one of {at.rsplit('.', 1)[0]}.certificates")
    if listener.certificate is not None:
        if not needs_certificate:
            yield Issue(f"{at}.certificate", f"a {listener.protocol} listener{' in Passthrough mode' if tls == 'mode' else ''} "
                        "takes no certificate", "remove it")
        elif listener.certificate not in certificates:
            yield Issue(f"{at}.certificate", f"{listener.certificate} is not a certificate of gateway {gateway.name}",
                        f"add it to certificates or use one of {', '.join(sorted(certificates)) or '(none defined)'}")
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
        if route.kind not in CONTROLLERS[config.controller.name].route_kinds:
            yield Issue(f"{at}.kind", f"controller {config.controller.name} does not serve {route.kind}",
                        "choose a controller that does, or another route kind")
        gateway = gateways.get(route.gateway)
        if gateway is None:
            yield Issue(f"{at}.gateway", f"{route.gateway} is not a configured gateway",
                        f"use one of {', '.join(sorted(gateways)) or '(none defined)'}")
            continue
        listeners = _attached_listeners(route.kind, route.listener, gateway)
        if route.listener is not None and route.listener not in {listener.name for listener in gateway.listeners}:
            yield Issue(f"{at}.listener", f"gateway {gateway.name} has no listener {route.listener}",
                        f"use one of {', '.join(listener.name for listener in gateway.listeners)}")
            continue
        if not listeners:
            wanted = " or ".join(ROUTE_PROTOCOLS[route.kind])
            reason = " (HTTP listeners only redirect to HTTPS)" if route.kind == "HTTPRoute" else ""
            yield Issue(f"{at}.listener", f"a {route.kind} attaches to {wanted} listeners{reason}",
                        f"attach it to a {wanted} listener of gateway {gateway.name}")
            continue
        if not any(_admits(config, gateway, listener, route.namespace) for listener in listeners):
            yield Issue(f"{at}.namespace", f"namespace {route.namespace} may not attach routes to gateway {gateway.name}",
                        f"add {gateway.name} to namespaces.{route.namespace}.gateways")
        yield from _route_hostnames(config, route, listeners, at)
        if isinstance(route, HttpRoute):
            for rule_index, rule in enumerate(route.rules):
                if rule.rewrite_prefix is not None and any(m.path_type != "PathPrefix" for m in rule.matches):
                    yield Issue(f"{at}.rules[{rule_index}].rewritePrefix", "a prefix rewrite needs PathPrefix matches",
                                "use pathType: PathPrefix or drop the rewrite")


def _attached_listeners(kind: str, name: str | None, gateway: Gateway) -> list[Listener]:
    return [
        listener for listener in gateway.listeners
        if listener.protocol in ROUTE_PROTOCOLS[kind] and (name is None or listener.name == name)
    ]


def _admits(config: StackConfig, gateway: Gateway, listener: Listener, namespace: str) -> bool:
    return namespace in allowed_namespaces(config, gateway, listener) or listener.allowed_routes.all


def allowed_namespaces(config: StackConfig, gateway: Gateway, listener: Listener) -> list[str]:
    """The namespace whitelist of one listener: the gateway's own, those granted it, and extras."""
    if listener.protocol == "HTTP":
        return [gateway.namespace]
    granted = [name for name, settings in config.namespaces.items() if gateway.name in settings.gateways]
    return sorted({gateway.namespace, *granted, *listener.allowed_routes.namespaces})


def _route_hostnames(config: StackConfig, route: object, listeners: list[Listener], at: str) -> Iterator[Issue]:
    if isinstance(route, TcpRoute | UdpRoute):
        names = [] if route.hostname is None else [("hostname", route.hostname)]
    else:
        names = [(f"hostnames[{i}]", hostname) for i, hostname in enumerate(getattr(route, "hostnames", []))]
    for path, hostname in names:
        if not in_domain(hostname, config.domain):
            yield Issue(f"{at}.{path}", f"{hostname} is outside the domain {config.domain}",
                        f"use a name under {config.domain}")
        elif not isinstance(route, TcpRoute | UdpRoute) and not any(
            hostnames_intersect(listener.hostname, hostname) for listener in listeners
        ):
            yield Issue(f"{at}.{path}", f"{hostname} matches no listener hostname of gateway "
                        f"({', '.join(str(listener.hostname) for listener in listeners)})",
                        "use a hostname the listener serves")


def _namespaces(config: StackConfig) -> Iterator[Issue]:
    gateways = {gateway.name for gateway in config.gateways}
    for name, settings in config.namespaces.items():
        for index, gateway in enumerate(settings.gateways):
            if gateway not in gateways:
                yield Issue(f"namespaces.{name}.gateways[{index}]", f"{gateway} is not a configured gateway",
                            f"use one of {', '.join(sorted(gateways)) or '(none defined)'}")
