"""Where the edge runs: the settings of each platform (on-prem, GKE, EKS, AKS) and the shapes of cloud identifiers.

One settings class per platform; the platform module of the same name (traffic_edge.platforms) runs it.
"""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal

from pydantic import Field

from traffic_edge.config.types import Model, Shape

StackName = Annotated[
    str, Shape(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", "a stack's full name, organization/project/stack")
]
# https://cloud.google.com/resource-manager/docs/creating-managing-projects#before_you_begin
GcpProjectId = Annotated[
    str, Shape(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$", "a Google Cloud project ID: 6-30 lowercase letters, digits and '-'")
]
# https://docs.aws.amazon.com/general/latest/gr/rande.html#regional-endpoints
AwsRegion = Annotated[str, Shape(r"^[a-z]{2}(-gov)?-[a-z]+-\d$", "an AWS region, e.g. eu-west-1")]
AwsPartition = Literal["aws", "aws-cn", "aws-us-gov"]
# Regions outside the standard partition, by prefix. https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html
REGION_PARTITIONS: Final[dict[str, AwsPartition]] = {"cn-": "aws-cn", "us-gov-": "aws-us-gov"}
OIDC_PROVIDER_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):oidc-provider/(.+)$")
OidcProviderArn = Annotated[
    str, Shape(OIDC_PROVIDER_ARN.pattern, "an IAM OIDC provider ARN, arn:aws:iam::<account>:oidc-provider/<issuer>")
]
# https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html#API_CreateCluster_RequestSyntax
# https://cloud.google.com/kubernetes-engine/docs/how-to/creating-a-zonal-cluster (a zone or a region)
GkeLocation = Annotated[str, Shape(r"^[a-z]+-[a-z]+\d(-[a-z])?$", "a Google Cloud region or zone, e.g. europe-west1")]
GkeClusterName = Annotated[str, Shape(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", "a GKE cluster name")]
# https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftcontainerservice
AksClusterName = Annotated[str, Shape(r"^[a-zA-Z0-9]([-_a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$", "an AKS cluster name")]
EksClusterName = Annotated[str, Shape(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", "an EKS cluster name")]
VpcId = Annotated[str, Shape(r"^vpc-[0-9a-f]{8,17}$", "a VPC ID, vpc-…")]
AzureUuid = Annotated[str, Shape(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", "an Azure ID (a GUID)")]
# https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftresources
ResourceGroup = Annotated[str, Shape(r"^[-\w.()]{0,89}[-\w()]$", "an Azure resource group name")]
AzureLocation = Annotated[str, Shape(r"^[a-z0-9]+$", "an Azure region name, e.g. westeurope")]
HttpsUrl = Annotated[str, Shape(r"^https://[^\s/]+(/\S*)?$", "an https:// URL")]
AzureEnvironment = Literal["AzurePublicCloud", "AzureChinaCloud", "AzureUSGovernmentCloud"]

# The outputs a cluster's stack (platform.clusterStack) is read for, per platform: the config key it stands in
# for → the output name. A fact set in config wins over the stack's output.
CLUSTER_OUTPUTS: Final[dict[str, dict[str, str]]] = {
    "gke": {"project": "projectId", "projectNumber": "projectNumber", "clusterName": "clusterName",
            "location": "location"},
    "eks": {"clusterName": "clusterName", "oidcProviderArn": "oidcProviderArn", "vpcId": "vpcId"},
    "aks": {
        "clusterName": "clusterName",
        "subscriptionId": "subscriptionId",
        "resourceGroup": "resourceGroup",
        "location": "location",
        "oidcIssuerUrl": "oidcIssuerUrl",
        "nodeResourceGroup": "nodeResourceGroup",
    },
}

# How `dns.adopt.id` is written per platform: the provider's own ID of a zone.
GCP_ZONE_ID = re.compile(
    r"^projects/(?P<project>[a-z][-a-z0-9]{4,28}[a-z0-9])/managedZones/(?P<name>[a-z]([-a-z0-9]{0,61}[a-z0-9])?)$"
)
AWS_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
AZURE_ZONE_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[0-9a-fA-F-]{36})/resourceGroups/(?P<resource_group>[-\w.()]+)"
    r"/providers/Microsoft\.Network/(?P<type>dnszones|privateDnsZones)/(?P<name>[^/]+)$",
    re.IGNORECASE,
)
ZONE_ID_FORMATS: Final[dict[str, tuple[re.Pattern[str], str]]] = {
    "gke": (GCP_ZONE_ID, "projects/<project>/managedZones/<name>"),
    "eks": (AWS_ZONE_ID, "the hosted zone ID, e.g. Z0123456789ABCDEFGHIJ"),
    "aks": (AZURE_ZONE_ID, "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/dnszones/<name>"),
}


def partition_of(oidc_provider_arn: str) -> str:
    """`arn:aws-cn:iam::…` → `aws-cn`."""
    match = OIDC_PROVIDER_ARN.match(oidc_provider_arn)
    if match is None:
        raise ValueError(f"not an IAM OIDC provider ARN: {oidc_provider_arn}")
    return match.group(1)


def region_partition(region: str) -> AwsPartition:
    """The partition an AWS region is in: `cn-north-1` → `aws-cn`; no call to AWS needed."""
    return next((partition for prefix, partition in REGION_PARTITIONS.items() if region.startswith(prefix)), "aws")


def managed_zone_name(dns_name: str) -> str:
    """A Cloud DNS zone's resource name for a DNS name: `edge.example.com` → `edge-example-com`.

    Cloud DNS names start with a letter and have at most 63 characters.
    """
    name = dns_name.rstrip(".").replace(".", "-")
    if not name[:1].isalpha():
        name = f"zone-{name}"
    return name[:63].rstrip("-")


class OnPrem(Model):
    kind: Literal["onprem"]


class Gke(Model):
    """GKE with Workload Identity Federation for GKE; DNS in Cloud DNS."""

    kind: Literal["gke"]
    project: GcpProjectId | None = Field(
        None, description="the cluster's project (also the zone's, unless adopted by ID); else the cluster stack's"
    )
    project_number: Annotated[int, Field(gt=0)] | None = Field(
        None, description="the cluster project's number, for identity: principal; else the cluster stack's"
    )
    identity: Literal["serviceAccount", "principal"] = Field(
        "serviceAccount",
        description="serviceAccount: a Google service account per controller; "
        "principal: roles bound to the Kubernetes service account itself",
    )
    cluster_name: GkeClusterName | None = Field(
        None, description="the cluster, for the preflight (Gateway API, Workload Identity); else the cluster stack's"
    )
    location: GkeLocation | None = Field(
        None, description="the cluster's region or zone, for the preflight; else the cluster stack's"
    )
    cluster_stack: StackName | None = Field(
        None,
        description="the cluster's stack, read for facts not set here (outputs projectId, projectNumber, "
        "clusterName, location)",
    )


class Eks(Model):
    """EKS with IAM roles for service accounts (IRSA) or EKS Pod Identity; DNS in Route 53."""

    kind: Literal["eks"]
    region: AwsRegion = Field(description="the cluster's region")
    partition: AwsPartition | None = Field(
        None, description="aws, aws-cn or aws-us-gov; follows from the region when unset"
    )
    identity: Literal["irsa", "podIdentity"] = Field("irsa", description="how controllers assume their IAM roles")
    cluster_name: EksClusterName | None = Field(
        None, description="the cluster, for podIdentity and its preflight; else the cluster stack's"
    )
    oidc_provider_arn: OidcProviderArn | None = Field(
        None, description="the cluster's IAM OIDC provider, for irsa; else the cluster stack's"
    )
    vpc_id: VpcId | None = Field(
        None,
        description="the cluster's VPC, for the AWS Load Balancer Controller where pods cannot reach the instance "
        "metadata service; else the cluster stack's, if it exports one",
    )
    cluster_stack: StackName | None = Field(
        None,
        description="the cluster's stack, read for facts not set here (outputs clusterName, oidcProviderArn, vpcId)",
    )


class Aks(Model):
    """AKS with Microsoft Entra Workload ID; DNS in Azure DNS."""

    kind: Literal["aks"]
    cluster_name: AksClusterName | None = Field(
        None, description="the cluster (in resourceGroup), for the preflight (OIDC issuer, workload identity); else "
        "the cluster stack's"
    )
    subscription_id: AzureUuid | None = Field(None, description="the cluster's subscription; else the cluster stack's")
    resource_group: ResourceGroup | None = Field(
        None, description="where the managed identities are created; else the cluster stack's"
    )
    location: AzureLocation | None = Field(None, description="the managed identities' region; else the cluster stack's")
    oidc_issuer_url: HttpsUrl | None = Field(
        None, description="the cluster's OIDC issuer (oidcIssuerProfile.issuerUrl); else the cluster stack's"
    )
    node_resource_group: ResourceGroup | None = Field(
        None, description="the cluster's node resource group (ALB controller); else the cluster stack's"
    )
    zone_resource_group: ResourceGroup | None = Field(
        None, description="the DNS zone's resource group; defaults to resourceGroup"
    )
    environment: AzureEnvironment = Field("AzurePublicCloud", description="the Azure cloud, for cert-manager")
    cluster_stack: StackName | None = Field(
        None,
        description="the cluster's stack, read for facts not set here (outputs clusterName, subscriptionId, "
        "resourceGroup, location, oidcIssuerUrl, nodeResourceGroup)",
    )


Platform = Annotated[OnPrem | Gke | Eks | Aks, Field(discriminator="kind")]
PLATFORM_KINDS = ("onprem", "gke", "eks", "aks")
CLOUD_KINDS = ("gke", "eks", "aks")  # the platforms with a cloud DNS zone
