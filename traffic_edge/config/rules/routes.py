"""Routes attach to a listener of their gateway that admits their namespace, with hostnames it serves."""

from __future__ import annotations

from collections.abc import Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import HttpRoute, Listener, Route, StackConfig, TcpRoute, UdpRoute
from traffic_edge.config.queries import admits, attached_listeners, hostnames_intersect, in_domain, route_hostnames
from traffic_edge.config.rules.gateways import duplicates
from traffic_edge.data.route_kinds import ROUTE_KINDS


def check(config: StackConfig) -> Iterator[Issue]:
    gateways = {gateway.name: gateway for gateway in config.gateways}
    for key in duplicates(f"{route.kind} {route.namespace}/{route.name}" for route in config.routes):
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
            wanted = " or ".join(ROUTE_KINDS[route.kind].protocols)
            reason = " (HTTP listeners only redirect to HTTPS)" if route.kind == "HTTPRoute" else ""
            yield Issue(
                f"{at}.listener",
                f"a {route.kind} attaches to {wanted} listeners{reason}",
                f"attach it to a {wanted} listener of gateway {gateway.name}",
            )
            continue
        if not any(admits(config, gateway, listener, route.namespace) for listener in listeners):
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


def namespaces(config: StackConfig) -> Iterator[Issue]:
    gateways = {gateway.name for gateway in config.gateways}
    for name, settings in config.namespaces.items():
        for index, gateway in enumerate(settings.gateways):
            if gateway not in gateways:
                yield Issue(
                    f"namespaces.{name}.gateways[{index}]",
                    f"{gateway} is not a configured gateway",
                    f"use one of {', '.join(sorted(gateways)) or '(none defined)'}",
                )
