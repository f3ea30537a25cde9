"""Run a Pulumi program under mocks and record every registration the real engine would see.

`MockResourceArgs` carries no parent, dependencies or protect flag, so the recording happens
in a `MockMonitor` subclass that reads the raw `RegisterResource` requests instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_in_stack

from traffic_edge.offline.fakes import fake_call, fake_state

SECRET = "[secret]"
UNKNOWN = "[unknown]"
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Registration:
    """One `RegisterResource` request, as plan.json shows it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str]
    provider: str | None
    protect: bool
    retain_on_delete: bool
    aliases: list[dict[str, Any]] = field(default_factory=list)  # alias specs, as the engine receives them

    def as_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": self.inputs,
            "dependencies": self.dependencies,
            "provider": self.provider,
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "aliases": self.aliases,
        }


@dataclass
class Recording:
    """Everything one program run registered, keyed by URN."""

    project: str
    stack: str
    resources: dict[str, Registration] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # what `pulumi.log.warn` said, as the CLI would print it

    def of_type(self, type_: str) -> list[Registration]:
        return sorted((r for r in self.resources.values() if r.type == type_), key=lambda r: r.urn)

    def named(self, type_: str, name: str) -> Registration:
        matches = [r for r in self.of_type(type_) if r.name == name]
        if len(matches) != 1:
            known = ", ".join(r.name for r in self.of_type(type_)) or "none"
            raise KeyError(f"{type_} {name!r}: {len(matches)} registered (known: {known})")
        return matches[0]


def plain(value: Any) -> Any:
    """Turn a wire `Struct` value into plain JSON, masking secrets and marking unknowns."""
    if isinstance(value, dict):
        sig = value.get(rpc._special_sig_key)
        if sig == rpc._special_secret_sig:
            return SECRET
        if sig == rpc._special_resource_sig:
            return value.get("urn", "")
        if sig == rpc._special_output_value_sig:
            if value.get("secret"):
                return SECRET
            return plain(value["value"]) if "value" in value else UNKNOWN
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if value == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def urn_type(urn: str) -> str:
    """The qualified type of a URN: its ancestors' types and its own, `$`-separated."""
    return urn.split("::")[2]


class OfflineMocks(pulumi.runtime.Mocks):
    """Echo inputs back as state, plus the computed outputs a cloud would return (offline.fakes)."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        """A fake row may name the physical ID (`id`), where it is shaped, e.g. an Azure resource ID."""
        computed = fake_state(args.typ, args.name, args.inputs)
        resource_id = computed.pop("id", None) or f"{args.name}-id"
        return resource_id, {**args.inputs, **computed}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return fake_call(args.token, args.args), []


class RecordingMonitor(mocks.MockMonitor):
    """A mock monitor that keeps the full registration requests."""

    def __init__(self, project: str, stack: str) -> None:
        super().__init__(OfflineMocks())
        self.recording = Recording(project, stack)
        self.stack_urn = ""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """As the engine makes them: the types of every ancestor but the stack, then this type."""
        if parent and parent != self.stack_urn:
            type_ = f"{urn_type(parent)}${type_}"
        return f"urn:pulumi:{self.recording.stack}::{self.recording.project}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == STACK_TYPE:
            self.stack_urn = response.urn
            return response
        if response.urn in self.recording.resources:  # the engine refuses a second registration of one URN
            raise pulumi.RunError(f"duplicate resource URN {response.urn!r}; give each resource a unique name")
        self.recording.resources[response.urn] = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=bool(request.custom),
            inputs=plain(json_format.MessageToDict(request.object)),
            dependencies=sorted(set(request.dependencies)),
            provider=request.provider or None,
            protect=request.HasField("protect") and request.protect,
            retain_on_delete=request.HasField("retainOnDelete") and request.retainOnDelete,
            aliases=[json_format.MessageToDict(alias) for alias in request.aliases],
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.urn == self.stack_urn:
            self.recording.outputs = plain(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


@contextmanager
def _isolated_runtime(project_dir: Path | None) -> Iterator[None]:
    """Fresh event loop, cwd and import state for one render; restores all of it afterwards.

    The SDK calls the mock monitor from executor threads, each of which needs an event loop of its
    own; they are created here, so that they are closed with the render instead of leaking.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    thread_loops: list[asyncio.AbstractEventLoop] = []

    def give_thread_a_loop() -> None:
        thread_loops.append(asyncio.new_event_loop())
        asyncio.set_event_loop(thread_loops[-1])

    executor = ThreadPoolExecutor(initializer=give_thread_a_loop)
    loop.set_default_executor(executor)
    old_cwd = os.getcwd()
    old_path = list(sys.path)
    if project_dir is not None:
        os.chdir(project_dir)
        sys.path.insert(0, str(project_dir))
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
        executor.shutdown(wait=True)
        for thread_loop in thread_loops:
            thread_loop.close()
        loop.close()
        asyncio.set_event_loop(None)
        settings.reset_options()
        set_all_config({}, [])


class _Warnings(logging.Handler):
    def __init__(self, recording: Recording) -> None:
        super().__init__(logging.WARNING)
        self.recording = recording

    def emit(self, record: logging.LogRecord) -> None:
        self.recording.warnings.append(record.getMessage())


def _recording_logger(recording: Recording) -> logging.Logger:
    """The engine's log for one render: warnings are kept in the recording, nothing is printed."""
    logger = logging.getLogger(f"traffic_edge.offline.render.{id(recording)}")
    logger.propagate = False
    logger.handlers = [_Warnings(recording)]
    return logger


def record(
    program: Callable[[], None],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: list[str] | None = None,
    project_dir: Path | None = None,
) -> Recording:
    """Run `program` as a Pulumi stack under mocks and return what it registered."""
    with _isolated_runtime(project_dir):
        monitor = RecordingMonitor(project, stack)
        mocks.set_mocks(monitor.mocks, project=project, stack=stack, preview=True, monitor=monitor,
                        logger=_recording_logger(monitor.recording))
        set_all_config(dict(config or {}), list(secret_keys or []))
        settings.ROOT.set(None)
        asyncio.get_event_loop().run_until_complete(run_in_stack(program))
        return monitor.recording
