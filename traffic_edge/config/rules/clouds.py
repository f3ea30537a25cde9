"""Cloud platforms: every cluster fact is set somewhere and consistent; a cloud zone is created or adopted one way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from traffic_edge.config.acme import dns01_solvers
from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.platforms import CLUSTER_OUTPUTS, ZONE_ID_FORMATS, partition_of, region_partition
from traffic_edge.controllers import CONTROLLERS

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


def _in_zone(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)


def check(config: StackConfig) -> Iterator[Issue]:
    """Every cluster fact the platform needs is set, in config or through the cluster's stack, and consistent."""
    platform = config.platform
    yield from dns_issues(config)
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
        expected = region_partition(platform.region)
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
        row = CONTROLLERS[config.controller.name]
        if row.azure is not None and row.workload and any(g.scope == "node_resource_group" for g in row.azure.grants):
            yield from required("nodeResourceGroup", platform.node_resource_group,
                                f"{row.workload.name} is granted roles on the cluster's node resource group")


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
    for solver in dns01_solvers(config) if dns.private else ():
        key = solver.key("type")
        yield Issue(key, "DNS-01 needs a public zone: Let's Encrypt cannot read a private one",
                    f"use {key.rsplit('.', 1)[1]}: http01, or a public zone")


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
