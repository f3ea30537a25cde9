"""Shared helpers: render a stack file once per session, run one component under mocks, parse config.

`offline.render.render` re-imports the project's packages for every render, so objects from a render
are not instances of the classes a test module imported: compare them through their data, and catch
a rejected config as `pulumi.RunError` (the base of `ConfigError`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from offline import engine
from offline.engine import Recording, Registration, config_for_runtime, record
from offline.render import PROJECT_DIR, render
from stackconfig import StackConfig, parse

PROJECT = "traffic-edge"
# Every stack of the project, found when the tests are collected: other stacks are added over time.
STACK_FILES = sorted(PROJECT_DIR.glob("Pulumi.*.yaml"))
SECRET_PLACEHOLDER = "offline-placeholder-for-"

Config = dict[str, Any]
RenderStack = Callable[[Path], Recording]


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
    encoded, secret_keys = config_for_runtime(PROJECT, config or {})
    return record(build, project=PROJECT, stack="test", config=encoded, secret_keys=secret_keys)


def parse_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate config as a stack file writes it (keys without `traffic-edge:`, `{secure: x}` for secrets)."""
    secret = {key for key, value in raw.items() if isinstance(value, dict) and set(value) == {"secure"}}
    return parse(raw, secret)


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
