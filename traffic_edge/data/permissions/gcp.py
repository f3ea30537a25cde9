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
class GcpCustomRole:
    """A role this program defines, in the zone's project: only what the workloads call, nothing on the zone itself."""

    name: str  # names its resource and its role ID
    title: str
    description: str
    permissions: tuple[str, ...]
    replaces: str | None = None  # the predefined role it took over from: bindings of that one are replaced in place


# Record sets and changes, not the zone: roles/dns.admin could also update and delete the managed zone.
# cert-manager/website : content/docs/configuration/acme/dns01/google.md (L41-49) asks for `dns.resourceRecordSets.*`
# and `dns.changes.*` (+ `dns.managedZones.list`, unused when the solver names hostedZoneName: cert-manager @ v1.21.1 :
# pkg/issuer/acme/dns/clouddns/clouddns.go (L244-247)); external-dns @ v0.22.0 lists records and creates changes on
# the zone (provider/google/google.go L231, L305) and lists zones through roles/dns.reader on the project
# (docs/tutorials/gke.md L224-235). The wildcards written out: https://cloud.google.com/dns/docs/access-control
DNS_RECORDS = GcpCustomRole(
    name="dns-records",
    title="traffic-edge DNS records",
    description="record sets and changes of the zones it is bound on, not the zones themselves",
    permissions=(
        "dns.changes.create",
        "dns.changes.get",
        "dns.changes.list",
        "dns.resourceRecordSets.create",
        "dns.resourceRecordSets.delete",
        "dns.resourceRecordSets.get",
        "dns.resourceRecordSets.list",
        "dns.resourceRecordSets.update",
    ),
    replaces="roles/dns.admin",
)


@dataclass(frozen=True)
class GcpGrant:
    role: str | GcpCustomRole  # a predefined role (`roles/…`), or one this program defines
    scope: GcpScope


@dataclass(frozen=True)
class GcpRow:
    grants: tuple[GcpGrant, ...]
    source: str


GCP: dict[str, GcpRow] = {
    # https://cert-manager.io/docs/configuration/acme/dns01/google/ (the solver names its zone: no project listing)
    "cert-manager": GcpRow(
        grants=(GcpGrant(DNS_RECORDS, "zone"),),
        source="https://cert-manager.io/docs/configuration/acme/dns01/google/",
    ),
    # https://github.com/kubernetes-sigs/external-dns/blob/v0.22.0/docs/tutorials/gke.md (lists the project's zones)
    "external-dns": GcpRow(
        grants=(GcpGrant(DNS_RECORDS, "zone"), GcpGrant("roles/dns.reader", "project")),
        source="https://github.com/kubernetes-sigs/external-dns/blob/v0.22.0/docs/tutorials/gke.md",
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
