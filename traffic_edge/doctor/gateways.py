"""Gateways and routes: classes accepted, gateways programmed with an address, routes attached where declared."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from traffic_edge.doctor.conditions import LISTENER_FIXES, ROUTE_FIXES, condition, is_true, said
from traffic_edge.doctor.expected import Expected
from traffic_edge.doctor.findings import EDGE, Finding, ok
from traffic_edge.doctor.live import Cluster, Obj
from traffic_edge.plan.objects import GATEWAY_GROUP, KubeObject


def _name(obj: KubeObject) -> str:
    return f"{obj.kind} {obj.namespace}/{obj.name}" if obj.namespace else f"{obj.kind} {obj.name}"


def _group_of(namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}"


def declared_attachments(expected: Expected) -> Counter[tuple[str, str, str]]:
    """(gateway namespace, gateway, listener) → how many of the stack's routes attach there."""
    counts: Counter[tuple[str, str, str]] = Counter()
    routes = [*expected.plan.routes.routes.values()]
    routes += [redirect for gateway in expected.plan.gateways for redirect in gateway.redirects.values()]
    for route in routes:
        for parent in route.spec.get("parentRefs", []):
            namespace = parent.get("namespace") or route.namespace
            if "sectionName" in parent:
                counts[(str(namespace), parent["name"], parent["sectionName"])] += 1
    return counts


def check_classes(expected: Expected, cluster: Cluster) -> Iterator[Finding]:
    classes = {str(gateway.gateway.spec["gatewayClassName"]) for gateway in expected.plan.gateways}
    row = expected.plan.controller.row
    for name in sorted(classes):
        live = cluster.get(f"{GATEWAY_GROUP}/v1", "GatewayClass", name)
        if live is None:
            yield Finding("error", EDGE, f"GatewayClass {name}", "does not exist",
                          f"{row.name} creates it (or the program does): deploy the stack, check the controller")
        elif not is_true(live.get("status"), "Accepted"):
            yield Finding("error", EDGE, f"GatewayClass {name}",
                          f"not Accepted: {said(condition(live.get('status'), 'Accepted'))}",
                          f"the {row.name} controller must run and claim controllerName "
                          f"{live.get('spec', {}).get('controllerName')}")
        else:
            yield ok(EDGE, f"GatewayClass {name}", "Accepted")


def _listener_findings(group: str, listener: Mapping[str, Any], declared: int) -> Iterator[Finding]:
    name = listener.get("name")
    obj = f"listener {name}"
    attached = int(listener.get("attachedRoutes", 0))
    if attached < declared:
        yield Finding("error", group, obj, f"{attached} routes attached, the stack attaches {declared}",
                      "see the routes' own findings for why each was not accepted")
    else:
        extra = f" ({attached - declared} more from outside the stack)" if attached > declared else ""
        yield ok(group, obj, f"{attached} routes attached{extra}")
    for kind in ("Accepted", "Programmed", "ResolvedRefs"):
        found = condition(listener, kind)
        if found is not None and found.get("status") != "True":
            reason = str(found.get("reason", ""))
            yield Finding("error", group, obj, f"not {kind}: {said(found)}", LISTENER_FIXES.get(reason, ""))
    conflicted = condition(listener, "Conflicted")
    if conflicted is not None and conflicted.get("status") == "True":
        reason = str(conflicted.get("reason", ""))
        yield Finding("error", group, obj, f"Conflicted: {said(conflicted)}", LISTENER_FIXES.get(reason, ""))


def check_gateways(expected: Expected, cluster: Cluster) -> Iterator[Finding]:
    attachments = declared_attachments(expected)
    for plan in expected.plan.gateways:
        group = _group_of(plan.namespace, plan.name)
        obj = _name(plan.gateway)
        live = cluster.get(plan.gateway.api_version, "Gateway", plan.name, plan.namespace)
        if live is None:
            yield Finding("error", group, obj, "does not exist", "deploy the stack (pulumi up)")
            continue
        status = live.get("status") or {}
        for kind in ("Accepted", "Programmed"):
            if is_true(status, kind):
                yield ok(group, obj, kind)
            else:
                yield Finding("error", group, obj, f"not {kind}: {said(condition(status, kind))}",
                              "see the controller's logs; a load balancer may still be provisioning")
        addresses = [str(address.get("value")) for address in status.get("addresses") or []]
        if addresses:
            yield ok(group, obj, f"address {', '.join(addresses)}")
        else:
            yield Finding("error", group, obj, "has no address",
                          "the Service in front of it got none: on-prem, a load-balancer implementation "
                          "(MetalLB, cloud-provider-kind) or controller.serviceType: NodePort")
        by_name = {item.get("name"): item for item in status.get("listeners") or []}
        for listener in plan.gateway.spec.get("listeners", []):
            declared = attachments[(plan.namespace, plan.name, listener["name"])]
            reported = by_name.get(listener["name"])
            if reported is None:
                yield Finding("error", group, f"listener {listener['name']}", "no status reported",
                              "the controller has not programmed the listener: see its logs")
            else:
                yield from _listener_findings(group, reported, declared)


def _parent_status(live: Obj, parent: Mapping[str, Any], namespace: str) -> Obj | None:
    for item in (live.get("status") or {}).get("parents") or []:
        ref = item.get("parentRef") or {}
        same = ref.get("name") == parent.get("name") and (ref.get("namespace") or namespace) == (
            parent.get("namespace") or namespace
        )
        if same and ref.get("sectionName") == parent.get("sectionName"):
            found: Obj = item
            return found
    return None


def check_routes(expected: Expected, cluster: Cluster) -> Iterator[Finding]:
    routes = [*expected.plan.routes.routes.values()]
    routes += [redirect for gateway in expected.plan.gateways for redirect in gateway.redirects.values()]
    for route in routes:
        obj = _name(route)
        live = cluster.get(route.api_version, route.kind, route.name, route.namespace)
        for parent in route.spec.get("parentRefs", []):
            group = _group_of(parent.get("namespace") or route.namespace, str(parent.get("name")))
            if live is None:
                yield Finding("error", group, obj, "does not exist", "deploy the stack (pulumi up)")
                break
            yield from _route_parent(group, obj, live, parent, str(route.namespace))


def _route_parent(group: str, obj: str, live: Obj, parent: Mapping[str, Any], namespace: str) -> Iterator[Finding]:
    where = f"on listener {parent.get('sectionName')}"
    status = _parent_status(live, parent, namespace)
    if status is None:
        yield Finding("warning", group, obj, f"{where}: no status reported yet",
                      "the controller has not reconciled the route: is it running?")
        return
    healthy = True
    for kind in ("Accepted", "ResolvedRefs"):
        found = condition(status, kind)
        if found is None or found.get("status") != "True":
            healthy = False
            reason = str((found or {}).get("reason", ""))
            yield Finding("error", group, obj, f"{where}: not {kind}: {said(found)}", ROUTE_FIXES.get(reason, ""))
    if healthy:
        yield ok(group, obj, f"{where}: Accepted, ResolvedRefs")
