"""Hints for values written in the Gateway API's (or a NetworkPolicy's) own shape where the config has a shape of its
own.

Users copy from Gateway API manifests: `parentRefs`, `backendRefs`, `filters`, `allowedRoutes.namespaces.from`,
`path: {type, value}`; from NetworkPolicies: `podSelector`, `ipBlock`; and from stacks written before egress rules
had destinations of their own: `cidrs` on the rule. Each gets the config key that says the same thing, instead of
"unknown key" or a type error.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic_core import ErrorDetails

from traffic_edge.config.errors import Issue

# An unknown key of the Gateway API → how the config says it.
KEYS: Final[dict[str, str]] = {
    "parentRefs": "name the gateway with `gateway:` (and a listener with `listener:`)",
    "sectionName": "name the listener with `listener:`",
    "backendRefs": "write `backends:`, each with `service:` and `port:`",
    "filters": "for a URLRewrite of the path prefix, write `rewritePrefix: /new` on the rule; HTTP listeners get "
    "their redirect to HTTPS made for them",
    "tls": "write `tlsMode:` and `certificate:` (a certificate of the gateway) on the listener",
    "certificateRefs": "write `certificate:` naming one of the gateway's `certificates`",
    "gatewayClassName": "write `className:`",
    "allowedRoutes": "it goes on a listener of the gateway",
}
# An unknown key of an egress rule (namespaces.<name>.egress[]) → how the config says it.
EGRESS_KEYS: Final[dict[str, str]] = {
    "cidrs": "destinations go under `to`: write `to: {cidrs: [...]}` (with `except:` beside them if needed)",
    "ipBlock": "write `to: {cidrs: [...], except: [...]}`",
    "podSelector": "write the labels of the pods the rule restricts as `pods:`",
}
# `from:` of a listener's allowedRoutes.namespaces → the config's form.
NAMESPACES_FROM: Final[dict[str, str]] = {
    "All": "write `allowedRoutes: {all: true}`",
    "Same": "the gateway's own namespace is always admitted: remove `namespaces`",
    "Selector": "list the namespaces: `allowedRoutes: {namespaces: [apps, web]}`, or select them by labels: "
    "`allowedRoutes: {selector: {matchLabels: {...}}}`",
}
ROUTE_SOURCES: Final = ("gateway-httproute", "gateway-grpcroute", "gateway-tlsroute", "gateway-tcproute",
                        "gateway-udproute")


def gateway_api_hint(detail: ErrorDetails, path: str) -> Issue | None:
    """The config's own key for a value in the Gateway API's shape, if the value is one."""
    loc = tuple(detail["loc"])
    kind, value = detail["type"], detail.get("input")
    last = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        if last == "name" and len(loc) > 2 and loc[-3] == "backends":
            return Issue(path, "unknown key", "write the Service's name as `service:`")
        if last in EGRESS_KEYS and len(loc) > 2 and loc[-3] == "egress":
            return Issue(path, "unknown key", EGRESS_KEYS[last])
        return Issue(path, "unknown key: the Gateway API's, not this config's", KEYS[last]) if last in KEYS else None
    if path.endswith("allowedRoutes.namespaces") and isinstance(value, dict):
        fix = NAMESPACES_FROM.get(str(value.get("from")), NAMESPACES_FROM["Selector"])
        return Issue(path, "is a list of namespaces here, not the Gateway API's `from`/`selector`", fix)
    if last == "path" and isinstance(value, dict):
        return Issue(path, "is the path itself here, not the Gateway API's {type, value}",
                     f"write `path: {value.get('value', '/')}` and `pathType: {value.get('type', 'PathPrefix')}`")
    if last == "method" and isinstance(value, dict):
        return Issue(path, "is the gRPC method's name here, not the Gateway API's {service, method}",
                     "write `service:` and `method:` on the match")
    if len(loc) > 1 and loc[-2] == "sources" and value in ROUTE_SOURCES:
        return Issue(path, f"{value} is a source already wherever a route of its kind is published",
                     "list only sources besides the routes (`service`), or remove it")
    return _shape_hint(kind, value, path)


def _shape_hint(kind: str, value: Any, path: str) -> Issue | None:
    if kind == "int_type" and isinstance(value, bool):
        return Issue(path, "must be a number, not true/false")
    if kind == "string_pattern_mismatch" and path.endswith("nameserver") and str(value).count(":") > 1:
        return Issue(path, "an IPv6 address needs brackets, so that its colons are not read as the port",
                     f"write [{value}]:53")
    return None
