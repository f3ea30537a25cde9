"""Routes of every kind as objects, and exactly the ReferenceGrants their cross-namespace backends need.

Objects are keyed `<namespace>.<route>` (grants `<to namespace>.<from namespace>`): stable when other routes come
and go, and unambiguous because DNS labels contain no dot. A grant for more Services than one ReferenceGrant takes
(16) continues in `<key>.2`, ...: a stack that fits keeps its names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from traffic_edge.config.model import Gateway, StackConfig
from traffic_edge.config.queries import attached_listeners
from traffic_edge.config.routes import (
    Backend,
    GrpcMatch,
    GrpcRoute,
    GrpcRule,
    HeaderMatch,
    HttpRoute,
    HttpRule,
    L4Rule,
    Route,
    TcpRoute,
    TlsRoute,
    UdpRoute,
)
from traffic_edge.data.api_limits import LIST_LIMITS
from traffic_edge.data.versions import EXTERNAL_DNS_ANNOTATION_PREFIX, ROUTE_API_VERSIONS
from traffic_edge.plan.objects import GATEWAY_GROUP, OBJECT_PREFIX, KubeObject, grant_parts, reference_grant_spec

# TCP and UDP carry no hostname, so external-dns reads theirs from this annotation, under the prefix the chart
# sets explicitly (traffic_edge.data.versions.EXTERNAL_DNS_ANNOTATION_PREFIX).
EXTERNAL_DNS_HOSTNAME = f"{EXTERNAL_DNS_ANNOTATION_PREFIX}hostname"


@dataclass(frozen=True)
class RoutesPlan:
    routes: Mapping[str, KubeObject]  # `<namespace>.<route>` → the route
    grants: Mapping[str, KubeObject]  # `<backend namespace>.<route namespace>` → ReferenceGrant


def parent_refs(route: Route, gateway: Gateway) -> list[dict[str, Any]]:
    """One parentRef per listener the route attaches to, always with sectionName.

    Without sectionName a route would also attach to the gateway's HTTP listener whenever it
    lives in the gateway's namespace, and be served in clear text beside the redirect.
    """
    gateway_ref = {"group": GATEWAY_GROUP, "kind": "Gateway", "name": gateway.name, "namespace": gateway.namespace}
    return [{**gateway_ref, "sectionName": listener.name} for listener in attached_listeners(route, gateway)]


def backend_refs(route: Route, backends: Sequence[Backend]) -> list[dict[str, Any]]:
    refs = []
    for backend in backends:
        ref: dict[str, Any] = {"group": "", "kind": "Service", "name": backend.service, "port": backend.port}
        if backend.namespace not in (None, route.namespace):
            ref["namespace"] = backend.namespace
        if len(backends) > 1 or backend.weight != 1:  # as written: the API server defaults a missing weight to 1
            ref["weight"] = backend.weight
        refs.append(ref)
    return refs


def _headers(headers: Sequence[HeaderMatch]) -> list[dict[str, Any]]:
    return [{"type": header.type, "name": header.name, "value": header.value} for header in headers]


def http_rule(route: HttpRoute, rule: HttpRule) -> dict[str, Any]:
    rendered: dict[str, Any] = {}
    if rule.matches:
        matches = []
        for match in rule.matches:
            item: dict[str, Any] = {"path": {"type": match.path_type, "value": match.path}}
            if match.headers:
                item["headers"] = _headers(match.headers)
            if match.method:
                item["method"] = match.method
            matches.append(item)
        rendered["matches"] = matches
    if rule.rewrite_prefix is not None:
        rewrite = {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": rule.rewrite_prefix}}
        rendered["filters"] = [{"type": "URLRewrite", "urlRewrite": rewrite}]
    rendered["backendRefs"] = backend_refs(route, rule.backends)
    return rendered


def grpc_match(match: GrpcMatch) -> dict[str, Any]:
    """A GRPCRoute match: an exact service and/or method, and header matches; `{}` matches every call."""
    rendered: dict[str, Any] = {}
    method = {key: value for key, value in (("service", match.service), ("method", match.method)) if value}
    if method:
        rendered["method"] = {"type": "Exact", **method}
    if match.headers:
        rendered["headers"] = _headers(match.headers)
    return rendered


def grpc_rule(route: GrpcRoute, rule: GrpcRule) -> dict[str, Any]:
    rendered: dict[str, Any] = {}
    if rule.matches:
        rendered["matches"] = [grpc_match(match) for match in rule.matches]
    rendered["backendRefs"] = backend_refs(route, rule.backends)
    return rendered


def l4_rule(route: Route, rule: L4Rule) -> dict[str, Any]:
    return {"backendRefs": backend_refs(route, rule.backends)}


def route_rules(route: Route) -> list[dict[str, Any]]:
    """The rules of a route, each by its kind's builder."""
    if isinstance(route, HttpRoute):
        return [http_rule(route, rule) for rule in route.rules]
    if isinstance(route, GrpcRoute):
        return [grpc_rule(route, rule) for rule in route.rules]
    return [l4_rule(route, rule) for rule in route.rules]


def route_spec(route: Route, gateway: Gateway) -> dict[str, Any]:
    """The spec of any route kind; TLSRoute hostnames are the SNI names it matches."""
    spec: dict[str, Any] = {"parentRefs": parent_refs(route, gateway)}
    if isinstance(route, HttpRoute | GrpcRoute | TlsRoute) and route.hostnames:
        spec["hostnames"] = list(route.hostnames)
    spec["rules"] = route_rules(route)
    return spec


def route_metadata(route: Route) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": route.name, "namespace": route.namespace}
    if isinstance(route, TcpRoute | UdpRoute) and route.hostname:
        metadata["annotations"] = {EXTERNAL_DNS_HOSTNAME: route.hostname}
    return metadata


def reference_grants(routes: Sequence[Route]) -> dict[tuple[str, str], dict[str, Any]]:
    """(backend namespace, route namespace) → ReferenceGrant spec admitting exactly those Services."""
    kinds: dict[tuple[str, str], set[str]] = defaultdict(set)
    services: dict[tuple[str, str], set[str]] = defaultdict(set)
    for route in routes:
        for rule in route.rules:
            for backend in rule.backends:
                if backend.namespace in (None, route.namespace):
                    continue
                key = (backend.namespace, route.namespace)
                kinds[key].add(route.kind)
                services[key].add(backend.service)
    return {key: reference_grant_spec(key[1], kinds[key], "Service", services[key]) for key in sorted(kinds)}


def grant_name(route_namespace: str) -> str:
    return f"{OBJECT_PREFIX}from-{route_namespace}"




def routes_plan(config: StackConfig) -> RoutesPlan:
    versions = ROUTE_API_VERSIONS[(config.versions.gateway_api, config.versions.gateway_api_channel)]
    gateways = {gateway.name: gateway for gateway in config.gateways}
    routes = {
        f"{route.namespace}.{route.name}": KubeObject(
            f"{GATEWAY_GROUP}/{versions[route.kind]}",
            route.kind,
            route_metadata(route),
            route_spec(route, gateways[route.gateway]),
        )
        for route in config.routes
    }
    limit = LIST_LIMITS[config.versions.gateway_api][("ReferenceGrant", "spec.to")].max_items
    grants = {
        f"{to_namespace}.{from_namespace}{suffix}": KubeObject(
            f"{GATEWAY_GROUP}/{versions['ReferenceGrant']}",
            "ReferenceGrant",
            {"name": grant_name(from_namespace) + suffix, "namespace": to_namespace},
            part,
        )
        for (to_namespace, from_namespace), spec in reference_grants(config.routes).items()
        for suffix, part in grant_parts(spec, limit)
    }
    return RoutesPlan(routes, grants)
