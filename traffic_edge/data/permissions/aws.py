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


AWS: dict[str, AwsRow] = {
    # https://cert-manager.io/docs/configuration/acme/dns01/route53/#set-up-an-iam-role
    "cert-manager": AwsRow(
        statements=(
            AwsStatement(("route53:GetChange",), (CHANGE_ARN,)),
            AwsStatement(("route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"), (ZONE_ARN,)),
            AwsStatement(("route53:ListHostedZonesByName",), (ANY_RESOURCE,)),
        ),
        source="https://cert-manager.io/docs/configuration/acme/dns01/route53/#set-up-an-iam-role",
    ),
    # https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/aws/#iam-policy
    "external-dns": AwsRow(
        statements=(
            AwsStatement(("route53:ChangeResourceRecordSets", "route53:ListTagsForResource"), (ZONE_ARN,)),
            AwsStatement(("route53:ListHostedZones", "route53:ListResourceRecordSets"), (ANY_RESOURCE,)),
        ),
        source="https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/aws/#iam-policy",
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
