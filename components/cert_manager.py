"""cert-manager by Helm: CRDs from the chart, Gateway API support on, identity wiring in values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from catalog.versions import CHARTS
from catalog.workloads import WORKLOADS
from components.kube import deep_merge, helm_release
from providers.base import WorkloadIdentity

WORKLOAD = WORKLOADS["cert-manager"]


@dataclass(frozen=True)
class CertManagerArgs:
    version: str
    gateway_api: bool  # HTTP-01 through Gateways; the Gateway API CRDs must exist first
    identity: WorkloadIdentity = field(default_factory=WorkloadIdentity)
    extra_values: Mapping[str, Any] = field(default_factory=dict)
    depends_on: Sequence[pulumi.Resource] = ()  # the Gateway API CRDs and the namespace


def cert_manager_values(args: CertManagerArgs) -> dict[str, Any]:
    """Chart values; `crds.keep` leaves the CRDs (and so every certificate) in place on uninstall."""
    values: dict[str, Any] = {
        "crds": {"enabled": True, "keep": True},
        "config": {"gatewayAPI": {"enabled": args.gateway_api}},
        "serviceAccount": {"name": WORKLOAD.service_account},
    }
    if args.identity.service_account_annotations:
        values["serviceAccount"]["annotations"] = dict(args.identity.service_account_annotations)
    if args.identity.pod_labels:
        values["podLabels"] = dict(args.identity.pod_labels)
    return deep_merge(values, args.extra_values)


class CertManager(pulumi.ComponentResource):
    def __init__(self, name: str, args: CertManagerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:cert_manager:CertManager", name, None, opts)
        self.namespace = WORKLOAD.namespace
        self.release = helm_release(
            name,
            CHARTS["cert-manager"],
            args.version,
            self.namespace,
            cert_manager_values(args),
            pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, *args.identity.ready]),
        )
        self.register_outputs({"namespace": self.namespace})
