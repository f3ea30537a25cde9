"""One stack through every phase on a control plane of its own: its config read as the CLI reads it, up, up again,
refresh, the real API server as the judge of admission and validation, one added route, doctor, destroy, and an
upgrade from the last landed program (on a second control plane). Each phase is timed and judged.

A fresh control plane per stack, not a fresh set of namespaces: what a destroy leaves behind on purpose (the
protected Gateway API CRDs and their safe-upgrades policy) or by mistake would otherwise meet the next stack.

Each stack runs in a process of its own (`python -m e2e.lifecycle`, started by `python -m e2e`) whose environment
is the Pulumi CLI's from the start: the inline program runs in that process, and under `pulumi up` a program sees
the CLI's environment (the passphrase), including in libraries that read it once at import.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.dynamic.exceptions import DynamicApiError
from pulumi import automation as auto

from e2e import admission, crds, differential, doctor
from e2e.alerts import judge as judge_alerts
from e2e.charts import REFDATA, RefdataError, build_stub_charts, gateway_api_bundle
from e2e.cluster import Cluster, ClusterError
from e2e.controlplane import ControlPlane, ControlPlaneError, control_plane, unwind_on_sigterm
from e2e.parity import differences
from e2e.parity import judge as judge_parity
from e2e.program import LocalSources, inline_program, overlay
from e2e.results import PhaseResult, StackResult
from e2e.steps import Steps, unexpected_for_added_route
from e2e.upgrade import OldProgramError, Upgrade
from e2e.workspace import Workspace, first_error, project_name, stack_name
from traffic_edge.config import ConfigError, StackConfig
from traffic_edge.config.load import parse_engine_config
from traffic_edge.conformance.validator import ManifestValidator
from traffic_edge.doctor.findings import Finding
from traffic_edge.offline.stackfile import StackFileError, read_project, read_stack_config
from traffic_edge.plan import Deployment, edge_plan
from traffic_edge.progress import Progress

PHASES = ("cluster", "prepare", "config-parity", "alerts", "up", "up-again", "refresh", "admission", "differential",
          "add-route", "doctor", "destroy", "crds", "upgrade")
# What each phase runs on, beyond cluster and prepare (which always run).
NEEDS = {"up": ("alerts",), "up-again": ("up",), "refresh": ("up",), "admission": ("up",), "differential": ("up",),
         "add-route": ("up",), "doctor": ("up",), "destroy": ("up",), "crds": ("destroy",)}


def with_needs(asked: frozenset[str]) -> frozenset[str]:
    """The phases asked for and every phase they run on (`--phase doctor` deploys the stack first)."""
    found = set(asked)
    while True:
        more = {need for name in found for need in NEEDS.get(name, ())} - found
        if not more:
            return frozenset(found)
        found |= more


ROUTE_KINDS = {"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"}
ADDED_ROUTE, ADDED_BACKEND_NAMESPACE = "e2e-added", "e2e-backends"


class PhaseError(Exception):
    """A phase ran but its result is wrong; the message says what differs."""


class NotApplicableError(Exception):
    """The phase has nothing to judge for this stack; the message says why."""


# What a phase that ran reports as its failure (anything else is a bug of the harness and propagates).
PHASE_FAILURES = (auto.CommandError, PhaseError, ClusterError, client.ApiException, DynamicApiError, ConfigError,
                  StackFileError, RefdataError, ControlPlaneError, subprocess.CalledProcessError)


def referenced_namespaces(registrations: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """(namespaces objects live in, namespaces the program creates), from an offline preview's plan.json."""
    used: set[str] = set()
    created: set[str] = set()
    for registration in registrations:
        inputs = registration.get("inputs") or {}
        namespace = (inputs.get("metadata") or {}).get("namespace")
        if registration["type"] == "kubernetes:core/v1:Namespace":
            created.add(str(inputs["metadata"]["name"]))
        elif registration["type"] == "kubernetes:helm.sh/v3:Release":
            used.add(str(inputs.get("namespace") or "default"))
        elif isinstance(namespace, str) and namespace:
            used.add(namespace)
    return used, created


def backend_services(registrations: list[dict[str, Any]]) -> set[tuple[str, str, int]]:
    """(namespace, name, port) of every Service a route sends traffic to: the users' workloads."""
    services: set[tuple[str, str, int]] = set()
    for registration in registrations:
        inputs = registration.get("inputs") or {}
        if inputs.get("kind") not in ROUTE_KINDS:
            continue
        namespace = inputs["metadata"]["namespace"]
        for rule in (inputs.get("spec") or {}).get("rules") or []:
            for ref in rule.get("backendRefs") or []:
                if ref.get("kind", "Service") == "Service" and not ref.get("group"):
                    services.add((ref.get("namespace") or namespace, ref["name"], int(ref["port"])))
    return services


class Lifecycle:
    """The phases of one stack. Each phase method raises on failure; `_phase` times and records them."""

    def __init__(self, stack_file: Path, bin_dir: Path, root: Path, old_project: Path | None,
                 only: frozenset[str] | None = None) -> None:
        self.stack_file = stack_file
        self.only = with_needs(only) if only is not None else None
        self.name = stack_name(stack_file)
        self.bin_dir = bin_dir
        self.root = root
        self.old_project = old_project
        self.logs = root / "logs"
        self.result = StackResult(self.name, root)
        self.progress = Progress("e2e")
        self.plane: ControlPlane | None = None
        self.cluster: Cluster | None = None
        self.config: StackConfig | None = None
        self.registrations: list[dict[str, Any]] = []
        self.workspace: Workspace | None = None
        self.stack: auto.Stack | None = None
        self.existing_namespaces: set[str] = set()
        self.workloads: set[tuple[str, str, int]] = set()
        self.gateway_api_crds: set[str] = set()
        self.charts = root / "sources" / "charts"
        self.bundle: Path | None = None

    # -- running and recording ---------------------------------------------------------------------------

    def run(self) -> StackResult:
        self.logs.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            with control_plane(self.bin_dir, self.root / "cluster") as plane:
                self.plane = plane
                self.result.phases["cluster"] = PhaseResult("cluster", "passed", time.monotonic() - started)
                self._phases(plane)
        except (ControlPlaneError, OSError) as error:
            if "cluster" in self.result.phases:
                raise
            self.result.phases["cluster"] = PhaseResult("cluster", "FAILED", time.monotonic() - started, str(error))
        for name in PHASES:
            self.result.phases.setdefault(name, PhaseResult(name, "skipped"))
        self._phase("upgrade", self.upgrade, needs=("prepare",))
        if self.plane is not None:
            self.result.peak_rss_kib = dict(self.plane.peak_rss_kib)
        return self.result

    def _phases(self, plane: ControlPlane) -> None:
        self.cluster = Cluster(plane)
        self._phase("prepare", self.prepare, needs=("cluster",))
        self._phase("config-parity", self.config_parity, needs=("prepare",))
        self._phase("alerts", self.alerts, needs=("prepare",))
        self._phase("up", self.up, needs=("prepare", "alerts"))
        for name, body in (("up-again", self.up_again), ("refresh", self.refresh), ("admission", self.admission),
                           ("differential", self.differential), ("add-route", self.add_route),
                           ("doctor", self.doctor)):
            self._phase(name, body, needs=("up",))
        if self.stack is not None and self.result.phases["up"].status in ("passed", "FAILED"):
            self._phase("destroy", self.destroy, needs=())
            self._phase("crds", self.crds, needs=("destroy",))
        if not self.result.passed:
            self.result.notes.append(f"control-plane logs:\n{plane.describe_logs()}")

    def _phase(self, name: str, body: Callable[[], None], needs: tuple[str, ...]) -> None:
        if self.only is not None and name not in self.only and name not in ("cluster", "prepare"):
            self.result.phases[name] = PhaseResult(name, "n/a", detail="not asked for (--phase)")
            return
        blocked = [need for need in needs if self.result.phases.get(need, PhaseResult(need, "")).status
                   not in ("passed", "n/a")]
        if blocked:
            self.result.phases[name] = PhaseResult(name, "skipped", detail=f"needs {', '.join(blocked)}")
            return
        started = time.monotonic()
        self.progress.started(f"{self.name}: {name}")
        try:
            body()
            result = PhaseResult(name, "passed", time.monotonic() - started)
        except NotApplicableError as reason:
            result = PhaseResult(name, "n/a", time.monotonic() - started, str(reason))
        except PHASE_FAILURES as error:
            detail = first_error(error) if isinstance(error, auto.CommandError) else str(error)
            result = PhaseResult(name, "FAILED", time.monotonic() - started, detail)
        self.result.phases[name] = result
        self.progress.finished(f"{self.name}: {name}", result.seconds, result.status)

    @contextmanager
    def _output(self, phase: str) -> Iterator[Callable[[str], None]]:
        """Where the engine's output of one phase goes: logs/<phase>.log."""
        with (self.logs / f"{phase}.log").open("a") as log:

            def write(line: str) -> None:
                log.write(line if line.endswith("\n") else line + "\n")
                log.flush()

            yield write

    def _env(self) -> dict[str, str]:
        assert self.workspace is not None
        return self.workspace.env()

    # -- phases ------------------------------------------------------------------------------------------

    def prepare(self) -> None:
        """The stack and the cluster as their user's would be before the first `pulumi up`, and the overlay."""
        assert self.plane is not None
        assert self.cluster is not None
        project = read_project(self.stack_file.parent)
        read = read_stack_config(self.stack_file, project)
        self.config = config = parse_engine_config(project.name, read.values, read.secret_keys)
        if config.platform.kind != "onprem":
            raise PhaseError(f"a {config.platform.kind} stack: only on-prem stacks run here (the cloud providers "
                             "cannot be built from Go modules; cloud stacks stay on mocks)")
        offline = self.root / "offline"
        subprocess.run([sys.executable, "-m", "traffic_edge", "preview", "--config", str(self.stack_file),
                        "--out", str(offline)], cwd=self.stack_file.parent, check=True, capture_output=True)
        self.registrations = json.loads((offline / "plan.json").read_text())["resources"]
        build_stub_charts(self.charts)
        self.bundle = self._bundle(self.stack_file, self.root / "sources")
        self.workspace = Workspace(self.stack_file, self.root / "project", self.root / "state", self.bin_dir,
                                   self.plane.kubeconfig)
        self.stack = self.workspace.stack(inline_program(self.stack_file.parent))
        layer = overlay(project.name, self.plane.kubeconfig, self.charts, self.bundle)
        self.stack.remove_all_config(list(layer.remove))
        self.stack.set_all_config({key: auto.ConfigValue(value) for key, value in layer.values.items()}, path=True)
        self.result.notes += self.workspace.notes
        used, created = referenced_namespaces(self.registrations)
        for namespace in sorted(used - created):
            self.cluster.ensure_namespace(namespace)
        if any(str((r.get("inputs") or {}).get("apiVersion", "")).startswith("cilium.io/") for r in self.registrations):
            self.cluster.apply_crds(REFDATA / "cilium" / "crds" / "cilium.io_ciliumgatewayclassconfigs.yaml")
        self.existing_namespaces = set(self.cluster.namespaces())

    def _bundle(self, stack_file: Path, into: Path) -> Path:
        """The Gateway API bundle a stack file's versions name, rebuilt locally."""
        project = read_project(stack_file.parent)
        read = read_stack_config(stack_file, project)
        versions = parse_engine_config(project.name, read.values, read.secret_keys).versions
        return gateway_api_bundle(versions.gateway_api, versions.gateway_api_channel, into)

    def config_parity(self) -> None:
        """The config the real CLI hands a program for the user's stack file, against the offline reader's."""
        workspace = Workspace(self.stack_file, self.root / "parity" / "project", self.root / "parity" / "state",
                              self.bin_dir)
        stack = workspace.stack(inline_program(self.stack_file.parent))
        engine, offline = judge_parity(workspace, stack)
        if isinstance(engine, str) or isinstance(offline, str):
            raise PhaseError(f"the CLI: {engine if isinstance(engine, str) else 'reads it'}; the offline reader: "
                             f"{offline if isinstance(offline, str) else 'reads it'}")
        found = differences(engine, offline)
        self.result.figures["config keys"] = len(engine.values)
        if found:
            raise PhaseError("; ".join(found))

    def alerts(self) -> None:
        """Expiry alerts: refused by the preflight without the Prometheus operator's CRDs, then installed with them;
        promtool judges the rule and its alerts on cert-manager-shaped series."""
        assert self.config is not None
        assert self.cluster is not None
        assert self.stack is not None
        if not self.config.cert_manager.expiry_alerts.enabled:
            raise NotApplicableError("certManager.expiryAlerts is off")
        with self._output("alerts") as output:
            try:
                self.stack.preview(on_output=output, color="never")
            except auto.CommandError as error:
                if "certManager.expiryAlerts.enabled" not in str(error) or "Prometheus operator" not in str(error):
                    raise
            else:
                raise PhaseError("the preflight let the alerts through on a cluster without the Prometheus operator")
        self.cluster.apply_crds(self.bin_dir / "prometheus-operator-crds")
        failures = judge_alerts(self.bin_dir / "promtool", [self.stack_file], self.stack_file.parent,
                                self.root / "alerts")
        if failures:
            raise PhaseError("; ".join(failures))

    def up(self) -> None:
        assert self.stack is not None
        assert self.cluster is not None
        steps = Steps()
        with self._output("up") as output:
            self.stack.up(on_event=steps, on_output=output, color="never")
        self.workloads = backend_services(self.registrations)
        for namespace, name, port in sorted(self.workloads):  # the users' workloads, once their namespaces exist
            self.cluster.ensure_service(namespace, name, port)
        self.gateway_api_crds = self.cluster.gateway_api_crds()
        if not self.gateway_api_crds:
            raise PhaseError("no Gateway API CRDs on the server after up")
        self.result.figures["resources"] = len(steps.items)
        leaked = self._secrets_in_clear()
        if leaked:
            raise PhaseError(f"secret values in clear after up: {'; '.join(leaked)}")

    def _secrets_in_clear(self) -> list[str]:
        """Files of the stack's state and engine output that hold a secret config value in clear (values of six
        characters or more: shorter ones match by chance)."""
        assert self.stack is not None
        values = [str(item.value) for item in self.stack.get_all_config().values() if item.secret]
        needles = [value for value in values if len(value) >= 6]
        files = [path for folder in (self.root / "state", self.logs) for path in folder.rglob("*") if path.is_file()]
        return sorted({f"{path.relative_to(self.root)}" for path in files for needle in needles
                       if needle in path.read_text(errors="replace")})

    def up_again(self) -> None:
        assert self.stack is not None
        with self._output("up-again") as output:
            self.stack.up(expect_no_changes=True, on_output=output, color="never", diff=True)

    def refresh(self) -> None:
        assert self.stack is not None
        with self._output("refresh") as output:
            self.stack.refresh(expect_no_changes=True, on_output=output, color="never", diff=True)

    def admission(self) -> None:
        assert self.cluster is not None
        assert self.config is not None
        outcomes, failures = admission.run(self.cluster, self.config, self._validator())
        self.result.figures["admission cases"] = len(outcomes)
        verdict = {True: "denied", False: "admitted"}
        self.result.notes += [f"admission {o.case.policy} / {o.case.name}: API server {verdict[o.server]}, "
                              f"evaluator {verdict[o.offline]}" for o in outcomes]
        if failures:
            raise PhaseError("; ".join(failures))

    def differential(self) -> None:
        assert self.cluster is not None
        results, bugs, gaps = differential.run(self.cluster, self._validator(), self.registrations)
        self.result.figures["differential"] = {"agree": sum(r.agree for r in results), "total": len(results),
                                               "gaps": gaps, "bugs": bugs}
        if bugs:
            raise PhaseError(f"{len(bugs)} disagreements: " + "; ".join(bugs))

    def _validator(self) -> ManifestValidator:
        assert self.config is not None
        return ManifestValidator(self.config.versions.gateway_api, self.config.versions.gateway_api_channel)

    def add_route(self) -> None:
        """One more route (to a Service in another namespace, where the stack already routes across namespaces):
        the preview creates exactly that route and its ReferenceGrant, and nothing else."""
        assert self.stack is not None
        assert self.cluster is not None
        assert self.workspace is not None
        route, backend_namespace = self._added_route()
        self.cluster.ensure_service(backend_namespace or route["namespace"], ADDED_ROUTE, 8080)
        key = f"{project_name(self.workspace.dir)}:routes"
        index = len(self.workspace.config()[key])
        before = self.workspace.file.read_text()
        self.stack.set_all_config({f"{key}[{index}].{path}": auto.ConfigValue(value) for path, value in _paths(route)},
                                  path=True)
        steps = Steps()
        try:
            with self._output("add-route") as output:
                self.stack.preview(on_event=steps, on_output=output, color="never", diff=True)
        finally:  # a preview only: the stack stays as deployed
            self.workspace.file.write_text(before)
        problems = unexpected_for_added_route(steps.items, route["namespace"], ADDED_ROUTE, backend_namespace)
        if problems:
            raise PhaseError("; ".join(problems))

    def _added_route(self) -> tuple[dict[str, Any], str | None]:
        """The new route, modelled on the first HTTPRoute with a backend in another namespace, else the first."""
        assert self.workspace is not None
        key = f"{project_name(self.workspace.dir)}:routes"
        routes = [r for r in self.workspace.config()[key] if r.get("kind", "HTTPRoute") == "HTTPRoute"]

        def crosses(route: dict[str, Any]) -> bool:
            return any(b.get("namespace") not in (None, route["namespace"])
                       for rule in route["rules"] for b in rule["backends"])

        model = next((r for r in routes if crosses(r)), routes[0])
        backend: dict[str, Any] = {"service": ADDED_ROUTE, "port": 8080}
        if crosses(model):
            backend["namespace"] = ADDED_BACKEND_NAMESPACE
        route = {key: model[key] for key in ("namespace", "gateway", "listener") if key in model}
        route["hostnames"] = list(model.get("hostnames") or [])
        rules = [{"matches": [{"path": f"/{ADDED_ROUTE}"}], "backends": [backend]}]
        return {"name": ADDED_ROUTE, **route, "rules": rules}, backend.get("namespace")

    def doctor(self) -> None:
        assert self.cluster is not None
        assert self.config is not None
        assert self.workspace is not None
        assert self.plane is not None
        plan = edge_plan(self.config, Deployment(project_name(self.workspace.dir), self.name))
        expected = doctor.expected_of(self.config, plan, self.name, self.registrations)
        writer = doctor.Writer(self.cluster)

        def run() -> tuple[int, list[Finding], str]:
            assert self.workspace is not None
            assert self.plane is not None
            return doctor.run_doctor(self.workspace.file, self.plane.kubeconfig, self.stack_file.parent, self._env())

        reports, failures = doctor.check(run, writer, expected, self.root)
        self.result.figures["doctor"] = reports
        if failures:
            raise PhaseError("; ".join(failures))

    def destroy(self) -> None:
        """Everything but protected and retained resources goes; the Gateway API CRDs and the namespaces that can
        hold users' workloads stay, and so do the workloads."""
        assert self.stack is not None
        assert self.cluster is not None
        with self._output("destroy") as output:
            self.stack.destroy(exclude_protected=True, on_output=output, color="never")
        problems: list[str] = []
        missing = sorted(self.gateway_api_crds - self.cluster.gateway_api_crds())
        if missing:
            problems.append(f"Gateway API CRDs deleted: {', '.join(missing)}")
        namespaces = self.cluster.namespaces()
        users = {namespace for namespace, _, _ in self.workloads} | self.existing_namespaces
        gone = sorted(ns for ns in users if namespaces.get(ns, "Terminating") == "Terminating")
        if gone:
            problems.append(f"namespaces deleted or terminating: {', '.join(gone)}")
        lost = sorted(f"{ns}/{name}" for ns, name, _ in self.workloads if not self.cluster.has_service(ns, name))
        if lost:
            problems.append(f"users' Services deleted: {', '.join(lost)}")
        if problems:
            raise PhaseError("; ".join(problems))

    def crds(self) -> None:
        """The CRDs the destroyed stack left behind, as another tool's install: a fresh stack refuses another
        channel or a newer release, and adopts the pinned one (see e2e/crds.py)."""
        assert self.plane is not None
        assert self.cluster is not None
        assert self.config is not None
        assert self.bundle is not None
        workspace = Workspace(self.stack_file, self.root / "crds" / "project", self.root / "crds" / "state",
                              self.bin_dir, self.plane.kubeconfig)
        stack = workspace.stack(inline_program(self.stack_file.parent))
        project = project_name(workspace.dir)
        layer = overlay(project, self.plane.kubeconfig, self.charts, self.bundle)
        stack.remove_all_config(list(layer.remove))
        stack.set_all_config({key: auto.ConfigValue(value) for key, value in layer.values.items()}, path=True)
        versions = self.config.versions
        with self._output("crds") as output:
            notes, failures = crds.judge(stack, self.cluster, project, versions.gateway_api,
                                         versions.gateway_api_channel, output)
        self.result.notes += notes
        if failures:
            raise PhaseError("; ".join(failures))

    def upgrade(self) -> None:
        """The last landed program's deploy, then the current program over it, on a control plane of its own."""
        if self.old_project is None:
            raise NotApplicableError("no last landed program given (--old-project)")
        root = self.root / "upgrade"
        sources = LocalSources(build_stub_charts(root / "charts"), root / "bundles")
        with self._output("upgrade") as output, control_plane(self.bin_dir, root / "cluster") as plane:
            cluster = Cluster(plane)
            used, created = referenced_namespaces(self.registrations)
            for namespace in sorted(used - created):
                cluster.ensure_namespace(namespace)
            if any(str((r.get("inputs") or {}).get("apiVersion", "")).startswith("cilium.io/")
                   for r in self.registrations):
                cluster.apply_crds(REFDATA / "cilium" / "crds" / "cilium.io_ciliumgatewayclassconfigs.yaml")
            workspace = Workspace(self.stack_file, root / "project", root / "state", self.bin_dir, plane.kubeconfig)
            upgrade = Upgrade(self.old_project, sources, output)
            try:
                try:
                    old_file = upgrade.deploy_old(workspace, self.old_project / self.stack_file.name)
                except OldProgramError as error:
                    raise NotApplicableError(f"the last landed program cannot deploy this stack here: {error}"
                                             ) from error
                if old_file:  # its Gateway API release and channel may differ from today's file
                    try:
                        bundle = self._bundle(self.old_project / self.stack_file.name, root / "sources")
                    except ConfigError as error:
                        raise NotApplicableError(f"each program refuses the other's stack file; today's says: "
                                                 f"{error}") from error
                else:
                    workspace.file.write_text(self.stack_file.read_text())
                    assert self.bundle is not None
                    bundle = self.bundle
                stack = workspace.select(inline_program(self.stack_file.parent))
                layer = overlay(project_name(workspace.dir), plane.kubeconfig, self.charts, bundle)
                stack.remove_all_config(list(layer.remove))
                stack.set_all_config({k: auto.ConfigValue(v) for k, v in layer.values.items()}, path=True)
                failures = upgrade.judge(stack, self.root)
            finally:
                self.result.notes += upgrade.notes
        if failures:
            raise PhaseError("; ".join(failures))


def _paths(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """`pulumi config set --path` keys and values for a nested value (numbers and booleans as the CLI reads them)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, f"{prefix}[{index}]")
    else:
        yield prefix, str(value).lower() if isinstance(value, bool) else str(value)


def main() -> None:
    """One stack, in the environment `python -m e2e` gives it; writes ROOT/result.json."""
    parser = argparse.ArgumentParser(prog="python -m e2e.lifecycle", description=main.__doc__)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--bin", type=Path, required=True)
    parser.add_argument("--old-project", type=Path, help="the last landed program's tree, for the upgrade phase")
    parser.add_argument("--phase", action="append", choices=PHASES, help="only these (and what they need)")
    parser.add_argument("stack_file", type=Path)
    args = parser.parse_args()
    unwind_on_sigterm()
    only = frozenset(args.phase) if args.phase else None
    result = Lifecycle(args.stack_file, args.bin, args.root, args.old_project, only).run()
    (args.root / "result.json").write_text(result.to_json())


if __name__ == "__main__":
    main()
