"""cert-manager by Helm: CRDs from the chart, Gateway API support on, identity wiring in values, and the
optional PrometheusRule alerting on its certificates' expiry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from traffic_edge.components.kube import helm_release, kube_object, merged
from traffic_edge.data.workloads import CERT_MANAGER, identity_values
from traffic_edge.plan.contracts import WorkloadIdentity
from traffic_edge.plan.objects import KubeObject
from traffic_edge.plan.sources import ChartLocation


@dataclass(frozen=True)
class CertManagerArgs:
    chart: ChartLocation
    values: Mapping[str, Any]  # ours
    identity: WorkloadIdentity = field(default_factory=WorkloadIdentity)
    extra_values: Mapping[str, Any] = field(default_factory=dict)  # the user's, last
    depends_on: Sequence[pulumi.Resource] = ()  # the Gateway API CRDs and the namespace
    expiry_alerts: KubeObject | None = None  # a PrometheusRule


def cert_manager_values(args: CertManagerArgs) -> dict[str, Any]:
    identity = args.identity
    wiring = identity_values(
        CERT_MANAGER.identity_paths, identity.service_account_annotations, identity.pod_labels, identity.client_id
    )
    return merged(args.values, *wiring, args.extra_values)


class CertManager(pulumi.ComponentResource):
    def __init__(self, name: str, args: CertManagerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:cert_manager:CertManager", name, None, opts)
        self.namespace = CERT_MANAGER.namespace
        self.release = helm_release(
            name,
            "cert-manager",
            args.chart,
            self.namespace,
            cert_manager_values(args),
            pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, *args.identity.ready]),
        )
        if args.expiry_alerts is not None:
            kube_object(f"{name}-expiry-alerts", args.expiry_alerts,
                        pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)))
        self.register_outputs({"namespace": self.namespace})
