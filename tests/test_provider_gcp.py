"""GKE: the Cloud DNS zone, Workload Identity for cert-manager and external-dns, and their zone-scoped roles."""

from __future__ import annotations

import pulumi
import pytest

from tests.conftest import (
    PLATFORM,
    WORKLOADS,
    Config,
    RenderStack,
    depends_on,
    export_provisioned,
    parse_config,
    provision_platform,
    record_component,
)
from traffic_edge.config.platforms import managed_zone_name
from traffic_edge.conformance.validator import require_refdata, validate_helm_values
from traffic_edge.data.permissions.gcp import gke_principal, gke_service_account_member
from traffic_edge.offline import fakes
from traffic_edge.offline.engine import Recording
from traffic_edge.offline.render import PROJECT_DIR

PROJECT = "acme-edge-prod"
GKE: Config = {
    "platform": {"kind": "gke", "project": PROJECT},
    "cluster": {"ambient": True},
    "domain": "gke.example.com",
    "issuers": {"acme": {"email": "ops@example.com", "solver": "dns01"}},
}
PRINCIPAL: Config = {
    **GKE, "platform": {"kind": "gke", "project": PROJECT, "projectNumber": 123456789, "identity": "principal"},
}
ACCOUNT = "gcp:serviceaccount/account:Account"
IMPERSONATION = "gcp:serviceaccount/iAMMember:IAMMember"
ZONE_MEMBER = "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
ZONE = "gcp:dns/managedZone:ManagedZone"


def email(workload: str) -> str:
    return f"traffic-edge-test-{workload}@{PROJECT}.iam.gserviceaccount.com"


def principal(number: int | str, project: str, workload: str) -> str:
    """The documented principal of a controller's KSA (namespace and name are both the workload's), written out
    here rather than built by traffic_edge.data.permissions.gcp."""
    return (
        f"principal://iam.googleapis.com/projects/{number}/locations/global/workloadIdentityPools/"
        f"{project}.svc.id.goog/subject/ns/{workload}/sa/{workload}"
    )


def provision(raw: Config) -> Recording:
    """Provision GKE as a program (as the edge does) and export what the components are handed."""
    config = parse_config(raw)
    assert config.platform.kind == "gke"

    def program() -> None:
        provisioned = provision_platform(config)
        export_provisioned(config, provisioned)

    recording = record_component(program)
    [component] = recording.of_type("traffic-edge:gcp:Gke")
    assert component.name == PLATFORM
    return recording


def test_members_are_the_documented_forms() -> None:
    member = gke_service_account_member("p", "cert-manager", "cert-manager")
    assert member == "serviceAccount:p.svc.id.goog[cert-manager/cert-manager]"
    assert gke_principal(42, "p", "external-dns", "external-dns") == (
        "principal://iam.googleapis.com/projects/42/locations/global/workloadIdentityPools/p.svc.id.goog"
        "/subject/ns/external-dns/sa/external-dns"
    )


def test_zone_names_are_cloud_dns_names() -> None:
    assert managed_zone_name("gke.example.com") == "gke-example-com"
    assert managed_zone_name("10.0.0.1.nip.io.") == "zone-10-0-0-1-nip-io"
    assert len(managed_zone_name("a" * 60 + ".example.com")) == 63


def test_zone_is_public_protected_and_delegated() -> None:
    recording = provision(GKE)
    zone = recording.named(ZONE, f"{PLATFORM}-dns-zone")
    assert zone.protect
    assert zone.inputs == {
        "name": "gke-example-com",
        "dnsName": "gke.example.com.",
        "description": "traffic-edge test: gke.example.com",
        "visibility": "public",
        "project": PROJECT,
    }
    assert recording.outputs["zone"] == {"name": "gke.example.com", "id": "gke-example-com",
                                         "nameServers": fakes.GCP_NAME_SERVERS}


def test_a_google_service_account_per_controller() -> None:
    recording = provision(GKE)
    for workload in ("cert-manager", "external-dns"):
        where = WORKLOADS[workload]
        account = recording.named(ACCOUNT, f"{PLATFORM}-{workload}-gsa")
        assert account.inputs["accountId"] == f"traffic-edge-test-{workload}"
        assert account.inputs["project"] == PROJECT
        impersonation = recording.named(IMPERSONATION, f"{PLATFORM}-{workload}-workload-identity-user")
        assert impersonation.inputs == {
            "serviceAccountId": f"projects/{PROJECT}/serviceAccounts/{email(workload)}",
            "role": "roles/iam.workloadIdentityUser",
            "member": f"serviceAccount:{PROJECT}.svc.id.goog[{where.namespace}/{where.service_account}]",
        }
        admin = recording.named(ZONE_MEMBER, f"{PLATFORM}-{workload}-dns.admin-zone")
        assert admin.inputs == {"project": PROJECT, "managedZone": "gke-example-com", "role": "roles/dns.admin",
                                "member": f"serviceAccount:{email(workload)}"}
        identity = recording.outputs["identities"][workload]
        assert identity["annotations"] == {"iam.gke.io/gcp-service-account": email(workload)}
        assert identity["labels"] == {}
    reader = recording.named(PROJECT_MEMBER, f"{PLATFORM}-external-dns-dns.reader-project")
    assert reader.inputs == {"project": PROJECT, "role": "roles/dns.reader",
                             "member": f"serviceAccount:{email('external-dns')}"}
    assert [r.name for r in recording.of_type(PROJECT_MEMBER)] == [f"{PLATFORM}-external-dns-dns.reader-project"]
    assert recording.outputs["identities"]["cert-manager"]["ready"] == [
        recording.named(IMPERSONATION, f"{PLATFORM}-cert-manager-workload-identity-user").urn,
        recording.named(ZONE_MEMBER, f"{PLATFORM}-cert-manager-dns.admin-zone").urn,
    ]


def test_principal_binding_has_no_google_service_account() -> None:
    recording = provision(PRINCIPAL)
    assert recording.of_type(ACCOUNT) == []
    assert recording.of_type(IMPERSONATION) == []
    for workload in ("cert-manager", "external-dns"):
        member = principal(123456789, PROJECT, workload)
        assert recording.named(ZONE_MEMBER, f"{PLATFORM}-{workload}-dns.admin-zone").inputs["member"] == member
        assert recording.outputs["identities"][workload]["annotations"] == {}
    assert recording.named(PROJECT_MEMBER, f"{PLATFORM}-external-dns-dns.reader-project").inputs["member"] == principal(
        123456789, PROJECT, "external-dns"
    )


def test_solver_names_its_zone_and_external_dns_its_project() -> None:
    recording = provision(GKE)
    assert recording.outputs["solver"] == {"cloudDNS": {"project": PROJECT, "hostedZoneName": "gke-example-com"}}
    assert recording.outputs["externalDns"] == {
        "provider": {"name": "google"},
        "domainFilters": ["gke.example.com"],
        "extraArgs": [f"--google-project={PROJECT}", "--google-zone-visibility=public"],
    }
    chart = recording.outputs["externalDnsChart"]
    assert chart["serviceAccount"] == {
        "name": "external-dns", "annotations": {"iam.gke.io/gcp-service-account": email("external-dns")},
    }
    assert "podLabels" not in chart
    assert chart["extraArgs"][:2] == [f"--google-project={PROJECT}", "--google-zone-visibility=public"]
    require_refdata()
    assert validate_helm_values("external-dns", "1.21.1", chart) == []


def test_private_zone_is_visible_from_its_networks_only() -> None:
    network = "projects/acme-net/global/networks/shared"
    recording = provision({**GKE, "issuers": {}, "dns": {"private": True, "networks": [network]}})
    zone = recording.named(ZONE, f"{PLATFORM}-dns-zone")
    assert zone.inputs["visibility"] == "private"
    assert zone.inputs["privateVisibilityConfig"] == {"networks": [{"networkUrl": network}]}
    assert recording.outputs["solver"] == "none"
    assert recording.outputs["zone"]["nameServers"] == "none"
    assert "--google-zone-visibility=private" in recording.outputs["externalDns"]["extraArgs"]
    assert [r.name for r in recording.of_type(ACCOUNT)] == [f"{PLATFORM}-external-dns-gsa"]  # cert-manager: none


def test_adopting_by_id_uses_the_zone_project_and_creates_nothing() -> None:
    recording = provision({**GKE, "dns": {"adopt": {"id": "projects/acme-dns/managedZones/example-com"},
                                          "zone": "example.com"}})
    assert recording.of_type(ZONE) == []
    admin = recording.named(ZONE_MEMBER, f"{PLATFORM}-cert-manager-dns.admin-zone")
    assert (admin.inputs["project"], admin.inputs["managedZone"]) == ("acme-dns", "example-com")
    reader = recording.named(PROJECT_MEMBER, f"{PLATFORM}-external-dns-dns.reader-project")
    assert reader.inputs["project"] == "acme-dns"
    impersonation = recording.named(IMPERSONATION, f"{PLATFORM}-cert-manager-workload-identity-user")
    assert impersonation.inputs["member"] == f"serviceAccount:{PROJECT}.svc.id.goog[cert-manager/cert-manager]"
    assert recording.outputs["solver"] == {"cloudDNS": {"project": "acme-dns", "hostedZoneName": "example-com"}}
    assert recording.outputs["zone"]["nameServers"] == fakes.GCP_NAME_SERVERS


def test_an_adopted_zone_for_another_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    lookup = fakes.CALL_RESULTS["gcp:dns/getManagedZone:getManagedZone"]
    monkeypatch.setitem(fakes.CALL_RESULTS, "gcp:dns/getManagedZone:getManagedZone",
                        lambda args: {**lookup(args), "dnsName": "example.org."})
    with pytest.raises(pulumi.RunError, match=r"serves example\.org, not gke\.example\.com"):
        provision({**GKE, "dns": {"adopt": {"name": "example-org"}}})
    monkeypatch.setitem(fakes.CALL_RESULTS, "gcp:dns/getManagedZone:getManagedZone",
                        lambda args: {**lookup(args), "dnsName": "gke.example.com."})
    assert provision({**GKE, "dns": {"adopt": {"name": "edge"}}}).outputs["zone"]["id"] == "edge"


def test_cluster_facts_come_from_the_cluster_stack() -> None:
    stack = {"kind": "gke", "identity": "principal", "clusterStack": "acme/gke/prod"}
    recording = provision({**GKE, "platform": stack})
    member = recording.named(ZONE_MEMBER, f"{PLATFORM}-cert-manager-dns.admin-zone").inputs["member"]
    assert member == principal("000000000000", "fake-project-000000", "cert-manager")


@pytest.mark.parametrize("config", [GKE, PRINCIPAL], ids=["service-account", "principal"])
def test_no_identity_reaches_beyond_its_zone(config: Config) -> None:
    """Every binding is the zone's, impersonation of the controller's own account, or external-dns listing zones."""
    recording = provision(config)
    bindings = [r for r in recording.resources.values() if "iam" in r.type.lower()]
    assert {r.type for r in bindings} <= {ZONE_MEMBER, PROJECT_MEMBER, IMPERSONATION}
    for binding in bindings:
        if binding.type == ZONE_MEMBER:
            assert (binding.inputs["managedZone"], binding.inputs["role"]) == ("gke-example-com", "roles/dns.admin")
        elif binding.type == PROJECT_MEMBER:
            assert binding.inputs["role"] == "roles/dns.reader"
            assert "external-dns" in binding.inputs["member"]
        else:
            assert binding.inputs["role"] == "roles/iam.workloadIdentityUser"
            workload = binding.name.removeprefix(f"{PLATFORM}-").removesuffix("-workload-identity-user")
            assert binding.inputs["serviceAccountId"].endswith(email(workload))
            where = WORKLOADS[workload]
            assert binding.inputs["member"].endswith(f"[{where.namespace}/{where.service_account}]")


def test_cert_manager_waits_for_its_binding(render_stack: RenderStack) -> None:
    recording = render_stack(PROJECT_DIR / "Pulumi.gke.yaml")
    release = recording.named("kubernetes:helm.sh/v3:Release", "edge-cert-manager")
    assert depends_on(recording, release, recording.named(ZONE_MEMBER, f"{PLATFORM}-cert-manager-dns.admin-zone"))
    impersonation = recording.named(IMPERSONATION, f"{PLATFORM}-cert-manager-workload-identity-user")
    assert depends_on(recording, release, impersonation)
    assert release.inputs["values"]["serviceAccount"]["annotations"] == {
        "iam.gke.io/gcp-service-account": "traffic-edge-gke-cert-manager@acme-edge-prod.iam.gserviceaccount.com"
    }
    require_refdata()
    assert validate_helm_values("cert-manager", release.inputs["version"], release.inputs["values"]) == []
