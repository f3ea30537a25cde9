"""Helm values checked as `helm install` checks them: chart defaults coalesced with the given values, then the
chart's `values.schema.json` (charts without one are not checked, and say so by returning None)."""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

import jsonschema
import yaml

from traffic_edge.conformance import refdata
from traffic_edge.conformance.field import Json

# (chart, version without "v") → its folder in refdata.
CHARTS: dict[tuple[str, str], str] = {
    ("cert-manager", "1.21.1"): "cert-manager/v1.21.1/chart",
    ("external-dns", "1.21.1"): "external-dns/external-dns-helm-chart-1.21.1/chart",
    ("nginx-gateway-fabric", "2.6.7"): "nginx-gateway-fabric/v2.6.7/chart",
    ("envoy-gateway", "1.9.0"): "envoy-gateway/v1.9.0/gateway-helm",
    ("aws-load-balancer-controller", "3.5.0"): "aws-load-balancer-controller/v3.5.0/chart",
}


@functools.cache
def _chart(chart: str, version: str) -> tuple[dict[str, Json], Any] | None:
    """The chart's default values and schema validator; None when it ships no schema."""
    pin = (chart, version.removeprefix("v"))
    if pin not in CHARTS:
        raise ValueError(f"no reference data for chart {chart} {version}; known: {sorted(CHARTS)}")
    directory = refdata.REFDATA / CHARTS[pin]
    schema_file = directory / "values.schema.json"
    if not schema_file.is_file():
        return None
    schema = json.loads(schema_file.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    defaults = yaml.safe_load((directory / "values.yaml").read_text()) or {}
    return defaults, validator_class(schema)


def coalesce_values(defaults: dict[str, Json], values: dict[str, Json]) -> dict[str, Json]:
    """Helm's merge of user values over chart defaults: maps merge, user wins, null deletes a default."""
    merged = copy.deepcopy(defaults)
    for name, value in values.items():
        if value is None and name in merged:
            del merged[name]
        elif isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = coalesce_values(merged[name], value)
        else:
            merged[name] = copy.deepcopy(value)
    return merged


def _path(parts: Any) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".") or "<root>"


def validate_helm_values(chart: str, version: str, values: dict[str, Json]) -> list[str] | None:
    """Errors `path: message` for chart defaults + `values`; None when the chart ships no schema."""
    loaded = _chart(chart, version)
    if loaded is None:
        return None
    defaults, validator = loaded
    errors = sorted(validator.iter_errors(coalesce_values(defaults, values)),
                    key=lambda e: list(map(str, e.absolute_path)))
    return [f"{_path(e.absolute_path)}: {e.message}" for e in errors]
