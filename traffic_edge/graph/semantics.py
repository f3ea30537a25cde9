"""Gateway API attachment, as a controller applies it: which routes a listener takes, from where, for which names.

Spec: gateway.networking.k8s.io/v1 Listener (protocol, hostname, allowedRoutes) and the route kinds' parentRefs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from traffic_edge.config.tenancy import NAMESPACE_LABEL
from traffic_edge.graph.source import Manifest
from traffic_edge.plan.objects import GATEWAY_GROUP

# Route kinds a listener takes by default, by protocol (and TLS mode): the Gateway API's supportedKinds.
DEFAULT_KINDS: Final[Mapping[str, tuple[str, ...]]] = {
    "HTTP": ("HTTPRoute", "GRPCRoute"),
    "HTTPS": ("HTTPRoute", "GRPCRoute"),
    "TLS/Passthrough": ("TLSRoute",),
    "TLS/Terminate": ("TLSRoute", "TCPRoute"),
    "TCP": ("TCPRoute",),
    "UDP": ("UDPRoute",),
}
ROUTE_KINDS: Final = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")


def tls_mode(listener: Mapping[str, Any]) -> str | None:
    if listener.get("protocol") not in ("HTTPS", "TLS"):
        return None
    return str((listener.get("tls") or {}).get("mode", "Terminate"))


def listener_kinds(listener: Mapping[str, Any]) -> tuple[str, ...]:
    """allowedRoutes.kinds where given, else the protocol's default kinds."""
    kinds = (listener.get("allowedRoutes") or {}).get("kinds")
    if kinds:
        return tuple(str(k["kind"]) for k in kinds if k.get("group", GATEWAY_GROUP) == GATEWAY_GROUP)
    protocol = str(listener.get("protocol", ""))
    mode = tls_mode(listener)
    return DEFAULT_KINDS.get(f"{protocol}/{mode}" if protocol == "TLS" else protocol, ())


def _matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if not {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels.get(key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }.get(operator, False):
            return False
    return True


def admits_namespace(
    listener: Mapping[str, Any], gateway_namespace: str, namespace: str, labels: Mapping[str, str]
) -> bool:
    namespaces = (listener.get("allowedRoutes") or {}).get("namespaces") or {}
    origin = namespaces.get("from", "Same")
    if origin == "All":
        return True
    if origin == "Selector":
        return _matches(namespaces.get("selector") or {}, labels)
    return namespace == gateway_namespace


def admitted_text(listener: Mapping[str, Any], gateway_namespace: str) -> str:
    """The namespaces a listener admits routes from, in words."""
    namespaces = (listener.get("allowedRoutes") or {}).get("namespaces") or {}
    origin = namespaces.get("from", "Same")
    if origin == "All":
        return "admits routes from all namespaces"
    if origin != "Selector":
        return f"admits routes from {gateway_namespace}"
    selector = namespaces.get("selector") or {}
    terms = [f"{key}={value}" for key, value in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        values = ", ".join(expression.get("values") or [])
        if expression["key"] == NAMESPACE_LABEL and expression["operator"] == "In":
            terms.append(values)
        else:
            terms.append(f"{expression['key']} {expression['operator']} {values}".rstrip())
    return "admits routes from " + ("; ".join(terms) or "every namespace")


def _covers(wildcard: str, name: str) -> bool:
    """`*.example.com` covers names with at least one more label: a.example.com, a.b.example.com."""
    return name.endswith(wildcard[1:]) and len(name) > len(wildcard) - 1


def hostnames_meet(listener_hostname: str | None, route_hostnames: Sequence[str]) -> bool:
    """A route serves a listener only for names both accept; no hostname on either side accepts any."""
    if not listener_hostname or not route_hostnames:
        return True
    for hostname in route_hostnames:
        if hostname == listener_hostname:
            return True
        if listener_hostname.startswith("*.") and _covers(listener_hostname, hostname.removeprefix("*")):
            return True
        if hostname.startswith("*.") and _covers(hostname, listener_hostname.removeprefix("*")):
            return True
    return False


def refusal(
    listener: Mapping[str, Any], gateway_namespace: str, route: Manifest, labels: Mapping[str, str]
) -> str | None:
    """Why `listener` does not take `route`, or None when it does."""
    if route.kind not in listener_kinds(listener):
        return f"listener takes {', '.join(listener_kinds(listener)) or 'no route kind'}, not {route.kind}"
    if not admits_namespace(listener, gateway_namespace, route.namespace, labels):
        return f"namespace {route.namespace} not admitted"
    if not hostnames_meet(listener.get("hostname"), route.spec.get("hostnames") or []):
        return f"no hostname in common with {listener.get('hostname')}"
    return None
