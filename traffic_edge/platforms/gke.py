"""GKE: a Cloud DNS zone, Workload Identity Federation for GKE, cert-manager `cloudDNS`, external-dns `google`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp
import pulumi_gcp.compute as gcp_compute
import pulumi_gcp.container as gcp_container
import pulumi_gcp.dns as gcp_dns
import pulumi_gcp.projects as gcp_projects
import pulumi_gcp.serviceaccount as gcp_serviceaccount

from traffic_edge.config.errors import Issue
from traffic_edge.config.platforms import GCP_ZONE_ID, managed_zone_name
from traffic_edge.config.platforms import Gke as GkeSettings
from traffic_edge.data.naming import identity_name
from traffic_edge.data.permissions.gcp import (
    GCP_WORKLOAD_IDENTITY_USER,
    GcpCustomRole,
    GcpGrant,
    GcpRow,
    gke_principal,
    gke_service_account_member,
)
from traffic_edge.data.workloads import Workload
from traffic_edge.plan.contracts import Dns01Solver, DnsZone, ExternalDnsProvider, WorkloadIdentity
from traffic_edge.plan.data_plane import SslPolicyRequest
from traffic_edge.platforms.base import CloudPlatform, ClusterFacts, Provisioned, checked_dns_name, looked_up
from traffic_edge.platforms.checks import gke_issues

SERVICE_ACCOUNT_ANNOTATION = "iam.gke.io/gcp-service-account"
ACCOUNT_ID_LIMIT = 30  # https://cloud.google.com/iam/docs/service-accounts-create#creating
ROLE_ID_LIMIT = 64  # [a-zA-Z0-9_.]{3,64}: https://cloud.google.com/iam/docs/reference/rest/v1/projects.roles/create


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
        self.provider = gcp.Provider(f"{name}-gcp", project=project, opts=self.provider_options())
        project = self._checked_project(facts, project)
        self.custom_roles: dict[str, tuple[pulumi.Output[str], pulumi.Resource]] = {}  # created in the zone's project
        zone = self._adopted_zone(project) if self.args.dns.adopt else self._created_zone(project)
        identities = {
            request.workload.name: self._identity(request.workload, request.gcp, zone, project, facts)
            for request in self.args.identities
            if request.gcp is not None
        }
        ssl_policies = {request.name: self._ssl_policy(request, project, facts) for request in self.args.ssl_policies}
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
            ssl_policies=ssl_policies,
        )

    def _checked_project(self, facts: ClusterFacts, project: pulumi.Output[str]) -> pulumi.Output[str]:
        """The cluster's project, once the cluster is known to have what the edge uses (or it was not checked)."""
        self.workload_identity = any(request.gcp is not None for request in self.args.identities)
        if not (self.args.platform_gateway_api or self.workload_identity):
            return project
        uses = [what for what, used in (("Gateway API", self.args.platform_gateway_api),
                                        ("Workload Identity", self.workload_identity)) if used]
        check = self.preflight(
            f"GKE {' and '.join(uses)} on the cluster",
            {
                "project": project,
                "clusterName": facts.optional("clusterName", self.settings.cluster_name),
                "location": facts.optional("location", self.settings.location),
            },
            self._cluster_issues,
        )
        return self.after(check, project)

    def _cluster_issues(self, facts: Mapping[str, str]) -> pulumi.Output[list[Issue]]:
        found = gcp_container.get_cluster_output(
            name=facts["clusterName"], location=facts["location"], project=facts["project"], opts=self.lookup()
        )
        gateway_api, workload_identity = self.args.platform_gateway_api, self.workload_identity
        return pulumi.Output.from_input(looked_up(found)).apply(
            lambda cluster: gke_issues(cluster, facts, gateway_api, workload_identity)
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
        found = gcp_dns.get_managed_zone_output(name=name, project=project, opts=self.lookup())
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

    def _custom_role(
        self, role: GcpCustomRole, project: pulumi.Output[str]
    ) -> tuple[pulumi.Output[str], pulumi.Resource]:
        """The role's name (`projects/<project>/roles/<id>`) and resource, created once in the zone's project.

        The name is written out rather than read back, so a preview shows the role each binding grants.
        """
        if role.name not in self.custom_roles:
            deployment = self.args.deployment
            role_id = identity_name((deployment.project, deployment.stack, role.name), ROLE_ID_LIMIT).replace("-", "_")
            name, opts = self.child(f"{role.name}-role")
            created = gcp_projects.IAMCustomRole(
                name,
                role_id=role_id,
                title=role.title,
                description=f"{deployment.project}/{deployment.stack}: {role.description}",
                permissions=list(role.permissions),
                project=project,
                opts=opts,
            )
            self.custom_roles[role.name] = (pulumi.Output.concat("projects/", project, "/roles/", role_id), created)
        return self.custom_roles[role.name]

    def _grant(self, workload: Workload, grant: GcpGrant, member: pulumi.Output[str], zone: _Zone) -> pulumi.Resource:
        role: pulumi.Input[str]
        defined: list[pulumi.Resource] = []  # the custom role, which the binding waits for
        former: list[str] = []  # the names of the binding's predecessor, which it replaces in place
        if isinstance(grant.role, GcpCustomRole):
            role, custom = self._custom_role(grant.role, zone.project)
            slug, defined = grant.role.name, [custom]
            if grant.role.replaces:
                former.append(f"{workload.name}-{grant.role.replaces.removeprefix('roles/')}-{grant.scope}")
        else:
            role, slug = grant.role, grant.role.removeprefix("roles/")
        if grant.scope == "zone":
            name, opts = self.child(f"{workload.name}-{slug}-zone", aliases=former)
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=defined))
            return gcp_dns.DnsManagedZoneIamMember(
                name, project=zone.project, managed_zone=zone.name, role=role, member=member, opts=opts
            )
        name, opts = self.child(f"{workload.name}-{slug}-project")
        return gcp_projects.IAMMember(name, project=zone.project, role=role, member=member, opts=opts)

    def _ssl_policy(
        self, request: SslPolicyRequest, project: pulumi.Output[str], facts: ClusterFacts
    ) -> pulumi.Resource:
        """The SSL policy a GCPGatewayPolicy names: global for a global load balancer, else in the cluster's region."""
        name, opts = self.child(request.key)
        minimum = f"TLS_{request.min_tls_version.replace('.', '_')}"
        description = f"traffic-edge {self.args.deployment.stack}: TLS {request.min_tls_version} or later"
        if request.scope == "global":
            return gcp_compute.SSLPolicy(name, name=request.name, min_tls_version=minimum, profile=request.profile,
                                         description=description, project=project, opts=opts)
        return gcp_compute.RegionSslPolicy(
            name, name=request.name, min_tls_version=minimum, profile=request.profile, description=description,
            project=project, region=facts.get("location", self.settings.location).apply(region_of), opts=opts,
        )

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


def region_of(location: str) -> str:
    """A cluster's region from its location, a region or a zone: `europe-west1-b` → `europe-west1`."""
    return location.rsplit("-", 1)[0] if location.count("-") == 2 else location
