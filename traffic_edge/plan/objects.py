"""Kubernetes objects as plain data: what the plan decides and a component registers, testable without Pulumi."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GATEWAY_GROUP = "gateway.networking.k8s.io"
CERT_MANAGER_GROUP = "cert-manager.io"
OBJECT_PREFIX = "traffic-edge-"  # on the names of policies and grants this program owns beside others' objects


@dataclass(frozen=True)
class KubeObject:
    api_version: str
    kind: str
    metadata: Mapping[str, Any]
    spec: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.metadata["name"])

    @property
    def namespace(self) -> str | None:
        namespace = self.metadata.get("namespace")
        return None if namespace is None else str(namespace)

    def manifest(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": dict(self.metadata),
                "spec": dict(self.spec)}


def grant_parts(spec: Mapping[str, Any], limit: int) -> list[tuple[str, dict[str, Any]]]:
    """A ReferenceGrant spec as grants the API server takes (at most `limit` entries in `to`), each with the suffix of
    its name and key: "" for the first, so a grant that fits keeps its name, then `.2`, `.3`, ... (a dot, which no
    namespace name holds, keeps the names apart from another namespace's grant)."""
    targets = list(spec["to"])
    chunks = [targets[start : start + limit] for start in range(0, len(targets), limit)] or [[]]
    return [("" if index == 0 else f".{index + 1}", {**spec, "to": chunk}) for index, chunk in enumerate(chunks)]


def reference_grant_spec(
    from_namespace: str, from_kinds: Iterable[str], to_kind: str, to_names: Iterable[str]
) -> dict[str, Any]:
    """A ReferenceGrant admitting the Gateway API kinds of one namespace to exactly the named core objects."""
    return {
        "from": [{"group": GATEWAY_GROUP, "kind": kind, "namespace": from_namespace} for kind in sorted(from_kinds)],
        "to": [{"group": "", "kind": to_kind, "name": name} for name in sorted(to_names)],
    }
