"""Which input changes replace a resource instead of updating it, per provider, each rule with its source."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Final

K8S_DIFF = "https://github.com/pulumi/pulumi-kubernetes/blob/master/provider/pkg/provider/diff.go"
CRD_VALIDATION = (
    "https://github.com/kubernetes/apiextensions-apiserver/blob/master/pkg/apis/apiextensions/validation/validation.go"
)
AZURE_NATIVE_DIFF = "https://github.com/pulumi/pulumi-azure-native/blob/master/provider/pkg/provider/diff.go"
AZURE_NATIVE_FORCE_NEW = "https://github.com/pulumi/pulumi-azure-native/blob/master/provider/pkg/gen/replacement.go"
TF_GOOGLE = "https://github.com/hashicorp/terraform-provider-google/blob/main/google"
TF_AWS = "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service"


@dataclass(frozen=True)
class ReplaceRule:
    """Changing any of `paths` on a resource whose type matches `types` replaces it."""

    types: tuple[str, ...]  # fnmatch patterns over the Pulumi type token
    paths: tuple[str, ...]  # dotted input paths, as this module prints them
    reason: str
    source: str

    def forced_by(self, path: str) -> bool:
        """A change at `path` or below a listed path, or of a whole object holding one, counts."""
        return any(
            path == rule or path.startswith((rule + ".", rule + "[")) or rule.startswith(path + ".")
            for rule in self.paths
        )


def _rule(types: str | tuple[str, ...], paths: tuple[str, ...], reason: str, source: str) -> ReplaceRule:
    return ReplaceRule((types,) if isinstance(types, str) else types, paths, reason, source)


REPLACE_RULES: Final[tuple[ReplaceRule, ...]] = (
    # Kubernetes (pulumi-kubernetes: metadataForceNewProperties and the per-kind forceNew table). A new apiVersion
    # or kind is a new type token: without an alias the resource is added and the old one deleted (two keys);
    # with one, the provider updates the object in place (provider/pkg/provider/provider.go Diff at v4.25.0: only
    # `.metadata.name`, `.metadata.namespace` and the kind's forceNew fields replace).
    _rule(
        "kubernetes:*",
        ("metadata.name", "metadata.namespace"),
        "a Kubernetes object's name and namespace are its identity",
        K8S_DIFF,
    ),
    _rule(
        "kubernetes:apiextensions.k8s.io/*:CustomResourceDefinition",
        ("spec.group", "spec.names.plural"),
        "immutable: they make up the CRD's name; replacing a CRD deletes all its objects",
        CRD_VALIDATION,
    ),
    _rule(
        "kubernetes:apiextensions.k8s.io/*:CustomResourceDefinition",
        ("spec.names.kind", "spec.scope"),
        "immutable once the CRD is established; replacing a CRD deletes all its objects",
        CRD_VALIDATION,
    ),
    _rule(
        "kubernetes:core/v1:ConfigMap",
        ("data", "binaryData"),
        "ConfigMaps are replaced, not patched, unless the provider sets enableConfigMapMutable",
        K8S_DIFF,
    ),
    _rule(
        "kubernetes:core/v1:Secret",
        ("type", "data", "stringData"),
        "Secrets are replaced, not patched, unless the provider sets enableSecretMutable",
        K8S_DIFF,
    ),
    _rule("kubernetes:core/v1:Service", ("spec.clusterIP",), "clusterIP is immutable", K8S_DIFF),
    _rule(
        ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"),
        ("spec.selector",),
        "the selector is immutable",
        K8S_DIFF,
    ),
    _rule(
        "kubernetes:apps/v1:StatefulSet",
        ("spec.serviceName", "spec.volumeClaimTemplates", "spec.podManagementPolicy"),
        "immutable StatefulSet fields",
        K8S_DIFF,
    ),
    _rule(
        (
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        ),
        ("roleRef",),
        "roleRef is immutable",
        K8S_DIFF,
    ),
    _rule(
        "kubernetes:batch/v1:Job",
        ("spec.template", "spec.selector", "spec.completions", "spec.parallelism"),
        "a Job's pod template is immutable",
        K8S_DIFF,
    ),
    _rule(
        "kubernetes:helm.sh/v3:Release",
        ("name", "namespace"),
        "a Helm release is addressed by namespace/name (forceNewFields in the Release Diff)",
        "https://github.com/pulumi/pulumi-kubernetes/blob/master/provider/pkg/provider/helm_release.go",
    ),
    # Google Cloud (terraform-provider-google, which pulumi-gcp bridges: ForceNew fields).
    _rule(
        "gcp:dns/managedZone:ManagedZone",
        ("name", "dnsName", "visibility", "project"),
        "ForceNew in google_dns_managed_zone",
        f"{TF_GOOGLE}/services/dns/resource_dns_managed_zone.go",
    ),
    _rule(
        "gcp:serviceaccount/account:Account",
        ("accountId", "project"),
        "ForceNew in google_service_account: the account id is part of its email",
        f"{TF_GOOGLE}/services/resourcemanager/resource_google_service_account.go",
    ),
    _rule(
        "gcp:projects/iAMMember:IAMMember",
        ("member", "role", "condition", "project"),
        "ForceNew in the IAM member base schema and for the parent id",
        f"{TF_GOOGLE}/tpgiamresource/resource_iam_member.go",
    ),
    _rule(
        "gcp:serviceaccount/iAMMember:IAMMember",
        ("member", "role", "condition", "serviceAccountId"),
        "ForceNew in the IAM member base schema and for the parent id",
        f"{TF_GOOGLE}/tpgiamresource/resource_iam_member.go",
    ),
    _rule(
        "gcp:projects/iAMCustomRole:IAMCustomRole",
        ("roleId", "project"),
        "ForceNew in google_project_iam_custom_role",
        f"{TF_GOOGLE}/services/resourcemanager/resource_google_project_iam_custom_role.go",
    ),
    _rule(
        "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember",
        ("member", "role", "condition", "managedZone", "project"),
        "ForceNew in the IAM member base schema and for the parent id",
        f"{TF_GOOGLE}/tpgiamresource/resource_iam_member.go",
    ),
    # AWS (terraform-provider-aws, which pulumi-aws bridges: ForceNew / RequiresReplace).
    _rule(
        "aws:route53/zone:Zone",
        ("name",),
        "ForceNew in aws_route53_zone: a hosted zone cannot be renamed",
        f"{TF_AWS}/route53/zone.go",
    ),
    _rule(
        "aws:iam/role:Role",
        ("name", "namePrefix", "path"),
        "ForceNew in aws_iam_role: roles cannot be renamed",
        f"{TF_AWS}/iam/role.go",
    ),
    _rule(
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        ("clusterName", "namespace", "serviceAccount"),
        "RequiresReplace in aws_eks_pod_identity_association",
        f"{TF_AWS}/eks/pod_identity_association.go",
    ),
    # Azure (pulumi-azure-native: every parameter of the resource's URL path forces replacement).
    _rule(
        "azure-native:dns:Zone", ("resourceGroupName", "zoneName"), "path parameters of the ARM id", AZURE_NATIVE_DIFF
    ),
    _rule(
        ("azure-native:network:PrivateZone", "azure-native:privatedns:PrivateZone"),
        ("resourceGroupName", "privateZoneName"),
        "path parameters of the ARM id",
        AZURE_NATIVE_DIFF,
    ),
    _rule(
        "azure-native:managedidentity:FederatedIdentityCredential",
        ("resourceGroupName", "resourceName", "federatedIdentityCredentialResourceName"),
        "path parameters of the ARM id",
        AZURE_NATIVE_DIFF,
    ),
    _rule(
        "azure-native:managedidentity:UserAssignedIdentity",
        ("resourceGroupName", "resourceName"),
        "path parameters of the ARM id",
        AZURE_NATIVE_DIFF,
    ),
    _rule(
        "azure-native:managedidentity:UserAssignedIdentity",
        ("location",),
        "x-ms-mutability create/read: ARM cannot move a tracked resource",
        AZURE_NATIVE_FORCE_NEW,
    ),
    _rule(
        "azure-native:authorization:RoleAssignment",
        ("scope", "roleAssignmentName"),
        "path parameters of the ARM id",
        AZURE_NATIVE_DIFF,
    ),
    _rule(
        "azure-native:authorization:RoleAssignment",
        ("principalId",),
        "ARM answers RoleAssignmentUpdateNotPermitted; azure-native's forceNewMap lists it",
        AZURE_NATIVE_FORCE_NEW,
    ),
    _rule(
        "azure-native:authorization:RoleAssignment",
        ("roleDefinitionId",),
        "ARM does not update a role assignment's role in place (ForceNew in azurerm_role_assignment); "
        "azure-native would attempt an update that fails",
        "https://github.com/hashicorp/terraform-provider-azurerm/pull/775",
    ),
)


def replace_rules_for(type_: str, path: str) -> list[ReplaceRule]:
    """The rows of REPLACE_RULES under which a change at `path` replaces a `type_` resource."""
    return [
        rule
        for rule in REPLACE_RULES
        if any(fnmatchcase(type_, pattern) for pattern in rule.types) and rule.forced_by(path)
    ]
