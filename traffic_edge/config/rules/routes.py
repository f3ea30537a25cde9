"""Routes attach to a listener of their gateway that admits their namespace, with hostnames it serves.

Every check here is linear in the routes: the listeners' whitelists are worked out once (queries.admissions).
"""

from __future__ import annotations

from collections.abc import Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import Gateway, Listener, StackConfig
from traffic_edge.config.queries import (
    UNCHECKED_HOSTNAME_PROTOCOLS,
    Admission,
    Selected,
    admissions,
    admits,
    attached_listeners,
    hostnames_intersect,
    in_domain,
    known_labels,
    managed_namespaces,
    namespace_owners,
    redirects_to_https,
    route_hostnames,
)
from traffic_edge.config.routes import HttpRoute, Route, TcpRoute, UdpRoute
from traffic_edge.data.route_kinds import ROUTE_KINDS

Admissions = dict[tuple[str, str], Admission]


def check(config: StackConfig) -> Iterator[Issue]:
    gateways = {gateway.name: (index, gateway) for index, gateway in enumerate(config.gateways)}
    admitted = admissions(config)
    owners = namespace_owners(config.tenants)
    managed = managed_namespaces(config)
    yield from _same_names(config)
    for r_index, route in enumerate(config.routes):
        at = f"routes[{r_index}]"
        if route.gateway not in gateways:
            yield Issue(
                f"{at}.gateway",
                f"{route.gateway} is not a configured gateway",
                f"use one of {', '.join(sorted(gateways)) or '(none defined)'}",
            )
            continue
        g_index, gateway = gateways[route.gateway]
        listeners = attached_listeners(route, gateway)
        if route.listener is not None and route.listener not in {listener.name for listener in gateway.listeners}:
            yield Issue(
                f"{at}.listener",
                f"gateway {gateway.name} has no listener {route.listener}",
                f"use one of {', '.join(listener.name for listener in gateway.listeners)}",
            )
            continue
        if not listeners:
            yield _no_listener(route, gateway, g_index, at)
            continue
        labels = known_labels(managed, route.namespace)
        if not any(admits(admitted[(gateway.name, listener.name)], route.namespace, labels) for listener in listeners):
            yield _not_admitted(owners, route, gateway, g_index, [(item, admitted[(gateway.name, item.name)])
                                                                  for item in listeners], at)
        yield from _route_hostnames(config, route, listeners, at)
        if isinstance(route, HttpRoute):
            yield from _rewrites(route, at)


def _same_names(config: StackConfig) -> Iterator[Issue]:
    """Two routes of one namespace and name: twice the same object, or two kinds the program cannot tell apart
    (it names a route's resources by namespace and name)."""
    first: dict[tuple[str, str], tuple[int, Route]] = {}
    for index, route in enumerate(config.routes):
        key = (route.namespace, route.name)
        if key not in first:
            first[key] = (index, route)
            continue
        other_index, other = first[key]
        if other.kind == route.kind:
            yield Issue("routes", f"{route.kind} {route.namespace}/{route.name} is defined twice",
                        "give each route its own name")
        else:
            yield Issue(f"routes[{index}].name", f"{route.kind} {route.namespace}/{route.name} has the namespace and "
                        f"name of routes[{other_index}] ({other.kind})", "give each route of a namespace its own name")


def _no_listener(route: Route, gateway: Gateway, g_index: int, at: str) -> Issue:
    """No listener takes the route: the one it names only redirects to HTTPS, or none serves its kind."""
    protocols = ROUTE_KINDS[route.kind].protocols
    named = next((item for item in gateway.listeners if item.name == route.listener), None)
    if named is not None and named.protocol in protocols and redirects_to_https(gateway, named):
        carrying = [item.name for item in gateway.listeners if item.protocol in protocols
                    and not redirects_to_https(gateway, item)]
        instead = f"attach it to {' or '.join(carrying)}, or " if carrying else ""
        return Issue(
            f"{at}.listener",
            f"listener {named.name} of gateway {gateway.name} only redirects to HTTPS",
            f"{instead}set gateways[{g_index}].listeners[{gateway.listeners.index(named)}].httpMode: routes to serve "
            "the route there in clear text",
        )
    wanted = " or ".join(protocols)
    return Issue(f"{at}.listener", f"a {route.kind} attaches to {wanted} listeners",
                 f"attach it to a {wanted} listener of gateway {gateway.name}")


def _not_admitted(
    owners: dict[str, str], route: Route, gateway: Gateway, g_index: int, listeners: list[tuple[Listener, Admission]],
    at: str,
) -> Issue:
    """Why the route's namespace may not attach: a tenant on a shared TCP/UDP listener needs naming there, a namespace
    created here lacks the labels a listener selects."""
    tenant = owners.get(route.namespace)
    if tenant is not None and owners.get(gateway.namespace) is None:
        unchecked = [listener for listener, _ in listeners if listener.protocol in UNCHECKED_HOSTNAME_PROTOCOLS]
        if unchecked:
            listener = unchecked[0]
            l_index = gateway.listeners.index(listener)
            return Issue(
                f"{at}.namespace",
                f"{route.namespace} is tenant {tenant}'s namespace, and the {listener.protocol} listener "
                f"{listener.name} of the shared gateway {gateway.name} checks no hostname: a tenant is admitted there "
                "only by name",
                f"list {route.namespace} in gateways[{g_index}].listeners[{l_index}].allowedRoutes.namespaces",
            )
    selecting = [(listener, admission) for listener, admission in listeners if isinstance(admission, Selected)]
    if selecting:
        listener, selector = selecting[0]
        wanted = ", ".join(f"{key}={value}" for key, value in sorted(selector.labels.items()))
        if tenant is not None and tenant in selector.not_tenants:
            return Issue(f"{at}.namespace", f"{route.namespace} is tenant {tenant}'s namespace, and listener "
                         f"{listener.name} of gateway {gateway.name} admits no tenant it was not given",
                         f"give it the gateway: add {gateway.name} to namespaces.{route.namespace}.gateways")
        return Issue(f"{at}.namespace", f"namespace {route.namespace} lacks the labels listener {listener.name} of "
                     f"gateway {gateway.name} selects ({wanted})", f"add them to namespaces.{route.namespace}.labels")
    return Issue(
        f"{at}.namespace",
        f"namespace {route.namespace} may not attach routes to gateway {gateway.name}",
        f"add {gateway.name} to namespaces.{route.namespace}.gateways",
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


def _rewrites(route: HttpRoute, at: str) -> Iterator[Issue]:
    """A prefix rewrite replaces the one prefix it matched: HTTPRoute's CEL rule wants exactly one PathPrefix match
    (no matches stand for the default `/` prefix)."""
    for rule_index, rule in enumerate(route.rules):
        if rule.rewrite_prefix is None:
            continue
        if any(match.path_type != "PathPrefix" for match in rule.matches):
            yield Issue(
                f"{at}.rules[{rule_index}].rewritePrefix",
                "a prefix rewrite needs PathPrefix matches",
                "use pathType: PathPrefix or drop the rewrite",
            )
        elif len(rule.matches) > 1:
            yield Issue(
                f"{at}.rules[{rule_index}].rewritePrefix",
                f"a prefix rewrite replaces one matched prefix, and this rule has {len(rule.matches)} matches",
                "split the rule: one rule per path prefix, each with its rewrite",
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
