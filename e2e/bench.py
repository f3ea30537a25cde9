"""`python -m e2e.bench [--routes 100 1000]`: the program against a bare program on the real engine.

For each size, a synthetic on-prem stack (bench.synthetic_config: N routes over ten namespaces, every tenth
crossing into a shared one) goes through `pulumi preview` and `pulumi up` on a fresh local control plane, and so
does a bare inline program that registers the same Kubernetes objects through the same provider (the program's
own registrations, replayed flat from its offline preview: no components, no config model, no planning), in the
same run. Printed: wall time, the ratio program/bare and the cost per resource.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi import automation as auto

from bench import synthetic_config, write_stack
from e2e.charts import PROJECT_DIR, build_stub_charts, gateway_api_bundle
from e2e.controlplane import control_plane
from e2e.program import inline_program
from e2e.steps import Steps
from e2e.workspace import Workspace

PROVIDER = "pulumi:providers:kubernetes"
Registration = Mapping[str, Any]


@dataclass(frozen=True)
class Timing:
    routes: int
    variant: str  # program or bare
    operation: str  # preview or up
    seconds: float
    resources: int


def _descendants(registrations: list[Registration]) -> dict[str, list[str]]:
    """URN → the custom resources under it (itself, for a custom one): what depending on it waits for."""
    children: dict[str, list[str]] = {}
    for registration in registrations:
        if registration.get("parent"):
            children.setdefault(registration["parent"], []).append(registration["urn"])
    custom = {r["urn"] for r in registrations if r["custom"] or r["type"].startswith("kubernetes:")}

    def under(urn: str) -> list[str]:
        return [urn] if urn in custom else [d for child in children.get(urn, []) for d in under(child)]

    return {r["urn"]: under(r["urn"]) for r in registrations}


def bare_program(registrations: list[Registration], kubeconfig: Path) -> Callable[[], None]:
    """The same objects through the same provider, registered flat: every custom resource, and the provider's
    remote components (Helm releases and charts, the CRD bundle) as they are."""

    def run() -> None:
        provider_inputs = next(r["inputs"] for r in registrations if r["type"] == PROVIDER)
        provider = k8s.Provider("edge-kubernetes", kubeconfig=str(kubeconfig),
                                enable_server_side_apply=provider_inputs.get("enableServerSideApply") == "true",
                                upsert_existing_objects=provider_inputs.get("upsertExistingObjects") == "true")
        waits_for = _descendants(registrations)
        by_urn = {r["urn"]: r for r in registrations}
        made: dict[str, pulumi.Resource] = {}

        def make(urn: str) -> list[pulumi.Resource]:
            """The resource of `urn` (a component: the custom ones under it), its dependencies made first: plan.json
            lists registrations sorted, not in the order the program made them."""
            registration = by_urn[urn]
            if urn in made or not registration["type"].startswith("kubernetes:"):
                return [made[urn]] if urn in made else []
            depends = [resource for dep in registration["dependencies"] for target in waits_for.get(dep, [])
                       if target != urn for resource in make(target)]
            opts = pulumi.ResourceOptions(depends_on=depends, protect=registration["protect"],
                                          retain_on_delete=registration["retainOnDelete"])
            inputs = dict(registration["inputs"])
            if registration["custom"]:
                opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(provider=provider))
                made[urn] = pulumi.CustomResource(registration["type"], registration["name"], inputs, opts)
            else:  # a remote component hands its provider to the objects it makes
                opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(providers=[provider]))
                made[urn] = pulumi.ComponentResource(registration["type"], registration["name"], inputs, opts,
                                                     remote=True)
            return [made[urn]]

        for registration in registrations:
            make(registration["urn"])

    return run


def measure(stack: auto.Stack, routes: int, variant: str, log: Callable[[str], object]) -> list[Timing]:
    timings = []
    for operation in ("preview", "up"):
        steps = Steps()
        started = time.monotonic()
        if operation == "preview":
            stack.preview(on_event=steps, on_output=log, color="never")
        else:
            stack.up(on_event=steps, on_output=log, color="never")
        timings.append(Timing(routes, variant, operation, time.monotonic() - started, len(steps.items)))
    return timings


def one_size(routes: int, root: Path, bin_dir: Path) -> list[Timing]:
    """The program and the bare program, each on a fresh control plane, for a stack of `routes` routes."""
    root.mkdir(parents=True)
    kubeconfig = root / "kubeconfig"  # the current plane's, at one path the stack file can name
    config = synthetic_config(routes)
    config["cluster"] = {"kubeconfig": str(kubeconfig)}
    config["artifacts"] = {"charts": {"path": str(build_stub_charts(root / "charts") and root / "charts")},
                           "gatewayApi": {"file": str(gateway_api_bundle("v1.6.1", "standard", root))}}
    source = root / "source"
    stack_file = write_stack(source, f"bench{routes}", config)
    shutil.copyfile(PROJECT_DIR / "Pulumi.yaml", source / "Pulumi.yaml")
    subprocess.run([sys.executable, "-m", "traffic_edge", "preview", "--config", str(stack_file), "--out",
                    str(root / "offline")], cwd=PROJECT_DIR, check=True, capture_output=True)
    registrations = json.loads((root / "offline" / "plan.json").read_text())["resources"]
    timings = []
    with (root / "engine.log").open("w") as log_file:
        log = log_file.write
        for variant in ("program", "bare"):
            with control_plane(bin_dir, root / variant / "cluster") as plane:
                shutil.copyfile(plane.kubeconfig, kubeconfig)
                workspace = Workspace(stack_file, root / variant / "project", root / variant / "state", bin_dir)
                program = (inline_program(PROJECT_DIR) if variant == "program"
                           else bare_program(registrations, kubeconfig))
                timings += measure(workspace.stack(program), routes, variant, log)
    return timings


def table(timings: list[Timing]) -> str:
    rows = [["routes", "operation", "resources", "program s", "bare s", "ratio", "program ms/res", "bare ms/res"]]
    for routes in sorted({t.routes for t in timings}):
        for operation in ("preview", "up"):
            program, bare = (next(t for t in timings if (t.routes, t.operation, t.variant) == (routes, operation, v))
                             for v in ("program", "bare"))
            rows.append([str(routes), operation, f"{program.resources}/{bare.resources}", f"{program.seconds:.1f}",
                         f"{bare.seconds:.1f}", f"{program.seconds / bare.seconds:.2f}",
                         f"{1000 * program.seconds / program.resources:.1f}",
                         f"{1000 * bare.seconds / bare.resources:.1f}"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m e2e.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--bin", type=Path, required=True, help="the toolchain's bin dir (e2e/toolchain/build.sh)")
    parser.add_argument("--workdir", type=Path, help="default: a new directory under the temp dir")
    args = parser.parse_args()
    root = (args.workdir or Path(tempfile.mkdtemp(prefix="traffic-edge-bench-"))).resolve()
    timings = [timing for routes in args.routes for timing in one_size(routes, root / str(routes), args.bin)]
    print(table(timings))
    print(f"(run dir {root})")


if __name__ == "__main__":
    main()
