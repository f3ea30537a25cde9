"""Drift: objects the stack declares that are missing from the cluster, or differ in the fields the stack sets.

Only declared fields are compared: the API server adds defaults and controllers add status, which are no drift.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from traffic_edge.doctor.expected import Expected
from traffic_edge.doctor.findings import EDGE, Finding, ok
from traffic_edge.doctor.live import Cluster
from traffic_edge.plan.objects import KubeObject

SECRET = "[secret]"


def differences(declared: Any, live: Any, path: str = "") -> list[str]:
    """Paths where `live` does not hold what `declared` sets; extra fields and items in `live` are fine."""
    if declared == SECRET:
        return []
    if isinstance(declared, dict):
        if not isinstance(live, dict):
            return [path or "(object)"]
        return [found for key, value in declared.items()
                for found in differences(value, live.get(key), f"{path}.{key}" if path else key)]
    if isinstance(declared, list):
        if not isinstance(live, list) or len(live) < len(declared):
            return [path]
        return [found for index, item in enumerate(declared)
                for found in differences(item, live[index], f"{path}[{index}]")]
    return [] if declared == live else [path]


def _group(obj: KubeObject) -> str:
    if obj.kind == "Gateway":
        return f"{obj.namespace}/{obj.name}"
    for parent in obj.spec.get("parentRefs", [])[:1] if isinstance(obj.spec, dict) else []:
        return f"{parent.get('namespace') or obj.namespace}/{parent.get('name')}"
    return EDGE


def check_drift(expected: Expected, cluster: Cluster) -> Iterator[Finding]:
    for obj in expected.objects():
        name = f"{obj.kind} {obj.namespace + '/' if obj.namespace else ''}{obj.name}"
        live = cluster.get(obj.api_version, obj.kind, obj.name, obj.namespace)
        if live is None:
            yield Finding("error", _group(obj), name, "missing from the cluster", "deploy the stack (pulumi up)")
            continue
        changed = differences(dict(obj.spec), live.get("spec"), "spec")
        labels = dict(obj.metadata.get("labels") or {})
        changed += differences(labels, (live.get("metadata") or {}).get("labels") or {}, "metadata.labels")
        if changed:
            yield Finding("warning", _group(obj), name, f"differs from the stack at {', '.join(changed[:5])}",
                          "someone changed it outside Pulumi: `pulumi refresh` shows it, `pulumi up` restores it")
        else:
            yield ok(_group(obj), name, "as declared")
