"""The in-cluster workloads that receive a platform identity, and where they run.

The namespace and service account are fixed here because the cloud side (IRSA trust subjects,
GCP workload identity members, Azure federated credentials) must name them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Workload:
    namespace: str
    service_account: str


WORKLOADS: dict[str, Workload] = {
    "cert-manager": Workload(namespace="cert-manager", service_account="cert-manager"),
    "external-dns": Workload(namespace="external-dns", service_account="external-dns"),
}
