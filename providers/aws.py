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

from catalog.permissions import (
    AWS,
    AwsRow,
    aws_policy_document,
    irsa_trust_policy,
    pod_identity_trust_policy,
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
from stackconfig.model import Eks as EksSettings

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
ROLE_NAME_LIMIT = 64  # https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html


@dataclass(frozen=True)
class _Zone:
    zone_id: pulumi.Output[str]
    name_servers: pulumi.Output[Sequence[str]] | None


class Eks(CloudPlatform[EksSettings]):
    settings_type = EksSettings
    partition: pulumi.Output[str]
    zone: _Zone

    def provision(self, opts: pulumi.ResourceOptions | None = None) -> None:
        component = self._component(opts)
        child = pulumi.ResourceOptions(parent=component)
        configured = self.settings.partition
        self.partition = pulumi.Output.from_input(configured) if configured else aws.get_partition_output().partition
        self.zone = self._adopted_zone() if self.config.dns.adopt else self._created_zone(child)
        identities = {
            workload: self._identity(workload, row, child) for workload, row in AWS.items() if row.needed(self.config)
        }
        self._provisioned(DnsZone(self.config.zone_name, self.zone.zone_id, self.zone.name_servers), identities)
        component.register_outputs({"zoneId": self.zone.zone_id, "nameServers": self.zone.name_servers})

    def _created_zone(self, opts: pulumi.ResourceOptions) -> _Zone:
        dns = self.config.dns
        zone = aws_route53.Zone(
            "dns-zone",
            name=self.config.zone_name,
            comment=f"traffic-edge {pulumi.get_stack()}: {self.config.domain}",
            vpcs=[aws_route53.ZoneVpcArgs(vpc_id=vpc, vpc_region=self.settings.region) for vpc in dns.networks] or None,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=dns.protect)),
        )
        return _Zone(zone.zone_id, None if dns.private else zone.name_servers)

    def _adopted_zone(self) -> _Zone:
        adopt = self.config.dns.adopt
        assert adopt is not None
        found = aws_route53.get_zone_output(name=adopt.name, zone_id=adopt.id, private_zone=self.config.dns.private)
        expected = self.config.zone_name

        def verified(result: Any) -> str:
            checked_dns_name(result.name, expected)
            return str(result.zone_id)

        return _Zone(found.apply(verified), None if self.config.dns.private else found.name_servers)

    def _identity(self, workload: str, row: AwsRow, opts: pulumi.ResourceOptions) -> WorkloadIdentity:
        """A role only this workload's service account can assume, with the row's policy inline."""
        where = WORKLOADS[workload]
        if self.settings.identity == "irsa":
            provider_arn = self.facts.get("oidcProviderArn", self.settings.oidc_provider_arn)
            trust = provider_arn.apply(
                lambda arn: json.dumps(irsa_trust_policy(arn, where.namespace, where.service_account))
            )
        else:
            trust = pulumi.Output.from_input(json.dumps(pod_identity_trust_policy()))
        role = aws_iam.Role(
            f"{workload}-role",
            name=self._identity_name(workload, ROLE_NAME_LIMIT),
            description=self._description(workload),
            assume_role_policy=trust,
            opts=opts,
        )
        policy = aws_iam.RolePolicy(
            f"{workload}-policy",
            role=role.name,
            name=workload,
            policy=pulumi.Output.all(self.partition, self.zone.zone_id).apply(
                lambda facts: json.dumps(aws_policy_document(row, facts[0], facts[1]))
            ),
            opts=opts,
        )
        if self.settings.identity == "irsa":
            return WorkloadIdentity(service_account_annotations={ROLE_ARN_ANNOTATION: role.arn}, ready=[policy])
        association = aws_eks.PodIdentityAssociation(
            f"{workload}-pod-identity",
            cluster_name=self.facts.get("clusterName", self.settings.cluster_name),
            namespace=where.namespace,
            service_account=where.service_account,
            role_arn=role.arn,
            opts=opts,
        )
        return WorkloadIdentity(ready=[policy, association])

    def dns01_solver(self) -> Dns01Solver | None:
        """Ambient credentials: cert-manager uses them for ClusterIssuers only (cert-manager issue 6909)."""
        if self.config.dns.private:
            return None  # ACME servers cannot read a private zone
        return Dns01Solver(solver={"route53": {"region": self.settings.region, "hostedZoneID": self.zone.zone_id}})

    def external_dns_provider(self) -> ExternalDnsProvider | None:
        identity = self.workload_identity("external-dns")
        values: dict[str, Any] = {
            "provider": {"name": "aws"},
            "env": [{"name": "AWS_DEFAULT_REGION", "value": self.settings.region}],
            "domainFilters": [self.config.zone_name],
            "extraArgs": [
                f"--aws-zone-type={'private' if self.config.dns.private else 'public'}",
                pulumi.Output.concat("--zone-id-filter=", self.zone.zone_id),
            ],
        }
        if identity.service_account_annotations:
            values["serviceAccount"] = {"annotations": dict(identity.service_account_annotations)}
        return ExternalDnsProvider(values=values, ready=identity.ready)
