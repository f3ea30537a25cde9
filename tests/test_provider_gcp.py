"""GKE: the Cloud DNS zone, Workload Identity for cert-manager and external-dns, and their zone-scoped roles."""

from __future__ import annotations

from typing import Any

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
from traffic_edge.config import ConfigError
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
CUSTOM_ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
ROLE_ID = "traffic_edge_test_dns_records"  # per project and stack: two stacks in one project never share it
# What cert-manager and external-dns may do on their zone, written out: cert-manager/website :
# content/docs/configuration/acme/dns01/google.md (L41-49) asks for `dns.resourceRecordSets.*` and `dns.changes.*`
# (its `dns.managedZones.list` is unused with hostedZoneName: cert-manager @ v1.21.1 :
# pkg/issuer/acme/dns/clouddns/clouddns.go L244-247); external-dns @ v0.22.0 lists records and creates changes
# (provider/google/google.go L231, L305) and lists zones with roles/dns.reader on the project (docs/tutorials/gke.md
# L224-228). Not dns.managedZones.update or .delete, which roles/dns.admin has.
RECORD_PERMISSIONS = [
    "dns.changes.create", "dns.changes.get", "dns.changes.list",
    "dns.resourceRecordSets.create", "dns.resourceRecordSets.delete", "dns.resourceRecordSets.get",
    "dns.resourceRecordSets.list", "dns.resourceRecordSets.update",
]


def records_role(project: str = PROJECT) -> str:
    return f"projects/{project}/roles/{ROLE_ID}"


def email(workload: str) -> str:
    return f"traffic-edge-test-{workload}@{PROJECT}.iam.gserviceaccount.com"


def principal(number: int | str, project: str, workload: str) -> str:
    """The documented principal of a controller's KSA (namespace and name are both the workload's), written out
    here rather than built by traffic_edge.data.permissions.gcp."""
    return (
        f"principal://iam.googleapis.com/projects/{number}/locations/global/workloadIdentityPools/"
        f"{project}.svc.id.goog/subject/ns/{workload}/sa/{workload}"
    )


def provision(raw: Config, preflight: bool = True) -> Recording:
    """Provision GKE as a program (as the edge does) and export what the components are handed; its cloud look-ups
    are answered by traffic_edge.offline.fakes."""
    config = parse_config(raw)
    assert config.platform.kind == "gke"

    def program() -> None:
        provisioned = provision_platform(config, preflight=preflight)
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
        records = recording.named(ZONE_MEMBER, f"{PLATFORM}-{workload}-dns-records-zone")
        assert records.inputs == {"project": PROJECT, "managedZone": "gke-example-com", "role": records_role(),
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
        recording.named(ZONE_MEMBER, f"{PLATFORM}-cert-manager-dns-records-zone").urn,
    ]


def test_principal_binding_has_no_google_service_account() -> None:
    recording = provision(PRINCIPAL)
    assert recording.of_type(ACCOUNT) == []
    assert recording.of_type(IMPERSONATION) == []
    for workload in ("cert-manager", "external-dns"):
        member = principal(123456789, PROJECT, workload)
        assert recording.named(ZONE_MEMBER, f"{PLATFORM}-{workload}-dns-records-zone").inputs["member"] == member
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
    records = recording.named(ZONE_MEMBER, f"{PLATFORM}-cert-manager-dns-records-zone")
    assert (records.inputs["project"], records.inputs["managedZone"]) == ("acme-dns", "example-com")
    assert records.inputs["role"] == records_role("acme-dns"), "a project's custom role binds only in that project"
    assert recording.named(CUSTOM_ROLE, f"{PLATFORM}-dns-records-role").inputs["project"] == "acme-dns"
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
    member = recording.named(ZONE_MEMBER, f"{PLATFORM}-cert-manager-dns-records-zone").inputs["member"]
    assert member == principal("000000000000", "fake-project-000000", "cert-manager")


@pytest.mark.parametrize("config", [GKE, PRINCIPAL], ids=["service-account", "principal"])
def test_no_identity_reaches_beyond_its_zone(config: Config) -> None:
    """Every binding is the zone's, impersonation of the controller's own account, or external-dns listing zones."""
    recording = provision(config)
    bindings = [r for r in recording.resources.values() if "iam" in r.type.lower() and r.type != CUSTOM_ROLE]
    assert {r.type for r in bindings} <= {ZONE_MEMBER, PROJECT_MEMBER, IMPERSONATION}
    [role] = recording.of_type(CUSTOM_ROLE)
    assert role.inputs["permissions"] == RECORD_PERMISSIONS
    for binding in bindings:
        if binding.type == ZONE_MEMBER:
            assert (binding.inputs["managedZone"], binding.inputs["role"]) == ("gke-example-com", records_role())
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
    assert depends_on(recording, release, recording.named(ZONE_MEMBER, f"{PLATFORM}-cert-manager-dns-records-zone"))
    impersonation = recording.named(IMPERSONATION, f"{PLATFORM}-cert-manager-workload-identity-user")
    assert depends_on(recording, release, impersonation)
    assert release.inputs["values"]["serviceAccount"]["annotations"] == {
        "iam.gke.io/gcp-service-account": "traffic-edge-gke-cert-manager@acme-edge-prod.iam.gserviceaccount.com"
    }
    require_refdata()
    assert validate_helm_values("cert-manager", release.inputs["version"], release.inputs["values"]) == []


def test_the_zone_role_holds_record_sets_and_changes_only() -> None:
    """roles/dns.admin on the zone could also update and delete the zone: the grant is a custom role instead, defined
    once per stack in the zone's project and bound on the zone alone."""
    recording = provision(GKE)
    [role] = recording.of_type(CUSTOM_ROLE)
    assert role.name == f"{PLATFORM}-dns-records-role"
    assert role.inputs == {
        "roleId": ROLE_ID,
        "title": "traffic-edge DNS records",
        "description": "traffic-edge/test: record sets and changes of the zones it is bound on, not the zones "
                       "themselves",
        "permissions": RECORD_PERMISSIONS,
        "project": PROJECT,
    }
    for workload in ("cert-manager", "external-dns"):
        binding = recording.named(ZONE_MEMBER, f"{PLATFORM}-{workload}-dns-records-zone")
        assert binding.inputs["role"] == records_role()
        assert role.urn in binding.dependencies, "bound once the role exists"
    assert {r.inputs["role"] for r in recording.of_type(PROJECT_MEMBER)} == {"roles/dns.reader"}


def test_a_stack_that_bound_dns_admin_replaces_that_binding_in_place() -> None:
    """The binding keeps its place through an alias to its old name: the diff shows one replacement per binding
    (a new role forces a new IAM member), created before the dns.admin one is removed; nothing holding data goes."""
    recording = provision(GKE)
    for workload in ("cert-manager", "external-dns"):
        aliases = recording.named(ZONE_MEMBER, f"{PLATFORM}-{workload}-dns-records-zone").aliases
        assert {"spec": {"name": f"{PLATFORM}-{workload}-dns.admin-zone", "parentUrn": ""}} in aliases
    assert not recording.named(CUSTOM_ROLE, f"{PLATFORM}-dns-records-role").protect


def test_every_gcp_resource_and_look_up_goes_through_the_cluster_project(invokes: list[tuple[str, str]]) -> None:
    recording = provision({**GKE, "platform": {**GKE["platform"], "clusterName": "edge", "location": "europe-west1"},
                           "dns": {"adopt": {"name": "gke-example-com"}}})
    provider = recording.named("pulumi:providers:gcp", f"{PLATFORM}-gcp")
    assert provider.inputs == {"project": PROJECT}
    assert provider.parent == recording.named("traffic-edge:gcp:Gke", PLATFORM).urn
    reference = f"{provider.urn}::{provider.name}-id"
    assert {r.provider for r in recording.resources.values() if r.type.startswith("gcp:")} == {reference}
    assert sorted(invokes) == [
        ("gcp:container/getCluster:getCluster", reference),
        ("gcp:dns/getManagedZone:getManagedZone", reference),
    ]


CLUSTER = {"clusterName": "edge", "location": "europe-west1"}
GKE_CLUSTER = {**GKE, "platform": {**GKE["platform"], **CLUSTER}}
UPDATE = f"gcloud container clusters update edge --location=europe-west1 --project={PROJECT}"


HEALTHY_CLUSTER = fakes.CALL_RESULTS["gcp:container/getCluster:getCluster"]


def unhealthy(monkeypatch: pytest.MonkeyPatch, **answer: Any) -> None:
    """The cluster answers `answer` over the healthy fake."""
    monkeypatch.setitem(fakes.CALL_RESULTS, "gcp:container/getCluster:getCluster",
                        lambda args: {**HEALTHY_CLUSTER(args), **answer})


def refusals(raw: Config) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        provision(raw)
    return [str(issue) for issue in refused.value.issues]


def test_workload_identity_is_checked_on_the_cluster_and_its_node_pools(monkeypatch: pytest.MonkeyPatch) -> None:
    assert provision(GKE_CLUSTER).warnings == []
    unhealthy(monkeypatch, workloadIdentityConfigs=[], nodePools=[
        {"name": "legacy", "nodeConfigs": [{"workloadMetadataConfigs": [{"mode": "GCE_METADATA"}]}]}])
    assert refusals(GKE_CLUSTER) == [
        f"platform.clusterName: GKE cluster edge does not have Workload Identity Federation (pool "
        f"{PROJECT}.svc.id.goog), which the controllers' identities use (fix: {UPDATE} "
        f"--workload-pool={PROJECT}.svc.id.goog)",
        "platform.clusterName: node pool legacy of GKE cluster edge gives pods the node's identity (GCE_METADATA) "
        f"(fix: gcloud container node-pools update legacy --cluster=edge --location=europe-west1 --project={PROJECT} "
        "--workload-metadata=GKE_METADATA)",
    ]


def test_gke_gateway_api_is_checked_where_the_stack_uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """GKE's own Gateway controller (and CRDs) exist only with the cluster's Gateway API on."""
    unhealthy(monkeypatch, gatewayApiConfigs=[{"channel": "CHANNEL_DISABLED"}])
    assert provision(GKE_CLUSTER).warnings == [], "Envoy Gateway with the program's own CRDs does not need it"
    gke_controller = {**GKE_CLUSTER, "controller": {"name": "gke"}}
    assert refusals(gke_controller) == [
        "platform.clusterName: GKE cluster edge has its Gateway API disabled, and this stack uses it (its CRDs or its "
        f"controller) (fix: {UPDATE} --gateway-api=standard)",
    ]


def test_an_unknown_gke_cluster_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_cluster(args: dict[str, Any]) -> dict[str, Any]:
        raise Exception(f"googleapi: Error 404: Not found: projects/{args['project']}/locations/{args['location']}")

    monkeypatch.setitem(fakes.CALL_RESULTS, "gcp:container/getCluster:getCluster", no_cluster)
    [refusal] = refusals(GKE_CLUSTER)
    assert refusal.startswith(f"platform.clusterName: no GKE cluster edge in europe-west1 of project {PROJECT} could "
                              "be looked up (googleapi: Error 404")


def test_without_the_cluster_facts_the_check_is_skipped_and_said_so(invokes: list[tuple[str, str]]) -> None:
    recording = provision(GKE)
    assert recording.warnings == [
        f"{PLATFORM}: preflight skipped: GKE Workload Identity on the cluster: not checked without "
        "platform.clusterName, platform.location (in config, or exported as clusterName, location by "
        "platform.clusterStack)"
    ]
    assert invokes == []
    offline = provision(GKE_CLUSTER, preflight=False)
    assert offline.warnings == [f"{PLATFORM}: preflight not run: GKE Workload Identity on the cluster: not checked"]


def test_the_cluster_stack_names_the_cluster_for_the_check(invokes: list[tuple[str, str]]) -> None:
    provision({**GKE, "platform": {"kind": "gke", "clusterStack": "acme/gke/prod"}})
    [(token, _)] = invokes
    assert token == "gcp:container/getCluster:getCluster"
