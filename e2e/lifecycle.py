"""One example stack through the lifecycle on a control plane of its own: up, up again, refresh, one added
route, destroy. Each phase is timed and judged; a failed phase skips the later ones except destroy.

A fresh control plane per stack, not a fresh set of namespaces: what a destroy leaves behind on purpose
(the protected Gateway API CRDs and their safe-upgrades policy) or by mistake would otherwise meet the
next stack, e.g. the standard channel's policy refusing cilium's experimental CRDs. A control plane starts
in a few seconds (see the `cluster` column), against minutes for the lifecycle.

Each stack runs in a process of its own (`python -m e2e.lifecycle`, started by `python -m e2e`) whose
environment is the Pulumi CLI's from the start: the inline program runs in that process, and under
`pulumi up` a program sees the CLI's environment (KUBECONFIG, the passphrase), including in libraries that
read it once at import. It also starts each stack with freshly imported project modules.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client
from pulumi import automation as auto

from e2e.charts import REFDATA, build_stub_charts
from e2e.controlplane import ControlPlane, ControlPlaneError, control_plane, unwind_on_sigterm
from e2e.program import LocalSources, Workarounds, inline_program

PHASES = ("cluster", "prepare", "up", "up-again", "refresh", "add-route", "destroy")
ROUTE_KINDS = {"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"}
GATEWAY_API_GROUPS = {"gateway.networking.k8s.io", "gateway.networking.x-k8s.io"}
CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
# Any passphrase serves a stack file without ciphertext; one with ciphertext needs its own (set
# PULUMI_CONFIG_PASSPHRASE), or its secrets are dropped and replaced by test values.
DEFAULT_PASSPHRASE = "traffic-edge-e2e"
# Test values for the secrets a stack file holds (see `_stack`).
TEST_SECRETS = {"tsigSecret": "ZTJlLXRlc3QtdHNpZy1rZXktMzItYnl0ZXMtbG9uZyE="}
ADDED_ROUTE, ADDED_BACKEND_NAMESPACE = "e2e-added", "e2e-backends"


class PhaseError(Exception):
    """A phase ran but its result is wrong; the message says what differs."""


@dataclass
class PhaseResult:
    name: str
    status: str  # passed, FAILED or skipped
    seconds: float = 0.0
    detail: str = ""


@dataclass
class StackResult:
    stack: str
    root: Path
    phases: dict[str, PhaseResult] = field(default_factory=dict)
    peak_rss_kib: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # facts worth reporting that are no phase's verdict

    @property
    def passed(self) -> bool:
        return all(phase.status == "passed" for phase in self.phases.values())

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "root": str(self.root)}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> StackResult:
        data = json.loads(text)
        phases = {name: PhaseResult(**phase) for name, phase in data.pop("phases").items()}
        return cls(**{**data, "root": Path(data["root"]), "phases": phases})


@dataclass(frozen=True)
class Toolchain:
    bin_dir: Path  # pulumi, pulumi-resource-kubernetes, kube-apiserver, kube-controller-manager, etcd


@dataclass
class Steps:
    """The engine's resource steps of one operation, as its event stream reports them."""

    items: list[auto.StepEventMetadata] = field(default_factory=list)

    def __call__(self, event: auto.EngineEvent) -> None:
        if event.resource_pre_event is not None:
            self.items.append(event.resource_pre_event.metadata)

    def objects(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(resource type, inputs) of every step that has new inputs."""
        for step in self.items:
            if step.new is not None and step.new.inputs is not None:
                yield step.type, dict(step.new.inputs)


def stack_name(stack_file: Path) -> str:
    """`Pulumi.<stack>.yaml` → `<stack>`."""
    return stack_file.name.split(".", 1)[1].rsplit(".", 1)[0]


def environment(root: Path, bin_dir: Path) -> dict[str, str]:
    """What the Pulumi CLI, its providers and the program see for the stack under `root`: an offline engine on
    a file backend, and the stack's control plane as the current cluster (its kubeconfig path is fixed)."""
    path = os.environ.get("PATH", "/usr/bin:/bin")
    return {
        "PULUMI_BACKEND_URL": f"file://{root / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": os.environ.get("PULUMI_CONFIG_PASSPHRASE", DEFAULT_PASSPHRASE),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "KUBECONFIG": str(root / "cluster" / "kubeconfig"),
        "PATH": path if path.startswith(f"{bin_dir}:") else f"{bin_dir}:{path}",
    }


def _kind_and_name(inputs: dict[str, Any]) -> tuple[str, str, str]:
    metadata = inputs.get("metadata") or {}
    return str(inputs.get("kind", "")), str(metadata.get("namespace", "")), str(metadata.get("name", ""))


def _secure(value: Any) -> bool:
    """A stack-file value written `{secure: <ciphertext>}`."""
    return isinstance(value, dict) and set(value) == {"secure"}


def admitted(grant: dict[str, Any]) -> str:
    """The namespaces a ReferenceGrant admits, comma-separated."""
    return ",".join(sorted({str(item.get("namespace")) for item in (grant.get("spec") or {}).get("from") or []}))


def referenced_namespaces(steps: Steps) -> tuple[set[str], set[str]]:
    """(namespaces objects live in, namespaces the program creates)."""
    used: set[str] = set()
    created: set[str] = set()
    for type_, inputs in steps.objects():
        if type_ == "kubernetes:core/v1:Namespace":
            created.add(_kind_and_name(inputs)[2])
        elif type_ == "kubernetes:helm.sh/v3:Release":
            used.add(str(inputs.get("namespace") or "default"))
        elif _kind_and_name(inputs)[1]:
            used.add(_kind_and_name(inputs)[1])
    return used, created


def backend_services(steps: Steps) -> set[tuple[str, str, int]]:
    """(namespace, name, port) of every Service a route sends traffic to: the users' workloads."""
    services: set[tuple[str, str, int]] = set()
    for _, inputs in steps.objects():
        kind, namespace, _ = _kind_and_name(inputs)
        if kind not in ROUTE_KINDS:
            continue
        for rule in (inputs.get("spec") or {}).get("rules") or []:
            for ref in rule.get("backendRefs") or []:
                if ref.get("kind", "Service") == "Service" and not ref.get("group"):
                    services.add((ref.get("namespace") or namespace, ref["name"], int(ref["port"])))
    return services


class Cluster:
    """What the tests do on the cluster as its users would, through the official client."""

    def __init__(self, plane: ControlPlane) -> None:
        api = plane.api_client()
        self.core = client.CoreV1Api(api)
        self.crds = client.ApiextensionsV1Api(api)

    def namespaces(self) -> dict[str, str]:
        """Name → phase (Active or Terminating)."""
        return {
            ns.metadata.name: (ns.status.phase if ns.status else None) or ""
            for ns in self.core.list_namespace().items
            if ns.metadata and ns.metadata.name
        }

    def ensure_namespace(self, name: str) -> None:
        if name not in self.namespaces():
            self.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))

    def ensure_service(self, namespace: str, name: str, port: int) -> None:
        """A selector-less ClusterIP Service: a stand-in for a user's workload, no pod needed."""
        self.ensure_namespace(namespace)
        try:
            self.core.read_namespaced_service(name, namespace)
        except client.ApiException as error:
            if error.status != 404:
                raise
            spec = client.V1ServiceSpec(ports=[client.V1ServicePort(port=port)])
            body = client.V1Service(metadata=client.V1ObjectMeta(name=name), spec=spec)
            self.core.create_namespaced_service(namespace, body)

    def has_service(self, namespace: str, name: str) -> bool:
        try:
            self.core.read_namespaced_service(name, namespace)
        except client.ApiException as error:
            if error.status == 404:
                return False
            raise
        return True

    def apply_crds(self, path: Path) -> None:
        """Creates the CRDs in `path` and waits until they are Established, as an installer would."""
        names = []
        for document in yaml.safe_load_all(path.read_text()):
            if document and document.get("kind") == "CustomResourceDefinition":
                crd = client.V1CustomResourceDefinition.from_dict(document)
                assert crd is not None
                self.crds.create_custom_resource_definition(crd)
                names.append(document["metadata"]["name"])
        deadline = time.monotonic() + 30
        while not all(self._established(name) for name in names):
            if time.monotonic() > deadline:
                raise PhaseError(f"CRDs from {path} not Established after 30 s")
            time.sleep(0.2)

    def _established(self, name: str) -> bool:
        status = self.crds.read_custom_resource_definition(name).status
        conditions = (status.conditions if status else None) or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    def gateway_api_crds(self) -> set[str]:
        """The Gateway API CRDs on the server (groups gateway.networking.k8s.io and gateway.networking.x-k8s.io)."""
        return {
            crd.metadata.name
            for crd in self.crds.list_custom_resource_definition().items
            if crd.metadata and crd.metadata.name and crd.spec.group in GATEWAY_API_GROUPS
        }


def engine_errors(error: Exception, most: int = 12) -> str:
    """The engine's diagnostics (`error: ...` lines, each once), not the whole command output."""
    text = str(error)
    lines = [line.strip() for line in text.splitlines()]
    errors = [line for line in lines if line.startswith("error:")] or [line for line in lines if "error" in line]
    unique = list(dict.fromkeys(errors))
    more = f"\n(+{len(unique) - most} more)" if len(unique) > most else ""
    return "\n".join(unique[:most]) + more if unique else text[-2000:]


class Lifecycle:
    """The phases of one stack. Each phase method raises on failure; `run` times and records them."""

    def __init__(self, stack_file: Path, toolchain: Toolchain, root: Path, workarounds: Sequence[str]) -> None:
        self.stack_file = stack_file
        self.name = stack_name(stack_file)
        self.toolchain = toolchain
        self.root = root
        self.sources = LocalSources(build_stub_charts(root / "sources" / "charts"), root / "sources" / "bundles")
        self.workarounds = Workarounds(workarounds)
        self.result = StackResult(self.name, root)
        self.project = root / "project"
        self.logs = root / "logs"
        self.plane: ControlPlane | None = None
        self.cluster: Cluster | None = None
        self.stack: auto.Stack | None = None
        self.existing_namespaces: set[str] = set()
        self.workloads: set[tuple[str, str, int]] = set()
        self.gateway_api_crds: set[str] = set()  # as up left them: destroy must leave them

    # -- running and recording ---------------------------------------------------------------------------

    def run(self) -> StackResult:
        self.logs.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            with control_plane(self.toolchain.bin_dir, self.root / "cluster") as plane:
                self.plane = plane
                self.result.phases["cluster"] = PhaseResult("cluster", "passed", time.monotonic() - started)
                self._phases(plane)
        except (ControlPlaneError, OSError) as error:
            if "cluster" in self.result.phases:
                raise
            self.result.phases["cluster"] = PhaseResult("cluster", "FAILED", time.monotonic() - started, str(error))
            for name in PHASES[1:]:
                self._skip(name)
        if self.plane is not None:
            self.result.peak_rss_kib = dict(self.plane.peak_rss_kib)
        for name, count in sorted(self.workarounds.applied.items()):
            self.result.notes.append(f"workaround {name} rewrote {count} registrations")
        return self.result

    def _phases(self, plane: ControlPlane) -> None:
        self.cluster = Cluster(plane)
        ok = self._phase("prepare", self.prepare)
        for name, phase in (("up", self.up), ("up-again", self.up_again), ("refresh", self.refresh),
                            ("add-route", self.add_route)):
            ok = self._phase(name, phase) if ok else self._skip(name)
        if self.result.phases["up"].status != "skipped":  # whatever up created, destroy must remove
            self._phase("destroy", self.destroy)
        else:
            self._skip("destroy")
        if not self.result.passed:
            self.result.notes.append(f"control-plane logs:\n{plane.describe_logs()}")

    def _phase(self, name: str, body: Callable[[], None]) -> bool:
        started = time.monotonic()
        print(f"[e2e] {self.name}: {name} ...", flush=True)
        try:
            body()
        except (auto.CommandError, PhaseError, client.ApiException) as error:
            detail = engine_errors(error) if isinstance(error, auto.CommandError) else str(error)
            self.result.phases[name] = PhaseResult(name, "FAILED", time.monotonic() - started, detail)
            print(f"[e2e] {self.name}: {name} FAILED: {detail}\n  log: {self.logs / name}.log", flush=True)
            return False
        self.result.phases[name] = PhaseResult(name, "passed", time.monotonic() - started)
        return True

    def _skip(self, name: str) -> bool:
        self.result.phases[name] = PhaseResult(name, "skipped")
        return False

    @contextmanager
    def _output(self, phase: str) -> Iterator[Callable[[str], None]]:
        """Where the engine's output of one phase goes: logs/<phase>.log."""
        with (self.logs / f"{phase}.log").open("a") as log:

            def write(line: str) -> None:
                log.write(line if line.endswith("\n") else line + "\n")
                log.flush()

            yield write

    # -- phases ------------------------------------------------------------------------------------------

    def prepare(self) -> None:
        """The stack and the cluster as their user's would be before the first `pulumi up`."""
        assert self.plane is not None
        assert self.cluster is not None
        self.stack = self._stack()
        steps = Steps()
        with self._output("prepare") as output:
            self.stack.preview(on_event=steps, on_output=output, color="never")
        used, created = referenced_namespaces(steps)
        for namespace in sorted(used - created):
            self.cluster.ensure_namespace(namespace)
        if any(str(inputs.get("apiVersion", "")).startswith("cilium.io/") for _, inputs in steps.objects()):
            self.cluster.apply_crds(REFDATA / "cilium" / "crds" / "cilium.io_ciliumgatewayclassconfigs.yaml")
        self.existing_namespaces = set(self.cluster.namespaces())

    def _stack(self) -> auto.Stack:
        """The stack in a scratch project dir, on a file backend of its own. Secrets get test values; ciphertext
        the CLI cannot decrypt (a placeholder, or another passphrase's) is noted and dropped first."""
        assert self.plane is not None
        self.project.mkdir(parents=True)
        shutil.copyfile(self.stack_file.parent / "Pulumi.yaml", self.project / "Pulumi.yaml")
        shutil.copyfile(self.stack_file, self.project / self.stack_file.name)
        (self.root / "state").mkdir()
        env = environment(self.root, self.toolchain.bin_dir)
        if env["KUBECONFIG"] != str(self.plane.kubeconfig):
            raise PhaseError(f"the control plane's kubeconfig is {self.plane.kubeconfig}, not {env['KUBECONFIG']}")
        options = auto.LocalWorkspaceOptions(
            work_dir=str(self.project),
            pulumi_home=str(self.root.parent / "pulumi-home"),
            env_vars=env,
            pulumi_command=auto.PulumiCommand(root=str(self.toolchain.bin_dir.parent)),
        )
        program = inline_program(self.stack_file.parent, self.sources, self.workarounds)
        project = str(yaml.safe_load((self.project / "Pulumi.yaml").read_text())["name"])
        try:
            stack = auto.create_stack(self.name, project_name=project, program=program, opts=options)
        except auto.CommandError as error:  # secrets encrypted under another passphrase than PASSPHRASE
            self.result.notes.append(f"stack file's encryption salt: {engine_errors(error)}")
            self._drop_stack_config([key for key, value in self._stack_config().items() if _secure(value)], salt=True)
            stack = auto.create_stack(self.name, project_name=project, program=program, opts=options)
        secure = [key for key, value in self._stack_config().items() if _secure(value)]
        if secure:
            try:
                stack.get_all_config()
            except auto.CommandError as error:
                self.result.notes.append(f"stack file's secure values: {engine_errors(error)}")
                self._drop_stack_config(secure)
        for key in secure:  # set as a user sets them (`pulumi config set --secret`), decryptable or not
            short = key.split(":", 1)[-1]
            stack.set_config(key, auto.ConfigValue(TEST_SECRETS.get(short, "e2e-test-secret"), secret=True))
        return stack

    def _stack_config(self) -> dict[str, Any]:
        data = yaml.safe_load((self.project / self.stack_file.name).read_text()) or {}
        return dict(data.get("config") or {})

    def _drop_stack_config(self, keys: Collection[str], salt: bool = False) -> None:
        """Removes config `keys` from the scratch stack file, and its encryption salt if `salt`."""
        path = self.project / self.stack_file.name
        data = yaml.safe_load(path.read_text()) or {}
        data["config"] = {key: value for key, value in (data.get("config") or {}).items() if key not in keys}
        if salt:
            data.pop("encryptionsalt", None)
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    def up(self) -> None:
        assert self.stack is not None
        assert self.cluster is not None
        steps = Steps()
        with self._output("up") as output:
            self.stack.up(on_event=steps, on_output=output, color="never")
        # The users' workloads arrive once their namespaces exist: every Service a route points at.
        self.workloads = backend_services(steps)
        for namespace, name, port in sorted(self.workloads):
            self.cluster.ensure_service(namespace, name, port)
        flags = Counter(
            f"protect={step.new.protect} retainOnDelete={step.new.retain_on_delete}"
            for step in steps.items
            if step.type == CRD and step.new is not None
            and ((step.new.inputs or {}).get("spec") or {}).get("group") in GATEWAY_API_GROUPS
        )
        self.result.notes.append(f"Gateway API CRD resources after up: {dict(flags) or 'none'}")
        self.gateway_api_crds = self.cluster.gateway_api_crds()
        if not self.gateway_api_crds:
            raise PhaseError("no Gateway API CRDs on the server after up")

    def up_again(self) -> None:
        assert self.stack is not None
        with self._output("up-again") as output:
            self.stack.up(expect_no_changes=True, on_output=output, color="never", diff=True)

    def refresh(self) -> None:
        assert self.stack is not None
        with self._output("refresh") as output:
            self.stack.refresh(expect_no_changes=True, on_output=output, color="never", diff=True)

    def add_route(self) -> None:
        """One more route, to a Service in another namespace where the stack already routes across
        namespaces: the preview must create exactly that route and its ReferenceGrant, and nothing else."""
        assert self.stack is not None
        assert self.cluster is not None
        route, cross = self._added_route()
        backend = route["rules"][0]["backends"][0]
        workload = (backend.get("namespace", route["namespace"]), backend["service"], backend["port"])
        self.cluster.ensure_service(*workload)
        self.workloads.add(workload)
        path = self.project / self.stack_file.name
        data = yaml.safe_load(path.read_text())
        data["config"]["traffic-edge:routes"].append(route)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        steps = Steps()
        with self._output("add-route") as output:
            result = self.stack.preview(on_event=steps, on_output=output, color="never", diff=True)
        changes = {str(op.value if isinstance(op, auto.OpType) else op): n for op, n in result.change_summary.items()}
        created = [dict(step.new.inputs or {}) for step in steps.items
                   if step.op == auto.OpType.CREATE and step.new is not None]
        others = sorted(f"{step.op.value} {step.urn}" for step in steps.items
                        if step.op not in (auto.OpType.SAME, auto.OpType.CREATE))
        wanted = [("HTTPRoute", route["namespace"], ADDED_ROUTE)]
        if cross:  # a grant in the backend's namespace, whatever its name, admitting the route's namespace
            wanted.append(("ReferenceGrant", ADDED_BACKEND_NAMESPACE, route["namespace"]))
        got = sorted(
            (kind, namespace, admitted(inputs) if kind == "ReferenceGrant" else name)
            for inputs in created
            for kind, namespace, name in [_kind_and_name(inputs)]
        )
        if got != sorted(wanted) or others:
            raise PhaseError(f"summary {changes}; expected creates {sorted(wanted)}, got {got}"
                             + (f"; other steps: {others}" if others else ""))

    def _added_route(self) -> tuple[dict[str, Any], bool]:
        """The new route, modelled on the first HTTPRoute with a backend in another namespace, else the first."""
        routes = [r for r in self._stack_config()["traffic-edge:routes"] if r.get("kind", "HTTPRoute") == "HTTPRoute"]

        def crosses(route: dict[str, Any]) -> bool:
            return any(b.get("namespace") not in (None, route["namespace"])
                       for rule in route["rules"] for b in rule["backends"])

        model = next((r for r in routes if crosses(r)), routes[0])
        backend: dict[str, Any] = {"service": ADDED_ROUTE, "port": 8080}
        if crosses(model):
            backend["namespace"] = ADDED_BACKEND_NAMESPACE
        route = {key: model[key] for key in ("namespace", "gateway", "listener", "hostnames") if key in model}
        rules = [{"matches": [{"path": f"/{ADDED_ROUTE}"}], "backends": [backend]}]
        return {"name": ADDED_ROUTE, **route, "rules": rules}, crosses(model)

    def destroy(self) -> None:
        """Everything but protected resources goes; the Gateway API CRDs and the users' namespaces and
        workloads stay."""
        assert self.stack is not None
        assert self.cluster is not None
        with self._output("destroy") as output:
            self.stack.destroy(exclude_protected=True, on_output=output, color="never")
        problems: list[str] = []
        missing_crds = sorted(self.gateway_api_crds - self.cluster.gateway_api_crds())
        if missing_crds:
            problems.append(f"Gateway API CRDs deleted: {', '.join(missing_crds)}")
        namespaces = self.cluster.namespaces()
        user_namespaces = {namespace for namespace, _, _ in self.workloads} | self.existing_namespaces
        gone = sorted(ns for ns in user_namespaces if namespaces.get(ns, "Terminating") == "Terminating")
        if gone:
            problems.append(f"namespaces deleted or terminating: {', '.join(gone)}")
        lost = sorted(f"{ns}/{name}" for ns, name, _ in self.workloads if not self.cluster.has_service(ns, name))
        if lost:
            problems.append(f"users' Services deleted: {', '.join(lost)}")
        if problems:
            raise PhaseError("; ".join(problems))


def main() -> None:
    """One stack, in the environment `environment()` gives (python -m e2e sets it up); writes ROOT/result.json."""
    parser = argparse.ArgumentParser(prog="python -m e2e.lifecycle", description=main.__doc__)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--bin", type=Path, required=True)
    parser.add_argument("--workaround", action="append", default=[])
    parser.add_argument("stack_file", type=Path)
    args = parser.parse_args()
    unwind_on_sigterm()
    result = Lifecycle(args.stack_file, Toolchain(args.bin), args.root, args.workaround).run()
    (args.root / "result.json").write_text(result.to_json())


if __name__ == "__main__":
    main()
