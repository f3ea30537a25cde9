"""The Gateway controller named in config: its CRD chart and chart, its GatewayClasses and their parameters, and the
objects it needs beside them, as its row says.

Nothing here knows one controller from another: the row says whether there is a chart, whether the chart or
platform creates the classes, which object (if any) parameterises them and where its identity goes in values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from traffic_edge.components.kube import crd_chart, helm_release, kube_object, merged, parameters_object
from traffic_edge.controllers.base import ControllerRow, ParametersObject, ValuesContext
from traffic_edge.data.workloads import identity_values
from traffic_edge.plan.contracts import WorkloadIdentity
from traffic_edge.plan.objects import GATEWAY_GROUP, KubeObject
from traffic_edge.plan.sources import ChartLocation


@dataclass(frozen=True)
class GatewayControllerArgs:
    row: ControllerRow
    context: ValuesContext
    chart: ChartLocation | None = None  # where the row's chart comes from; None where it has none
    crd_chart: ChartLocation | None = None  # where the row's CRD chart comes from; None where it has none
    extra_values: Mapping[str, Any] = field(default_factory=dict)
    identity: WorkloadIdentity = field(default_factory=WorkloadIdentity)  # the platform identity it runs as
    crds: Sequence[pulumi.Resource] = ()  # the GatewayClass needs the Gateway API CRDs
    namespace: Sequence[pulumi.Resource] = ()  # the release needs its namespace


def controller_values(args: GatewayControllerArgs) -> dict[str, Any]:
    """The row's values, the identity where the row's workload takes it, then the user's extra values."""
    identity, workload = args.identity, args.row.workload
    wiring = identity_values(
        workload.identity_paths, identity.service_account_annotations, identity.pod_labels, identity.client_id
    ) if workload else []
    return merged(args.row.values(args.context), *wiring, args.extra_values)


def gateway_class(name: str, controller_name: str, parameters: ParametersObject | None) -> KubeObject:
    spec: dict[str, Any] = {"controllerName": controller_name}
    if parameters is not None:
        spec["parametersRef"] = parameters.class_ref()
    return KubeObject(f"{GATEWAY_GROUP}/v1", "GatewayClass", {"name": name}, spec)


class GatewayController(pulumi.ComponentResource):
    def __init__(self, name: str, args: GatewayControllerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:gateway_controller:GatewayController", name, None, opts)
        row = args.row
        self.class_name = row.gateway_class
        self.crds = None
        if args.crd_chart is not None and row.crd_chart is not None:
            self.crds = crd_chart(
                f"{name}-crds", args.crd_chart, row.namespace, row.crd_chart.values,
                pulumi.ResourceOptions(parent=self, depends_on=list(args.namespace)),
            )
        own_crds = [self.crds] if self.crds is not None else []
        self.release = None
        if args.chart is not None:
            self.release = helm_release(
                name,
                row.name,
                args.chart,
                row.namespace,
                controller_values(args),
                pulumi.ResourceOptions(
                    parent=self, depends_on=[*args.crds, *own_crds, *args.namespace, *args.identity.ready]
                ),
                timeout=row.release_timeout,
            )
        installed = [*own_crds, self.release] if self.release is not None else own_crds
        parameters = row.class_parameters(args.context)
        self.parameters = None
        if parameters is not None:
            self.parameters = parameters_object(
                f"{name}-parameters",
                parameters,
                pulumi.ResourceOptions(parent=self, depends_on=[*installed, *args.namespace]),
            )
        for item in row.objects(args.context):
            parameters_object(
                f"{name}-{item.kind.lower()}-{item.name}",
                item,
                pulumi.ResourceOptions(parent=self, depends_on=[*installed, *args.namespace]),
            )
        self.gateway_classes = []
        if not row.installs_classes:
            self.gateway_classes = [
                kube_object(
                    f"{name}-class" if len(row.classes) == 1 else f"{name}-class-{item.name}",
                    gateway_class(item.name, item.controller_name, parameters),
                    pulumi.ResourceOptions(parent=self, depends_on=list(args.crds)),
                )
                for item in row.classes
            ]
        self.register_outputs({"class_name": self.class_name})
