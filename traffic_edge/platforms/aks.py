"""AKS: an Azure DNS zone, Entra Workload ID managed identities, cert-manager `azureDNS`, external-dns `azure`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, assert_never

import pulumi
import pulumi_azure_native as azure_native
import pulumi_azure_native.authorization as azure_authorization
import pulumi_azure_native.containerservice as azure_containerservice
import pulumi_azure_native.dns as azure_dns
import pulumi_azure_native.managedidentity as azure_managedidentity
import pulumi_azure_native.privatedns as azure_privatedns

from traffic_edge.config.errors import Issue
from traffic_edge.config.platforms import AZURE_ZONE_ID
from traffic_edge.config.platforms import Aks as AksSettings
from traffic_edge.data.permissions.azure import (
    AZURE_TOKEN_AUDIENCE,
    SCOPE_FALLBACKS,
    AzureGrant,
    AzureRow,
    azure_role_definition_id,
    azure_subject,
)
from traffic_edge.data.workloads import Workload
from traffic_edge.plan.contracts import Dns01Solver, DnsZone, ExternalDnsProvider, SecretSpec, WorkloadIdentity
from traffic_edge.platforms.base import CloudPlatform, ClusterFacts, Provisioned, checked_dns_name, looked_up
from traffic_edge.platforms.checks import aks_issues

CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
USE_LABEL = "azure.workload.identity/use"
IDENTITY_NAME_LIMIT = 128  # https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
# external-dns reads its Azure settings from /etc/kubernetes/azure.json (its --azure-config-file default).
AZURE_CONFIG_SECRET = "external-dns-azure"
AZURE_CONFIG_KEY = "azure.json"
AZURE_CONFIG_VOLUME = "azure-config-file"
# platform.environment (cert-manager's and external-dns's names) → the azure-native provider's `environment`.
# https://www.pulumi.com/registry/packages/azure-native/installation-configuration/#configuration-options
PROVIDER_ENVIRONMENTS = {
    "AzurePublicCloud": "public", "AzureChinaCloud": "china", "AzureUSGovernmentCloud": "usgovernment",
}


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
    type_token = "traffic-edge:azure:Aks"

    def provision(self, name: str, opts: pulumi.ResourceOptions) -> Provisioned:
        facts = self._open(name, opts)
        self.facts = facts
        self.subscription_id = facts.get("subscriptionId", self.settings.subscription_id)
        self.provider = self._provider("azure", self.subscription_id)
        issuer = facts.get("oidcIssuerUrl", self.settings.oidc_issuer_url)
        group = facts.get("resourceGroup", self.settings.resource_group)
        self.resource_group = self._checked_group(facts, group, issuer)
        zone = self._adopted_zone() if self.args.dns.adopt else self._created_zone()
        location = facts.get("location", self.settings.location)
        managed = {
            request.workload.name: self._identity(request.workload, request.azure, zone, location, issuer,
                                                  request.scopes)
            for request in self.args.identities
            if request.azure is not None
        }
        assert self.component is not None
        self.component.register_outputs({"zoneId": zone.id, "nameServers": zone.name_servers})
        return Provisioned(
            zone=DnsZone(self.args.zone_name, zone.id, zone.name_servers),
            identities={workload: identity.wiring for workload, identity in managed.items()},
            dns01=self._dns01(zone, managed),
            external_dns=self._external_dns(zone, managed["external-dns"]) if "external-dns" in managed else None,
        )

    def _provider(self, role: str, subscription_id: pulumi.Input[str]) -> azure_native.Provider:
        """An azure-native provider for one subscription, in the platform's Azure cloud."""
        return azure_native.Provider(
            f"{self.name}-{role}",
            subscription_id=subscription_id,
            environment=PROVIDER_ENVIRONMENTS[self.settings.environment],
            opts=self.provider_options(),
        )

    def _checked_group(
        self, facts: ClusterFacts, group: pulumi.Output[str], issuer: pulumi.Output[str]
    ) -> pulumi.Output[str]:
        """The identities' resource group, once the cluster is known to issue the tokens they trust (or it was not
        checked). The cluster is looked up in this group."""
        if not any(request.azure is not None for request in self.args.identities):
            return group
        check = self.preflight(
            "the AKS OIDC issuer and workload identity on the cluster",
            {"clusterName": facts.optional("clusterName", self.settings.cluster_name), "resourceGroup": group,
             "oidcIssuerUrl": issuer},
            self._cluster_issues,
        )
        return self.after(check, group)

    def _cluster_issues(self, facts: Mapping[str, str]) -> pulumi.Output[list[Issue]]:
        found = azure_containerservice.get_managed_cluster_output(
            resource_group_name=facts["resourceGroup"], resource_name=facts["clusterName"], opts=self.lookup()
        )
        return pulumi.Output.from_input(looked_up(found)).apply(lambda cluster: aks_issues(cluster, facts))

    def _zone_resource_group(self) -> pulumi.Output[str]:
        configured = self.settings.zone_resource_group
        return pulumi.Output.from_input(configured) if configured else self.resource_group

    def _created_zone(self) -> _Zone:
        dns = self.args.dns
        group = self._zone_resource_group()
        name, protected = self.child("dns-zone", protect=dns.protect)
        if not dns.private:
            zone = azure_dns.Zone(
                name,
                resource_group_name=group,
                zone_name=self.args.zone_name,
                location="global",
                zone_type=azure_dns.ZoneType.PUBLIC,
                opts=protected,
            )
            return _Zone(zone.id, self.subscription_id, group, zone.name_servers)
        private = azure_privatedns.PrivateZone(
            name,
            resource_group_name=group,
            private_zone_name=self.args.zone_name,
            location="Global",
            opts=protected,
        )
        for index, network in enumerate(dns.networks):
            name, opts = self.child(f"dns-zone-link-{index}")
            azure_privatedns.VirtualNetworkLink(
                name,
                resource_group_name=group,
                private_zone_name=private.name,
                virtual_network=azure_privatedns.SubResourceArgs(id=network),
                registration_enabled=False,
                location="Global",
                opts=opts,
            )
        return _Zone(private.id, self.subscription_id, group, None)

    def _adopted_zone(self) -> _Zone:
        adopt = self.args.dns.adopt
        assert adopt is not None
        subscription, group, name = self.subscription_id, self._zone_resource_group(), adopt.name or ""
        provider = self.provider
        if adopt.id is not None:  # possibly another subscription's: looked up through a provider for that one
            match = AZURE_ZONE_ID.match(adopt.id)
            assert match is not None  # the cloud rules
            subscription = pulumi.Output.from_input(match["subscription"])
            group, name = pulumi.Output.from_input(match["resource_group"]), match["name"]
            provider = self._provider("azure-zone", match["subscription"])
        expected = self.args.zone_name

        def verified(result: Any) -> str:
            checked_dns_name(result.name, expected)
            return str(result.id)

        if self.args.dns.private:
            private = azure_privatedns.get_private_zone_output(
                private_zone_name=name, resource_group_name=group, opts=self.lookup(provider)
            )
            return _Zone(private.apply(verified), subscription, group, None)
        public = azure_dns.get_zone_output(zone_name=name, resource_group_name=group, opts=self.lookup(provider))
        return _Zone(public.apply(verified), subscription, group, public.name_servers)

    def _identity(
        self,
        workload: Workload,
        row: AzureRow,
        zone: _Zone,
        location: pulumi.Output[str],
        issuer: pulumi.Output[str],
        scopes: Mapping[str, str],
    ) -> _Identity:
        """A user-assigned identity that trusts only this workload's service account tokens."""
        name, opts = self.child(f"{workload.name}-identity")
        identity = azure_managedidentity.UserAssignedIdentity(
            name,
            resource_group_name=self.resource_group,
            resource_name_=self.identity_name(workload, IDENTITY_NAME_LIMIT),
            location=location,
            tags={"purpose": self.description(workload)},
            opts=opts,
        )
        name, opts = self.child(f"{workload.name}-federated-credential")
        credential = azure_managedidentity.FederatedIdentityCredential(
            name,
            resource_group_name=self.resource_group,
            resource_name_=identity.name,
            federated_identity_credential_resource_name=workload.identity_name or workload.name,
            issuer=issuer,
            subject=azure_subject(workload.namespace, workload.service_account),
            audiences=[AZURE_TOKEN_AUDIENCE],
            opts=opts,
        )
        assignments = [
            self._assignment(workload, grant, identity.principal_id, zone, scopes) for grant in row.grants
        ]
        wiring = WorkloadIdentity(
            service_account_annotations={CLIENT_ID_ANNOTATION: identity.client_id},
            pod_labels={USE_LABEL: "true"},
            client_id=identity.client_id,
            ready=[credential, *assignments],
        )
        return _Identity(identity.client_id, identity.tenant_id, wiring)

    def _assignment(
        self, workload: Workload, grant: AzureGrant, principal_id: pulumi.Output[str], zone: _Zone,
        scopes: Mapping[str, str],
    ) -> pulumi.Resource:
        role = grant.private_role if self.args.dns.private and grant.private_role else grant.role
        kind = grant.scope if grant.scope in scopes else SCOPE_FALLBACKS.get(grant.scope, grant.scope)
        if kind == "zone":
            subscription, scope = zone.subscription_id, zone.id
        elif kind == "zone_resource_group":
            subscription = zone.subscription_id
            scope = pulumi.Output.all(subscription, zone.resource_group).apply(
                lambda ids: resource_group_id(ids[0], ids[1])
            )
        elif kind == "node_resource_group":
            subscription = self.subscription_id
            node_group = self.facts.get("nodeResourceGroup", self.settings.node_resource_group)
            scope = pulumi.Output.all(subscription, node_group).apply(lambda ids: resource_group_id(ids[0], ids[1]))
        elif kind == "alb_subnet" or kind == "alb_resource_group":  # noqa: PLR1714 - narrows the Literal for mypy
            if kind not in scopes:
                raise pulumi.RunError(f"{workload.name}: no {kind} to grant {role} on")  # the config rules name one
            scope = pulumi.Output.from_input(scopes[kind])
            subscription = pulumi.Output.from_input(scopes[kind].split("/")[2])  # /subscriptions/<id>/…
        else:
            assert_never(kind)  # a new scope in a row is resolved here
        slug = f"{role}-{kind}".lower().replace(" ", "-").replace("_", "-")
        name, opts = self.child(f"{workload.name}-{slug}")
        return azure_authorization.RoleAssignment(
            name,
            principal_id=principal_id,
            principal_type=azure_authorization.PrincipalType.SERVICE_PRINCIPAL,
            role_definition_id=subscription.apply(lambda subscription: azure_role_definition_id(subscription, role)),
            scope=scope,
            description=f"{self.description(workload)}: {role}",
            opts=opts,
        )

    def _dns01(self, zone: _Zone, managed: dict[str, _Identity]) -> Dns01Solver | None:
        """Signs in as cert-manager's managed identity, which exists only where DNS-01 is the stack's solver."""
        if self.args.dns.private or "cert-manager" not in managed:
            return None  # ACME cannot read a private zone; without DNS-01 cert-manager has no identity
        solver = {
            "azureDNS": {
                "subscriptionID": zone.subscription_id,
                "resourceGroupName": zone.resource_group,
                "hostedZoneName": self.args.zone_name,
                "environment": self.settings.environment,
                "managedIdentity": {"clientID": managed["cert-manager"].client_id},
            }
        }
        return Dns01Solver(solver=solver)

    def _external_dns(self, zone: _Zone, identity: _Identity) -> ExternalDnsProvider:
        """Settings in a mounted azure.json (no secret in it: the workload identity signs in)."""
        azure_json = pulumi.Output.json_dumps(
            {
                "cloud": self.settings.environment,
                "tenantId": identity.tenant_id,
                "subscriptionId": zone.subscription_id,
                "resourceGroup": zone.resource_group,
                "useWorkloadIdentityExtension": True,
                "userAssignedIdentityID": identity.client_id,
            }
        )
        values: dict[str, Any] = {
            "provider": {"name": "azure-private-dns" if self.args.dns.private else "azure"},
            "domainFilters": [self.args.zone_name],
            "extraVolumes": [{"name": AZURE_CONFIG_VOLUME, "secret": {"secretName": AZURE_CONFIG_SECRET}}],
            "extraVolumeMounts": [{"name": AZURE_CONFIG_VOLUME, "mountPath": "/etc/kubernetes", "readOnly": True}],
        }
        secret = SecretSpec(name=AZURE_CONFIG_SECRET, key=AZURE_CONFIG_KEY, value=pulumi.Output.secret(azure_json))
        return ExternalDnsProvider(values=values, secrets=[secret])
