"""What the API server would refuse, refused before anything is created: list limits, path syntax, header and gRPC
names, Service names, IP addresses where names belong and certificate durations.

The limits and shapes are the CRDs' (traffic_edge.data.api_limits, per Gateway API release); a duration is judged
as cert-manager's webhook judges it. Every check is one pass over the config.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.queries import attached_listeners, route_hostnames, rules_of
from traffic_edge.config.routes import GrpcMatch, GrpcRule, HeaderMatch, HttpMatch, HttpRule, Route, TcpRoute, UdpRoute
from traffic_edge.data import api_limits
from traffic_edge.data.api_limits import ListLimit

# cert-manager @ v1.21.1 : internal/apis/certmanager/validation/certificate.go (L362) refuses a duration under
# MinimumCertificateDuration (pkg/apis/certmanager/v1/const.go L23: one hour); Go's time.ParseDuration refuses more
# than 2562047h (the int64 nanoseconds it holds).
DURATION_HOURS = (1, 2_562_047)
# A Service's name is a DNS-1035 label (kubernetes/kubernetes pkg/apis/core/validation: ValidateServiceName).
SERVICE_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
# The CRD's RE2 patterns; Python takes the case-insensitive flag only at the very start.
GRPC_NAMES = {
    "service": re.compile("(?i)" + api_limits.GRPC_SERVICE.replace("(?i)", "", 1)),
    "method": re.compile(api_limits.GRPC_METHOD),
}

Limits = dict[tuple[str, str], ListLimit]


def check(config: StackConfig) -> Iterator[Issue]:
    limits = api_limits.LIST_LIMITS[config.versions.gateway_api]
    gateways = {gateway.name: gateway for gateway in config.gateways}
    for index, route in enumerate(config.routes):
        at = f"routes[{index}]"
        gateway = gateways.get(route.gateway)
        parents = len(attached_listeners(route, gateway)) if gateway else 0
        yield from _over(limits, route.kind, "spec.parentRefs", parents, f"{at}.listener",
                         "name the listener it serves, so it attaches to one")
        if not isinstance(route, TcpRoute | UdpRoute):
            yield from _over(limits, route.kind, "spec.hostnames", len(route.hostnames), f"{at}.hostnames",
                             "split the route in two")
        yield from _rules(limits, route, at)
    yield from _addresses(config)
    ca = config.issuers.internal_ca
    if ca is not None and not DURATION_HOURS[0] <= int(ca.duration[:-1]) <= DURATION_HOURS[1]:
        yield Issue("issuers.internalCa.duration", f"{ca.duration} is outside what cert-manager takes "
                    f"({DURATION_HOURS[0]}h to {DURATION_HOURS[1]}h)", "use e.g. 87600h (ten years)")


def _over(limits: Limits, kind: str, path: str, count: int, at: str, fix: str) -> Iterator[Issue]:
    limit = limits.get((kind, path))
    if limit is not None and count > limit.max_items:
        yield Issue(at, f"{count} items, and a {kind} takes at most {limit.max_items} in {path}", fix)


def _rules(limits: Limits, route: Route, at: str) -> Iterator[Issue]:
    matches_total = 0
    for r_index, rule in enumerate(rules_of(route)):
        path = f"{at}.rules[{r_index}]"
        yield from _over(limits, route.kind, "spec.rules[].backendRefs", len(rule.backends), f"{path}.backends",
                         "split the rule")
        for b_index, backend in enumerate(rule.backends):
            if not SERVICE_NAME.match(backend.service):
                yield Issue(f"{path}.backends[{b_index}].service", f"{backend.service} cannot name a Service: "
                            "Service names start with a letter (a DNS-1035 label)", "use the Service's name")
        if isinstance(rule, HttpRule | GrpcRule):
            matches: Sequence[HttpMatch | GrpcMatch] = rule.matches
            matches_total += len(matches) or 1  # none: the API server fills in one
            yield from _over(limits, route.kind, "spec.rules[].matches", len(matches), f"{path}.matches",
                             "split the rule")
            for m_index, match in enumerate(matches):
                yield from _match(limits, route.kind, match, f"{path}.matches[{m_index}]")
        if isinstance(rule, HttpRule) and rule.rewrite_prefix and len(rule.rewrite_prefix) > api_limits.REWRITE_MAX:
            yield Issue(f"{path}.rewritePrefix", f"is longer than {api_limits.REWRITE_MAX} characters")
    if matches_total > api_limits.MATCHES_PER_ROUTE:
        yield Issue(f"{at}.rules", f"{matches_total} matches in all, and a {route.kind} takes at most "
                    f"{api_limits.MATCHES_PER_ROUTE}", "split the route in two")


def _match(limits: Limits, kind: str, match: HttpMatch | GrpcMatch, at: str) -> Iterator[Issue]:
    yield from _over(limits, kind, "spec.rules[].matches[].headers", len(match.headers), f"{at}.headers",
                     "match on fewer headers")
    yield from _headers(match.headers, at)
    if isinstance(match, HttpMatch):
        yield from _path(match, f"{at}.path")
        return
    for key, value in (("service", match.service), ("method", match.method)):
        pattern = GRPC_NAMES[key]
        if value is not None and (len(value) > api_limits.GRPC_NAME_MAX or not pattern.match(value)):
            yield Issue(f"{at}.{key}", f"{value!r} is not a gRPC {key} name (it must match {pattern.pattern})",
                        "e.g. service: payments.v1.Payments, method: Charge")


def _headers(headers: Sequence[HeaderMatch], at: str) -> Iterator[Issue]:
    """Header names compare without case: of two equal ones, only the first would ever be matched."""
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        first = seen.setdefault(header.name.lower(), index)
        if first != index:
            yield Issue(f"{at}.headers[{index}].name", f"{header.name} is matched already by headers[{first}]",
                        "match each header once (a RegularExpression can take several values)")
        if len(header.name) > api_limits.HEADER_NAME_MAX:
            yield Issue(f"{at}.headers[{index}].name", f"is longer than {api_limits.HEADER_NAME_MAX} characters")
        if not 1 <= len(header.value) <= api_limits.HEADER_VALUE_MAX:
            yield Issue(f"{at}.headers[{index}].value", f"must be 1 to {api_limits.HEADER_VALUE_MAX} characters",
                        "match the header's value; to match its presence, use type: RegularExpression, value: '.*'")


def _path(match: HttpMatch, at: str) -> Iterator[Issue]:
    """HTTPPathMatch's x-kubernetes-validations for Exact and PathPrefix, and its length."""
    path = match.path
    if len(path) > api_limits.PATH_MAX:
        yield Issue(at, f"is longer than {api_limits.PATH_MAX} characters")
    if match.path_type == "RegularExpression":
        return
    wrong = [part for part in api_limits.PATH_FORBIDDEN if part in path]
    wrong += [ending for ending in api_limits.PATH_FORBIDDEN_ENDINGS if path.endswith(ending)]
    if wrong:
        yield Issue(at, f"{path} holds {wrong[0]!r}, which a {match.path_type} path may not",
                    "write the path as the backend sees it, without empty, `.` or `..` segments and unencoded")
    elif not re.match(api_limits.PATH_CHARACTERS, path):
        yield Issue(at, f"{path} holds characters a URL path does not (spaces, `?`, non-ASCII)",
                    "percent-encode them (e.g. %20), or match the query elsewhere")


def _addresses(config: StackConfig) -> Iterator[Issue]:
    """Hostnames that are IP addresses: listener, route and certificate names take DNS names only."""
    named: list[tuple[str, str]] = [("domain", config.domain)]
    for g_index, gateway in enumerate(config.gateways):
        named += [(f"gateways[{g_index}].listeners[{index}].hostname", listener.hostname)
                  for index, listener in enumerate(gateway.listeners) if listener.hostname]
        named += [(f"gateways[{g_index}].certificates[{c_index}].dnsNames[{index}]", name)
                  for c_index, certificate in enumerate(gateway.certificates)
                  for index, name in enumerate(certificate.dns_names)]
    named += [(f"routes[{index}].{path}", name) for index, route in enumerate(config.routes)
              for path, name in route_hostnames(route)]
    for at, name in named:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            continue
        yield Issue(at, f"{name} is an IP address, and the Gateway API and certificates take DNS names here",
                    "use a DNS name that resolves to it (e.g. <ip>.nip.io in a lab)")
