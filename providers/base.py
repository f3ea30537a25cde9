"""The one interface every platform implements; components talk to nothing else cloud-specific."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pulumi

from catalog.permissions import identity_name
from catalog.workloads import WORKLOADS
from stackconfig import StackConfig
from stackconfig.clouds import CLUSTER_OUTPUTS
from stackconfig.model import Aks, Eks, Gke


@dataclass(frozen=True)
class WorkloadIdentity:
    """How one workload's Kubernetes service account receives the platform identity."""

    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    # Resources that must exist before the workload can use its identity (role attachments, associations).
    ready: Sequence[pulumi.Resource] = ()


@dataclass(frozen=True)
class SecretSpec:
    """A Kubernetes Secret a consumer must create beside itself, e.g. the TSIG key for RFC 2136."""

    name: str
    key: str
    value: pulumi.Output[str]  # always a Pulumi secret


@dataclass(frozen=True)
class Dns01Solver:
    """The body of a cert-manager `dns01` solver, and the Secrets it references."""

    solver: Mapping[str, Any]
    secrets: Sequence[SecretSpec] = ()


@dataclass(frozen=True)
class ExternalDnsProvider:
    """external-dns chart values for this platform's DNS (identity wiring included), and the Secrets they reference."""

    values: Mapping[str, Any]
    secrets: Sequence[SecretSpec] = ()
    # Resources that must exist before external-dns can write records (its identity's grants).
    ready: Sequence[pulumi.Resource] = ()


@dataclass(frozen=True)
class DnsZone:
    name: str
    zone_id: pulumi.Input[str] | None = None
    name_servers: pulumi.Input[Sequence[str]] | None = None  # to delegate to; None for private zones


class Platform(ABC):
    """One place the edge runs: GKE, EKS, AKS or on-prem."""

    #: True where the platform installs and upgrades the Gateway API CRDs itself.
    manages_gateway_api_crds: bool = False

    def __init__(self, config: StackConfig) -> None:
        self.config = config

    @abstractmethod
    def provision(self, opts: pulumi.ResourceOptions | None = None) -> None:
        """Create the platform side (zone, identities); called once, before any component."""

    @abstractmethod
    def dns_zone(self) -> DnsZone | None:
        """The zone records are written to, or None where this program writes no DNS."""

    @abstractmethod
    def workload_identity(self, workload: str) -> WorkloadIdentity:
        """Service-account annotations and pod labels for a workload of catalog.workloads."""

    @abstractmethod
    def dns01_solver(self) -> Dns01Solver | None:
        """The ACME DNS-01 solver this platform offers, or None where it has none."""

    @abstractmethod
    def external_dns_provider(self) -> ExternalDnsProvider | None:
        """external-dns provider settings, or None where records cannot be written."""


def checked_dns_name(found: str | None, expected: str) -> None:
    """An adopted zone must be the configured one; a lookup that reports no DNS name (offline) is taken on trust."""
    if found and found.rstrip(".") != expected:
        raise pulumi.RunError(
            f"dns.adopt: the adopted zone serves {found.rstrip('.')}, not {expected} (dns.zone, defaulting to "
            f"domain); adopt the zone of {expected}, or set dns.zone to a zone that covers the domain"
        )


class ClusterFacts:
    """Facts about the cluster: the value set in config, else the output of the cluster's stack.

    stackconfig.checks guarantees that every fact a provider asks for is in one place or the other.
    """

    def __init__(self, stack_name: str | None, outputs: Mapping[str, str]) -> None:
        self._stack_name = stack_name
        self._outputs = outputs  # config key → output name
        self._reference: pulumi.StackReference | None = None

    def get(self, key: str, configured: str | int | None) -> pulumi.Output[str]:
        if configured is not None:
            return pulumi.Output.from_input(str(configured))
        if self._stack_name is None:
            raise ValueError(f"cluster fact {key} is neither configured nor in a cluster stack")
        if self._reference is None:
            self._reference = pulumi.StackReference("cluster-stack", stack_name=self._stack_name)
        return self._reference.require_output(self._outputs[key]).apply(str)


Settings = TypeVar("Settings", bound=Gke | Eks | Aks)


class CloudPlatform(Platform, Generic[Settings]):
    """What the clouds share: settings and cluster facts, resources under one component, an identity per workload."""

    settings_type: type[Settings]  # the `platform` model this cloud runs

    def __init__(self, config: StackConfig) -> None:
        super().__init__(config)
        if not isinstance(config.platform, self.settings_type):  # providers.platform_for picks by kind
            raise TypeError(f"{type(self).__name__} cannot run platform.kind {config.platform.kind}")
        self.settings: Settings = config.platform
        self.facts = ClusterFacts(config.platform.cluster_stack, CLUSTER_OUTPUTS[config.platform.kind])
        self._zone: DnsZone | None = None
        self._identities: dict[str, WorkloadIdentity] | None = None

    def _component(self, opts: pulumi.ResourceOptions | None) -> pulumi.ComponentResource:
        """The parent of every cloud resource, `traffic-edge:<module>:<Class>` like the components."""
        module = type(self).__module__.rsplit(".", 1)[-1]
        return pulumi.ComponentResource(f"traffic-edge:{module}:{type(self).__name__}", "platform", None, opts)

    @staticmethod
    def _identity_name(workload: str, limit: int) -> str:
        """The name upstream docs fix for the workload's identity, else `<project>-<stack>-<workload>`."""
        fixed = WORKLOADS[workload].identity_name
        return fixed or identity_name((pulumi.get_project(), pulumi.get_stack(), workload), limit)

    @staticmethod
    def _description(workload: str) -> str:
        where = WORKLOADS[workload]
        return f"{workload} ({where.namespace}/{where.service_account}) of {pulumi.get_project()}/{pulumi.get_stack()}"

    def _provisioned(self, zone: DnsZone, identities: dict[str, WorkloadIdentity]) -> None:
        self._zone = zone
        self._identities = identities

    def dns_zone(self) -> DnsZone | None:
        return self._zone

    def workload_identity(self, workload: str) -> WorkloadIdentity:
        """The identity provision() created for a needed workload; nothing for one that needs no cloud access."""
        if self._identities is None:
            raise RuntimeError("provision() creates the identities; call it first")
        return self._identities.get(workload, WorkloadIdentity())
