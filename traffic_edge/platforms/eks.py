"""EKS: a Route 53 zone, IRSA or EKS Pod Identity roles, cert-manager `route53`, external-dns `aws`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_aws.eks as aws_eks
import pulumi_aws.iam as aws_iam
import pulumi_aws.route53 as aws_route53

from traffic_edge.config.platforms import Eks as EksSettings
from traffic_edge.data.permissions.aws import AwsRow, aws_policy_document, irsa_trust_policy, pod_identity_trust_policy
from traffic_edge.data.workloads import Workload
from traffic_edge.plan.contracts import Dns01Solver, DnsZone, ExternalDnsProvider, WorkloadIdentity
from traffic_edge.platforms.base import CloudPlatform, ClusterFacts, Provisioned, checked_dns_name

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
        configured = self.settings.partition
        partition = pulumi.Output.from_input(configured) if configured else aws.get_partition_output().partition
        zone = self._adopted_zone() if self.args.dns.adopt else self._created_zone()
        identities = {
            request.workload.name: self._identity(request.workload, request.aws, partition, zone, facts)
            for request in self.args.identities
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
        found = aws_route53.get_zone_output(name=adopt.name, zone_id=adopt.id, private_zone=self.args.dns.private)
        expected = self.args.zone_name

        def verified(result: Any) -> str:
            checked_dns_name(result.name, expected)
            return str(result.zone_id)

        return _Zone(found.apply(verified), None if self.args.dns.private else found.name_servers)

    def _identity(
        self, workload: Workload, row: AwsRow, partition: pulumi.Output[str], zone: _Zone, facts: ClusterFacts
    ) -> WorkloadIdentity:
        """A role only this workload's service account can assume, with the row's policy inline."""
        if self.settings.identity == "irsa":
            provider_arn = facts.get("oidcProviderArn", self.settings.oidc_provider_arn)
            trust = provider_arn.apply(
                lambda arn: json.dumps(irsa_trust_policy(arn, workload.namespace, workload.service_account))
            )
        else:
            trust = pulumi.Output.from_input(json.dumps(pod_identity_trust_policy()))
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
            policy=pulumi.Output.all(partition, zone.zone_id).apply(
                lambda ids: json.dumps(aws_policy_document(row, ids[0], ids[1]))
            ),
            opts=opts,
        )
        if self.settings.identity == "irsa":
            return WorkloadIdentity(service_account_annotations={ROLE_ARN_ANNOTATION: role.arn}, ready=[policy])
        name, opts = self.child(f"{workload.name}-pod-identity")
        association = aws_eks.PodIdentityAssociation(
            name,
            cluster_name=facts.get("clusterName", self.settings.cluster_name),
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
