"""Gateway controllers: one module each (its row, chart pin, values, workload and grants, data-plane ports).

Adding a controller is a module here and a line in CONTROLLERS.
"""

from __future__ import annotations

from traffic_edge.controllers import (
    aws_load_balancer_controller,
    azure_alb,
    cilium,
    envoy_gateway,
    gke,
    istio,
    nginx_gateway_fabric,
    traefik,
)
from traffic_edge.controllers.base import ControllerRow
from traffic_edge.data.versions import CHARTS, ChartPin

CONTROLLERS: dict[str, ControllerRow] = {
    row.name: row
    for row in (
        envoy_gateway.ROW,
        nginx_gateway_fabric.ROW,
        istio.ROW,
        traefik.ROW,
        cilium.ROW,
        gke.ROW,
        aws_load_balancer_controller.ROW,
        azure_alb.ROW,
    )
}


def chart_pins() -> dict[str, ChartPin]:
    """Every chart this program can install, by the name `versions.charts` overrides it under."""
    pins = dict(CHARTS)
    for row in CONTROLLERS.values():
        if row.chart is not None:
            pins[row.chart.name] = row.chart
    return pins
