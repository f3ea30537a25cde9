"""AKS: an Azure DNS zone, Entra Workload ID managed identities, cert-manager `azureDNS`, external-dns `azure`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native.authorization as azure_authorization
import pulumi_azure_native.dns as azure_dns
import pulumi_azure_native.managedidentity as azure_managedidentity
import pulumi_azure_native.privatedns as azure_privatedns

from catalog.permissions import (
    AZURE,
    AZURE_TOKEN_AUDIENCE,
    AzureGrant,
    AzureRow,
    azure_role_definition_id,
    azure_subject,
)
from catalog.workloads import WORKLOADS
from providers.base import (
    CloudPlatform,
    Dns01Solver,
    DnsZone,
    ExternalDnsProvider,
    SecretSpec,
    WorkloadIdentity,
    checked_dns_name,
)
from stackconfig import StackConfig
from stackconfig.clouds import AZURE_ZONE_ID
from stackconfig.model import Aks as AksSettings

CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
USE_LABEL = "azure.workload.identity/use"
IDENTITY_NAME_LIMIT = 128  # https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
# external-dns reads its Azure settings from /etc/kubernetes/azure.json (its --azure-config-file default).
AZURE_CONFIG_SECRET = "external-dns-azure"
AZURE_CONFIG_KEY = "azure.json"
AZURE_CONFIG_VOLUME = "azure-config-file"


@dataclass(frozen=True)
class _Zone:
    id: pulumi.Output[str]  # the zone's resource ID: the scope of its role assignments
    subscription_id: pulumi.Output[str]
    resource_group: pulumi.Output[str]
    name_servers: pulumi.Output[Sequence[str]] | None


@dataclass(frozen=True)
class _Identity:
    client_id: pulumi.Output[str]
    tenant_id: pulumi.Output[str]
    wiring: WorkloadIdentity


def resource_group_id(subscription_id: str, resource_group: str) -> str:
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"


class Aks(CloudPlatform[AksSettings]):
    settings_type = AksSettings
    subscription_id: pulumi.Output[str]
    resource_group: pulumi.Output[str]
    zone: _Zone

    def __init__(self, config: StackConfig) -> None:
        super().__init__(config)
        self._managed: dict[str, _Identity] = {}

    def provision(self, opts: pulumi.ResourceOptions | None = None) -> None:
        component = self._component(opts)
        child = pulumi.ResourceOptions(parent=component)
        self.subscription_id = self.facts.get("subscriptionId", self.settings.subscription_id)
        self.resource_group = self.facts.get("resourceGroup", self.settings.resource_group)
        self.zone = self._adopted_zone() if self.config.dns.adopt else self._created_zone(child)
        location = self.facts.get("location", self.settings.location)
        issuer = self.facts.get("oidcIssuerUrl", self.settings.oidc_issuer_url)
        for workload, row in AZURE.items():
            if row.needed(self.config):
                self._managed[workload] = self._identity(workload, row, location, issuer, child)
        identities = {workload: identity.wiring for workload, identity in self._managed.items()}
        self._provisioned(DnsZone(self.config.zone_name, self.zone.id, self.zone.name_servers), identities)
        component.register_outputs({"zoneId": self.zone.id, "nameServers": self.zone.name_servers})

    def _zone_resource_group(self) -> pulumi.Output[str]:
        configured = self.settings.zone_resource_group
        return pulumi.Output.from_input(configured) if configured else self.resource_group

    def _created_zone(self, opts: pulumi.ResourceOptions) -> _Zone:
        dns = self.config.dns
        group = self._zone_resource_group()
        protected = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=dns.protect))
        if not dns.private:
            zone = azure_dns.Zone(
                "dns-zone",
                resource_group_name=group,
                zone_name=self.config.zone_name,
                location="global",
                zone_type=azure_dns.ZoneType.PUBLIC,
                opts=protected,
            )
            return _Zone(zone.id, self.subscription_id, group, zone.name_servers)
        private = azure_privatedns.PrivateZone(
            "dns-zone",
            resource_group_name=group,
            private_zone_name=self.config.zone_name,
            location="Global",
            opts=protected,
        )
        for index, network in enumerate(dns.networks):
            azure_privatedns.VirtualNetworkLink(
                f"dns-zone-link-{index}",
                resource_group_name=group,
                private_zone_name=private.name,
                virtual_network=azure_privatedns.SubResourceArgs(id=network),
                registration_enabled=False,
                location="Global",
                opts=opts,
            )
        return _Zone(private.id, self.subscription_id, group, None)

    def _adopted_zone(self) -> _Zone:
        adopt = self.config.dns.adopt
        assert adopt is not None
        subscription, group, name = self.subscription_id, self._zone_resource_group(), adopt.name or ""
        if adopt.id is not None:
            match = AZURE_ZONE_ID.match(adopt.id)
            assert match is not None  # stackconfig.checks
            subscription = pulumi.Output.from_input(match["subscription"])
            group, name = pulumi.Output.from_input(match["resource_group"]), match["name"]
        expected = self.config.zone_name

        def verified(result: Any) -> str:
            checked_dns_name(result.name, expected)
            return str(result.id)

        if self.config.dns.private:
            private = azure_privatedns.get_private_zone_output(private_zone_name=name, resource_group_name=group)
            return _Zone(private.apply(verified), subscription, group, None)
        public = azure_dns.get_zone_output(zone_name=name, resource_group_name=group)
        return _Zone(public.apply(verified), subscription, group, public.name_servers)

    def _identity(
        self,
        workload: str,
        row: AzureRow,
        location: pulumi.Output[str],
        issuer: pulumi.Output[str],
        opts: pulumi.ResourceOptions,
    ) -> _Identity:
        """A user-assigned identity that trusts only this workload's service account tokens."""
        where = WORKLOADS[workload]
        identity = azure_managedidentity.UserAssignedIdentity(
            f"{workload}-identity",
            resource_group_name=self.resource_group,
            resource_name_=self._identity_name(workload, IDENTITY_NAME_LIMIT),
            location=location,
            tags={"purpose": self._description(workload)},
            opts=opts,
        )
        credential = azure_managedidentity.FederatedIdentityCredential(
            f"{workload}-federated-credential",
            resource_group_name=self.resource_group,
            resource_name_=identity.name,
            federated_identity_credential_resource_name=where.identity_name or workload,
            issuer=issuer,
            subject=azure_subject(where.namespace, where.service_account),
            audiences=[AZURE_TOKEN_AUDIENCE],
            opts=opts,
        )
        assignments = [self._assignment(workload, grant, identity.principal_id, opts) for grant in row.grants]
        wiring = WorkloadIdentity(
            service_account_annotations={CLIENT_ID_ANNOTATION: identity.client_id},
            pod_labels={USE_LABEL: "true"},
            ready=[credential, *assignments],
        )
        return _Identity(identity.client_id, identity.tenant_id, wiring)

    def _assignment(
        self, workload: str, grant: AzureGrant, principal_id: pulumi.Output[str], opts: pulumi.ResourceOptions
    ) -> pulumi.Resource:
        role = grant.private_role if self.config.dns.private and grant.private_role else grant.role
        if grant.scope == "zone":
            subscription, scope = self.zone.subscription_id, self.zone.id
        elif grant.scope == "zone_resource_group":
            subscription = self.zone.subscription_id
            scope = pulumi.Output.all(subscription, self.zone.resource_group).apply(
                lambda ids: resource_group_id(ids[0], ids[1])
            )
        else:
            subscription = self.subscription_id
            node_group = self.facts.get("nodeResourceGroup", self.settings.node_resource_group)
            scope = pulumi.Output.all(subscription, node_group).apply(lambda ids: resource_group_id(ids[0], ids[1]))
        slug = f"{role}-{grant.scope}".lower().replace(" ", "-").replace("_", "-")
        return azure_authorization.RoleAssignment(
            f"{workload}-{slug}",
            principal_id=principal_id,
            principal_type=azure_authorization.PrincipalType.SERVICE_PRINCIPAL,
            role_definition_id=subscription.apply(lambda subscription: azure_role_definition_id(subscription, role)),
            scope=scope,
            description=f"{self._description(workload)}: {role}",
            opts=opts,
        )

    def dns01_solver(self) -> Dns01Solver | None:
        """Signs in as cert-manager's managed identity, which exists only where DNS-01 is the stack's solver."""
        if self.config.dns.private or "cert-manager" not in self._managed:
            return None  # ACME cannot read a private zone; without DNS-01 cert-manager has no identity
        solver = {
            "azureDNS": {
                "subscriptionID": self.zone.subscription_id,
                "resourceGroupName": self.zone.resource_group,
                "hostedZoneName": self.config.zone_name,
                "environment": self.settings.environment,
                "managedIdentity": {"clientID": self._managed["cert-manager"].client_id},
            }
        }
        return Dns01Solver(solver=solver)

    def external_dns_provider(self) -> ExternalDnsProvider | None:
        """Settings in a mounted azure.json (no secret in it: the workload identity signs in)."""
        identity = self._managed["external-dns"]
        azure_json = pulumi.Output.json_dumps(
            {
                "cloud": self.settings.environment,
                "tenantId": identity.tenant_id,
                "subscriptionId": self.zone.subscription_id,
                "resourceGroup": self.zone.resource_group,
                "useWorkloadIdentityExtension": True,
                "userAssignedIdentityID": identity.client_id,
            }
        )
        values: dict[str, Any] = {
            "provider": {"name": "azure-private-dns" if self.config.dns.private else "azure"},
            "domainFilters": [self.config.zone_name],
            "extraVolumes": [{"name": AZURE_CONFIG_VOLUME, "secret": {"secretName": AZURE_CONFIG_SECRET}}],
            "extraVolumeMounts": [{"name": AZURE_CONFIG_VOLUME, "mountPath": "/etc/kubernetes", "readOnly": True}],
            "serviceAccount": {"annotations": dict(identity.wiring.service_account_annotations)},
            "podLabels": dict(identity.wiring.pod_labels),
        }
        secret = SecretSpec(name=AZURE_CONFIG_SECRET, key=AZURE_CONFIG_KEY, value=pulumi.Output.secret(azure_json))
        return ExternalDnsProvider(values=values, secrets=[secret], ready=identity.wiring.ready)
