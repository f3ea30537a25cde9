"""How long validating a stack takes, the model and then every cross-key rule, as routes, namespaces and tenants grow.

    python -m bench.checks

Every check must be linear in routes, namespaces and tenants: at ten times the size, about ten times the time.
Run by `python -m bench` too.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import bench
from traffic_edge.config import rules
from traffic_edge.config.model import StackConfig

SIZES = (1_000, 10_000)
REPEATS = 3


def spread_config(size: int) -> dict[str, Any]:
    """`size` routes, each in a namespace of its own granted the gateway; every tenth reaches a shared Service."""
    config = bench.synthetic_config(0)
    config["namespaces"] = {"shared": {}}
    for index in range(size):
        namespace = f"team-{index}"
        backend: dict[str, Any] = {"service": f"svc-{index}", "port": 8080}
        if index % 10 == 0:
            backend["namespace"] = "shared"
        config["namespaces"][namespace] = {"gateways": ["edge"]}
        config["routes"].append({
            "name": f"route-{index}", "namespace": namespace, "gateway": "edge",
            "hostnames": [f"r{index}.{bench.DOMAIN}"], "rules": [{"backends": [backend]}],
        })
    return config


def timed(config: dict[str, Any]) -> tuple[float, float]:
    """(model seconds, rules seconds), the best of REPEATS; the stack must be valid."""
    best = (float("inf"), float("inf"))
    for _ in range(REPEATS):
        start = time.perf_counter()
        model = StackConfig.model_validate(config, by_name=False)
        middle = time.perf_counter()
        issues = rules.check(model)
        end = time.perf_counter()
        assert not issues, issues[:3]
        best = (min(best[0], middle - start), min(best[1], end - middle))
    return best


CASES: dict[str, Callable[[int], dict[str, Any]]] = {
    "routes in as many namespaces": spread_config,
    "routes in as many tenants": lambda size: bench.synthetic_config(size, tenants=size),
}


def table() -> str:
    lines = [f"{'case':<30} {'size':>6} {'model s':>8} {'rules s':>8} {'µs/route':>9}"]
    for name, build in CASES.items():
        for size in SIZES:
            model, checks = timed(build(size))
            lines.append(f"{name:<30} {size:>6} {model:>8.2f} {checks:>8.2f} {(model + checks) * 1e6 / size:>9.0f}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
    sys.exit(0)
