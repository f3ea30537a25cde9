"""What renders is what was written: no rule that silently drops traffic, no two routes claiming one request, and a
certificate for every name a TLS listener serves.

- A rule whose backends all weigh 0 answers every request with an error (HTTPBackendRef `weight`: "If all entries
  in BackendRefs have a zero weight ... MUST return 500").
- Two routes (or two matches of one) with the same listener, hostname and match are both accepted by the API server,
  and only the oldest is served (HTTPRoute spec.rules, "Proposed Precedence"); an HTTPRoute and a GRPCRoute whose
  hostnames meet on one listener: exactly one is accepted (GRPCRoute spec.hostnames). A TCP or UDP listener has no
  hostname or match to tell two routes apart.
- A TLS-terminating listener presents its certificate for every name it serves: a name the certificate lacks fails
  every handshake. (A name no ACME solver can prove: traffic_edge.config.rules.issuers.)

Each check is one pass: claims go in dicts keyed by what they claim; wildcards are found by looking up parents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import Gateway, Listener, StackConfig
from traffic_edge.config.queries import (
    attached_listeners,
    hostnames_intersect,
    rules_of,
)
from traffic_edge.config.routes import GrpcRoute, HeaderMatch, HttpRoute, Route, TcpRoute, UdpRoute

Served = tuple[str | None, str]  # (hostname served on a listener, None for any; key path of the route's name for it)


def check(config: StackConfig) -> Iterator[Issue]:
    gateways = {gateway.name: (index, gateway) for index, gateway in enumerate(config.gateways)}
    yield from _weights(config)
    yield from _claims(config, gateways)
    yield from _certificates(config, gateways)


def _weights(config: StackConfig) -> Iterator[Issue]:
    for index, route in enumerate(config.routes):
        for r_index, rule in enumerate(rules_of(route)):
            if all(backend.weight == 0 for backend in rule.backends):
                yield Issue(f"routes[{index}].rules[{r_index}].backends", "every backend has weight 0, so no request "
                            "reaches any: the rule answers each with an error",
                            "give a backend a weight above 0, or remove the rule")


def narrower(listener: str | None, route: str) -> str:
    """The names a route hostname serves on a listener whose hostname it meets: the more specific of the two."""
    if listener is None or not route.startswith("*."):
        return route
    if not listener.startswith("*."):
        return listener
    return route if len(route) >= len(listener) else listener


def served(route: Route, listener: Listener, at: str) -> list[Served]:
    """Each hostname the route serves on the listener, with the key path that names it."""
    if isinstance(route, TcpRoute | UdpRoute) or not route.hostnames:
        return [(None if isinstance(route, TcpRoute | UdpRoute) else listener.hostname, f"{at}.hostnames")]
    return [(narrower(listener.hostname, hostname), f"{at}.hostnames[{index}]")
            for index, hostname in enumerate(route.hostnames) if hostnames_intersect(listener.hostname, hostname)]


def matches(route: Route, at: str) -> list[tuple[tuple[object, ...], str]]:
    """What each match of the route asks of a request, with its key path; a rule without matches matches all."""
    found: list[tuple[tuple[object, ...], str]] = []
    if isinstance(route, HttpRoute):
        for r_index, http in enumerate(route.rules):
            found += [(("HTTP", m.path_type, m.path, m.method, _headers(m.headers)),
                       f"{at}.rules[{r_index}].matches[{m_index}]") for m_index, m in enumerate(http.matches)]
            found += [] if http.matches else [(("HTTP", "PathPrefix", "/", None, ()), f"{at}.rules[{r_index}]")]
    elif isinstance(route, GrpcRoute):
        for r_index, grpc in enumerate(route.rules):
            found += [(("gRPC", g.service, g.method, _headers(g.headers)), f"{at}.rules[{r_index}].matches[{m_index}]")
                      for m_index, g in enumerate(grpc.matches)]
            found += [] if grpc.matches else [(("gRPC", None, None, ()), f"{at}.rules[{r_index}]")]
    else:
        found.append(((route.kind,), at))
    return found


def _headers(headers: Sequence[HeaderMatch]) -> tuple[tuple[str, str, str], ...]:
    return tuple(sorted((header.name.lower(), header.type, header.value) for header in headers))


def _claims(config: StackConfig, gateways: dict[str, tuple[int, Gateway]]) -> Iterator[Issue]:
    claims: dict[tuple[str, str, str, tuple[object, ...]], str] = {}
    reported: set[tuple[str, str]] = set()
    kinds: dict[tuple[str, str], dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for index, route in enumerate(config.routes):
        at = f"routes[{index}]"
        if route.gateway not in gateways:
            continue
        gateway = gateways[route.gateway][1]
        for listener in attached_listeners(route, gateway):
            where = f"listener {listener.name} of gateway {gateway.name}"
            for hostname, _path in served(route, listener, at):
                for match, match_at in matches(route, at):
                    first = claims.setdefault((gateway.name, listener.name, hostname or "", match), match_at)
                    if first != match_at and (match_at, first) not in reported:
                        reported.add((match_at, first))
                        yield Issue(match_at, f"asks for what {first} asks for, on {where}"
                                    f"{f' for {hostname}' if hostname else ''}: only the older route would be served",
                                    "merge the two, or tell them apart by hostname, path, method or header")
            if isinstance(route, HttpRoute | GrpcRoute):
                for hostname, path in served(route, listener, at):
                    kinds[(gateway.name, listener.name)][route.kind].setdefault(hostname or "", path)
    for (gateway_name, listener_name), by_kind in kinds.items():
        yield from _http_beside_grpc(by_kind["HTTPRoute"], by_kind["GRPCRoute"], gateway_name, listener_name)


def _wildcards_over(hostname: str) -> list[str]:
    """`*.b.x`, `*.x` for `a.b.x` or `*.b.x`: the wildcards that take in every name `hostname` does."""
    labels = hostname.removeprefix("*.").split(".")
    return [f"*.{'.'.join(labels[index:])}" for index in range(1, len(labels))]


def _http_beside_grpc(http: dict[str, str], grpc: dict[str, str], gateway: str, listener: str) -> Iterator[Issue]:
    """An HTTPRoute and a GRPCRoute whose hostnames meet on one listener: exactly one of them is accepted. A pair
    is reported once, at the route whose name the other's takes in ("" stands for every name)."""
    pairs: list[tuple[str, str, str]] = []  # (path reported at, hostname, the other route's path)
    for hostname, path in grpc.items():
        met = next(iter(http), None) if not hostname else next(
            (name for name in (hostname, *_wildcards_over(hostname), "") if name in http), None)
        if met is not None:
            pairs.append((path, hostname, http[met]))
    for hostname, path in http.items():
        met = next((name for name in _wildcards_over(hostname) if name in grpc), None) if hostname else None
        if met is not None:
            pairs.append((path, hostname, grpc[met]))
    for path, hostname, other in pairs:
        yield Issue(path, f"{hostname or 'every name'} meets the hostnames of {other} on listener {listener} of "
                    f"gateway {gateway}, and of an HTTPRoute and a GRPCRoute meeting there only one is accepted",
                    "give the gRPC service a hostname of its own")


def _certificates(config: StackConfig, gateways: dict[str, tuple[int, Gateway]]) -> Iterator[Issue]:
    """Every name a TLS-terminating listener serves is one its certificate covers."""
    certificates = _listener_certificates(config)
    for g_index, gateway in enumerate(config.gateways):
        for l_index, listener in enumerate(gateway.listeners):
            hostname = listener.hostname
            found = certificates.get((gateway.name, listener.name))
            if found and hostname and not hostname.startswith("*.") and not _covered(found[1], hostname):
                yield _uncovered(gateway, g_index, listener, found[0], hostname,
                                 f"gateways[{g_index}].listeners[{l_index}].hostname")
    for index, route in enumerate(config.routes):
        if route.gateway not in gateways:
            continue
        g_index, gateway = gateways[route.gateway]
        for listener in attached_listeners(route, gateway):
            found = certificates.get((gateway.name, listener.name))
            if found is None:
                continue
            for name, path in served(route, listener, f"routes[{index}]"):
                if name is None or (name == listener.hostname and not name.startswith("*.")):
                    continue  # any name, or the listener's own: judged with the listener above
                if not _covered(found[1], name) and not _taken_by_another(gateway, listener, name):
                    yield _uncovered(gateway, g_index, listener, found[0], name, path)


def _listener_certificates(config: StackConfig) -> dict[tuple[str, str], tuple[int, frozenset[str]]]:
    """(gateway, listener) → the index and names of the listener's certificate, where it has one of this stack."""
    found = {}
    for gateway in config.gateways:
        index = {certificate.name: c_index for c_index, certificate in enumerate(gateway.certificates)}
        for listener in gateway.listeners:
            if listener.certificate in index:
                c_index = index[listener.certificate]
                found[(gateway.name, listener.name)] = (c_index, frozenset(gateway.certificates[c_index].dns_names))
    return found


def _specificity(hostname: str | None) -> float:
    """Listener precedence (Gateway spec.listeners): an exact name, then longer wildcards, then no hostname."""
    if hostname is None:
        return 0
    return hostname.count(".") + 1 if hostname.startswith("*.") else float("inf")


def _taken_by_another(gateway: Gateway, listener: Listener, name: str) -> bool:
    """Whether every request for `name` goes to a more specific listener on the same port, which then presents its
    own certificate: this listener never sees it."""
    return any(
        other is not listener and other.port == listener.port and other.hostname is not None
        and _specificity(other.hostname) > _specificity(listener.hostname)
        and (name == other.hostname or (other.hostname.startswith("*.") and name.removeprefix("*.").endswith(
            other.hostname[1:])))
        for other in gateway.listeners
    )


def _covered(names: frozenset[str], hostname: str) -> bool:
    """A certificate names `hostname`, or a wildcard one label above it."""
    return hostname in names or (not hostname.startswith("*.") and f"*.{hostname.partition('.')[2]}" in names)


def _uncovered(gateway: Gateway, g_index: int, listener: Listener, index: int, hostname: str, at: str) -> Issue:
    certificate = gateway.certificates[index]
    return Issue(at, f"{hostname} is served by listener {listener.name} of gateway {gateway.name}, whose certificate "
                 f"{certificate.name} does not cover it (it names {_some(certificate.dns_names)}): every TLS "
                 "handshake for it would fail",
                 f"add {hostname} to gateways[{g_index}].certificates[{index}].dnsNames")


def _some(names: Sequence[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")

