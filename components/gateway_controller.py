"""The Gateway controller named in config: its chart, its GatewayClasses and their parameters, as its row says.

Nothing here knows one controller from another: a row of catalog.controllers says whether there is a chart,
whether the chart or platform creates the classes, and which object (if any) parameterises them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from catalog.controllers import ControllerRow, ParametersObject, ValuesContext
from catalog.versions import CHARTS
from components.kube import GATEWAY_GROUP, custom_object, deep_merge, helm_release, parameters_object


@dataclass(frozen=True)
class GatewayControllerArgs:
    row: ControllerRow
    context: ValuesContext
    chart_version: str | None = None  # None: the row's pinned version
    extra_values: Mapping[str, Any] = field(default_factory=dict)
    crds: Sequence[pulumi.Resource] = ()  # the GatewayClass needs the Gateway API CRDs
    namespace: Sequence[pulumi.Resource] = ()  # the release needs its namespace
    identity_ready: Sequence[pulumi.Resource] = ()  # the platform identity the controller runs as


def controller_values(args: GatewayControllerArgs) -> dict[str, Any]:
    return deep_merge(args.row.values(args.context), args.extra_values)


def gateway_class_spec(controller_name: str, parameters: ParametersObject | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"controllerName": controller_name}
    if parameters is not None:
        spec["parametersRef"] = parameters.class_ref()
    return spec


class GatewayController(pulumi.ComponentResource):
    def __init__(self, name: str, args: GatewayControllerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:gateway_controller:GatewayController", name, None, opts)
        row = args.row
        self.class_name = row.gateway_class
        self.release = None
        if row.chart is not None:
            pin = CHARTS[row.chart]
            self.release = helm_release(
                name,
                pin,
                args.chart_version or pin.version,
                row.namespace,
                controller_values(args),
                pulumi.ResourceOptions(
                    parent=self, depends_on=[*args.crds, *args.namespace, *args.identity_ready]
                ),
            )
        installed = [self.release] if self.release is not None else []
        parameters = row.class_parameters(args.context)
        self.parameters = None
        if parameters is not None:
            self.parameters = parameters_object(
                f"{name}-parameters",
                parameters,
                pulumi.ResourceOptions(parent=self, depends_on=[*installed, *args.namespace]),
            )
        self.gateway_classes = []
        if not row.installs_classes:
            self.gateway_classes = [
                custom_object(
                    f"{name}-class" if len(row.classes) == 1 else f"{name}-class-{item.name}",
                    f"{GATEWAY_GROUP}/v1",
                    "GatewayClass",
                    {"name": item.name},
                    gateway_class_spec(item.controller_name, parameters),
                    pulumi.ResourceOptions(parent=self, depends_on=list(args.crds)),
                )
                for item in row.classes
            ]
        self.register_outputs({"class_name": self.class_name})
