"""What a picture is drawn from: a plan.json's Kubernetes objects, cloud resources, Helm releases and outputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traffic_edge.config.tenancy import NAMESPACE_LABEL
from traffic_edge.offline.plan import NOT_MANIFESTS

Plan = Mapping[str, Any]  # one plan.json
Resource = Mapping[str, Any]  # one entry of its `resources`
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


@dataclass(frozen=True)
class Manifest:
    """A Kubernetes object a plan declares, read leniently: a synthetic or older plan may leave fields out."""

    group: str
    kind: str
    namespace: str
    name: str
    metadata: Mapping[str, Any]
    spec: Mapping[str, Any]

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


def _manifest(inputs: Mapping[str, Any]) -> Manifest:
    api_version = str(inputs.get("apiVersion", ""))
    metadata = inputs.get("metadata") or {}
    spec = inputs.get("spec")
    return Manifest(
        group=api_version.rpartition("/")[0],
        kind=str(inputs.get("kind", "")),
        namespace=str(metadata.get("namespace") or ""),
        name=str(metadata.get("name", "")),
        metadata=metadata,
        spec=spec if isinstance(spec, Mapping) else {},
    )


class PlanView:
    """A plan's resources sorted into what the picture reads, each list in a stable order."""

    def __init__(self, plan: Plan) -> None:
        resources = [r for r in plan.get("resources", []) if r.get("custom", True)]
        kube = [r for r in resources if str(r.get("type", "")).startswith("kubernetes:")]
        self.manifests = sorted(
            (_manifest(r.get("inputs") or {}) for r in kube if not str(r["type"]).startswith(NOT_MANIFESTS)),
            key=lambda m: (m.group, m.kind, m.namespace, m.name),
        )
        self.releases = [r for r in kube if r["type"] == HELM_RELEASE]
        self.cloud = [r for r in resources if not str(r.get("type", "")).startswith(("kubernetes:", "pulumi:"))]
        self.outputs: Mapping[str, Any] = plan.get("outputs") or {}

    def of_kind(self, group: str, kind: str) -> list[Manifest]:
        return [m for m in self.manifests if (m.group, m.kind) == (group, kind)]

    def get(self, group: str, kind: str, namespace: str, name: str) -> Manifest | None:
        return next((m for m in self.of_kind(group, kind) if (m.namespace, m.name) == (namespace, name)), None)

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        """Labels a selector sees on a namespace: the plan's, and the name label the API server always sets."""
        declared = self.get("", "Namespace", "", namespace)
        labels = dict((declared.metadata.get("labels") or {}) if declared else {})
        return {**labels, NAMESPACE_LABEL: namespace}
