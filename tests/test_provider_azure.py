"""AKS: the Azure DNS zone, Workload ID managed identities, and role assignments on the zone only."""

from __future__ import annotations

import json
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
from traffic_edge.conformance.validator import require_refdata, validate_helm_values
from traffic_edge.controllers import azure_alb
from traffic_edge.data.permissions.azure import AZURE_ROLES, azure_role_definition_id, azure_subject
from traffic_edge.offline import fakes
from traffic_edge.offline.engine import Recording
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.plan import identity_requests

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
ISSUER = "https://westeurope.oic.prod-aks.azure.com/tenant/cluster/"
AKS: Config = {
    "platform": {
        "kind": "aks",
        "subscriptionId": SUBSCRIPTION,
        "resourceGroup": "edge",
        "location": "westeurope",
        "oidcIssuerUrl": ISSUER,
        "zoneResourceGroup": "dns",
    },
    "cluster": {"ambient": True},
    "domain": "aks.example.com",
    "issuers": {"acme": {"email": "ops@example.com", "solver": "dns01"}},
}
# The fakes answer resource IDs in their all-zero subscription; the zone's group and name are ours.
ZONE_ID = f"/subscriptions/{fakes.AZURE_SUBSCRIPTION}/resourceGroups/dns/providers/Microsoft.Network/dnszones/" \
    "aks.example.com"
DNS_GROUP_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/dns"
# Azure's built-in role IDs, as Microsoft documents them (the `name` of each role's JSON): Networking
# https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/networking (DNS Zone Contributor,
# Private DNS Zone Contributor, Network Contributor, AppGw for Containers Configuration Manager) and General
# https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/general (Reader).
DNS_ZONE_CONTRIBUTOR = "befefa01-2a29-4197-83a8-272ff33ce314"
PRIVATE_DNS_ZONE_CONTRIBUTOR = "b12aa53e-6015-4669-85d0-8515ebb3ae7f"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
APPGW_FOR_CONTAINERS_CONFIGURATION_MANAGER = "fbc52c3f-28ad-4303-a892-8a056630b8f1"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
CREDENTIAL = "azure-native:managedidentity:FederatedIdentityCredential"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ZONE = "azure-native:dns:Zone"
PRIVATE_ZONE = "azure-native:privatedns:PrivateZone"


def client_id(workload: str, group: str = "edge") -> str:
    return fakes.fake_guid("client", group, f"traffic-edge-test-{workload}")


def principal_id(workload: str, group: str = "edge") -> str:
    return fakes.fake_guid("principal", group, f"traffic-edge-test-{workload}")


def role_definition(subscription: str, role: str) -> str:
    return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role}"


def provision(raw: Config, preflight: bool = True) -> tuple[Recording, list[dict[str, Any]]]:
    """Provision AKS as a program; also returns the azure.json documents external-dns is handed. Its cloud look-ups
    are answered by traffic_edge.offline.fakes."""
    config = parse_config(raw)
    assert config.platform.kind == "aks"
    azure_json: list[dict[str, Any]] = []

    def program() -> None:
        provisioned = provision_platform(config, preflight=preflight)
        export_provisioned(config, provisioned)
        pulumi.export("clientIds", {
            name: identity.client_id
            for name, identity in ((name, provisioned.identity(name)) for name in WORKLOADS)
            if identity.client_id is not None
        })
        external_dns = provisioned.external_dns
        assert external_dns is not None
        pulumi.export("secrets", [{"name": secret.name, "key": secret.key} for secret in external_dns.secrets])
        for index, secret in enumerate(external_dns.secrets):
            pulumi.export(f"secretValue{index}", secret.value)
        for secret in external_dns.secrets:
            secret.value.apply(lambda text: azure_json.append(json.loads(text)))

    recording = record_component(program)
    [component] = recording.of_type("traffic-edge:azure:Aks")
    assert component.name == PLATFORM
    return recording, azure_json


def test_subject_and_role_definitions() -> None:
    assert azure_subject("external-dns", "external-dns") == "system:serviceaccount:external-dns:external-dns"
    assert azure_role_definition_id(SUBSCRIPTION, "DNS Zone Contributor") == (
        f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/"
        "befefa01-2a29-4197-83a8-272ff33ce314"
    )
    assert AZURE_ROLES["Private DNS Zone Contributor"] == PRIVATE_DNS_ZONE_CONTRIBUTOR
    assert AZURE_ROLES["Reader"] == READER


def test_every_built_in_role_is_the_one_microsoft_documents_under_that_name() -> None:
    """A mistyped GUID assigns another role (or none): each is pinned against Microsoft's published value."""
    assert AZURE_ROLES == {
        "DNS Zone Contributor": DNS_ZONE_CONTRIBUTOR,
        "Private DNS Zone Contributor": PRIVATE_DNS_ZONE_CONTRIBUTOR,
        "Reader": READER,
        "AppGw for Containers Configuration Manager": APPGW_FOR_CONTAINERS_CONFIGURATION_MANAGER,
        "Network Contributor": NETWORK_CONTRIBUTOR,
    }


def test_zone_is_public_protected_and_delegated() -> None:
    recording, _ = provision(AKS)
    zone = recording.named(ZONE, f"{PLATFORM}-dns-zone")
    assert zone.protect
    assert zone.inputs == {"resourceGroupName": "dns", "zoneName": "aks.example.com", "location": "global",
                           "zoneType": "Public"}
    assert recording.outputs["zone"] == {
        "name": "aks.example.com", "id": ZONE_ID, "nameServers": fakes.AZURE_NAME_SERVERS,
    }


def test_a_managed_identity_and_federated_credential_per_controller() -> None:
    recording, _ = provision(AKS)
    for workload in ("cert-manager", "external-dns"):
        where = WORKLOADS[workload]
        identity = recording.named(IDENTITY, f"{PLATFORM}-{workload}-identity")
        assert (identity.inputs["resourceGroupName"], identity.inputs["resourceName"], identity.inputs["location"]) == (
            "edge", f"traffic-edge-test-{workload}", "westeurope"
        )
        assert recording.named(CREDENTIAL, f"{PLATFORM}-{workload}-federated-credential").inputs == {
            "resourceGroupName": "edge",
            "resourceName": f"traffic-edge-test-{workload}",
            "federatedIdentityCredentialResourceName": workload,
            "issuer": ISSUER,
            "subject": f"system:serviceaccount:{where.namespace}:{where.service_account}",
            "audiences": ["api://AzureADTokenExchange"],
        }
        wiring = recording.outputs["identities"][workload]
        assert wiring["annotations"] == {"azure.workload.identity/client-id": client_id(workload)}
        assert wiring["labels"] == {"azure.workload.identity/use": "true"}
    assert recording.outputs["clientIds"] == {workload: client_id(workload) for workload in ("cert-manager",
                                                                                            "external-dns")}


def test_roles_are_assigned_on_the_zone_and_its_group_only() -> None:
    recording, _ = provision(AKS)
    assignments = {r.name: r.inputs for r in recording.of_type(ASSIGNMENT)}
    zone_contributor = role_definition(SUBSCRIPTION, DNS_ZONE_CONTRIBUTOR)
    assert {name: (a["principalId"], a["roleDefinitionId"], a["scope"]) for name, a in assignments.items()} == {
        f"{PLATFORM}-cert-manager-dns-zone-contributor-zone": (principal_id("cert-manager"), zone_contributor, ZONE_ID),
        f"{PLATFORM}-external-dns-dns-zone-contributor-zone": (principal_id("external-dns"), zone_contributor, ZONE_ID),
        f"{PLATFORM}-external-dns-reader-zone-resource-group": (
            principal_id("external-dns"),
            role_definition(SUBSCRIPTION, READER),
            DNS_GROUP_ID,
        ),
    }
    assert {a["principalType"] for a in assignments.values()} == {"ServicePrincipal"}


def test_solver_uses_the_cert_manager_identity() -> None:
    recording, _ = provision(AKS)
    assert recording.outputs["solver"] == {
        "azureDNS": {
            "subscriptionID": SUBSCRIPTION,
            "resourceGroupName": "dns",
            "hostedZoneName": "aks.example.com",
            "environment": "AzurePublicCloud",
            "managedIdentity": {"clientID": client_id("cert-manager")},
        }
    }


def test_http01_leaves_cert_manager_without_an_identity() -> None:
    http01 = {"acme": {"email": "ops@example.com", "solver": "http01"}}
    listener = {"name": "http", "protocol": "HTTP", "port": 80}
    recording, _ = provision({**AKS, "issuers": http01, "gateways": [{"name": "edge", "listeners": [listener]}]})
    assert [r.name for r in recording.of_type(IDENTITY)] == [f"{PLATFORM}-external-dns-identity"]
    assert recording.outputs["solver"] == "none"
    assert recording.outputs["identities"]["cert-manager"] == {"annotations": {}, "labels": {}, "ready": []}


def test_external_dns_reads_a_mounted_azure_json_without_a_password() -> None:
    recording, azure_json = provision(AKS)
    assert recording.outputs["externalDns"] == {
        "provider": {"name": "azure"},
        "domainFilters": ["aks.example.com"],
        "extraVolumes": [{"name": "azure-config-file", "secret": {"secretName": "external-dns-azure"}}],
        "extraVolumeMounts": [{"name": "azure-config-file", "mountPath": "/etc/kubernetes", "readOnly": True}],
    }
    chart = recording.outputs["externalDnsChart"]
    assert chart["serviceAccount"] == {
        "name": "external-dns", "annotations": {"azure.workload.identity/client-id": client_id("external-dns")},
    }
    assert chart["podLabels"] == {"azure.workload.identity/use": "true"}
    assert {key: chart[key] for key in recording.outputs["externalDns"]} == recording.outputs["externalDns"]
    assert recording.outputs["secrets"] == [{"name": "external-dns-azure", "key": "azure.json"}]
    assert recording.outputs["secretValue0"] == "[secret]"
    require_refdata()
    assert validate_helm_values("external-dns", "1.21.1", chart) == []
    assert azure_json == [{
        "cloud": "AzurePublicCloud",
        "tenantId": fakes.AZURE_TENANT,
        "subscriptionId": SUBSCRIPTION,
        "resourceGroup": "dns",
        "useWorkloadIdentityExtension": True,
        "userAssignedIdentityID": client_id("external-dns"),
    }]


def test_private_zone_links_its_networks_and_uses_the_private_role() -> None:
    network = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub"
    recording, _ = provision({**AKS, "issuers": {}, "dns": {"private": True, "networks": [network]}})
    assert recording.of_type(ZONE) == []
    assert recording.named(PRIVATE_ZONE, f"{PLATFORM}-dns-zone").inputs == {
        "resourceGroupName": "dns", "privateZoneName": "aks.example.com", "location": "Global",
    }
    link = recording.named("azure-native:privatedns:VirtualNetworkLink", f"{PLATFORM}-dns-zone-link-0")
    assert link.inputs == {"resourceGroupName": "dns", "privateZoneName": "aks.example.com",
                           "virtualNetwork": {"id": network}, "registrationEnabled": False, "location": "Global"}
    roles = {r.name: r.inputs["roleDefinitionId"].rsplit("/", 1)[1] for r in recording.of_type(ASSIGNMENT)}
    assert roles == {
        f"{PLATFORM}-external-dns-private-dns-zone-contributor-zone": PRIVATE_DNS_ZONE_CONTRIBUTOR,
        f"{PLATFORM}-external-dns-reader-zone-resource-group": READER,
    }
    assert recording.outputs["solver"] == "none"
    assert recording.outputs["externalDns"]["provider"] == {"name": "azure-private-dns"}


def test_adopting_by_id_uses_the_zone_subscription_and_creates_nothing() -> None:
    other = "99999999-8888-7777-6666-555555555555"
    zone_id = f"/subscriptions/{other}/resourceGroups/shared-dns/providers/Microsoft.Network/dnszones/aks.example.com"
    recording, azure_json = provision({**AKS, "dns": {"adopt": {"id": zone_id}}})
    zone_provider = recording.named("pulumi:providers:azure-native", f"{PLATFORM}-azure-zone")
    assert zone_provider.inputs == {"subscriptionId": other, "environment": "public"}, "found in its own subscription"
    assert recording.of_type(ZONE) == []
    assert recording.of_type(PRIVATE_ZONE) == []
    reader = recording.named(ASSIGNMENT, f"{PLATFORM}-external-dns-reader-zone-resource-group").inputs
    assert reader["scope"] == f"/subscriptions/{other}/resourceGroups/shared-dns"
    assert reader["roleDefinitionId"] == role_definition(other, READER)
    assert recording.outputs["solver"]["azureDNS"]["subscriptionID"] == other
    assert recording.outputs["solver"]["azureDNS"]["resourceGroupName"] == "shared-dns"
    assert azure_json[0]["resourceGroup"] == "shared-dns"


def test_an_adopted_zone_for_another_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    lookup = fakes.CALL_RESULTS["azure-native:dns:getZone"]
    monkeypatch.setitem(fakes.CALL_RESULTS, "azure-native:dns:getZone", lambda args: {**lookup(args), "name": "x.test"})
    with pytest.raises(pulumi.RunError, match=r"serves x\.test, not aks\.example\.com"):
        provision({**AKS, "dns": {"adopt": {"name": "aks.example.com"}}})


def test_cluster_facts_come_from_the_cluster_stack() -> None:
    recording, _ = provision({**AKS, "platform": {"kind": "aks", "clusterStack": "acme/aks/prod"}})
    facts = fakes.CLUSTER_STACK_OUTPUTS
    identity = recording.named(IDENTITY, f"{PLATFORM}-cert-manager-identity").inputs
    assert (identity["resourceGroupName"], identity["location"]) == (facts["resourceGroup"], facts["location"])
    credential = recording.named(CREDENTIAL, f"{PLATFORM}-cert-manager-federated-credential").inputs
    assert credential["issuer"] == facts["oidcIssuerUrl"]
    assert recording.named(ZONE, f"{PLATFORM}-dns-zone").inputs["resourceGroupName"] == facts["resourceGroup"]


def test_alb_controller_row_is_named_upstream_and_scoped_to_its_resources() -> None:
    row = azure_alb.GRANTS
    assert azure_alb.ROW.azure is row
    assert azure_alb.ROW.workload is WORKLOADS["alb-controller"]
    assert {(grant.role, grant.scope) for grant in row.grants} == {
        ("Reader", "node_resource_group"),
        ("AppGw for Containers Configuration Manager", "alb_resource_group"),
        ("Network Contributor", "alb_subnet"),
    }
    assert WORKLOADS["alb-controller"].identity_name == "azure-alb-identity"
    assert (WORKLOADS["alb-controller"].namespace, WORKLOADS["alb-controller"].service_account) == (
        "azure-alb-system", "alb-controller-sa"
    )
    assert "alb-controller" not in {request.workload.name for request in identity_requests(parse_config(AKS))}


def test_no_identity_reaches_beyond_its_zone() -> None:
    recording, _ = provision(AKS)
    for assignment in recording.of_type(ASSIGNMENT):
        role = assignment.inputs["roleDefinitionId"].rsplit("/", 1)[1]
        if assignment.inputs["scope"] == ZONE_ID:
            assert role == DNS_ZONE_CONTRIBUTOR
        else:  # listing the zones of the zone's resource group, for external-dns only
            assert (assignment.inputs["scope"], role) == (DNS_GROUP_ID, READER)
            assert assignment.inputs["principalId"] == principal_id("external-dns")
    for credential in recording.of_type(CREDENTIAL):
        workload = credential.name.removeprefix(f"{PLATFORM}-").removesuffix("-federated-credential")
        assert credential.inputs["subject"] == f"system:serviceaccount:{workload}:{workload}"


def test_cert_manager_waits_for_its_role_and_credential(render_stack: RenderStack) -> None:
    recording = render_stack(PROJECT_DIR / "Pulumi.aks.yaml")
    release = recording.named("kubernetes:helm.sh/v3:Release", "edge-cert-manager")
    assignment = recording.named(ASSIGNMENT, f"{PLATFORM}-cert-manager-dns-zone-contributor-zone")
    assert depends_on(recording, release, assignment)
    assert depends_on(recording, release, recording.named(CREDENTIAL, f"{PLATFORM}-cert-manager-federated-credential"))
    assert release.inputs["values"]["podLabels"] == {"azure.workload.identity/use": "true"}
    require_refdata()
    assert validate_helm_values("cert-manager", release.inputs["version"], release.inputs["values"]) == []


def test_every_azure_resource_and_look_up_goes_through_the_cluster_subscription(
    invokes: list[tuple[str, str]],
) -> None:
    """Identities and role assignments are made in the subscription of the facts, never in whatever the stack's
    `azure-native:subscriptionId` says; an adopted zone in another subscription is looked up through a provider
    for that one."""
    other = "99999999-8888-7777-6666-555555555555"
    zone_id = f"/subscriptions/{other}/resourceGroups/shared-dns/providers/Microsoft.Network/dnszones/aks.example.com"
    recording, _ = provision({**AKS, "dns": {"adopt": {"id": zone_id}}})
    providers = {r.name: r for r in recording.of_type("pulumi:providers:azure-native")}
    assert {name: r.inputs for name, r in providers.items()} == {
        f"{PLATFORM}-azure": {"subscriptionId": SUBSCRIPTION, "environment": "public"},
        f"{PLATFORM}-azure-zone": {"subscriptionId": other, "environment": "public"},
    }
    component = recording.named("traffic-edge:azure:Aks", PLATFORM).urn
    assert {r.parent for r in providers.values()} == {component}
    cluster, zone = (f"{r.urn}::{r.name}-id" for r in providers.values())
    assert {r.provider for r in recording.resources.values() if r.type.startswith("azure-native:")} == {cluster}
    assert invokes == [("azure-native:dns:getZone", zone)]


@pytest.mark.parametrize(("environment", "cloud"), [("AzureChinaCloud", "china"),
                                                    ("AzureUSGovernmentCloud", "usgovernment")])
def test_the_provider_signs_in_to_the_platform_cloud(environment: str, cloud: str) -> None:
    recording, _ = provision({**AKS, "platform": {**AKS["platform"], "environment": environment}})
    assert recording.named("pulumi:providers:azure-native", f"{PLATFORM}-azure").inputs["environment"] == cloud


FAKE_ISSUER = fakes.CLUSTER_STACK_OUTPUTS["oidcIssuerUrl"]
AKS_CLUSTER: Config = {**AKS, "platform": {**AKS["platform"], "clusterName": "edge", "oidcIssuerUrl": FAKE_ISSUER}}


HEALTHY_CLUSTER = fakes.CALL_RESULTS["azure-native:containerservice:getManagedCluster"]


def refusals(monkeypatch: pytest.MonkeyPatch, raw: Config, **answer: Any) -> list[str]:
    """The refusals of `raw` where the cluster answers `answer` over the healthy fake."""
    monkeypatch.setitem(fakes.CALL_RESULTS, "azure-native:containerservice:getManagedCluster",
                        lambda args: {**HEALTHY_CLUSTER(args), **answer})
    with pytest.raises(ConfigError) as refused:
        provision(raw)
    return [str(issue) for issue in refused.value.issues]


def test_the_cluster_must_issue_the_tokens_the_credentials_trust(
    monkeypatch: pytest.MonkeyPatch, invokes: list[tuple[str, str]]
) -> None:
    recording, _ = provision(AKS_CLUSTER)
    assert recording.warnings == []
    assert [token for token, _ in invokes] == ["azure-native:containerservice:getManagedCluster"]
    update = "az aks update --resource-group edge --name edge"
    assert refusals(monkeypatch, AKS_CLUSTER, oidcIssuerProfile={"enabled": False, "issuerURL": ""},
                    securityProfile={}) == [
        f"platform.clusterName: AKS cluster edge does not have workload identity enabled, so no pod receives its "
        f"identity's token (fix: {update} --enable-workload-identity)",
        f"platform.clusterName: AKS cluster edge has no OIDC issuer, which the federated credentials trust (fix: "
        f"{update} --enable-oidc-issuer)",
    ]
    other = {**AKS_CLUSTER, "platform": {**AKS_CLUSTER["platform"], "oidcIssuerUrl": ISSUER}}
    assert refusals(monkeypatch, other) == [
        f"platform.oidcIssuerUrl: is {ISSUER}, but AKS cluster edge issues its tokens as {FAKE_ISSUER} (fix: set "
        f"platform.oidcIssuerUrl: {FAKE_ISSUER})"
    ]


def test_an_unknown_aks_cluster_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_cluster(args: dict[str, Any]) -> dict[str, Any]:
        raise Exception(f"ResourceNotFound: The Resource 'Microsoft.ContainerService/managedClusters/"
                        f"{args['resourceName']}' under resource group '{args['resourceGroupName']}' was not found")

    monkeypatch.setitem(fakes.CALL_RESULTS, "azure-native:containerservice:getManagedCluster", no_cluster)
    with pytest.raises(ConfigError, match=r"platform\.clusterName: no AKS cluster edge in resource group edge could "
                                          r"be looked up \(ResourceNotFound"):
        provision(AKS_CLUSTER)


def test_without_the_cluster_name_the_check_is_skipped_and_said_so(invokes: list[tuple[str, str]]) -> None:
    recording, _ = provision(AKS)
    assert recording.warnings == [
        f"{PLATFORM}: preflight skipped: the AKS OIDC issuer and workload identity on the cluster: not checked "
        "without platform.clusterName (in config, or exported as clusterName by platform.clusterStack)"
    ]
    assert invokes == []
    offline, _ = provision(AKS_CLUSTER, preflight=False)
    assert offline.warnings == [
        f"{PLATFORM}: preflight not run: the AKS OIDC issuer and workload identity on the cluster: not checked"
    ]


def test_the_cluster_stack_names_the_cluster_for_the_check(invokes: list[tuple[str, str]]) -> None:
    recording, _ = provision({**AKS, "platform": {"kind": "aks", "clusterStack": "acme/aks/prod"}})
    assert recording.warnings == []
    assert [token for token, _ in invokes] == ["azure-native:containerservice:getManagedCluster"]
