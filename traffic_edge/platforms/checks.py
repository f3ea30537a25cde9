"""What a cloud's answer about the cluster contradicts (pure): each finding with the command that fixes it.

The answers are the cloud look-ups' results (`gcp.container.get_cluster`, `azure_native.containerservice.
get_managed_cluster`, `aws.eks.get_cluster` / `get_addon`), or the error a look-up failed with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traffic_edge.config.errors import Issue

CLUSTER_KEY = "platform.clusterName"
# GatewayAPIConfig.Channel values that enable GKE's Gateway API (CHANNEL_DISABLED does not).
# https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters#channel
GKE_GATEWAY_API_CHANNELS = frozenset({"CHANNEL_STANDARD", "CHANNEL_EXPERIMENTAL"})
# A node pool on this mode hands pods the node's identity instead of their own (Workload Identity Federation).
# https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity#option_2_node_pool_modification
GKE_NODE_METADATA = "GCE_METADATA"
# https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html
POD_IDENTITY_AGENT = "eks-pod-identity-agent"


def _unknown_cluster(kind: str, where: str, error: Exception) -> Issue:
    return Issue(CLUSTER_KEY, f"no {kind} cluster {where} could be looked up ({error})",
                 "name the cluster the edge is deployed to, and give the platform's credentials read access to it")


def gke_issues(
    cluster: Any, facts: Mapping[str, str], gateway_api: bool, workload_identity: bool
) -> list[Issue]:
    """GKE's Gateway API where the edge runs on it; Workload Identity on the cluster and every node pool."""
    name, location, project = facts["clusterName"], facts["location"], facts["project"]
    if isinstance(cluster, Exception):
        return [_unknown_cluster("GKE", f"{name} in {location} of project {project}", cluster)]
    update = f"gcloud container clusters update {name} --location={location} --project={project}"
    issues = []
    channels = {config.channel for config in cluster.gateway_api_configs or []}
    if gateway_api and not channels & GKE_GATEWAY_API_CHANNELS:
        issues.append(Issue(CLUSTER_KEY, f"GKE cluster {name} has its Gateway API disabled, and this stack uses it "
                            "(its CRDs or its controller)", f"{update} --gateway-api=standard"))
    if not workload_identity:
        return issues
    pool = f"{project}.svc.id.goog"
    if pool not in {config.workload_pool for config in cluster.workload_identity_configs or []}:
        issues.append(Issue(CLUSTER_KEY, f"GKE cluster {name} does not have Workload Identity Federation (pool "
                            f"{pool}), which the controllers' identities use", f"{update} --workload-pool={pool}"))
    for node_pool in cluster.node_pools or []:
        modes = {metadata.mode for config in node_pool.node_configs or []
                 for metadata in config.workload_metadata_configs or []}
        if GKE_NODE_METADATA in modes:
            issues.append(Issue(CLUSTER_KEY, f"node pool {node_pool.name} of GKE cluster {name} gives pods the node's "
                                "identity (GCE_METADATA)", f"gcloud container node-pools update {node_pool.name} "
                                f"--cluster={name} --location={location} --project={project} "
                                "--workload-metadata=GKE_METADATA"))
    return issues


def aks_issues(cluster: Any, facts: Mapping[str, str]) -> list[Issue]:
    """The cluster issues service-account tokens under the issuer the federated credentials trust, and runs the
    workload identity webhook that hands them to pods."""
    name, group, issuer = facts["clusterName"], facts["resourceGroup"], facts["oidcIssuerUrl"]
    if isinstance(cluster, Exception):
        return [_unknown_cluster("AKS", f"{name} in resource group {group}", cluster)]
    update = f"az aks update --resource-group {group} --name {name}"
    issues = []
    oidc = cluster.oidc_issuer_profile
    if oidc is None or not oidc.enabled:
        issues.append(Issue(CLUSTER_KEY, f"AKS cluster {name} has no OIDC issuer, which the federated credentials "
                            "trust", f"{update} --enable-oidc-issuer"))
    elif oidc.issuer_url != issuer:
        issues.append(Issue("platform.oidcIssuerUrl", f"is {issuer}, but AKS cluster {name} issues its tokens as "
                            f"{oidc.issuer_url}", f"set platform.oidcIssuerUrl: {oidc.issuer_url}"))
    security = cluster.security_profile
    workload_identity = security.workload_identity if security is not None else None
    if workload_identity is None or not workload_identity.enabled:
        issues.append(Issue(CLUSTER_KEY, f"AKS cluster {name} does not have workload identity enabled, so no pod "
                            "receives its identity's token", f"{update} --enable-workload-identity"))
    return issues


def eks_auto_mode(cluster: Any) -> bool:
    """EKS Auto Mode has the Pod Identity Agent built in (pod-id-agent-setup.html: no add-on needed)."""
    return not isinstance(cluster, Exception) and any(config.enabled for config in cluster.compute_configs or [])


def eks_issues(cluster: Any, addon: Any, facts: Mapping[str, str]) -> list[Issue]:
    """Pod Identity associations work only where the agent runs: EKS Auto Mode, or its add-on."""
    name, region = facts["clusterName"], facts["region"]
    if isinstance(cluster, Exception):
        return [_unknown_cluster("EKS", f"{name} in {region}", cluster)]
    if eks_auto_mode(cluster) or not isinstance(addon, Exception):
        return []
    return [Issue(CLUSTER_KEY, f"EKS cluster {name} runs no Pod Identity Agent ({addon}), so no pod can assume its "
                  "role", f"aws eks create-addon --cluster-name {name} --addon-name {POD_IDENTITY_AGENT} "
                  f"--region {region}")]
