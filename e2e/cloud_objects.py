"""A cloud stack's Kubernetes half on the real API server, without its cloud: the doctor phase for GKE, EKS, AKS.

`pulumi up` of a cloud stack cannot run here (no cloud, and the cloud providers are not built from Go modules), but
its Kubernetes objects can meet the real API server: the offline render (the cloud halves on the same mocks as the
unit tests) writes every object the stack declares, and they are created on a fresh control plane in the order the
engine creates them (the Gateway API CRDs, namespaces, the charts' CRDs, the objects, the admission policies last).
The charts' CRDs come from ../shared/refdata at the pinned chart versions. Then the doctor phase runs as on an
on-prem stack, and here the stack declares workload identities, so a service account stripped of its identity
annotation is one of the faults doctor must report with its fix.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from e2e import doctor
from e2e.charts import REFDATA, RefdataError
from e2e.cluster import Cluster
from e2e.controlplane import ControlPlaneError, control_plane, unwind_on_sigterm
from e2e.lifecycle import PHASE_FAILURES, PhaseError, backend_services, referenced_namespaces
from e2e.results import PhaseResult, StackResult
from e2e.workspace import stack_name
from traffic_edge.doctor.expected import read_expected
from traffic_edge.doctor.findings import Finding
from traffic_edge.progress import Progress

# (chart, version) → the CRDs that chart installs, as refdata holds them at that version (refdata/README.md).
CHART_CRDS = {
    ("cert-manager", "v1.21.1"): "cert-manager/v1.21.1/crds",
    ("gateway-helm", "v1.9.0"): "envoy-gateway/v1.9.0/gateway-helm/charts/crds/crds/generated",
    ("external-dns", "1.21.1"): "external-dns/external-dns-helm-chart-1.21.1/crds",
}
LAST = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")  # the engine's order: they bind what exists


def row_name(stack_file: Path) -> str:
    return f"{stack_name(stack_file)} (objects)"


def manifests(stack_file: Path, out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(every Kubernetes object the offline preview writes, its registrations), as a user runs the preview."""
    subprocess.run([sys.executable, "-m", "traffic_edge", "preview", "--config", str(stack_file), "--out", str(out)],
                   cwd=stack_file.parent, check=True, capture_output=True)
    objects = [document for file in sorted((out / "manifests").glob("*.yaml"))
               for document in yaml.safe_load_all(file.read_text()) if document]
    return objects, json.loads((out / "plan.json").read_text())["resources"]


def chart_crds(registrations: Iterable[dict[str, Any]]) -> list[Path]:
    """The CRD directories of the stack's Helm releases; a pinned chart refdata lacks fails the row."""
    found = []
    for registration in registrations:
        if registration["type"] != "kubernetes:helm.sh/v3:Release":
            continue
        inputs = registration["inputs"]
        chart = (str(inputs.get("chart")).rsplit("/", 1)[-1], str(inputs.get("version")))
        if chart not in CHART_CRDS:
            raise RefdataError(f"no CRDs of chart {chart[0]} {chart[1]} in ../shared/refdata (known: "
                               f"{', '.join(f'{n} {v}' for n, v in sorted(CHART_CRDS))})")
        found.append(REFDATA / CHART_CRDS[chart])
    return found


def apply(cluster: Cluster, objects: list[dict[str, Any]], registrations: list[dict[str, Any]], bin_dir: Path
          ) -> int:
    """Creates the stack's objects as the engine would order them; returns how many."""
    writer = doctor.Writer(cluster)
    cluster.create_crds([obj for obj in objects if obj["kind"] == "CustomResourceDefinition"], "the stack's bundle")
    for namespace in (obj for obj in objects if obj["kind"] == "Namespace"):
        writer.create(namespace)
    used, created = referenced_namespaces(registrations)
    for name in sorted(used - created):  # namespaces the stack does not own exist before it
        cluster.ensure_namespace(name)
    for path in chart_crds(registrations):
        cluster.apply_crds(path)
    if any(obj["kind"] in ("PrometheusRule", "ServiceMonitor") for obj in objects):
        cluster.apply_crds(bin_dir / "prometheus-operator-crds")
    rest = [obj for obj in objects if obj["kind"] not in ("CustomResourceDefinition", "Namespace")]
    for obj in sorted(rest, key=lambda o: o["kind"] in LAST):
        writer.create(obj)
    for service in sorted(backend_services(registrations)):  # the users' workloads
        cluster.ensure_service(*service)
    return len(objects)


def run(stack_file: Path, bin_dir: Path, root: Path) -> StackResult:
    result = StackResult(row_name(stack_file), root)
    progress = Progress("e2e")
    started = time.monotonic()
    try:
        with control_plane(bin_dir, root / "cluster") as plane:
            result.phases["cluster"] = PhaseResult("cluster", "passed", time.monotonic() - started)
            cluster = Cluster(plane)

            def prepare() -> None:
                objects, registrations = manifests(stack_file, root / "offline")
                result.figures["objects"] = apply(cluster, objects, registrations, bin_dir)

            def check_doctor() -> None:
                expected = read_expected(stack_file, stack_file.parent)

                def run_doctor() -> tuple[int, list[Finding], str]:
                    return doctor.run_doctor(stack_file, plane.kubeconfig, stack_file.parent, os.environ)

                reports, failures = doctor.check(run_doctor, doctor.Writer(cluster), expected, root)
                result.figures["doctor"] = reports
                if failures:
                    raise PhaseError("; ".join(failures))

            for name, body in (("prepare", prepare), ("doctor", check_doctor)):
                if any(phase.status != "passed" for phase in result.phases.values()):
                    result.phases[name] = PhaseResult(name, "skipped", detail="an earlier phase failed")
                    continue
                result.phases[name] = timed(name, body, f"{result.stack}: {name}", progress,
                                            root / "logs" / f"{name}.log")
            result.peak_rss_kib = dict(plane.peak_rss_kib)
            if not result.passed:
                result.notes.append(f"control-plane logs:\n{plane.describe_logs()}")
    except (ControlPlaneError, OSError) as error:
        if "cluster" in result.phases:
            raise
        result.phases["cluster"] = PhaseResult("cluster", "FAILED", time.monotonic() - started, str(error))
    return result


def timed(name: str, body: Callable[[], None], label: str, progress: Progress, log: Path) -> PhaseResult:
    """Runs one phase; a failure's detail also goes to `log`, where the report points."""
    started = time.monotonic()
    progress.started(label)
    try:
        body()
        phase = PhaseResult(name, "passed", time.monotonic() - started)
    except PHASE_FAILURES as error:
        detail = str(error)
        if isinstance(error, subprocess.CalledProcessError):
            detail += f": {(error.stderr or '')[-600:]}"
        phase = PhaseResult(name, "FAILED", time.monotonic() - started, detail)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(detail + "\n")
    progress.finished(label, phase.seconds, phase.status)
    return phase


def main() -> None:
    """One cloud stack, in the environment `python -m e2e` gives it; writes ROOT/result.json."""
    parser = argparse.ArgumentParser(prog="python -m e2e.cloud_objects", description=main.__doc__)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--bin", type=Path, required=True)
    parser.add_argument("stack_file", type=Path)
    args = parser.parse_args()
    unwind_on_sigterm()
    result = run(args.stack_file.resolve(), args.bin, args.root)
    (args.root / "result.json").write_text(result.to_json())


if __name__ == "__main__":
    main()
