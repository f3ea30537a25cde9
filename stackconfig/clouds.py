"""Value types, facts and rules of the cloud platforms (GKE, EKS, AKS), shared by the config model and the providers.

The model classes themselves live in model.py (they extend its `Model` base); this module holds the
shapes of cloud identifiers, the names under which a cluster's stack exports its facts, the parsers
that turn an identifier into its parts, and the cross-key rules stackconfig.checks runs for clouds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from catalog.permissions import AZURE
from stackconfig.errors import Issue

if TYPE_CHECKING:
    from stackconfig.model import StackConfig

@dataclass(frozen=True)
class Shape:
    """A string of one shape: its pattern goes to the JSON schema, a mismatch reads `must be <what>`."""

    pattern: str
    what: str

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {**handler(schema), "pattern": self.pattern, "description": self.what}

    def _check(self, value: str) -> str:
        if not re.match(self.pattern, value):
            raise ValueError(f"must be {self.what}")
        return value


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
OIDC_PROVIDER_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):oidc-provider/(.+)$")
OidcProviderArn = Annotated[
    str, Shape(OIDC_PROVIDER_ARN.pattern, "an IAM OIDC provider ARN, arn:aws:iam::<account>:oidc-provider/<issuer>")
]
# https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html#API_CreateCluster_RequestSyntax
EksClusterName = Annotated[str, Shape(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", "an EKS cluster name")]
AzureUuid = Annotated[str, Shape(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", "an Azure ID (a GUID)")]
# https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftresources
ResourceGroup = Annotated[str, Shape(r"^[-\w.()]{0,89}[-\w()]$", "an Azure resource group name")]
AzureLocation = Annotated[str, Shape(r"^[a-z0-9]+$", "an Azure region name, e.g. westeurope")]
HttpsUrl = Annotated[str, Shape(r"^https://[^\s/]+(/\S*)?$", "an https:// URL")]
AzureEnvironment = Literal["AzurePublicCloud", "AzureChinaCloud", "AzureUSGovernmentCloud"]

# The outputs a cluster's stack (platform.clusterStack) is read for, per platform: the config key it stands in
# for → the output name. A fact set in config wins over the stack's output.
CLUSTER_OUTPUTS: Final[dict[str, dict[str, str]]] = {
    "gke": {"project": "projectId", "projectNumber": "projectNumber"},
    "eks": {"clusterName": "clusterName", "oidcProviderArn": "oidcProviderArn"},
    "aks": {
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


def managed_zone_name(dns_name: str) -> str:
    """A Cloud DNS zone's resource name for a DNS name: `edge.example.com` → `edge-example-com`.

    Cloud DNS names start with a letter and have at most 63 characters.
    """
    name = dns_name.rstrip(".").replace(".", "-")
    if not name[:1].isalpha():
        name = f"zone-{name}"
    return name[:63].rstrip("-")


# --------------------------------------------------------------------------- cross-key rules (stackconfig.checks)

CLOUD_NAMES: Final[dict[str, str]] = {"gke": "Cloud DNS", "eks": "Route 53", "aks": "Azure DNS"}
GCP_ZONE_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
NETWORK_FORMATS: Final[dict[str, tuple[re.Pattern[str], str]]] = {
    "gke": (
        re.compile(r"^(https://www\.googleapis\.com/compute/v1/)?projects/[^/]+/global/networks/[^/]+$"),
        "projects/<project>/global/networks/<network>",
    ),
    "eks": (re.compile(r"^vpc-[0-9a-f]{8,17}$"), "a VPC ID, vpc-…"),
    "aks": (
        re.compile(
            r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+$",
            re.IGNORECASE,
        ),
        "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>",
    ),
}
# Regions outside the standard partition, by prefix. https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html
REGION_PARTITIONS: Final[dict[str, str]] = {"cn-": "aws-cn", "us-gov-": "aws-us-gov"}


def _in_zone(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)


def platform_issues(config: StackConfig) -> Iterator[Issue]:
    """Every cluster fact the platform needs is set, in config or through the cluster's stack, and consistent."""
    platform = config.platform
    if platform.kind == "onprem":
        return
    outputs = CLUSTER_OUTPUTS[platform.kind]

    def required(key: str, value: object, why: str) -> Iterator[Issue]:
        if value is None and platform.cluster_stack is None:
            yield Issue(f"platform.{key}", f"is required: {why}",
                        f"set platform.{key}, or name the cluster's stack (exporting `{outputs[key]}`) in "
                        "platform.clusterStack")

    if platform.kind == "gke":
        yield from required("project", platform.project, "Workload Identity uses the cluster project's pool")
        if platform.identity == "principal":
            yield from required("projectNumber", platform.project_number, "principal binding names the project number")
    elif platform.kind == "eks":
        if platform.identity == "irsa":
            yield from required("oidcProviderArn", platform.oidc_provider_arn,
                                "IRSA roles trust the cluster's IAM OIDC provider")
        else:
            yield from required("clusterName", platform.cluster_name, "Pod Identity associations name the cluster")
        expected = next((p for prefix, p in REGION_PARTITIONS.items() if platform.region.startswith(prefix)), "aws")
        if platform.partition is not None and platform.partition != expected:
            yield Issue("platform.partition", f"region {platform.region} is in partition {expected}, not "
                        f"{platform.partition}", f"use partition: {expected}, or remove it")
        if platform.oidc_provider_arn is not None and partition_of(platform.oidc_provider_arn) != expected:
            yield Issue("platform.oidcProviderArn", f"the OIDC provider is in partition "
                        f"{partition_of(platform.oidc_provider_arn)}, the region {platform.region} in {expected}",
                        "use the OIDC provider of the cluster in platform.region")
    else:
        yield from required("subscriptionId", platform.subscription_id, "role assignments are made in it")
        yield from required("resourceGroup", platform.resource_group, "the managed identities are created in it")
        yield from required("location", platform.location, "the managed identities are created there")
        yield from required("oidcIssuerUrl", platform.oidc_issuer_url,
                            "federated credentials trust the cluster's OIDC issuer")
        for workload, row in AZURE.items():
            if row.needed(config) and any(grant.scope == "node_resource_group" for grant in row.grants):
                yield from required("nodeResourceGroup", platform.node_resource_group,
                                    f"{workload} is granted roles on the cluster's node resource group")


def dns_issues(config: StackConfig) -> Iterator[Issue]:
    """A cloud zone is created or adopted exactly one way, is public where ACME must read it, and is the domain's."""
    dns, kind = config.dns, config.platform.kind
    if kind == "onprem":
        cloud_only = {"adopt": dns.adopt is not None, "private": dns.private, "networks": bool(dns.networks)}
        for key, given in cloud_only.items():
            if given:
                yield Issue(f"dns.{key}", "is for cloud DNS zones; on-prem DNS is dns.rfc2136", "remove it")
        return
    if dns.adopt is not None:
        yield from _adopt_issues(config, kind)
        if dns.networks:
            yield Issue("dns.networks", "an adopted zone keeps the networks it has", "remove dns.networks")
    elif dns.private and not dns.networks:
        yield Issue("dns.networks", "a private zone needs the networks that resolve it",
                    f"list them as {NETWORK_FORMATS[kind][1]}")
    if dns.networks and not dns.private:
        yield Issue("dns.networks", "only private zones have networks", "set dns.private: true, or remove dns.networks")
    pattern, form = NETWORK_FORMATS[kind]
    for index, network in enumerate(dns.networks):
        if not pattern.match(network):
            yield Issue(f"dns.networks[{index}]", f"{network} is not a network of {kind}", f"write it as {form}")
    acme = config.issuers.acme
    if dns.private and acme is not None and acme.solver == "dns01":
        yield Issue("issuers.acme.solver", "DNS-01 needs a public zone: Let's Encrypt cannot read a private one",
                    "use solver: http01, or a public zone")


def _adopt_issues(config: StackConfig, kind: str) -> Iterator[Issue]:
    adopt = config.dns.adopt
    assert adopt is not None
    if adopt.name is not None and adopt.id is not None:
        yield Issue("dns.adopt", "names the zone twice, by name and by id", "keep one of dns.adopt.name, dns.adopt.id")
    elif adopt.name is None and adopt.id is None:
        yield Issue("dns.adopt", "needs the zone's name or id", "set dns.adopt.name or dns.adopt.id")
    zone, domain = config.zone_name, config.domain
    named: str | None = None  # the DNS name the adopted zone is given by, where the reference shows it
    if adopt.id is not None:
        pattern, form = ZONE_ID_FORMATS[kind]
        match = pattern.match(adopt.id)
        if match is None:
            yield Issue("dns.adopt.id", f"is not a {CLOUD_NAMES[kind]} zone ID", f"write it as {form}")
        elif kind == "aks":
            named = match["name"]
            private = match["type"].lower() == "privatednszones"
            if private != config.dns.private:
                found, other = ("private", "public") if private else ("public", "private")
                yield Issue("dns.adopt.id", f"is a {found} zone",
                            f"set dns.private: {str(private).lower()}, or adopt a {other} zone")
    if adopt.name is not None:
        if kind == "gke" and not GCP_ZONE_NAME.match(adopt.name):
            yield Issue("dns.adopt.name", "is not a Cloud DNS zone name (lowercase letters, digits and '-')",
                        "use the NAME `gcloud dns managed-zones list` shows")
        elif kind != "gke":
            named = adopt.name
    if named is not None and named.rstrip(".") != zone:
        fix = f"set dns.zone: {named.rstrip('.')}" if _in_zone(domain, named.rstrip(".")) else \
            f"adopt the zone of {domain} or of a parent of it"
        at = "dns.adopt.id" if adopt.id is not None else "dns.adopt.name"
        yield Issue(at, f"names zone {named.rstrip('.')}, not {zone} (dns.zone, defaulting to domain)", fix)
