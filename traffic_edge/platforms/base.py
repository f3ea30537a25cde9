"""The one interface every platform implements: create the cloud side, hand the components their contracts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pulumi

from traffic_edge.config.errors import ConfigError, Issue
from traffic_edge.config.model import Dns
from traffic_edge.config.platforms import CLUSTER_OUTPUTS, Aks, Eks, Gke, OnPrem
from traffic_edge.data.naming import identity_name
from traffic_edge.data.workloads import Workload
from traffic_edge.plan import Deployment, IdentityRequest
from traffic_edge.plan.contracts import Dns01Solver, DnsZone, ExternalDnsProvider, WorkloadIdentity
from traffic_edge.plan.data_plane import SslPolicyRequest


@dataclass(frozen=True)
class PlatformArgs:
    settings: OnPrem | Gke | Eks | Aks
    dns: Dns
    zone_name: str
    domain: str
    deployment: Deployment
    identities: Sequence[IdentityRequest] = ()  # the workloads that need a cloud identity
    tsig_secret: pulumi.Output[str] | None = None  # on-prem RFC 2136: the TSIG key, a Pulumi secret
    preflight: bool = True  # look the cluster up in the cloud and refuse what it contradicts; off: say so
    platform_gateway_api: bool = False  # the edge runs on the platform's own Gateway API (its CRDs or controller)
    ssl_policies: Sequence[SslPolicyRequest] = ()  # cloud SSL policies for gateways' minimum TLS version


@dataclass(frozen=True)
class Provisioned:
    """What the platform made, for the components."""

    zone: DnsZone | None  # None where this program writes no DNS
    identities: Mapping[str, WorkloadIdentity] = field(default_factory=dict)  # workload name → its wiring
    dns01: Dns01Solver | None = None  # the ACME DNS-01 solver, where the platform has one
    external_dns: ExternalDnsProvider | None = None  # None where records cannot be written
    cluster: ClusterFacts | None = None  # the cluster's facts, for what else takes them (a controller's chart values)
    ssl_policies: Mapping[str, pulumi.Resource] = field(default_factory=dict)  # SSL policy name → the policy

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

    def optional(self, key: str, configured: str | None) -> pulumi.Output[str | None] | None:
        """A fact not every stack gives (a preflight's, a chart's): None when neither config nor a cluster stack can
        give it; an output that is None when the cluster stack does not export it."""
        if configured is not None:
            return pulumi.Output.from_input(configured)
        if self._stack_name is None:
            return None
        if self._reference is None:
            self._reference = pulumi.StackReference(self._name, stack_name=self._stack_name, opts=self._opts)
        return self._reference.get_output(self._outputs[key]).apply(lambda value: None if value is None else str(value))


async def looked_up(result: pulumi.Output[Any]) -> Any:
    """The result of a cloud look-up, or the error it failed with (a missing add-on or cluster is an answer)."""
    try:
        return await result.future()
    except Exception as error:
        return error


# A preflight: the facts it needs (config key → value) to the issues the cloud's answer contradicts.
CloudCheck = Callable[[Mapping[str, str]], "pulumi.Output[list[Issue]] | list[Issue]"]


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
        self.provider: pulumi.ProviderResource | None = None  # the cloud's, built from the platform facts

    def _open(self, name: str, opts: pulumi.ResourceOptions) -> ClusterFacts:
        self.name = name
        self.component = pulumi.ComponentResource(self.type_token, name, None, opts)
        outputs = CLUSTER_OUTPUTS[self.settings.kind]
        reference_opts = pulumi.ResourceOptions(
            parent=opts.parent, aliases=[pulumi.Alias(name="cluster-stack", parent=pulumi.ROOT_STACK_RESOURCE)]
        )
        return ClusterFacts(self.settings.cluster_stack, outputs, f"{name}-cluster-stack", reference_opts)

    def child(
        self, role: str, protect: bool = False, aliases: Sequence[str] = ()
    ) -> tuple[str, pulumi.ResourceOptions]:
        """The name and options of a cloud resource under the platform component, through the platform's provider;
        `aliases`: roles it had before."""
        names = [pulumi.Alias(name=name) for name in (role, *aliases, *(f"{self.name}-{old}" for old in aliases))]
        opts = pulumi.ResourceOptions(parent=self.component, aliases=names, protect=protect, provider=self.provider)
        return f"{self.name}-{role}", opts

    def lookup(self, provider: pulumi.ProviderResource | None = None) -> pulumi.InvokeOutputOptions:
        """Options of a look-up through the platform's provider (or another one, e.g. another subscription's)."""
        return pulumi.InvokeOutputOptions(parent=self.component, provider=provider or self.provider)

    def provider_options(self) -> pulumi.ResourceOptions:
        """A provider of the platform: a child of its component, named `<component>-<cloud>`.

        Resources created through the default provider move to it in place: the engine asks the new provider's
        DiffConfig (pulumi/pulumi : pkg/resource/deploy/step_generator.go, providerChanged), which replaces only
        for keys marked ForcesProviderReplace in the terraform bridge (pulumi-terraform-bridge :
        pkg/tfbridge/provider.go, configDiffer; none in pulumi-gcp, none in pulumi-aws since v7) and never in
        azure-native (provider/pkg/provider/provider.go, DiffConfig answers no change).
        """
        return pulumi.ResourceOptions(parent=self.component)

    def preflight(
        self, what: str, facts: Mapping[str, pulumi.Output[str | None] | None], check: CloudCheck
    ) -> pulumi.Output[bool]:
        """Look the cluster up through the cloud at preview and refuse, with the fix, what it contradicts.

        Says so when the preflight is off or a fact it needs is missing. The result resolves once the check passed:
        resources that must not exist before it take it as an input (`after`).
        """
        if not self.args.preflight:
            pulumi.log.warn(f"{self.name}: preflight not run: {what}: not checked", self.component)
            return pulumi.Output.from_input(True)

        def skipped(missing: Sequence[str]) -> bool:
            keys = ", ".join(f"platform.{key}" for key in missing)
            outputs = CLUSTER_OUTPUTS[self.settings.kind]
            exported = ", ".join(outputs[key] for key in missing)
            pulumi.log.warn(f"{self.name}: preflight skipped: {what}: not checked without {keys} (in config, or "
                            f"exported as {exported} by platform.clusterStack)", self.component)
            return True

        known = {key: value for key, value in facts.items() if value is not None}
        if len(known) < len(facts):
            return pulumi.Output.from_input(skipped([key for key in facts if key not in known]))

        def run(values: list[str | None]) -> pulumi.Output[bool] | bool:
            found = dict(zip(known, values, strict=True))
            absent = [key for key, value in found.items() if value is None]
            if absent:
                return skipped(absent)
            return pulumi.Output.from_input(check({key: str(value) for key, value in found.items()})).apply(refuse)

        return pulumi.Output.all(*known.values()).apply(run)

    @staticmethod
    def after(check: pulumi.Output[bool], value: pulumi.Input[Any]) -> pulumi.Output[Any]:
        """`value`, once the preflight passed: what takes it waits for the check."""
        return pulumi.Output.all(check, value).apply(lambda pair: pair[1])

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


def refuse(issues: list[Issue]) -> bool:
    """A preflight's verdict: nothing contradicts the plan, or every contradiction with its fix."""
    if issues:
        raise ConfigError(issues)
    return True
