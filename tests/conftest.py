"""Shared helpers: render a stack file once per session, run one component under mocks, parse config, provision
a platform as the edge does.

Renders run the project's `__main__.py` in this interpreter (traffic_edge.offline.render), so objects from a
render are instances of the classes a test module imports.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from traffic_edge.components.external_dns import ExternalDnsArgs, external_dns_values
from traffic_edge.config import StackConfig, parse
from traffic_edge.conformance import REFDATA
from traffic_edge.controllers import aws_load_balancer_controller, azure_alb
from traffic_edge.data.gateway_api import build_bundle
from traffic_edge.data.versions import GATEWAY_API_BUNDLE_SHA256
from traffic_edge.data.workloads import CERT_MANAGER, EXTERNAL_DNS, Workload
from traffic_edge.offline import engine
from traffic_edge.offline.engine import Recording, Registration, record
from traffic_edge.offline.render import PROJECT_DIR, render
from traffic_edge.offline.stackfile import Decrypter, encode
from traffic_edge.plan import Deployment, external_dns_plan, identity_requests, uses_platform_gateway_api
from traffic_edge.platforms import PlatformArgs, platform_for
from traffic_edge.platforms.base import Provisioned

PROJECT = "traffic-edge"
# Every stack of the project, found when the tests are collected: other stacks are added over time.
STACK_FILES = sorted(PROJECT_DIR.glob("Pulumi.*.yaml"))
SECRET_PLACEHOLDER = "offline-placeholder-for-"

Config = dict[str, Any]
RenderStack = Callable[[Path], Recording]

def _artifact_cache() -> None:
    """The Gateway API bundles every render verifies, rebuilt from ../shared/refdata into a cache of this run, as
    `python -m traffic_edge bundle` does; without refdata, renders use the user's cache (or download)."""
    sources = REFDATA / "gateway-api"
    if not sources.is_dir():
        return
    cache = Path(tempfile.mkdtemp(prefix="traffic-edge-artifacts-"))
    for (version, channel), sha256 in GATEWAY_API_BUNDLE_SHA256.items():
        if (sources / version / channel).is_dir():
            (cache / sha256).write_bytes(build_bundle(sources / version, version, channel))
    os.environ["TRAFFIC_EDGE_ARTIFACT_CACHE"] = str(cache)


_artifact_cache()

# Who record_component deploys as: cloud identities are named `traffic-edge-test-<workload>`.
DEPLOYMENT = Deployment(PROJECT, "test")
# The platform component's name as the edge `edge` of __main__.py names it; cloud resources are `<it>-<role>`.
PLATFORM = "edge-platform"
# Every workload that may receive a platform identity: cert-manager, external-dns and the controllers' own.
WORKLOADS: dict[str, Workload] = {
    workload.name: workload
    for workload in (CERT_MANAGER, EXTERNAL_DNS, aws_load_balancer_controller.WORKLOAD, azure_alb.WORKLOAD)
}


@pytest.fixture(scope="session")
def render_stack() -> RenderStack:
    """Render each stack file at most once per session; callers must not modify the recording."""
    cache: dict[Path, Recording] = {}

    def cached(path: Path) -> Recording:
        key = path.resolve()
        if key not in cache:
            cache[key] = render(key)
        return cache[key]

    return cached


def record_component(build: Callable[[], None], config: Mapping[str, Any] | None = None) -> Recording:
    """Run `build` as the program of stack `test`; `config` as in a stack file, `{secure: x}` for secrets."""
    qualified = {key if ":" in key else f"{PROJECT}:{key}": value for key, value in (config or {}).items()}
    encoded = encode(qualified, Decrypter({}, {}))  # `{secure: x}` stays a secret, with a placeholder value
    return record(build, project=PROJECT, stack="test", config=encoded.values, secret_keys=encoded.secret_keys)


def parse_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate config as a stack file writes it (keys without `traffic-edge:`, `{secure: x}` for secrets)."""
    secret = {key for key, value in raw.items() if isinstance(value, dict) and set(value) == {"secure"}}
    return parse(raw, secret)


def provision_platform(
    config: StackConfig, tsig_secret: pulumi.Output[str] | None = None, preflight: bool = True
) -> Provisioned:
    """Inside a program: the platform of `config` provisioned as TrafficEdge `edge` does it (the same args, the
    component named PLATFORM), deployed as DEPLOYMENT; its cloud look-ups are answered by traffic_edge.offline.fakes
    unless `preflight` is off."""
    args = PlatformArgs(
        settings=config.platform,
        dns=config.dns,
        zone_name=config.zone_name,
        domain=config.domain,
        deployment=DEPLOYMENT,
        identities=identity_requests(config),
        tsig_secret=tsig_secret,
        preflight=preflight,
        platform_gateway_api=uses_platform_gateway_api(config),
    )
    return platform_for(args).provision(PLATFORM, pulumi.ResourceOptions())


def export_provisioned(config: StackConfig, provisioned: Provisioned) -> None:
    """Export what the platform hands the components: each workload's identity, the DNS-01 solver, external-dns's
    provider values and the chart values external-dns gets from them and its identity, and the zone."""
    pulumi.export("identities", {
        name: {"annotations": dict(identity.service_account_annotations), "labels": dict(identity.pod_labels),
               "ready": [resource.urn for resource in identity.ready]}
        for name, identity in ((name, provisioned.identity(name)) for name in WORKLOADS)
    })
    solver = provisioned.dns01
    pulumi.export("solver", dict(solver.solver) if solver else "none")  # an exported None is dropped
    provider = provisioned.external_dns
    assert provider is not None
    pulumi.export("externalDns", dict(provider.values))
    plan = external_dns_plan(config, DEPLOYMENT)
    assert plan is not None
    chart = ExternalDnsArgs(
        provider=provider, zone=plan.zone, sources=plan.sources, image=plan.image, policy=plan.policy,
        txt_owner_id=plan.txt_owner_id, txt_prefix=plan.txt_prefix, chart=plan.chart,
        identity=provisioned.identity(EXTERNAL_DNS.name),
    )
    pulumi.export("externalDnsChart", external_dns_values(chart))
    zone = provisioned.zone
    assert zone is not None
    pulumi.export("zone", {"name": zone.name, "id": zone.zone_id, "nameServers": zone.name_servers or "none"})


def write_stack(directory: Path, config: Mapping[str, Any], stack: str = "lab") -> Path:
    """Write `Pulumi.<stack>.yaml` with every key under the project's namespace."""
    path = directory / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump({"config": {f"{PROJECT}:{key}": value for key, value in config.items()}}))
    return path


def _parent_of(config: Config, path: str) -> tuple[Any, str | int]:
    parts = [int(part[1:-1]) if part.startswith("[") else part for part in re.findall(r"\[\d+\]|[^.\[\]]+", path)]
    target: Any = config
    for part in parts[:-1]:
        target = target[part]
    return target, parts[-1]


def set_key(config: Config, path: str, value: Any) -> None:
    """Set `a.b[2].c` in nested config, like editing one line of a stack file."""
    target, key = _parent_of(config, path)
    target[key] = value


def delete_key(config: Config, path: str) -> None:
    """Remove `a.b[2].c` from nested config."""
    target, key = _parent_of(config, path)
    del target[key]


@dataclass(frozen=True)
class Rejection:
    """What a render of an invalid stack left behind: the error text and every resource registered."""

    message: str
    registered: dict[str, Registration]
    stack_urn: str  # set once the program started: proves the render got as far as running it


@pytest.fixture
def render_rejected(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], Rejection]:
    """Render a stack that must fail, keeping the mock monitor so the test can count registrations."""
    monitors: list[engine.RecordingMonitor] = []

    class KeptMonitor(engine.RecordingMonitor):
        def __init__(self, project: str, stack: str) -> None:
            super().__init__(project, stack)
            monitors.append(self)

    monkeypatch.setattr(engine, "RecordingMonitor", KeptMonitor)

    def run(stack_file: Path) -> Rejection:
        monitors.clear()
        with pytest.raises(pulumi.RunError) as raised:
            render(stack_file, PROJECT_DIR)
        [monitor] = monitors
        return Rejection(str(raised.value), dict(monitor.recording.resources), monitor.stack_urn)

    return run


@pytest.fixture
def invokes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(token, provider reference `<urn>::<id>`) of every look-up the test's programs make, in order."""
    seen: list[tuple[str, str]] = []
    answer = engine.OfflineMocks.call

    def recorded(self: engine.OfflineMocks, args: pulumi.runtime.MockCallArgs) -> Any:
        seen.append((args.token, args.provider))
        return answer(self, args)

    monkeypatch.setattr(engine.OfflineMocks, "call", recorded)
    return seen


def depends_on(recording: Recording, dependent: Registration, dependency: Registration) -> bool:
    """True when `dependent` waits for `dependency`, directly or through other resources."""
    pending, seen = list(dependent.dependencies), set()
    while pending:
        urn = pending.pop()
        if urn == dependency.urn:
            return True
        if urn not in seen and urn in recording.resources:
            seen.add(urn)
            pending.extend(recording.resources[urn].dependencies)
    return False
