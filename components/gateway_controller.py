"""The Gateway controller named in config: its chart (if it installs one) and its GatewayClass."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from catalog.controllers import ControllerRow, ValuesContext
from catalog.versions import CHARTS
from components.kube import GATEWAY_GROUP, custom_object, deep_merge, helm_release


@dataclass(frozen=True)
class GatewayControllerArgs:
    row: ControllerRow
    context: ValuesContext
    chart_version: str | None = None  # None: the row's pinned version
    extra_values: Mapping[str, Any] = field(default_factory=dict)
    crds: Sequence[pulumi.Resource] = ()  # the GatewayClass needs the Gateway API CRDs
    namespace: Sequence[pulumi.Resource] = ()  # the release needs its namespace


def controller_values(args: GatewayControllerArgs) -> dict[str, Any]:
    return deep_merge(args.row.values(args.context), args.extra_values)


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
                pulumi.ResourceOptions(parent=self, depends_on=[*args.crds, *args.namespace]),
            )
        self.gateway_class = None
        if row.create_gateway_class:
            self.gateway_class = custom_object(
                f"{name}-class",
                f"{GATEWAY_GROUP}/v1",
                "GatewayClass",
                {"name": row.gateway_class},
                {"controllerName": row.controller_name},
                pulumi.ResourceOptions(parent=self, depends_on=list(args.crds)),
            )
        self.register_outputs({"class_name": self.class_name})
