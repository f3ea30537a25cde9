"""Computed outputs a real provider would return, so outputs that depend on them render offline.

Rows are keyed by Pulumi type token (resources) or function token (invokes). Values are shaped
like the real provider's outputs and obviously fake (account 123456789012, project number
000000000000), so they never pass for real identifiers in a plan. A resource row's `id` is the
resource's physical ID, where other resources refer to it (an Azure resource ID).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

FakeState = Callable[[str, dict[str, Any]], dict[str, Any]]

AWS_ACCOUNT = "123456789012"
AWS_ZONE_ID = "Z0000000000000FAKEZONE"
AZURE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
AZURE_TENANT = "00000000-0000-0000-0000-00000000000a"
GCP_NAME_SERVERS = [f"ns-cloud-a{n}.googledomains.com." for n in range(1, 5)]
AWS_NAME_SERVERS = [f"ns-{n}.awsdns-00.{tld}." for n, tld in ((0, "com"), (512, "net"), (1024, "org"), (1536, "co.uk"))]
AZURE_NAME_SERVERS = [f"ns{n}-00.azure-dns.{tld}." for n, tld in ((1, "com"), (2, "net"), (3, "org"), (4, "info"))]

# What a cluster's stack exports: the outputs traffic_edge.config.platforms.CLUSTER_OUTPUTS names, and `kubeconfig`.
CLUSTER_STACK_OUTPUTS: dict[str, Any] = {
    "kubeconfig": "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n",
    "projectId": "fake-project-000000",
    "projectNumber": "000000000000",
    "clusterName": "fake-cluster",
    "vpcId": "vpc-00000000000000fa",
    "oidcProviderArn": f"arn:aws:iam::{AWS_ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/"
    "00000000000000000000000000000FAKE",
    "subscriptionId": AZURE_SUBSCRIPTION,
    "resourceGroup": "fake-resource-group",
    "location": "westeurope",
    "oidcIssuerUrl": f"https://westeurope.oic.prod-aks.azure.com/{AZURE_TENANT}/00000000-0000-0000-0000-00000000fake/",
    "nodeResourceGroup": "MC_fake-resource-group_fake-cluster_westeurope",
}


def fake_guid(*seed: object) -> str:
    """A GUID that is visibly fake (all zeros but the tail) yet differs per resource."""
    return "00000000-0000-0000-0000-" + hashlib.sha256(repr(seed).encode()).hexdigest()[:12]


def _azure_id(group: object, provider: str, name: object) -> str:
    return f"/subscriptions/{AZURE_SUBSCRIPTION}/resourceGroups/{group}/providers/{provider}/{name}"


def _gcp_account(_name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    email = f"{inputs['accountId']}@{inputs.get('project', 'fake-project-000000')}.iam.gserviceaccount.com"
    return {
        "email": email,
        "member": f"serviceAccount:{email}",
        "name": f"projects/{inputs.get('project', 'fake-project-000000')}/serviceAccounts/{email}",
        "uniqueId": "000000000000000000000",
    }


def _user_assigned_identity(_name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    group, name = inputs["resourceGroupName"], inputs["resourceName"]
    return {
        "name": name,
        "clientId": fake_guid("client", group, name),
        "principalId": fake_guid("principal", group, name),
        "tenantId": AZURE_TENANT,
        "id": _azure_id(group, "Microsoft.ManagedIdentity/userAssignedIdentities", name),
    }


RESOURCE_OUTPUTS: dict[str, FakeState] = {
    "pulumi:pulumi:StackReference": lambda _name, _inputs: {
        "outputs": CLUSTER_STACK_OUTPUTS, "secretOutputNames": ["kubeconfig"]
    },
    "gcp:dns/managedZone:ManagedZone": lambda _name, _inputs: {
        "nameServers": GCP_NAME_SERVERS, "managedZoneId": "0000000000000000000",
    },
    "gcp:serviceaccount/account:Account": _gcp_account,
    "gcp:projects/iAMCustomRole:IAMCustomRole": lambda _name, inputs: {
        "id": f"projects/{inputs.get('project')}/roles/{inputs['roleId']}",
        "name": f"projects/{inputs.get('project')}/roles/{inputs['roleId']}",
        "deleted": False,
    },
    "aws:route53/zone:Zone": lambda _name, _inputs: {
        "zoneId": AWS_ZONE_ID, "arn": f"arn:aws:route53:::hostedzone/{AWS_ZONE_ID}", "nameServers": AWS_NAME_SERVERS,
    },
    "aws:iam/role:Role": lambda _name, inputs: {
        "arn": f"arn:aws:iam::{AWS_ACCOUNT}:role/{inputs.get('name', 'fake-role')}",
        "uniqueId": "AROA00000000000000FAKE",
    },
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": lambda _name, inputs: {
        "associationId": "a-00000000000000fake",
        "associationArn": f"arn:aws:eks:us-east-1:{AWS_ACCOUNT}:podidentityassociation/"
        f"{inputs.get('clusterName', 'fake-cluster')}/a-00000000000000fake",
    },
    "azure-native:dns:Zone": lambda _name, inputs: {
        "name": inputs["zoneName"],
        "id": _azure_id(inputs["resourceGroupName"], "Microsoft.Network/dnszones", inputs["zoneName"]),
        "nameServers": AZURE_NAME_SERVERS,
    },
    "azure-native:privatedns:PrivateZone": lambda _name, inputs: {
        "name": inputs["privateZoneName"],
        "id": _azure_id(inputs["resourceGroupName"], "Microsoft.Network/privateDnsZones", inputs["privateZoneName"]),
    },
    "azure-native:managedidentity:UserAssignedIdentity": _user_assigned_identity,
}



def _gke_cluster(args: dict[str, Any]) -> dict[str, Any]:
    """A GKE Standard cluster with GKE's Gateway API and Workload Identity Federation on, and one node pool."""
    return {
        "name": args["name"],
        "location": args.get("location"),
        "project": args.get("project"),
        "enableAutopilot": False,
        "gatewayApiConfigs": [{"channel": "CHANNEL_STANDARD"}],
        "workloadIdentityConfigs": [{"workloadPool": f"{args.get('project')}.svc.id.goog"}],
        "nodePools": [
            {"name": "default-pool", "nodeConfigs": [{"workloadMetadataConfigs": [{"mode": "GKE_METADATA"}]}]}
        ],
    }


def _aks_cluster(args: dict[str, Any]) -> dict[str, Any]:
    """An AKS cluster with its OIDC issuer (the cluster stack's) and workload identity on."""
    return {
        "name": args["resourceName"],
        "id": _azure_id(args["resourceGroupName"], "Microsoft.ContainerService/managedClusters", args["resourceName"]),
        "location": CLUSTER_STACK_OUTPUTS["location"],
        "oidcIssuerProfile": {"enabled": True, "issuerURL": CLUSTER_STACK_OUTPUTS["oidcIssuerUrl"]},
        "securityProfile": {"workloadIdentity": {"enabled": True}},
    }


# Zone lookups answer with the zone asked for; a DNS name is returned only where the arguments carry it,
# so the provider's check that an adopted zone is the configured one is left to a real lookup. Cluster lookups
# answer a cluster that has everything the preflights ask for.
CALL_RESULTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aws:eks/getCluster:getCluster": lambda args: {
        "name": args["name"],
        "arn": f"arn:aws:eks:us-east-1:{AWS_ACCOUNT}:cluster/{args['name']}",
        "computeConfigs": [{"enabled": False, "nodePools": [], "nodeRoleArn": ""}],
        "status": "ACTIVE",
    },
    "aws:eks/getAddon:getAddon": lambda args: {
        "addonName": args["addonName"], "clusterName": args["clusterName"], "addonVersion": "v1.3.8-eksbuild.2",
    },
    "gcp:container/getCluster:getCluster": _gke_cluster,
    "azure-native:containerservice:getManagedCluster": _aks_cluster,
    "aws:route53/getZone:getZone": lambda args: {
        "zoneId": args.get("zoneId") or AWS_ZONE_ID,
        **({"name": args["name"]} if args.get("name") else {}),
        "arn": f"arn:aws:route53:::hostedzone/{args.get('zoneId') or AWS_ZONE_ID}",
        "nameServers": AWS_NAME_SERVERS,
        "privateZone": bool(args.get("privateZone")),
    },
    "gcp:dns/getManagedZone:getManagedZone": lambda args: {
        "name": args["name"],
        "project": args.get("project"),
        "id": f"projects/{args.get('project')}/managedZones/{args['name']}",
        "managedZoneId": "0000000000000000000",
        "nameServers": GCP_NAME_SERVERS,
    },
    "azure-native:dns:getZone": lambda args: {
        "name": args["zoneName"],
        "id": _azure_id(args["resourceGroupName"], "Microsoft.Network/dnszones", args["zoneName"]),
        "nameServers": AZURE_NAME_SERVERS,
    },
    "azure-native:privatedns:getPrivateZone": lambda args: {
        "name": args["privateZoneName"],
        "id": _azure_id(args["resourceGroupName"], "Microsoft.Network/privateDnsZones", args["privateZoneName"]),
    },
}


def fake_state(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs for a resource of `type_`; empty where the inputs say all there is."""
    row = RESOURCE_OUTPUTS.get(type_)
    return row(name, inputs) if row else {}


def fake_call(token: str, args: dict[str, Any]) -> dict[str, Any]:
    """Result of an invoke; unknown invokes answer empty, as a mock must not guess."""
    row = CALL_RESULTS.get(token)
    return row(args) if row else {}
