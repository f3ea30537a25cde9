"""In-cluster workloads that receive a platform identity: where they run and where the identity lands in values.

The namespace and service account are fixed here because the cloud side (IRSA trust subjects, GCP workload
identity members, Azure federated credentials) must name them exactly. Gateway controllers declare their own
workload in their module (traffic_edge.controllers); cert-manager and external-dns are here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ValuePath = tuple[str, ...]


@dataclass(frozen=True)
class IdentityPaths:
    """Where a chart takes the platform identity: service-account annotations, pod labels, or a client ID value."""

    service_account_annotations: ValuePath | None = ("serviceAccount", "annotations")
    pod_labels: ValuePath | None = ("podLabels",)
    client_id: ValuePath | None = None  # Azure identities some charts take as a value instead of an annotation


@dataclass(frozen=True)
class Workload:
    name: str  # names its cloud identity and the resources that make it
    namespace: str
    service_account: str
    identity_name: str | None = None  # the cloud identity's name where upstream docs fix it
    identity_paths: IdentityPaths = IdentityPaths()


# cert-manager chart v1.21.1: serviceAccount.annotations, podLabels (deploy/charts/cert-manager/values.schema.json)
CERT_MANAGER = Workload(name="cert-manager", namespace="cert-manager", service_account="cert-manager")
# external-dns chart 1.21.1: serviceAccount.annotations, podLabels (charts/external-dns/values.schema.json)
EXTERNAL_DNS = Workload(name="external-dns", namespace="external-dns", service_account="external-dns")


def _at(path: ValuePath, value: Any) -> dict[str, Any]:
    nested: Any = value
    for key in reversed(path):
        nested = {key: nested}
    result: dict[str, Any] = nested
    return result


def identity_values(
    paths: IdentityPaths,
    annotations: Mapping[str, Any],
    pod_labels: Mapping[str, str],
    client_id: Any | None,
) -> list[dict[str, Any]]:
    """The chart values that carry one workload's identity, as fragments to deep-merge into its values."""
    fragments = []
    if paths.service_account_annotations and annotations:
        fragments.append(_at(paths.service_account_annotations, dict(annotations)))
    if paths.pod_labels and pod_labels:
        fragments.append(_at(paths.pod_labels, dict(pod_labels)))
    if paths.client_id and client_id is not None:
        fragments.append(_at(paths.client_id, client_id))
    return fragments
