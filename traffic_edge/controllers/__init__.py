"""Gateway controllers: one module each (its row, chart pin, values, workload and grants, data-plane ports).

Adding a controller is adding a module here that defines `ROW`; the registry finds it.
"""

from __future__ import annotations

import importlib
import pkgutil

from traffic_edge.controllers.base import ControllerRow
from traffic_edge.data.versions import CHARTS, ChartPin


def _rows() -> dict[str, ControllerRow]:
    rows = {}
    for module in sorted(info.name for info in pkgutil.iter_modules(__path__) if info.name != "base"):
        row = importlib.import_module(f"{__name__}.{module}").ROW
        rows[row.name] = row
    return rows


CONTROLLERS: dict[str, ControllerRow] = _rows()


def chart_pins() -> dict[str, ChartPin]:
    """Every chart this program can install, by the name `versions.charts` overrides it under."""
    pins = dict(CHARTS)
    for row in CONTROLLERS.values():
        for pin in (row.chart, row.crd_chart.pin if row.crd_chart else None):
            if pin is not None:
                pins[pin.name] = pin
    return pins
