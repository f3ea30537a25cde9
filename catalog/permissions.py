"""What each in-cluster workload may do in each cloud, as data, and the pure builders of its policies.

One row per workload per cloud, under the upstream page it follows. Scopes are symbolic (the zone,
the zone's project or resource group, the node resource group) and the providers resolve them; a
workload of catalog.workloads with a row here gets its cloud identity without code changes. The
builders return plain dicts with sorted keys and sorted action lists, testable without Pulumi.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from catalog.controllers import CONTROLLERS

if TYPE_CHECKING:
    from stackconfig.model import StackConfig

Needed = Callable[["StackConfig"], bool]


def _external_dns(config: StackConfig) -> bool:
    """external-dns gets an identity only when it is installed."""
    return config.external_dns.enabled


def _dns01(config: StackConfig) -> bool:
    """cert-manager needs cloud DNS access only to solve ACME DNS-01 challenges."""
    acme = config.issuers.acme
    return acme is not None and acme.solver == "dns01"


def _controller_workload(workload: str) -> Needed:
    """Needed when the configured gateway controller runs as this workload."""

    def needed(config: StackConfig) -> bool:
        return CONTROLLERS[config.controller.name].workload == workload

    return needed


# --------------------------------------------------------------------------- Google Cloud

#: Lets a Kubernetes service account impersonate a Google service account (Workload Identity Federation for GKE).
GCP_WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
GcpScope = Literal["zone", "project"]  # the managed zone; the zone's project


@dataclass(frozen=True)
class GcpGrant:
    role: str
    scope: GcpScope


@dataclass(frozen=True)
class GcpRow:
    grants: tuple[GcpGrant, ...]
    source: str
    needed: Needed


GCP: dict[str, GcpRow] = {
    # https://cert-manager.io/docs/configuration/acme/dns01/google/ (the solver names its zone: no project listing)
    "cert-manager": GcpRow(
        grants=(GcpGrant("roles/dns.admin", "zone"),),
        source="https://cert-manager.io/docs/configuration/acme/dns01/google/",
        needed=_dns01,
    ),
    # https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/gke/ (lists the project's zones)
    "external-dns": GcpRow(
        grants=(GcpGrant("roles/dns.admin", "zone"), GcpGrant("roles/dns.reader", "project")),
        source="https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/gke/",
        needed=_external_dns,
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


# --------------------------------------------------------------------------- AWS

#: Resource templates in AWS rows: `{partition}` and `{zone_id}` are filled in per stack.
ZONE_ARN = "arn:{partition}:route53:::hostedzone/{zone_id}"
CHANGE_ARN = "arn:{partition}:route53:::change/*"
ANY_RESOURCE = "*"
IRSA_AUDIENCE = "sts.amazonaws.com"
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"


@dataclass(frozen=True)
class AwsStatement:
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class AwsRow:
    statements: tuple[AwsStatement, ...]
    source: str
    needed: Needed


def _elb_arn(resource: str) -> str:
    return f"arn:{{partition}}:elasticloadbalancing:*:*:{resource}"


_LBC_CLUSTER_TAG = "elbv2.k8s.aws/cluster"
_LBC_REQUEST_TAG = f"aws:RequestTag/{_LBC_CLUSTER_TAG}"
_LBC_RESOURCE_TAG = f"aws:ResourceTag/{_LBC_CLUSTER_TAG}"
_LBC_OWNED = {"Null": {_LBC_RESOURCE_TAG: "false"}}
_LBC_TAGGING_OWNED = {"Null": {_LBC_REQUEST_TAG: "true", _LBC_RESOURCE_TAG: "false"}}
_LBC_LOAD_BALANCERS = (_elb_arn("targetgroup/*/*"), _elb_arn("loadbalancer/net/*/*"), _elb_arn("loadbalancer/app/*/*"))
_LBC_SECURITY_GROUPS = ("arn:{partition}:ec2:*:*:security-group/*",)

AWS: dict[str, AwsRow] = {
    # https://cert-manager.io/docs/configuration/acme/dns01/route53/#set-up-an-iam-role
    "cert-manager": AwsRow(
        statements=(
            AwsStatement(("route53:GetChange",), (CHANGE_ARN,)),
            AwsStatement(("route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"), (ZONE_ARN,)),
            AwsStatement(("route53:ListHostedZonesByName",), (ANY_RESOURCE,)),
        ),
        source="https://cert-manager.io/docs/configuration/acme/dns01/route53/#set-up-an-iam-role",
        needed=_dns01,
    ),
    # https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/aws/#iam-policy
    "external-dns": AwsRow(
        statements=(
            AwsStatement(("route53:ChangeResourceRecordSets", "route53:ListTagsForResource"), (ZONE_ARN,)),
            AwsStatement(("route53:ListHostedZones", "route53:ListResourceRecordSets"), (ANY_RESOURCE,)),
        ),
        source="https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/aws/#iam-policy",
        needed=_external_dns,
    ),
    # https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/main/docs/install/iam_policy.json
    "aws-load-balancer-controller": AwsRow(
        statements=(
            AwsStatement(
                ("iam:CreateServiceLinkedRole",), (ANY_RESOURCE,),
                {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
            ),
            AwsStatement(
                (
                    "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
                    "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
                    "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
                    "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage",
                    "ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools",
                    "ec2:DescribeRouteTables", "elasticloadbalancing:DescribeLoadBalancers",
                    "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeListenerCertificates", "elasticloadbalancing:DescribeSSLPolicies",
                    "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups",
                    "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth",
                    "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTrustStores",
                    "elasticloadbalancing:DescribeListenerAttributes",
                    "elasticloadbalancing:DescribeCapacityReservation",
                ),
                (ANY_RESOURCE,),
            ),
            AwsStatement(
                ("cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate",
                 "iam:ListServerCertificates", "iam:GetServerCertificate", "waf-regional:GetWebACL",
                 "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL",
                 "waf-regional:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource",
                 "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "shield:GetSubscriptionState",
                 "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection"),
                (ANY_RESOURCE,),
            ),
            AwsStatement(("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"), (ANY_RESOURCE,)),
            AwsStatement(("ec2:CreateSecurityGroup",), (ANY_RESOURCE,)),
            AwsStatement(
                ("ec2:CreateTags",), _LBC_SECURITY_GROUPS,
                {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, "Null": {_LBC_REQUEST_TAG: "false"}},
            ),
            AwsStatement(("ec2:CreateTags", "ec2:DeleteTags"), _LBC_SECURITY_GROUPS, _LBC_TAGGING_OWNED),
            AwsStatement(
                ("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"),
                (ANY_RESOURCE,), _LBC_OWNED,
            ),
            AwsStatement(
                ("elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"),
                (ANY_RESOURCE,), {"Null": {_LBC_REQUEST_TAG: "false"}},
            ),
            AwsStatement(
                ("elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
                 "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"),
                (ANY_RESOURCE,),
            ),
            AwsStatement(
                ("elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"), _LBC_LOAD_BALANCERS,
                _LBC_TAGGING_OWNED,
            ),
            AwsStatement(
                ("elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"),
                (_elb_arn("listener/net/*/*/*"), _elb_arn("listener/app/*/*/*"),
                 _elb_arn("listener-rule/net/*/*/*"), _elb_arn("listener-rule/app/*/*/*")),
            ),
            AwsStatement(
                ("elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
                 "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
                 "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
                 "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
                 "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyCapacityReservation",
                 "elasticloadbalancing:ModifyIpPools"),
                (ANY_RESOURCE,), _LBC_OWNED,
            ),
            AwsStatement(
                ("elasticloadbalancing:AddTags",), _LBC_LOAD_BALANCERS,
                {"StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]},
                 "Null": {_LBC_REQUEST_TAG: "false"}},
            ),
            AwsStatement(
                ("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"),
                (_elb_arn("targetgroup/*/*"),),
            ),
            AwsStatement(
                ("elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
                 "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
                 "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities"),
                (ANY_RESOURCE,),
            ),
        ),
        source="https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/main/docs/install/iam_policy.json",
        needed=_controller_workload("aws-load-balancer-controller"),
    ),
}


def _sorted(value: Any) -> Any:
    """Plain data with every mapping's keys in order and every list of strings sorted."""
    if isinstance(value, Mapping):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        items = [_sorted(item) for item in value]
        return sorted(items) if all(isinstance(item, str) for item in items) else items
    return value


def _policy(statements: list[dict[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = _sorted({"Version": "2012-10-17", "Statement": statements})
    return document


def aws_policy_document(row: AwsRow, partition: str, zone_id: str) -> dict[str, Any]:
    """The IAM policy of one row for a zone, statements in row order."""
    statements = []
    for statement in row.statements:
        document: dict[str, Any] = {
            "Effect": "Allow",
            "Action": list(statement.actions),
            "Resource": [resource.format(partition=partition, zone_id=zone_id) for resource in statement.resources],
        }
        if statement.condition:
            document["Condition"] = statement.condition
        statements.append(document)
    return _policy(statements)


def irsa_trust_policy(oidc_provider_arn: str, namespace: str, service_account: str) -> dict[str, Any]:
    """Only this service account's projected token, issued for STS, may assume the role (IRSA)."""
    issuer = oidc_provider_arn.split(":oidc-provider/", 1)[1]
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                f"{issuer}:aud": IRSA_AUDIENCE,
            }
        },
    }
    return _policy([statement])


def pod_identity_trust_policy() -> dict[str, Any]:
    """The EKS Pod Identity agent assumes the role; the association names the one service account."""
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    }
    return _policy([statement])


# --------------------------------------------------------------------------- Azure

#: Built-in role name → role definition GUID. https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
AZURE_ROLES: dict[str, str] = {
    "DNS Zone Contributor": "befefa01-2a29-4197-83a8-272ff33ce314",
    "Private DNS Zone Contributor": "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "AppGw for Containers Configuration Manager": "fbc52c3f-28ad-4303-a892-8a056630b8f1",
}
AZURE_TOKEN_AUDIENCE = "api://AzureADTokenExchange"
AzureScope = Literal["zone", "zone_resource_group", "node_resource_group"]


@dataclass(frozen=True)
class AzureGrant:
    role: str  # a key of AZURE_ROLES
    scope: AzureScope
    private_role: str | None = None  # the role on a Private DNS zone, where it differs


@dataclass(frozen=True)
class AzureRow:
    grants: tuple[AzureGrant, ...]
    source: str
    needed: Needed


_ZONE_CONTRIBUTOR = AzureGrant("DNS Zone Contributor", "zone", private_role="Private DNS Zone Contributor")

AZURE: dict[str, AzureRow] = {
    # https://cert-manager.io/docs/configuration/acme/dns01/azuredns/#managed-identity-using-aad-workload-identity
    "cert-manager": AzureRow(
        grants=(_ZONE_CONTRIBUTOR,),
        source="https://cert-manager.io/docs/configuration/acme/dns01/azuredns/",
        needed=_dns01,
    ),
    # https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/azure/#managed-identity-using-workload-identity
    # (Reader on the resource group lists its zones; azure-private-dns.md grants the private equivalents)
    "external-dns": AzureRow(
        grants=(_ZONE_CONTRIBUTOR, AzureGrant("Reader", "zone_resource_group")),
        source="https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/azure/",
        needed=_external_dns,
    ),
    # https://learn.microsoft.com/azure/application-gateway/for-containers/quickstart-deploy-application-gateway-for-containers-alb-controller
    # (Reader on the node resource group; managed deployments also delegate Configuration Manager there)
    "alb-controller": AzureRow(
        grants=(
            AzureGrant("Reader", "node_resource_group"),
            AzureGrant("AppGw for Containers Configuration Manager", "node_resource_group"),
        ),
        source="https://learn.microsoft.com/azure/application-gateway/for-containers/"
        "quickstart-deploy-application-gateway-for-containers-alb-controller",
        needed=_controller_workload("alb-controller"),
    ),
}


def azure_subject(namespace: str, service_account: str) -> str:
    """The subject of a Kubernetes service account token, as a federated credential matches it."""
    return f"system:serviceaccount:{namespace}:{service_account}"


def azure_role_definition_id(subscription_id: str, role: str) -> str:
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{AZURE_ROLES[role]}"


# --------------------------------------------------------------------------- naming


def identity_name(parts: tuple[str, ...], limit: int) -> str:
    """A cloud identity's name from its parts, lowercase `[a-z0-9-]`; a hash keeps it unique when cut to `limit`."""
    name = re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: limit - len(digest) - 1].rstrip('-')}-{digest}"
