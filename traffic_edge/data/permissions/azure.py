"""Azure: the roles cert-manager and external-dns hold on Azure DNS, and the federated-credential subject.

Rows are data under the upstream page they follow; scopes are symbolic (the zone, its resource group, the
cluster's node resource group) and the AKS platform resolves them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Built-in role name → role definition GUID. https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
AZURE_ROLES: dict[str, str] = {
    "DNS Zone Contributor": "befefa01-2a29-4197-83a8-272ff33ce314",
    "Private DNS Zone Contributor": "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "AppGw for Containers Configuration Manager": "fbc52c3f-28ad-4303-a892-8a056630b8f1",
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
}
AZURE_TOKEN_AUDIENCE = "api://AzureADTokenExchange"
# alb_subnet and alb_resource_group name resources the controller's settings give (IdentityRequest.scopes): the
# Application Gateway for Containers' association subnet and the resource group it lives in.
AzureScope = Literal["zone", "zone_resource_group", "node_resource_group", "alb_subnet", "alb_resource_group"]
# Where such a scope falls back to when the settings name none: a managed Application Gateway for Containers is
# created in the node resource group.
SCOPE_FALLBACKS: dict[AzureScope, AzureScope] = {"alb_resource_group": "node_resource_group"}


@dataclass(frozen=True)
class AzureGrant:
    role: str  # a key of AZURE_ROLES
    scope: AzureScope
    private_role: str | None = None  # the role on a Private DNS zone, where it differs


@dataclass(frozen=True)
class AzureRow:
    grants: tuple[AzureGrant, ...]
    source: str


_ZONE_CONTRIBUTOR = AzureGrant("DNS Zone Contributor", "zone", private_role="Private DNS Zone Contributor")

AZURE: dict[str, AzureRow] = {
    # https://cert-manager.io/docs/configuration/acme/dns01/azuredns/#managed-identity-using-aad-workload-identity
    "cert-manager": AzureRow(
        grants=(_ZONE_CONTRIBUTOR,),
        source="https://cert-manager.io/docs/configuration/acme/dns01/azuredns/",
    ),
    # https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/azure/#managed-identity-using-workload-identity
    # (Reader on the resource group lists its zones; azure-private-dns.md grants the private equivalents)
    "external-dns": AzureRow(
        grants=(_ZONE_CONTRIBUTOR, AzureGrant("Reader", "zone_resource_group")),
        source="https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/azure/",
    ),
}


def azure_subject(namespace: str, service_account: str) -> str:
    """The subject of a Kubernetes service account token, as a federated credential matches it."""
    return f"system:serviceaccount:{namespace}:{service_account}"


def azure_role_definition_id(subscription_id: str, role: str) -> str:
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{AZURE_ROLES[role]}"
