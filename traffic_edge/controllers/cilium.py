"""Cilium's built-in Gateway controller: installed with the cluster; this program adds a parameterised class."""

from __future__ import annotations

from traffic_edge.controllers.base import (
    ALL_PROTOCOLS,
    ControllerRow,
    GatewayClassRow,
    ParametersObject,
    ValuesContext,
)


def class_config(context: ValuesContext) -> ParametersObject | None:
    """CiliumGatewayClassConfig (Cilium ≥ 1.18): the type of the Service Cilium creates for each Gateway."""
    return ParametersObject(
        "cilium.io/v2alpha1", "CiliumGatewayClassConfig", "traffic-edge", "kube-system",
        {"service": {"type": context.service_type}},
    )


ROW = ControllerRow(
    name="cilium",
    classes=(
        GatewayClassRow(
            "cilium-traffic-edge", "io.cilium/gateway-controller", ALL_PROTOCOLS - {"UDP"},
            frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute"}),
        ),
    ),
    namespace="kube-system",
    class_parameters=class_config,
    reads={"TLSRoute": "v1alpha2"},
    source="https://docs.cilium.io/en/stable/network/servicemesh/gateway-api/parameterized-gatewayclass/",
)
