"""AWS: what cert-manager and external-dns may do in Route 53, and the pure builders of IAM documents.

Rows are data under the upstream page they follow; resource templates name `{partition}` and `{zone_id}`,
filled in per stack. The builders return plain dicts with sorted keys and sorted action lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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


# Only TXT records may change: cert-manager writes nothing but the ACME challenge.
_TXT_ONLY = {"ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]}}

AWS: dict[str, AwsRow] = {
    # cert-manager/website : content/docs/configuration/acme/dns01/route53.md (L23-57, since abdbb72f), scoped to the
    # zone as its note advises; no ListHostedZonesByName, which "can be removed if you specify the (optional)
    # hostedZoneID" and the solver always names it (cert-manager @ v1.21.1 : pkg/issuer/acme/dns/route53/route53.go
    # (L316-318) returns it before listing).
    "cert-manager": AwsRow(
        statements=(
            AwsStatement(("route53:GetChange",), (CHANGE_ARN,)),
            AwsStatement(
                ("route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"), (ZONE_ARN,), _TXT_ONLY
            ),
        ),
        source="https://cert-manager.io/docs/configuration/acme/dns01/route53/#set-up-an-iam-role",
    ),
    # kubernetes-sigs/external-dns @ v0.22.0 : docs/tutorials/aws.md (L12-38), scoped to the zone instead of
    # hostedzone/* as its "Further improvements" (L80-82) advise.
    "external-dns": AwsRow(
        statements=(
            AwsStatement(
                ("route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets", "route53:ListTagsForResources"),
                (ZONE_ARN,),
            ),
            AwsStatement(("route53:ListHostedZones",), (ANY_RESOURCE,)),
        ),
        source="https://github.com/kubernetes-sigs/external-dns/blob/v0.22.0/docs/tutorials/aws.md#iam-policy",
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


def pod_identity_trust_policy(namespace: str, service_account: str, cluster_name: str) -> dict[str, Any]:
    """The EKS Pod Identity agent assumes the role, only for this service account of this cluster.

    The agent tags every session with the cluster, namespace and service account; matching them keeps any other
    association in the account from obtaining the role. awsdocs/amazon-eks-user-guide :
    latest/ug/manage-access/aws-access/pod-id-role.adoc (the trust policy) and pod-id-abac.adoc (the session tags).
    """
    statement = {
        "Sid": "AllowEksAuthToAssumeRoleForPodIdentity",
        "Effect": "Allow",
        "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {
            "StringEquals": {
                "aws:RequestTag/eks-cluster-name": [cluster_name],
                "aws:RequestTag/kubernetes-namespace": [namespace],
                "aws:RequestTag/kubernetes-service-account": [service_account],
            }
        },
    }
    return _policy([statement])
