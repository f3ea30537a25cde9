"""GKE: a Cloud DNS zone, Workload Identity Federation for GKE, cert-manager `cloudDNS`, external-dns `google`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp.dns as gcp_dns
import pulumi_gcp.projects as gcp_projects
import pulumi_gcp.serviceaccount as gcp_serviceaccount

from traffic_edge.config.platforms import GCP_ZONE_ID, managed_zone_name
from traffic_edge.config.platforms import Gke as GkeSettings
from traffic_edge.data.permissions.gcp import (
    GCP_WORKLOAD_IDENTITY_USER,
    GcpGrant,
    GcpRow,
    gke_principal,
    gke_service_account_member,
)
from traffic_edge.data.workloads import Workload
from traffic_edge.plan.contracts import Dns01Solver, DnsZone, ExternalDnsProvider, WorkloadIdentity
from traffic_edge.platforms.base import CloudPlatform, ClusterFacts, Provisioned, checked_dns_name

SERVICE_ACCOUNT_ANNOTATION = "iam.gke.io/gcp-service-account"
ACCOUNT_ID_LIMIT = 30  # https://cloud.google.com/iam/docs/service-accounts-create#creating


@dataclass(frozen=True)
class _Zone:
    name: pulumi.Output[str]  # the managed zone's resource name
    project: pulumi.Output[str]  # the zone's project
    name_servers: pulumi.Output[Sequence[str]] | None


class Gke(CloudPlatform[GkeSettings]):
    settings_type = GkeSettings
    type_token = "traffic-edge:gcp:Gke"

    def provision(self, name: str, opts: pulumi.ResourceOptions) -> Provisioned:
        facts = self._open(name, opts)
        project = facts.get("project", self.settings.project)  # the cluster's: its workload identity pool
        zone = self._adopted_zone(project) if self.args.dns.adopt else self._created_zone(project)
        identities = {
            request.workload.name: self._identity(request.workload, request.gcp, zone, project, facts)
            for request in self.args.identities
            if request.gcp is not None
        }
        assert self.component is not None
        self.component.register_outputs({"zone": zone.name, "nameServers": zone.name_servers})
        return Provisioned(
            zone=DnsZone(self.args.zone_name, zone_id=zone.name, name_servers=zone.name_servers),
            identities=identities,
            # Naming the zone keeps cert-manager from listing the project's zones, which its role does not allow.
            # ACME servers cannot read a private zone.
            dns01=None if self.args.dns.private else Dns01Solver(
                solver={"cloudDNS": {"project": zone.project, "hostedZoneName": zone.name}}
            ),
            external_dns=self._external_dns(zone),
        )

    def _created_zone(self, project: pulumi.Output[str]) -> _Zone:
        dns = self.args.dns
        private = gcp_dns.ManagedZonePrivateVisibilityConfigArgs(
            networks=[gcp_dns.ManagedZonePrivateVisibilityConfigNetworkArgs(network_url=url) for url in dns.networks]
        )
        name, opts = self.child("dns-zone", protect=dns.protect)
        zone = gcp_dns.ManagedZone(
            name,
            name=managed_zone_name(self.args.zone_name),
            dns_name=f"{self.args.zone_name}.",
            description=f"traffic-edge {self.args.deployment.stack}: {self.args.domain}",
            visibility="private" if dns.private else "public",
            private_visibility_config=private if dns.private else None,
            project=project,
            opts=opts,
        )
        return _Zone(zone.name, project, None if dns.private else zone.name_servers)

    def _adopted_zone(self, project: pulumi.Output[str]) -> _Zone:
        adopt = self.args.dns.adopt
        assert adopt is not None
        name = adopt.name
        if adopt.id is not None:
            match = GCP_ZONE_ID.match(adopt.id)
            assert match is not None  # the cloud rules
            project, name = pulumi.Output.from_input(match["project"]), match["name"]
        found = gcp_dns.get_managed_zone_output(name=name, project=project)
        expected = self.args.zone_name

        def verified(result: Any) -> str:
            checked_dns_name(result.dns_name, expected)
            return str(result.name)

        name_servers = None if self.args.dns.private else found.name_servers
        return _Zone(found.apply(verified), project, name_servers)

    def _identity(
        self, workload: Workload, row: GcpRow, zone: _Zone, project: pulumi.Output[str], facts: ClusterFacts
    ) -> WorkloadIdentity:
        """A Google service account the KSA impersonates, or (identity: principal) the KSA bound directly."""
        annotations: dict[str, pulumi.Input[str]] = {}
        ready: list[pulumi.Resource] = []
        if self.settings.identity == "principal":
            number = facts.get("projectNumber", self.settings.project_number)
            member = pulumi.Output.all(number, project).apply(
                lambda ids: gke_principal(ids[0], ids[1], workload.namespace, workload.service_account)
            )
        else:
            name, opts = self.child(f"{workload.name}-gsa")
            account = gcp_serviceaccount.Account(
                name,
                account_id=self.identity_name(workload, ACCOUNT_ID_LIMIT),
                display_name=workload.name,
                description=self.description(workload),
                project=project,
                opts=opts,
            )
            name, opts = self.child(f"{workload.name}-workload-identity-user")
            ready.append(
                gcp_serviceaccount.IAMMember(
                    name,
                    service_account_id=account.name,
                    role=GCP_WORKLOAD_IDENTITY_USER,
                    member=project.apply(
                        lambda ids: gke_service_account_member(ids, workload.namespace, workload.service_account)
                    ),
                    opts=opts,
                )
            )
            member = account.member  # serviceAccount:<email>
            annotations[SERVICE_ACCOUNT_ANNOTATION] = account.email
        ready += [self._grant(workload, grant, member, zone) for grant in row.grants]
        return WorkloadIdentity(service_account_annotations=annotations, ready=ready)

    def _grant(self, workload: Workload, grant: GcpGrant, member: pulumi.Output[str], zone: _Zone) -> pulumi.Resource:
        role = grant.role.removeprefix("roles/")
        if grant.scope == "zone":
            name, opts = self.child(f"{workload.name}-{role}-zone")
            return gcp_dns.DnsManagedZoneIamMember(
                name, project=zone.project, managed_zone=zone.name, role=grant.role, member=member, opts=opts
            )
        name, opts = self.child(f"{workload.name}-{role}-project")
        return gcp_projects.IAMMember(name, project=zone.project, role=grant.role, member=member, opts=opts)

    def _external_dns(self, zone: _Zone) -> ExternalDnsProvider:
        values: dict[str, Any] = {
            "provider": {"name": "google"},
            "domainFilters": [self.args.zone_name],
            "extraArgs": [
                pulumi.Output.concat("--google-project=", zone.project),
                f"--google-zone-visibility={'private' if self.args.dns.private else 'public'}",
            ],
        }
        return ExternalDnsProvider(values=values)
