"""Cloud platform config: every mistake is refused with its key path and fix, before any resource exists."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Config, Rejection, parse_config, set_key, write_stack
from traffic_edge.config import ConfigError
from traffic_edge.config.platforms import CLUSTER_OUTPUTS, PLATFORM_KINDS, Aks, Eks, Gke, partition_of, region_partition
from traffic_edge.data.naming import identity_name
from traffic_edge.offline import fakes
from traffic_edge.platforms import PLATFORMS

ACME = {"acme": {"email": "ops@example.com", "solver": "dns01"}}
CLUSTER = {"ambient": True}  # a cloud stack names its cluster; these name the kube context current at deploy time
GKE: Config = {
    "platform": {"kind": "gke", "project": "acme-edge-prod"},
    "cluster": CLUSTER,
    "domain": "gke.example.com",
    "issuers": ACME,
}
EKS: Config = {
    "platform": {
        "kind": "eks",
        "region": "eu-west-1",
        "oidcProviderArn": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC",
    },
    "cluster": CLUSTER,
    "domain": "eks.example.com",
    "issuers": ACME,
}
AKS: Config = {
    "platform": {
        "kind": "aks",
        "subscriptionId": "11111111-2222-3333-4444-555555555555",
        "resourceGroup": "edge",
        "location": "westeurope",
        "oidcIssuerUrl": "https://westeurope.oic.prod-aks.azure.com/t/c/",
    },
    "cluster": CLUSTER,
    "domain": "aks.example.com",
    "issuers": ACME,
}
ONPREM: Config = {"platform": {"kind": "onprem"}, "domain": "lab.example.test"}
BASES = {"gke": GKE, "eks": EKS, "aks": AKS, "onprem": ONPREM}
AZURE_ZONE = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/dns/providers/Microsoft.Network"

Edit = Callable[[Config], None]


def put(path: str, value: Any) -> Edit:
    return lambda config: set_key(config, path, value)


def drop(path: str) -> Edit:
    def edit(config: Config) -> None:
        parent = config
        *parents, last = path.split(".")
        for part in parents:
            parent = parent[part]
        del parent[last]

    return edit


def edited(base: str, *edits: Edit) -> Config:
    config = copy.deepcopy(BASES[base])
    for edit in edits:
        edit(config)
    return config


def issues_of(config: Config) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(config)
    return [str(issue) for issue in raised.value.issues]


CASES = [
    # every cloud
    ("gke", [drop("cluster")], "cluster: a gke stack must name its cluster, or the current kube context decides "
     "where the edge goes (fix: set cluster.context (and cluster.kubeconfig), cluster.stack, or "
     "cluster.ambient: true)"),
    ("eks", [drop("cluster")], "cluster: a eks stack must name its cluster"),
    ("aks", [drop("cluster")], "cluster: a aks stack must name its cluster"),
    # GKE
    ("gke", [drop("platform.project")], "platform.project: is required: Workload Identity uses the cluster project's "
     "pool (fix: set platform.project, or name the cluster's stack (exporting `projectId`) in platform.clusterStack)"),
    ("gke", [put("platform.identity", "principal")], "platform.projectNumber: is required: principal binding names "
     "the project number (fix: set platform.projectNumber, or name the cluster's stack (exporting `projectNumber`)"),
    ("gke", [put("platform.project", "Acme")],
     "platform.project: must be a Google Cloud project ID: 6-30 lowercase letters"),
    ("gke", [put("platform.clusterName", "Edge_1")], "platform.clusterName: must be a GKE cluster name"),
    ("gke", [put("platform.location", "europe west1")],
     "platform.location: must be a Google Cloud region or zone, e.g. europe-west1"),
    ("gke", [put("dns", {"adopt": {"name": "edge", "id": "projects/acme-dns/managedZones/edge"}})],
     "dns.adopt: names the zone twice, by name and by id (fix: keep one of dns.adopt.name, dns.adopt.id)"),
    ("gke", [put("dns", {"adopt": {}})], "dns.adopt: needs the zone's name or id (fix: set dns.adopt.name or "
     "dns.adopt.id)"),
    ("gke", [put("dns", {"adopt": {"id": "edge"}})], "dns.adopt.id: is not a Cloud DNS zone ID (fix: write it as "
     "projects/<project>/managedZones/<name>)"),
    ("gke", [put("dns", {"adopt": {"name": "gke.example.com"}})], "dns.adopt.name: is not a Cloud DNS zone name"),
    ("gke", [put("dns", {"zone": "example.org"})], "dns.zone: zone example.org does not cover the domain "
     "gke.example.com (fix: use gke.example.com or a parent of it)"),
    ("gke", [put("dns", {"rfc2136": {"nameserver": "10.0.0.53", "tsigKeyName": "k.example.com"}})],
     "dns.rfc2136: RFC 2136 is for on-prem DNS, not gke (fix: remove it)"),
    ("gke", [put("dns", {"private": True}), put("issuers", {})], "dns.networks: a private zone needs the networks that "
     "resolve it (fix: list them as projects/<project>/global/networks/<network>)"),
    ("gke", [put("dns", {"private": True, "networks": ["default"]}), put("issuers", {})],
     "dns.networks[0]: default is not a network of gke"),
    ("gke", [put("dns", {"private": True, "networks": ["projects/p/global/networks/n"]})],
     "issuers.acme.solver: DNS-01 needs a public zone: Let's Encrypt cannot read a private one (fix: use solver: "
     "http01, or a public zone)"),
    # EKS
    ("eks", [drop("platform.oidcProviderArn")], "platform.oidcProviderArn: is required: IRSA roles trust the "
     "cluster's IAM OIDC provider (fix: set platform.oidcProviderArn, or name the cluster's stack (exporting "
     "`oidcProviderArn`) in platform.clusterStack)"),
    ("eks", [put("platform.identity", "podIdentity")], "platform.clusterName: is required: Pod Identity "
     "associations name the cluster"),
    ("eks", [drop("platform.region")], "platform.region: is required"),
    ("eks", [put("platform.oidcProviderArn", "arn:aws:iam::1:role/x")],
     "platform.oidcProviderArn: must be an IAM OIDC provider ARN"),
    ("eks", [put("platform.partition", "aws-cn")], "platform.partition: region eu-west-1 is in partition aws, not "
     "aws-cn (fix: use partition: aws, or remove it)"),
    ("eks", [put("platform.oidcProviderArn", "arn:aws-cn:iam::111122223333:oidc-provider/oidc.eks.x/id/A")],
     "platform.oidcProviderArn: the OIDC provider is in partition aws-cn, the region eu-west-1 in aws"),
    ("eks", [put("dns", {"adopt": {"id": "zone-1"}})], "dns.adopt.id: is not a Route 53 zone ID (fix: write it as "
     "the hosted zone ID, e.g. Z0123456789ABCDEFGHIJ)"),
    ("eks", [put("dns", {"adopt": {"name": "example.com"}})], "dns.adopt.name: names zone example.com, not "
     "eks.example.com (dns.zone, defaulting to domain) (fix: set dns.zone: example.com)"),
    ("eks", [put("dns", {"adopt": {"name": "example.com."}})], "dns.adopt.name: names zone example.com, not "
     "eks.example.com (dns.zone, defaulting to domain) (fix: set dns.zone: example.com)"),  # its trailing dot
    ("eks", [put("dns", {"adopt": {"name": "example.org"}})], "dns.adopt.name: names zone example.org, not "
     "eks.example.com (dns.zone, defaulting to domain) (fix: adopt the zone of eks.example.com or of a parent of it)"),
    ("eks", [put("dns", {"adopt": {"id": "Z123"}, "networks": ["vpc-0123456789abcdef0"], "private": True}),
             put("issuers", {})], "dns.networks: an adopted zone keeps the networks it has (fix: remove dns.networks)"),
    ("eks", [put("dns", {"networks": ["vpc-0123456789abcdef0"]})], "dns.networks: only private zones have networks "
     "(fix: set dns.private: true, or remove dns.networks)"),
    # AKS
    ("aks", [drop("platform.oidcIssuerUrl")], "platform.oidcIssuerUrl: is required: federated credentials trust the "
     "cluster's OIDC issuer (fix: set platform.oidcIssuerUrl, or name the cluster's stack (exporting "
     "`oidcIssuerUrl`) in platform.clusterStack)"),
    ("aks", [drop("platform.subscriptionId")], "platform.subscriptionId: is required: role assignments are made in it"),
    ("aks", [drop("platform.resourceGroup")], "platform.resourceGroup: is required: the managed identities are "
     "created in it"),
    ("aks", [drop("platform.location")], "platform.location: is required: the managed identities are created there"),
    ("aks", [put("platform.oidcIssuerUrl", "http://issuer")], "platform.oidcIssuerUrl: must be an https:// URL"),
    ("aks", [put("platform.environment", "AzureGermanCloud")], "platform.environment: must be one of"),
    ("aks", [put("platform.clusterName", "-edge")], "platform.clusterName: must be an AKS cluster name"),
    ("aks", [put("dns", {"adopt": {"id": f"{AZURE_ZONE}/privateDnsZones/aks.example.com"}})],
     "dns.adopt.id: is a private zone (fix: set dns.private: true, or adopt a public zone)"),
    ("aks", [put("dns", {"adopt": {"id": f"{AZURE_ZONE}/dnszones/aks.example.com"}, "private": True}),
             put("issuers", {})],
     "dns.adopt.id: is a public zone (fix: set dns.private: false, or adopt a private zone)"),
    ("aks", [put("dns", {"adopt": {"id": f"{AZURE_ZONE}/dnszones/example.com"}})], "dns.adopt.id: names zone "
     "example.com, not aks.example.com (dns.zone, defaulting to domain) (fix: set dns.zone: example.com)"),
    ("aks", [put("dns", {"adopt": {"id": f"{AZURE_ZONE}/dnszones/s.example.com"}})], "dns.adopt.id: names zone "
     "s.example.com, not aks.example.com (dns.zone, defaulting to domain) (fix: adopt the zone of aks.example.com or "
     "of a parent of it)"),  # a suffix look-alike is no parent
    ("aks", [put("dns", {"adopt": {"id": "aks.example.com"}})], "dns.adopt.id: is not a Azure DNS zone ID"),
    ("aks", [put("dns", {"private": True, "networks": ["vnet-1"]}), put("issuers", {})],
     "dns.networks[0]: vnet-1 is not a network of aks (fix: write it as /subscriptions/<id>/resourceGroups/<group>/"
     "providers/Microsoft.Network/virtualNetworks/<name>)"),
    # a network reference is the whole of one: nothing before or after it
    ("gke", [put("dns", {"private": True, "networks": ["projects/p/global/networks/n/subnetworks/s"]}),
             put("issuers", {})],
     "dns.networks[0]: projects/p/global/networks/n/subnetworks/s is not a network of gke"),
    ("eks", [put("dns", {"private": True, "networks": ["vpc-0123456789abcdef0/extra"]}), put("issuers", {})],
     "dns.networks[0]: vpc-0123456789abcdef0/extra is not a network of eks (fix: write it as a VPC ID, vpc-…)"),
    ("aks", [put("dns", {"private": True, "networks": [f"{AZURE_ZONE}/virtualNetworks/vnet-1/subnets/a"]}),
             put("issuers", {})],
     f"dns.networks[0]: {AZURE_ZONE}/virtualNetworks/vnet-1/subnets/a is not a network of aks"),
    # on-prem
    ("onprem", [put("dns", {"adopt": {"name": "lab"}})], "dns.adopt: is for cloud DNS zones; on-prem DNS is "
     "dns.rfc2136 (fix: remove it)"),
    ("onprem", [put("dns", {"private": True})], "dns.private: is for cloud DNS zones"),
    ("onprem", [put("dns", {"networks": ["vpc-0123456789abcdef0"]})], "dns.networks: is for cloud DNS zones"),
]


@pytest.mark.parametrize(("base", "edits", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_mistake_is_refused_with_its_path_and_fix(base: str, edits: list[Edit], expected: str) -> None:
    found = issues_of(edited(base, *edits))
    assert any(issue.startswith(expected) for issue in found), found


def test_the_cluster_facts_a_preflight_reads_are_optional_and_checked_in_shape() -> None:
    gke = parse_config(edited("gke", put("platform.clusterName", "edge"), put("platform.location", "europe-west1-b")))
    assert isinstance(gke.platform, Gke)
    assert (gke.platform.cluster_name, gke.platform.location) == ("edge", "europe-west1-b")
    aks = parse_config(edited("aks", put("platform.clusterName", "edge_1")))
    assert isinstance(aks.platform, Aks)
    assert aks.platform.cluster_name == "edge_1"
    assert (CLUSTER_OUTPUTS["gke"]["clusterName"], CLUSTER_OUTPUTS["gke"]["location"]) == ("clusterName", "location")
    assert CLUSTER_OUTPUTS["aks"]["clusterName"] == "clusterName"


@pytest.mark.parametrize(("region", "partition"), [
    ("eu-west-1", "aws"), ("cn-northwest-1", "aws-cn"), ("us-gov-east-1", "aws-us-gov"), ("us-east-1", "aws"),
])
def test_the_partition_follows_from_the_region(region: str, partition: str) -> None:
    assert region_partition(region) == partition
    parse_config(edited("eks", put("platform.region", region), drop("platform.oidcProviderArn"),
                        put("platform.clusterStack", "acme/eks/prod"), put("platform.partition", partition)))


@pytest.mark.parametrize(("base", "dns"), [
    ("gke", {"adopt": {"name": "edge-zone"}}),  # Cloud DNS names a zone by a NAME of its own, not its DNS name
    ("eks", {"adopt": {"name": "eks.example.com."}}),  # a zone's name with its trailing dot is the zone
    ("eks", {"adopt": {"name": "example.com."}, "zone": "example.com"}),
], ids=["gke-zone-name", "trailing-dot", "parent-zone"])
def test_an_adopted_zone_that_is_the_stacks_zone_parses(base: str, dns: Config) -> None:
    parse_config(edited(base, put("dns", dns)))


@pytest.mark.parametrize("base", ["gke", "eks", "aks"])
def test_valid_cloud_configs_parse(base: str) -> None:
    config = parse_config(BASES[base])
    assert config.platform.kind == base
    assert config.dns.protect is True
    assert config.dns.private is False
    assert config.dns.adopt is None


def test_a_zone_name_with_its_trailing_dot_is_the_zone() -> None:
    """Route 53 and Azure write zone names fully qualified (`example.com.`): the same zone as without the dot."""
    adopted = parse_config(edited("eks", put("dns", {"adopt": {"name": "eks.example.com."}}))).dns.adopt
    assert adopted is not None
    assert adopted.name == "eks.example.com."
    assert issues_of(edited("eks", put("dns", {"adopt": {"name": "example.com."}}))) == [
        "dns.adopt.name: names zone example.com, not eks.example.com (dns.zone, defaulting to domain) (fix: set "
        "dns.zone: example.com)"]


def test_a_cluster_stack_stands_in_for_every_fact() -> None:
    for base in ("gke", "eks", "aks"):
        region = {"region": "us-east-1"} if base == "eks" else {}
        stack_only = {"kind": base, "clusterStack": "acme/cluster/prod", **region}
        parse_config({**BASES[base], "platform": stack_only})
    parse_config(edited("gke", put("platform", {"kind": "gke", "identity": "principal", "clusterStack": "a/b/c"})))
    assert "platform.clusterStack: must be a stack's full name, organization/project/stack" in "\n".join(
        issues_of(edited("gke", put("platform.clusterStack", "prod")))
    )


def test_alb_controller_needs_the_node_resource_group() -> None:
    found = issues_of(edited("aks", put("controller", {"name": "azure-alb"})))
    assert any(issue.startswith("platform.nodeResourceGroup: is required: alb-controller is granted roles on the "
                                "cluster's node resource group") for issue in found), found


def test_every_platform_kind_has_a_provider() -> None:
    assert set(PLATFORM_KINDS) == set(PLATFORMS) == {"onprem", "gke", "eks", "aks"}


def test_cluster_outputs_are_config_keys_and_faked_offline() -> None:
    """The output names the docs promise are the fields' own keys, and the offline fake answers every one."""
    for kind, model in (("gke", Gke), ("eks", Eks), ("aks", Aks)):
        aliases = {field.alias for field in model.model_fields.values()}
        assert set(CLUSTER_OUTPUTS[kind]) <= aliases
    outputs = {output for names in CLUSTER_OUTPUTS.values() for output in names.values()}
    # and `kubeconfig`, which a cluster stack named in cluster.stack connects the edge through
    assert outputs | {"kubeconfig"} == set(fakes.CLUSTER_STACK_OUTPUTS)


def test_identity_names_fit_the_cloud_limit_and_stay_unique() -> None:
    assert identity_name(("traffic-edge", "gke", "external-dns"), 30) == "traffic-edge-gke-external-dns"
    assert identity_name(("Traffic_Edge", "Prod.EU"), 64) == "traffic-edge-prod-eu"
    long = [identity_name(("traffic-edge", "eks-pod-identity", name), 30) for name in ("a-controller", "b-controller")]
    assert [len(name) for name in long] == [30, 30]
    assert long[0] != long[1]
    assert long[0] == identity_name(("traffic-edge", "eks-pod-identity", "a-controller"), 30)


def test_oidc_provider_arn_partition() -> None:
    assert partition_of("arn:aws-us-gov:iam::111122223333:oidc-provider/oidc.eks.us-gov-west-1.amazonaws.com/id/A") == (
        "aws-us-gov"
    )
    with pytest.raises(ValueError, match="not an IAM OIDC provider ARN"):
        partition_of("arn:aws:iam::1:role/x")


@pytest.mark.parametrize(("base", "edit", "path"), [
    ("gke", put("platform.identity", "principal"), "platform.projectNumber"),
    ("eks", drop("platform.oidcProviderArn"), "platform.oidcProviderArn"),
    ("aks", drop("platform.oidcIssuerUrl"), "platform.oidcIssuerUrl"),
    ("eks", put("dns", {"adopt": {"name": "eks.example.com", "id": "Z1"}}), "dns.adopt"),
])
def test_a_rejected_stack_registers_nothing(
    base: str, edit: Edit, path: str, tmp_path: Path, render_rejected: Callable[[Path], Rejection]
) -> None:
    rejection = render_rejected(write_stack(tmp_path, edited(base, edit)))
    assert rejection.stack_urn, "the program ran"
    assert rejection.registered == {}
    assert f"  - {path}: " in rejection.message
