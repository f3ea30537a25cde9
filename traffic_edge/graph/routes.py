"""Routes: the listeners they attach to, what each rule matches, and the backends it sends to across which grants."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traffic_edge.graph.grants import find_grant, grant_node
from traffic_edge.graph.model import GraphBuilder, Node, backend_key, fingerprint, listener_key, object_key
from traffic_edge.graph.semantics import ROUTE_KINDS, refusal
from traffic_edge.graph.source import Manifest, PlanView
from traffic_edge.plan.objects import GATEWAY_GROUP

# TCP and UDP carry no hostname; external-dns reads the name to publish from this annotation.
DNS_HOSTNAME_ANNOTATION = "external-dns.kubernetes.io/hostname"


def add_routes(view: PlanView, builder: GraphBuilder) -> None:
    for kind in ROUTE_KINDS:
        for route in view.of_kind(GATEWAY_GROUP, kind):
            key = object_key(kind, route.namespace, route.name)
            notes = _attach(view, builder, route, key)
            builder.node(Node(key, "route", (*_route_lines(route), *notes), fingerprint(route.metadata, route.spec)))
            for rule in route.spec.get("rules") or []:
                condition = _rule_text(route.kind, rule)
                for ref in rule.get("backendRefs") or []:
                    _add_backend(view, builder, route, key, ref, condition)


def _route_lines(route: Manifest) -> list[str]:
    lines = [f"{route.kind} {route.ref}"]
    if route.kind in ("HTTPRoute", "GRPCRoute", "TLSRoute"):
        lines.append(", ".join(route.spec.get("hostnames") or []) or "any hostname")
    annotations = route.metadata.get("annotations") or {}
    if DNS_HOSTNAME_ANNOTATION in annotations:
        lines.append(f"DNS name {annotations[DNS_HOSTNAME_ANNOTATION]}")
    for rule in route.spec.get("rules") or []:
        for item in rule.get("filters") or []:
            if item.get("type") == "RequestRedirect":
                redirect = item.get("requestRedirect") or {}
                scheme, status = redirect.get("scheme", "the same scheme"), redirect.get("statusCode", 302)
                lines.append(f"redirect to {scheme} ({status})")
    return lines


def _attach(view: PlanView, builder: GraphBuilder, route: Manifest, key: str) -> list[str]:
    """Edges from the listeners that take the route (dotted where one refuses); notes for parents not drawn.

    A parentRef without sectionName (or port) attaches to every listener of its Gateway that takes the route.
    """
    notes = []
    for parent in route.spec.get("parentRefs") or []:
        group, kind = parent.get("group", GATEWAY_GROUP), parent.get("kind", "Gateway")
        namespace, name = parent.get("namespace") or route.namespace, str(parent.get("name"))
        gateway = view.get(group, kind, namespace, name) if (group, kind) == (GATEWAY_GROUP, "Gateway") else None
        if gateway is None:
            notes.append(f"⚠ parent {kind} {namespace}/{name} is not in this plan")
        elif not _attach_to(view, builder, route, key, gateway, parent):
            section = parent.get("sectionName")
            why = f"refused: no listener {section}" if section else "refused: no listener takes it"
            builder.edge(object_key("Gateway", gateway.namespace, gateway.name), key, why, "dotted")
    return notes


def _attach_to(
    view: PlanView, builder: GraphBuilder, route: Manifest, key: str, gateway: Manifest, parent: Mapping[str, Any]
) -> bool:
    """Draw the parentRef's listeners; False when it names none, or none of those it may name takes the route."""
    section, port = parent.get("sectionName"), parent.get("port")
    labels = view.namespace_labels(route.namespace)
    drawn = False
    for listener in gateway.spec.get("listeners") or []:
        if section not in (None, listener.get("name")) or port not in (None, listener.get("port")):
            continue
        why = refusal(listener, gateway.namespace, route, labels)
        if why is None or section is not None:  # a named listener that refuses is worth seeing; others are not
            target = listener_key(gateway.namespace, gateway.name, str(listener.get("name")))
            builder.edge(target, key, f"refused: {why}" if why else "", "dotted" if why else "thick")
            drawn = True
    return drawn


def _add_backend(
    view: PlanView, builder: GraphBuilder, route: Manifest, route_key: str, ref: Mapping[str, Any], condition: str
) -> None:
    group, kind = ref.get("group", ""), ref.get("kind", "Service")
    namespace, name, port = ref.get("namespace") or route.namespace, str(ref.get("name")), ref.get("port")
    key = builder.node(Node(
        backend_key(kind, namespace, name, port),
        "backend",
        (f"{kind} {namespace}/{name}" + (f":{port}" if port is not None else ""),),
        fingerprint(kind, namespace, name, port),
    ))
    parts = [condition] if condition else []
    if "weight" in ref:
        parts.append(f"weight {ref['weight']}")
    refused = False
    if namespace != route.namespace:
        grant = find_grant(view, namespace, group, kind, name, route.kind, route.namespace)
        if grant is None:
            parts.append("⚠ no ReferenceGrant: refused")
            refused = True
        else:
            builder.edge(builder.node(grant_node(grant)), key, "permits", "dotted")
    builder.edge(route_key, key, " · ".join(parts), "dotted" if refused else "thick")


def _rule_text(kind: str, rule: Mapping[str, Any]) -> str:
    """What a rule matches and how it rewrites, as its edges' label: `/api ⇒ /v1`, `x-canary: true`."""
    matches = [_match_text(kind, match) for match in rule.get("matches") or []]
    text = " or ".join(match for match in matches if match)
    for item in rule.get("filters") or []:
        if item.get("type") == "URLRewrite":
            text += _rewrite_text(item.get("urlRewrite") or {})
        elif item.get("type") != "RequestRedirect":
            text += f" +{item.get('type')}"
    return text.strip()


def _match_text(kind: str, match: Mapping[str, Any]) -> str:
    parts = []
    if kind == "GRPCRoute":
        method = match.get("method")
        if method:
            parts.append(f"{method.get('service', '*')}/{method.get('method', '*')}")
    else:
        if match.get("method"):
            parts.append(str(match["method"]))
        path = match.get("path") or {}
        prefix = {"Exact": "= ", "RegularExpression": "~ "}.get(path.get("type", "PathPrefix"), "")
        parts.append(f"{prefix}{path.get('value', '/')}")
    parts += [
        f"{header.get('name')}{': ' if header.get('type', 'Exact') == 'Exact' else ' ~ '}{header.get('value')}"
        for header in match.get("headers") or []
    ]
    parts += [f"?{query.get('name')}={query.get('value')}" for query in match.get("queryParams") or []]
    if len(parts) > 1 and "/" in parts:  # the root prefix adds nothing beside other conditions
        parts.remove("/")
    return " ".join(parts)


def _rewrite_text(rewrite: Mapping[str, Any]) -> str:
    text = ""
    path = rewrite.get("path") or {}
    if path.get("type") == "ReplacePrefixMatch":
        text += f" ⇒ {path.get('replacePrefixMatch')}"
    elif path.get("type") == "ReplaceFullPath":
        text += f" ⇒ = {path.get('replaceFullPath')}"
    if rewrite.get("hostname"):
        text += f" ⇒ host {rewrite['hostname']}"
    return text
