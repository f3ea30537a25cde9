"""The one interface every platform implements: create the cloud side, hand the components their contracts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import pulumi

from traffic_edge.config.model import Dns
from traffic_edge.config.platforms import CLUSTER_OUTPUTS, Aks, Eks, Gke, OnPrem
from traffic_edge.data.naming import identity_name
from traffic_edge.data.workloads import Workload
from traffic_edge.plan import Deployment, IdentityRequest
from traffic_edge.plan.contracts import Dns01Solver, DnsZone, ExternalDnsProvider, WorkloadIdentity


@dataclass(frozen=True)
class PlatformArgs:
    settings: OnPrem | Gke | Eks | Aks
    dns: Dns
    zone_name: str
    domain: str
    deployment: Deployment
    identities: Sequence[IdentityRequest] = ()  # the workloads that need a cloud identity
    tsig_secret: pulumi.Output[str] | None = None  # on-prem RFC 2136: the TSIG key, a Pulumi secret


@dataclass(frozen=True)
class Provisioned:
    """What the platform made, for the components."""

    zone: DnsZone | None  # None where this program writes no DNS
    identities: Mapping[str, WorkloadIdentity] = field(default_factory=dict)  # workload name → its wiring
    dns01: Dns01Solver | None = None  # the ACME DNS-01 solver, where the platform has one
    external_dns: ExternalDnsProvider | None = None  # None where records cannot be written

    def identity(self, workload: str) -> WorkloadIdentity:
        """The identity of a workload that needs one; nothing for one that needs no cloud access."""
        return self.identities.get(workload, WorkloadIdentity())


class Platform(ABC):
    """One place the edge runs: GKE, EKS, AKS or on-prem."""

    def __init__(self, args: PlatformArgs) -> None:
        self.args = args

    @abstractmethod
    def provision(self, name: str, opts: pulumi.ResourceOptions) -> Provisioned:
        """Create the platform side (zone, identities) under a component named `name`; called once."""


def checked_dns_name(found: str | None, expected: str) -> None:
    """An adopted zone must be the configured one; a lookup that reports no DNS name (offline) is taken on trust."""
    if found and found.rstrip(".") != expected:
        raise pulumi.RunError(
            f"dns.adopt: the adopted zone serves {found.rstrip('.')}, not {expected} (dns.zone, defaulting to "
            f"domain); adopt the zone of {expected}, or set dns.zone to a zone that covers the domain"
        )


class ClusterFacts:
    """Facts about the cluster: the value set in config, else the output of the cluster's stack.

    The config rules guarantee that every fact a platform asks for is in one place or the other.
    """

    def __init__(
        self, stack_name: str | None, outputs: Mapping[str, str], name: str, opts: pulumi.ResourceOptions
    ) -> None:
        self._stack_name = stack_name
        self._outputs = outputs  # config key → output name
        self._name = name
        self._opts = opts
        self._reference: pulumi.StackReference | None = None

    def get(self, key: str, configured: str | int | None) -> pulumi.Output[str]:
        if configured is not None:
            return pulumi.Output.from_input(str(configured))
        if self._stack_name is None:
            raise ValueError(f"cluster fact {key} is neither configured nor in a cluster stack")
        if self._reference is None:
            self._reference = pulumi.StackReference(self._name, stack_name=self._stack_name, opts=self._opts)
        return self._reference.require_output(self._outputs[key]).apply(str)


Settings = TypeVar("Settings", bound=Gke | Eks | Aks)


class CloudPlatform(Platform, Generic[Settings]):
    """What the clouds share: settings and cluster facts, resources under one component, an identity per workload.

    Children are named `<component>-<role>`; `legacy` keeps the name each had before the edge became one
    component, as an alias, so existing stacks move without replacement.
    """

    settings_type: type[Settings]  # the `platform` model this cloud runs
    type_token: str  # the component's, written as a literal: a renamed module must not re-parent the zone

    def __init__(self, args: PlatformArgs) -> None:
        super().__init__(args)
        if not isinstance(args.settings, self.settings_type):  # platforms.platform_for picks by kind
            raise TypeError(f"{type(self).__name__} cannot run platform.kind {args.settings.kind}")
        self.settings: Settings = args.settings
        self.name = ""
        self.component: pulumi.ComponentResource | None = None

    def _open(self, name: str, opts: pulumi.ResourceOptions) -> ClusterFacts:
        self.name = name
        self.component = pulumi.ComponentResource(self.type_token, name, None, opts)
        outputs = CLUSTER_OUTPUTS[self.settings.kind]
        reference_opts = pulumi.ResourceOptions(
            parent=opts.parent, aliases=[pulumi.Alias(name="cluster-stack", parent=pulumi.ROOT_STACK_RESOURCE)]
        )
        return ClusterFacts(self.settings.cluster_stack, outputs, f"{name}-cluster-stack", reference_opts)

    def child(self, role: str, protect: bool = False) -> tuple[str, pulumi.ResourceOptions]:
        """The name and options of a cloud resource under the platform component."""
        opts = pulumi.ResourceOptions(parent=self.component, aliases=[pulumi.Alias(name=role)], protect=protect)
        return f"{self.name}-{role}", opts

    def identity_name(self, workload: Workload, limit: int) -> str:
        """The name upstream docs fix for the workload's identity, else `<project>-<stack>-<workload>`."""
        deployment = self.args.deployment
        return workload.identity_name or identity_name((deployment.project, deployment.stack, workload.name), limit)

    def description(self, workload: Workload) -> str:
        deployment = self.args.deployment
        return (
            f"{workload.name} ({workload.namespace}/{workload.service_account}) of "
            f"{deployment.project}/{deployment.stack}"
        )
