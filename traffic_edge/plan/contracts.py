"""What platforms hand the components: identities, DNS-01 solvers, external-dns settings, Secrets and the zone.

Platforms produce these (with Pulumi outputs inside); components consume them. Neither knows the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi


@dataclass(frozen=True)
class WorkloadIdentity:
    """How one workload's Kubernetes service account receives the platform identity."""

    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    client_id: pulumi.Input[str] | None = None  # Azure: for charts that take it as a value
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
    name_servers: pulumi.Input[Sequence[str]] | None = None  # to delegate to; None for private zones
