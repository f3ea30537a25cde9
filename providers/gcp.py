"""GKE: a Cloud DNS zone, Workload Identity Federation for GKE, cert-manager `cloudDNS`, external-dns `google`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp.dns as gcp_dns
import pulumi_gcp.projects as gcp_projects
import pulumi_gcp.serviceaccount as gcp_serviceaccount

from catalog.permissions import (
    GCP,
    GCP_WORKLOAD_IDENTITY_USER,
    GcpGrant,
    GcpRow,
    gke_principal,
    gke_service_account_member,
)
from catalog.workloads import WORKLOADS
from providers.base import (
    CloudPlatform,
    Dns01Solver,
    DnsZone,
    ExternalDnsProvider,
    WorkloadIdentity,
    checked_dns_name,
)
from stackconfig.clouds import GCP_ZONE_ID, managed_zone_name
from stackconfig.model import Gke as GkeSettings

SERVICE_ACCOUNT_ANNOTATION = "iam.gke.io/gcp-service-account"
ACCOUNT_ID_LIMIT = 30  # https://cloud.google.com/iam/docs/service-accounts-create#creating


@dataclass(frozen=True)
class _Zone:
    name: pulumi.Output[str]  # the managed zone's resource name
    project: pulumi.Output[str]  # the zone's project
    name_servers: pulumi.Output[Sequence[str]] | None


class Gke(CloudPlatform[GkeSettings]):
    settings_type = GkeSettings
    project: pulumi.Output[str]  # the cluster's project: its workload identity pool
    zone: _Zone

    def provision(self, opts: pulumi.ResourceOptions | None = None) -> None:
        component = self._component(opts)
        child = pulumi.ResourceOptions(parent=component)
        self.project = self.facts.get("project", self.settings.project)
        self.zone = self._adopted_zone() if self.config.dns.adopt else self._created_zone(child)
        identities = {
            workload: self._identity(workload, row, child) for workload, row in GCP.items() if row.needed(self.config)
        }
        zone = DnsZone(self.config.zone_name, zone_id=self.zone.name, name_servers=self.zone.name_servers)
        self._provisioned(zone, identities)
        component.register_outputs({"zone": self.zone.name, "nameServers": self.zone.name_servers})

    def _created_zone(self, opts: pulumi.ResourceOptions) -> _Zone:
        dns = self.config.dns
        private = gcp_dns.ManagedZonePrivateVisibilityConfigArgs(
            networks=[gcp_dns.ManagedZonePrivateVisibilityConfigNetworkArgs(network_url=url) for url in dns.networks]
        )
        zone = gcp_dns.ManagedZone(
            "dns-zone",
            name=managed_zone_name(self.config.zone_name),
            dns_name=f"{self.config.zone_name}.",
            description=f"traffic-edge {pulumi.get_stack()}: {self.config.domain}",
            visibility="private" if dns.private else "public",
            private_visibility_config=private if dns.private else None,
            project=self.project,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=dns.protect)),
        )
        return _Zone(zone.name, self.project, None if dns.private else zone.name_servers)

    def _adopted_zone(self) -> _Zone:
        adopt = self.config.dns.adopt
        assert adopt is not None
        project: pulumi.Output[str] = self.project
        name = adopt.name
        if adopt.id is not None:
            match = GCP_ZONE_ID.match(adopt.id)
            assert match is not None  # stackconfig.checks
            project, name = pulumi.Output.from_input(match["project"]), match["name"]
        found = gcp_dns.get_managed_zone_output(name=name, project=project)
        expected = self.config.zone_name

        def verified(result: Any) -> str:
            checked_dns_name(result.dns_name, expected)
            return str(result.name)

        name_servers = None if self.config.dns.private else found.name_servers
        return _Zone(found.apply(verified), project, name_servers)

    def _identity(self, workload: str, row: GcpRow, opts: pulumi.ResourceOptions) -> WorkloadIdentity:
        """A Google service account the KSA impersonates, or (identity: principal) the KSA bound directly."""
        where = WORKLOADS[workload]
        annotations: dict[str, pulumi.Input[str]] = {}
        ready: list[pulumi.Resource] = []
        if self.settings.identity == "principal":
            number = self.facts.get("projectNumber", self.settings.project_number)
            member = pulumi.Output.all(number, self.project).apply(
                lambda facts: gke_principal(facts[0], facts[1], where.namespace, where.service_account)
            )
        else:
            account = gcp_serviceaccount.Account(
                f"{workload}-gsa",
                account_id=self._identity_name(workload, ACCOUNT_ID_LIMIT),
                display_name=workload,
                description=self._description(workload),
                project=self.project,
                opts=opts,
            )
            ready.append(
                gcp_serviceaccount.IAMMember(
                    f"{workload}-workload-identity-user",
                    service_account_id=account.name,
                    role=GCP_WORKLOAD_IDENTITY_USER,
                    member=self.project.apply(
                        lambda project: gke_service_account_member(project, where.namespace, where.service_account)
                    ),
                    opts=opts,
                )
            )
            member = account.member  # serviceAccount:<email>
            annotations[SERVICE_ACCOUNT_ANNOTATION] = account.email
        ready += [self._grant(workload, grant, member, opts) for grant in row.grants]
        return WorkloadIdentity(service_account_annotations=annotations, ready=ready)

    def _grant(
        self, workload: str, grant: GcpGrant, member: pulumi.Output[str], opts: pulumi.ResourceOptions
    ) -> pulumi.Resource:
        role = grant.role.removeprefix("roles/")
        if grant.scope == "zone":
            return gcp_dns.DnsManagedZoneIamMember(
                f"{workload}-{role}-zone",
                project=self.zone.project,
                managed_zone=self.zone.name,
                role=grant.role,
                member=member,
                opts=opts,
            )
        return gcp_projects.IAMMember(
            f"{workload}-{role}-project", project=self.zone.project, role=grant.role, member=member, opts=opts
        )

    def dns01_solver(self) -> Dns01Solver | None:
        """Naming the zone keeps cert-manager from listing the project's zones, which its role does not allow."""
        if self.config.dns.private:
            return None  # ACME servers cannot read a private zone
        return Dns01Solver(solver={"cloudDNS": {"project": self.zone.project, "hostedZoneName": self.zone.name}})

    def external_dns_provider(self) -> ExternalDnsProvider | None:
        identity = self.workload_identity("external-dns")
        values: dict[str, Any] = {
            "provider": {"name": "google"},
            "domainFilters": [self.config.zone_name],
            "extraArgs": [
                pulumi.Output.concat("--google-project=", self.zone.project),
                f"--google-zone-visibility={'private' if self.config.dns.private else 'public'}",
            ],
        }
        if identity.service_account_annotations:
            values["serviceAccount"] = {"annotations": dict(identity.service_account_annotations)}
        return ExternalDnsProvider(values=values, ready=identity.ready)
