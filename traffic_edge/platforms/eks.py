"""EKS: a Route 53 zone, IRSA or EKS Pod Identity roles, cert-manager `route53`, external-dns `aws`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_aws.eks as aws_eks
import pulumi_aws.iam as aws_iam
import pulumi_aws.route53 as aws_route53

from traffic_edge.config.errors import Issue
from traffic_edge.config.platforms import Eks as EksSettings
from traffic_edge.config.platforms import region_partition
from traffic_edge.data.permissions.aws import AwsRow, aws_policy_document, irsa_trust_policy, pod_identity_trust_policy
from traffic_edge.data.workloads import Workload
from traffic_edge.plan.contracts import Dns01Solver, DnsZone, ExternalDnsProvider, WorkloadIdentity
from traffic_edge.platforms.base import CloudPlatform, ClusterFacts, Provisioned, checked_dns_name, looked_up
from traffic_edge.platforms.checks import POD_IDENTITY_AGENT, eks_auto_mode, eks_issues

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
ROLE_NAME_LIMIT = 64  # https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html


@dataclass(frozen=True)
class _Zone:
    zone_id: pulumi.Output[str]
    name_servers: pulumi.Output[Sequence[str]] | None


class Eks(CloudPlatform[EksSettings]):
    settings_type = EksSettings
    type_token = "traffic-edge:aws:Eks"

    def provision(self, name: str, opts: pulumi.ResourceOptions) -> Provisioned:
        facts = self._open(name, opts)
        # Every AWS resource and look-up in the platform's region, whatever `aws:region` the stack sets.
        self.provider = aws.Provider(f"{name}-aws", region=self.settings.region, opts=self.provider_options())
        self.partition = self.settings.partition or region_partition(self.settings.region)
        requests = [request for request in self.args.identities if request.aws is not None]
        self.cluster_name: pulumi.Output[str] | None = None
        if self.settings.identity == "podIdentity" and requests:
            self.cluster_name = self._checked_cluster(facts)
        zone = self._adopted_zone() if self.args.dns.adopt else self._created_zone()
        identities = {
            request.workload.name: self._identity(request.workload, request.aws, zone, facts)
            for request in requests
            if request.aws is not None
        }
        assert self.component is not None
        self.component.register_outputs({"zoneId": zone.zone_id, "nameServers": zone.name_servers})
        # Ambient credentials: cert-manager uses them for ClusterIssuers only (cert-manager issue 6909).
        # ACME servers cannot read a private zone.
        dns01 = None if self.args.dns.private else Dns01Solver(
            solver={"route53": {"region": self.settings.region, "hostedZoneID": zone.zone_id}}
        )
        return Provisioned(
            zone=DnsZone(self.args.zone_name, zone.zone_id, zone.name_servers),
            identities=identities,
            dns01=dns01,
            external_dns=self._external_dns(zone),
            cluster=facts,
        )

    def _created_zone(self) -> _Zone:
        dns = self.args.dns
        name, opts = self.child("dns-zone", protect=dns.protect)
        zone = aws_route53.Zone(
            name,
            name=self.args.zone_name,
            comment=f"traffic-edge {self.args.deployment.stack}: {self.args.domain}",
            vpcs=[aws_route53.ZoneVpcArgs(vpc_id=vpc, vpc_region=self.settings.region) for vpc in dns.networks] or None,
            opts=opts,
        )
        return _Zone(zone.zone_id, None if dns.private else zone.name_servers)

    def _adopted_zone(self) -> _Zone:
        adopt = self.args.dns.adopt
        assert adopt is not None
        found = aws_route53.get_zone_output(
            name=adopt.name, zone_id=adopt.id, private_zone=self.args.dns.private, opts=self.lookup()
        )
        expected = self.args.zone_name

        def verified(result: Any) -> str:
            checked_dns_name(result.name, expected)
            return str(result.zone_id)

        return _Zone(found.apply(verified), None if self.args.dns.private else found.name_servers)

    def _checked_cluster(self, facts: ClusterFacts) -> pulumi.Output[str]:
        """The cluster the associations name, once its Pod Identity Agent is known to run (or not checked)."""
        name = facts.get("clusterName", self.settings.cluster_name)
        check = self.preflight(
            "the EKS Pod Identity Agent on the cluster", {"clusterName": name}, self._agent_issues
        )
        return self.after(check, name)

    def _agent_issues(self, facts: Mapping[str, str]) -> pulumi.Output[list[Issue]]:
        name, options = facts["clusterName"], self.lookup()

        async def verdict() -> list[Issue]:
            cluster = await looked_up(aws_eks.get_cluster_output(name=name, opts=options))
            addon = None
            if not isinstance(cluster, Exception) and not eks_auto_mode(cluster):
                addon = await looked_up(
                    aws_eks.get_addon_output(cluster_name=name, addon_name=POD_IDENTITY_AGENT, opts=options)
                )
            return eks_issues(cluster, addon, {**facts, "region": self.settings.region})

        return pulumi.Output.from_input(verdict())

    def _trust(self, workload: Workload, facts: ClusterFacts) -> pulumi.Output[str]:
        """Only this workload's service account, of this cluster, may assume its role."""
        namespace, service_account = workload.namespace, workload.service_account
        if self.settings.identity == "irsa":
            provider_arn = facts.get("oidcProviderArn", self.settings.oidc_provider_arn)
            return provider_arn.apply(lambda arn: json.dumps(irsa_trust_policy(arn, namespace, service_account)))
        assert self.cluster_name is not None
        return self.cluster_name.apply(
            lambda cluster: json.dumps(pod_identity_trust_policy(namespace, service_account, cluster))
        )

    def _identity(self, workload: Workload, row: AwsRow, zone: _Zone, facts: ClusterFacts) -> WorkloadIdentity:
        """A role only this workload's service account can assume, with the row's policy inline."""
        trust = self._trust(workload, facts)
        name, opts = self.child(f"{workload.name}-role")
        role = aws_iam.Role(
            name,
            name=self.identity_name(workload, ROLE_NAME_LIMIT),
            description=self.description(workload),
            assume_role_policy=trust,
            opts=opts,
        )
        name, opts = self.child(f"{workload.name}-policy")
        policy = aws_iam.RolePolicy(
            name,
            role=role.name,
            name=workload.name,
            policy=zone.zone_id.apply(lambda zone_id: json.dumps(aws_policy_document(row, self.partition, zone_id))),
            opts=opts,
        )
        if self.settings.identity == "irsa":
            return WorkloadIdentity(service_account_annotations={ROLE_ARN_ANNOTATION: role.arn}, ready=[policy])
        name, opts = self.child(f"{workload.name}-pod-identity")
        association = aws_eks.PodIdentityAssociation(
            name,
            cluster_name=self.cluster_name,
            namespace=workload.namespace,
            service_account=workload.service_account,
            role_arn=role.arn,
            opts=opts,
        )
        return WorkloadIdentity(ready=[policy, association])

    def _external_dns(self, zone: _Zone) -> ExternalDnsProvider:
        values: dict[str, Any] = {
            "provider": {"name": "aws"},
            "env": [{"name": "AWS_DEFAULT_REGION", "value": self.settings.region}],
            "domainFilters": [self.args.zone_name],
            "extraArgs": [
                f"--aws-zone-type={'private' if self.args.dns.private else 'public'}",
                pulumi.Output.concat("--zone-id-filter=", zone.zone_id),
            ],
        }
        return ExternalDnsProvider(values=values)
