"""The statuses the controllers would write for a stack's objects, healthy or with one fault injected.

No controller runs on the e2e control plane, so the doctor tests write what Envoy Gateway and cert-manager would
(gateway.networking.k8s.io/v1 GatewayStatus, RouteParentStatus; cert-manager.io/v1 CertificateStatus), through
the real API server there and through a dict-backed cluster in the unit tests.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from traffic_edge.doctor.expected import Expected
from traffic_edge.doctor.gateways import declared_attachments

Obj = dict[str, Any]
NOW = "2026-12-01T00:00:00Z"


def cond(kind: str, status: bool = True, reason: str | None = None, message: str = "") -> Obj:
    return {"type": kind, "status": "True" if status else "False", "reason": reason or kind,
            "message": message, "lastTransitionTime": NOW, "observedGeneration": 1}


def gateway_status(expected: Expected, namespace: str, name: str, address: str = "203.0.113.10",
                   attached: Counter[tuple[str, str, str]] | None = None) -> Obj:
    plan = next(item for item in expected.plan.gateways if item.name == name and item.namespace == namespace)
    counts = attached if attached is not None else declared_attachments(expected)
    listeners = [
        {"name": listener["name"], "attachedRoutes": counts[(namespace, name, listener["name"])],
         "supportedKinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
         "conditions": [cond("Accepted"), cond("Programmed"), cond("ResolvedRefs")]}
        for listener in plan.gateway.spec["listeners"]
    ]
    return {"addresses": [{"type": "IPAddress", "value": address}],
            "conditions": [cond("Accepted"), cond("Programmed")], "listeners": listeners}


def route_status(route: Obj, accepted: Obj | None = None, resolved: Obj | None = None) -> Obj:
    parents = [
        {"parentRef": parent, "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
         "conditions": [accepted or cond("Accepted"), resolved or cond("ResolvedRefs")]}
        for parent in route["spec"].get("parentRefs", [])
    ]
    return {"parents": parents}


def certificate_status(days_left: float, now: datetime) -> Obj:
    not_after = now + timedelta(days=days_left)
    return {"conditions": [cond("Ready", reason="Ready", message="Certificate is up to date and has not expired")],
            "notAfter": not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "notBefore": (not_after - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "renewalTime": (not_after - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")}


def ready_status() -> Obj:
    return {"conditions": [cond("Ready")]}


def gateway_class_status() -> Obj:
    return {"conditions": [cond("Accepted")]}


def deployment_status() -> Obj:
    return {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1,
            "conditions": [cond("Available", reason="MinimumReplicasAvailable")]}
