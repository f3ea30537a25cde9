"""`python -m traffic_edge.fleet`: the offline fallback for real, the Automation API path with fake stacks."""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto
from pulumi.automation import OpType

from tests.conftest import RenderStack, write_stack
from traffic_edge import fleet
from traffic_edge.fleet.__main__ import main
from traffic_edge.offline.plan import plan_document
from traffic_edge.offline.render import PROJECT_DIR

DEV = PROJECT_DIR / "Pulumi.dev.yaml"


class FakeStack:
    """Stands in for `automation.Stack`; `run` is what preview()/up() do before returning."""

    def __init__(self, name: str, changes: dict[Any, int], run: Callable[[str], None] = lambda name: None) -> None:
        self.name = name
        self.changes = changes
        self.run = run

    def preview(self) -> auto.PreviewResult:
        self.run(self.name)
        return auto.PreviewResult(f"Previewing {self.name}\n", "", self.changes)

    def up(self) -> auto.UpResult:
        self.run(self.name)
        summary = auto.UpdateSummary(
            kind="update",
            start_time=datetime(2025, 1, 1),
            message="",
            environment={},
            config={},
            result="succeeded",
            resource_changes={op.value: count for op, count in self.changes.items()},  # JSON: string keys
        )
        return auto.UpResult(f"Updating {self.name}\n", "", summary, {})


def command_error(stdout: str, stderr: str) -> auto.CommandError:
    return auto.CommandError(auto.CommandResult(stdout=stdout, stderr=stderr, code=255))


class Opener:
    """Records every (stack, action) opened; stacks in `failing` raise as a failed CLI run would."""

    def __init__(self, failing: tuple[str, ...] = (), run: Callable[[str], None] = lambda name: None) -> None:
        self.opened: list[tuple[str, str]] = []
        self.failing = failing
        self.run = run

    def __call__(self, stack: str, action: fleet.Action) -> fleet.StackLike:
        self.opened.append((stack, action))
        if stack in self.failing:

            def fail(name: str) -> None:
                raise command_error(
                    f"Previewing update ({name})\n  pulumi:pulumi:Stack (traffic-edge-{name}):\n"
                    "    error: 1 config error under `traffic-edge:`:\n"
                    "      - domain: is required (fix: add `domain`)\n",
                    "error: preview failed\n",
                )

            return FakeStack(stack, {}, fail)
        return FakeStack(stack, {OpType.CREATE: 3, OpType.UPDATE: 1, OpType.SAME: 20}, self.run)


@pytest.fixture
def with_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet, "pulumi_cli", lambda: "/usr/local/bin/pulumi")


@pytest.fixture
def without_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)


# --- no Pulumi CLI: the offline fallback, rendered for real ---------------------------------------


@pytest.mark.usefixtures("without_cli")
def test_preview_without_cli_renders_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], render_stack: RenderStack
) -> None:
    expected = render_stack(DEV)

    code = main(["preview", "--stacks", "dev", "--out", str(tmp_path)])

    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == (
        "Pulumi CLI not found: previewing offline (no deployed state, so every resource counts as a create)"
    )
    assert out[1].split() == ["stack", "action", "status", "changes", "duration", "error"]
    assert re.fullmatch(rf"dev +offline-preview +ok +\+{len(expected.resources)} ~0 -0 +\d+\.\ds", out[2])
    assert len(out) == 3
    written = json.loads((tmp_path / "dev" / "plan.json").read_text())
    assert written == json.loads(json.dumps(plan_document(expected)))
    assert (tmp_path / "dev" / "manifests").is_dir()


def test_offline_rows_report_a_broken_stack_beside_a_good_one(tmp_path: Path) -> None:
    broken = write_stack(tmp_path, {"platform": {"kind": "onprem"}}, stack="broken")

    outcomes = fleet.run_offline({"dev": DEV, "broken": broken}, concurrency=2, out=tmp_path / "out")

    assert [(o.stack, o.action, o.status) for o in outcomes] == [
        ("dev", "offline-preview", "ok"),
        ("broken", "offline-preview", "failed"),
    ]
    assert outcomes[1].changes is None
    assert outcomes[1].error == "1 config error under `traffic-edge:`: domain: is required (fix: add `domain`)"
    log = (tmp_path / "out" / "broken" / "offline-preview.log").read_text()
    assert log == "1 config error under `traffic-edge:`:\n  - domain: is required (fix: add `domain`)"


@pytest.mark.usefixtures("without_cli")
def test_up_without_cli_refuses_and_opens_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    opener = Opener()

    code = main(["up", "--stacks", "dev"], opener)

    captured = capsys.readouterr()
    assert (code, captured.out, opener.opened) == (2, "", [])
    assert captured.err.startswith("error: `up` needs the Pulumi CLI, which is not on PATH")
    assert "nothing was changed" in captured.err


# --- the Automation API path, with fake stacks ----------------------------------------------------


@pytest.mark.usefixtures("with_cli")
def test_preview_through_the_automation_api(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    opener = Opener()

    code = main(["preview", "--stacks", "dev", "--out", str(tmp_path)], opener)

    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert opener.opened == [("dev", "preview")]
    assert out[0].split() == ["stack", "action", "status", "changes", "duration", "error"]
    assert re.fullmatch(r"dev +preview +ok +\+3 ~1 -0 +\d+\.\ds", out[1])
    assert (tmp_path / "dev" / "preview.log").read_text() == "Previewing dev\n"


@pytest.mark.usefixtures("with_cli")
def test_a_failed_stack_exits_1_with_its_first_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["preview", "--stacks", "dev", "--out", str(tmp_path)], Opener(failing=("dev",)))

    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert re.fullmatch(
        r"dev +preview +failed +- +\d+\.\ds +error: 1 config error under `traffic-edge:`: "
        r"domain: is required \(fix: add `domain`\)",
        out[1],
    )
    assert "error: preview failed" in (tmp_path / "dev" / "preview.log").read_text()


@pytest.mark.parametrize("concurrency", [1, 2, 3])
def test_concurrency_is_bounded(concurrency: int) -> None:
    """Stacks meet at a barrier of `concurrency` parties, so the bound is reached; never exceeded."""
    lock, running, peak = threading.Lock(), [0], [0]
    barrier = threading.Barrier(concurrency, timeout=10)

    def run(name: str) -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        barrier.wait()
        with lock:
            running[0] -= 1

    stacks = [f"s{i}" for i in range(2 * concurrency)]
    outcomes = fleet.run_automation(stacks, "preview", concurrency, None, Opener(run=run))

    assert peak[0] == concurrency
    assert [(o.stack, o.status) for o in outcomes] == [(stack, "ok") for stack in stacks]


def test_up_runs_in_list_order_and_stops_after_a_failure(tmp_path: Path) -> None:
    opener = Opener(failing=("staging",))

    outcomes = fleet.run_automation(["dev", "staging", "production"], "up", 1, tmp_path, opener)

    assert opener.opened == [("dev", "up"), ("staging", "up")]
    assert [(o.stack, o.action, o.status, fleet.summarize(o.changes)) for o in outcomes] == [
        ("dev", "up", "ok", "+3 ~1 -0"),
        ("staging", "up", "failed", "-"),
        ("production", "up", "skipped", "-"),
    ]
    assert outcomes[2].error == "an earlier stack's up failed"
    assert (tmp_path / "dev" / "up.log").read_text() == "Updating dev\n"


def test_previews_all_run_whatever_fails() -> None:
    opener = Opener(failing=("dev",))

    outcomes = fleet.run_automation(["dev", "staging", "production"], "preview", 1, None, opener)

    assert [o.status for o in outcomes] == ["failed", "ok", "ok"]


def test_the_default_opener_uses_one_workspace_in_the_project_per_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str, dict[str, Any]]] = []

    def opener(kind: str) -> Callable[..., FakeStack]:
        def open_(stack: str, **kwargs: Any) -> FakeStack:
            calls.append((kind, stack, kwargs))
            return FakeStack(stack, {})

        return open_

    monkeypatch.setattr(auto, "select_stack", opener("select"))
    monkeypatch.setattr(auto, "create_or_select_stack", opener("create_or_select"))

    fleet.open_stack("dev", "preview")
    fleet.open_stack("production", "up")

    assert calls == [
        ("select", "dev", {"work_dir": str(PROJECT_DIR)}),
        ("create_or_select", "production", {"work_dir": str(PROJECT_DIR)}),
    ]


# --- the table and the stack list -----------------------------------------------------------------


def test_table_format() -> None:
    outcomes = [
        fleet.Outcome("dev", "preview", "ok", {"create": 3, "update": 1, "same": 9}, 12.34),
        fleet.Outcome("production", "preview", "ok", {"replace": 2, "delete": 1}, 3.0),
        fleet.Outcome("gke", "preview", "failed", None, 0.42, "error: stack 'gke' not found"),
    ]

    assert fleet.table(outcomes).splitlines() == [
        "stack       action   status  changes       duration  error",
        "dev         preview  ok      +3 ~1 -0      12.3s",
        "production  preview  ok      +0 ~0 -1 +-2  3.0s",
        "gke         preview  failed  -             0.4s      error: stack 'gke' not found",
    ]


def test_operation_counts_accept_both_key_forms() -> None:
    assert fleet.operation_counts({OpType.CREATE: 2, "delete": 1}) == {"create": 2, "delete": 1}
    assert fleet.operation_counts(None) == {}


def test_default_order_puts_production_stacks_last(tmp_path: Path) -> None:
    for stack, production in (("prod", True), ("dev", False), ("aks", False), ("a-live", True)):
        write_stack(tmp_path, {"production": production}, stack=stack)

    assert list(fleet.select(None, tmp_path)) == ["aks", "dev", "a-live", "prod"]
    assert list(fleet.select(["prod", "dev"], tmp_path)) == ["prod", "dev"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["preview", "--stacks", "dev,nope"], "error: no stack file for nope (known: "),
        (["preview", "--stacks", "dev,dev"], "error: listed more than once: dev\n"),
    ],
)
@pytest.mark.usefixtures("with_cli")
def test_usage_mistakes_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    opener = Opener()

    code = main(argv, opener)

    captured = capsys.readouterr()
    assert (code, captured.out, opener.opened) == (2, "", [])
    assert captured.err.startswith(message)


@pytest.mark.parametrize("argv", [["preview", "--concurrency", "0"], ["deploy"], ["preview", "--stacks", ","]])
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv, Opener())

    assert exited.value.code == 2
    assert "usage: python -m traffic_edge.fleet" in capsys.readouterr().err


def test_an_unreadable_stack_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(["not", "a", "mapping"]))

    with pytest.raises(fleet.FleetError, match="expected a mapping at the top level"):
        fleet.select(None, tmp_path)
