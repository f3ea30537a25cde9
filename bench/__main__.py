"""`python -m bench`: how the program scales with routes and tenants, against bare resources.

    python -m bench

For each synthetic stack (10, 100, 1,000 and 5,000 routes; then 1, 10 and 100 tenants sharing 1,000
routes) it renders the program under the offline engine, and a baseline that registers the same
Kubernetes objects as bare `CustomResource`s (same apiVersion, kind, metadata and spec; no components,
no config validation), each in a fresh process (python -m bench.measure) so peak RSS is that run's own.
Each pair runs REPEATS times; the best run counts. Printed per size: wall time, CPU time (steadier when
the machine is busy), the program/baseline ratio, time per route and the marginal time per added route
(flat when growth is linear), and peak RSS. Target: at most 1.5x the baseline at 1,000 routes.

Then the time config checks take at 1,000 and 10,000 routes in as many namespaces or tenants (bench.checks), and,
for each example stack (Pulumi.*.yaml), the critical path of its dependency graph: the longest
chain of resources that wait on each other through `dependencies` (parent links do not make Pulumi wait).

Not part of the test run. Exit status 1 when the target is missed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bench
from bench import checks
from traffic_edge.offline.plan import plan_document
from traffic_edge.offline.render import PROJECT_DIR, render, stack_name_of
from traffic_edge.progress import Progress

ROUTES = (10, 100, 1_000, 5_000)
TENANTS = (1, 10, 100)
TENANT_ROUTES = 1_000
TARGET_ROUTES, TARGET_RATIO = 1_000, 1.5
REPEATS = 3


@dataclass(frozen=True)
class Row:
    routes: int
    tenants: int
    program: dict[str, float]
    baseline: dict[str, float]

    @property
    def ratio(self) -> float:
        return self.program["seconds"] / self.baseline["seconds"]

    @property
    def cpu_ratio(self) -> float:
        return self.program["cpu"] / self.baseline["cpu"]


def _child(*args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.measure", *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"bench.measure {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


def _best(runs: list[dict[str, Any]]) -> dict[str, float]:
    """The least of each figure over the runs: noise from other processes only ever adds."""
    return {key: min(run[key] for run in runs) for key in runs[0]}


def measure(scratch: Path, routes: int, tenants: int) -> Row:
    stack = bench.write_stack(scratch, f"r{routes}-t{tenants}", bench.synthetic_config(routes, tenants))
    objects = scratch / f"{stack.stem}.objects.json"
    programs, baselines = [], []
    for _ in range(REPEATS):  # interleaved, so both sides see the same machine load
        programs.append(_child("program", str(stack), str(objects)))
        baselines.append(_child("baseline", str(objects)))
    return Row(routes, tenants, _best(programs), _best(baselines))


def table(rows: list[Row]) -> str:
    header = (
        f"{'routes':>6} {'tenants':>7} {'resources':>9} {'program s':>9} {'baseline s':>10} {'ratio':>6} "
        f"{'cpu ratio':>9} {'ms/route':>8} {'marginal':>8} {'peak MB':>8} {'base MB':>8}"
    )
    lines = [header]
    previous: Row | None = None
    for row in rows:
        seconds = row.program["seconds"]
        marginal = "-"
        if previous is not None and previous.tenants == row.tenants and row.routes > previous.routes:
            marginal = f"{(seconds - previous.program['seconds']) * 1000 / (row.routes - previous.routes):.2f}"
        lines.append(
            f"{row.routes:>6} {row.tenants or '-':>7} {int(row.program['resources']):>9} {seconds:>9.2f} "
            f"{row.baseline['seconds']:>10.2f} {row.ratio:>6.2f} {row.cpu_ratio:>9.2f} "
            f"{seconds * 1000 / row.routes:>8.2f} {marginal:>8} {row.program['peak_mb']:>8.0f} "
            f"{row.baseline['peak_mb']:>8.0f}"
        )
        previous = row
    return "\n".join(lines)


def critical_paths() -> list[str]:
    lines = []
    for stack_file in sorted(PROJECT_DIR.glob("Pulumi.*.yaml")):
        plan = plan_document(render(stack_file))
        names = {resource["urn"]: resource["name"] for resource in plan["resources"]}
        chain = bench.critical_path(plan["resources"])
        lines.append(f"{stack_name_of(stack_file)}: depth {len(chain)}: {' → '.join(names[urn] for urn in chain)}")
    return lines


def main(argv: list[str]) -> int:
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    cases = [(routes, 0) for routes in ROUTES] + [(TENANT_ROUTES, tenants) for tenants in TENANTS]
    progress = Progress("bench", len(cases))
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        rows = []
        for routes, tenants in cases:
            with progress.step(f"{routes} routes, {tenants} tenants (best of {REPEATS})"):
                rows.append(measure(Path(scratch), routes, tenants))
    print(table(rows))
    [target] = [row for row in rows if row.routes == TARGET_ROUTES and not row.tenants]
    met = target.ratio <= TARGET_RATIO
    print(
        f"\ntarget: program ≤ {TARGET_RATIO}x baseline at {TARGET_ROUTES:,} routes: "
        f"{'met' if met else 'MISSED'} ({target.ratio:.2f}x wall, {target.cpu_ratio:.2f}x CPU; best of {REPEATS})"
    )
    print("\nconfig checks (validation of the model and every cross-key rule; linear: 10x the size, ~10x the time):")
    print(checks.table())
    print("\ncritical path (resources that wait on each other, by `dependencies`):")
    print("\n".join(f"  {line}" for line in critical_paths()))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
