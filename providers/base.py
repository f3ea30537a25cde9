"""The one interface every platform implements; components talk to nothing else cloud-specific."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from stackconfig import StackConfig


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
    """external-dns chart values for this platform's DNS, and the Secrets they reference."""

    values: Mapping[str, Any]
    secrets: Sequence[SecretSpec] = ()


@dataclass(frozen=True)
class DnsZone:
    name: str
    zone_id: pulumi.Input[str] | None = None
    name_servers: pulumi.Input[Sequence[str]] | None = None


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
