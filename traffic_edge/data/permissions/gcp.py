"""Google Cloud: what cert-manager and external-dns may do in Cloud DNS, and the Workload Identity members.

Rows are data under the upstream page they follow; scopes are symbolic (the managed zone, its project) and the
GKE platform resolves them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Lets a Kubernetes service account impersonate a Google service account (Workload Identity Federation for GKE).
GCP_WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
GcpScope = Literal["zone", "project"]  # the managed zone; the zone's project


@dataclass(frozen=True)
class GcpGrant:
    role: str
    scope: GcpScope


@dataclass(frozen=True)
class GcpRow:
    grants: tuple[GcpGrant, ...]
    source: str


GCP: dict[str, GcpRow] = {
    # https://cert-manager.io/docs/configuration/acme/dns01/google/ (the solver names its zone: no project listing)
    "cert-manager": GcpRow(
        grants=(GcpGrant("roles/dns.admin", "zone"),),
        source="https://cert-manager.io/docs/configuration/acme/dns01/google/",
    ),
    # https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/gke/ (lists the project's zones)
    "external-dns": GcpRow(
        grants=(GcpGrant("roles/dns.admin", "zone"), GcpGrant("roles/dns.reader", "project")),
        source="https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/gke/",
    ),
}


def gke_service_account_member(project: str, namespace: str, service_account: str) -> str:
    """The Kubernetes service account as an IAM member of the cluster project's workload identity pool."""
    return f"serviceAccount:{project}.svc.id.goog[{namespace}/{service_account}]"


def gke_principal(project_number: int | str, project: str, namespace: str, service_account: str) -> str:
    """The Kubernetes service account as a principal, for roles bound to it without a Google service account."""
    return (
        f"principal://iam.googleapis.com/projects/{project_number}/locations/global/workloadIdentityPools/"
        f"{project}.svc.id.goog/subject/ns/{namespace}/sa/{service_account}"
    )
