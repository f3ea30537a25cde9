"""Preview or update many stacks at once and read one table of results.

Each stack runs in its own Automation API workspace whose `work_dir` is the project directory, so
its config is its Pulumi.<stack>.yaml, exactly as `pulumi preview --stack <stack>` would read it.
At most `concurrency` stacks run at a time and they start in list order. The default list puts
non-production stacks first, so an `up` reaches dev before production; once an `up` fails, the
stacks that have not started yet are skipped, so a broken change goes no further down the list.

Without a Pulumi CLI a preview falls back to the offline render (traffic_edge.offline.render + .plan),
which knows no deployed state: every resource it registers counts as one to create.
"""

from __future__ import annotations

import multiprocessing
import shutil
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import pulumi
from pulumi import automation as auto

from traffic_edge.offline.plan import write
from traffic_edge.offline.render import PROJECT_DIR, render, stack_name_of
from traffic_edge.offline.stackfile import StackFileError, read_project, stack_values
from traffic_edge.progress import Progress

Action = Literal["preview", "up"]
Status = Literal["ok", "failed", "skipped"]
OFFLINE_PREVIEW = "offline-preview"
HEADERS = ("stack", "action", "status", "changes", "duration", "error")


class FleetError(Exception):
    """A usage mistake (unknown stack, unreadable stack file): exit status 2, no traceback."""


class StackLike(Protocol):
    """The part of `pulumi.automation.Stack` the fleet uses; tests inject fakes of it."""

    def preview(self) -> auto.PreviewResult: ...

    def up(self) -> auto.UpResult: ...


Opener = Callable[[str, Action], StackLike]


@dataclass(frozen=True)
class Outcome:
    """One row of the table; `changes` maps an engine operation (create, update, ...) to a count."""

    stack: str
    action: str
    status: Status
    changes: Mapping[str, int] | None
    seconds: float
    error: str = ""


def pulumi_cli() -> str | None:
    """The CLI the Automation API would run: `pulumi` on PATH (PulumiCommand's default)."""
    return shutil.which("pulumi")


def stack_files(stack_dir: Path = PROJECT_DIR) -> dict[str, Path]:
    """Every `Pulumi.<stack>.yaml`, non-production stacks first, each group by name."""
    project = read_project(PROJECT_DIR).name
    files = {stack_name_of(path): path for path in stack_dir.glob("Pulumi.*.yaml")}

    def production(stack: str) -> bool:
        return stack_values(files[stack], project)[0].get(f"{project}:production") is True

    return {stack: files[stack] for stack in sorted(files, key=lambda stack: (production(stack), stack))}


def select(requested: Sequence[str] | None, stack_dir: Path = PROJECT_DIR) -> dict[str, Path]:
    """The stacks to run in the order to run them: `requested` as given, or all of them."""
    try:
        known = stack_files(stack_dir)
    except StackFileError as error:
        raise FleetError(str(error)) from None
    if not known:
        raise FleetError(f"no Pulumi.<stack>.yaml in {stack_dir}")
    if requested is None:
        return known
    unknown = [stack for stack in requested if stack not in known]
    if unknown:
        raise FleetError(f"no stack file for {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    twice = sorted({stack for stack in requested if requested.count(stack) > 1})
    if twice:
        raise FleetError(f"listed more than once: {', '.join(twice)}")
    return {stack: known[stack] for stack in requested}


def open_stack(stack: str, action: Action) -> StackLike:
    """A fresh LocalWorkspace per stack; only `up` may create a stack that does not exist yet."""
    open_ = auto.create_or_select_stack if action == "up" else auto.select_stack
    return open_(stack, work_dir=str(PROJECT_DIR))


def first_line(text: str) -> str:
    """The line a reader needs: Pulumi's first `error:` line, else the first non-blank one, joined
    with the next when it only introduces a list (`2 config errors under ...:` + the first issue)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    index = next((i for i, line in enumerate(lines) if line.startswith("error:")), 0)
    if lines[index].endswith(":") and index + 1 < len(lines):
        return f"{lines[index]} {lines[index + 1].lstrip('- ')}"
    return lines[index]


def operation_counts(changes: Mapping[Any, int] | None) -> dict[str, int]:
    """Engine summaries are keyed by OpType or by its string value, depending on the command."""
    return {str(getattr(op, "value", op)): count for op, count in (changes or {}).items()}


def summarize(changes: Mapping[str, int] | None) -> str:
    """`+3 ~1 -0` (create, update, delete), with `+-N` appended when N resources are replaced."""
    if changes is None:
        return "-"
    text = f"+{changes.get('create', 0)} ~{changes.get('update', 0)} -{changes.get('delete', 0)}"
    return text + (f" +-{changes['replace']}" if changes.get("replace") else "")


def _keep(out: Path | None, stack: str, action: str, text: str) -> None:
    if out is not None:
        (out / stack).mkdir(parents=True, exist_ok=True)
        (out / stack / f"{action}.log").write_text(text)


def run_stack(stack: str, action: Action, opener: Opener, out: Path | None) -> Outcome:
    """Preview or update one stack; any failure becomes a row, never an exception."""
    start = time.monotonic()
    try:
        handle = opener(stack, action)
        if action == "up":
            up = handle.up()
            changes, log = up.summary.resource_changes, up.stdout + up.stderr
        else:
            preview = handle.preview()
            changes, log = preview.change_summary, preview.stdout + preview.stderr
    except Exception as error:  # one stack's failure must not hide the others' results
        _keep(out, stack, action, str(error))
        return Outcome(stack, action, "failed", None, time.monotonic() - start, first_line(str(error)))
    _keep(out, stack, action, log)
    return Outcome(stack, action, "ok", operation_counts(changes), time.monotonic() - start)


def run_automation(
    stacks: Sequence[str], action: Action, concurrency: int, out: Path | None, opener: Opener = open_stack
) -> list[Outcome]:
    """Run `stacks` through the Automation API, at most `concurrency` at once, started in list order."""
    failed = threading.Event()

    progress = Progress("fleet", len(stacks))

    def one(stack: str) -> Outcome:
        if action == "up" and failed.is_set():
            outcome = Outcome(stack, action, "skipped", None, 0.0, "an earlier stack's up failed")
        else:
            progress.started(f"{stack}: {action}")
            outcome = run_stack(stack, action, opener, out)
        if outcome.status == "failed":
            failed.set()
        progress.finished(f"{stack}: {action}", outcome.seconds, outcome.status)
        return outcome

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, stacks))


def offline_preview(stack: str, stack_file: Path, out: Path | None) -> Outcome:
    """Render one stack offline; with `out`, write its plan.json and manifests/ to out/<stack>."""
    start = time.monotonic()
    try:
        recording = render(stack_file)
    except (StackFileError, pulumi.RunError) as error:  # a config mistake: the log lists every issue
        return _offline_failure(stack, start, out, first_line(str(error)), str(error))
    except Exception as error:  # a program bug: the row names it, the log keeps the traceback
        message = f"{type(error).__name__}: {first_line(str(error))}"
        return _offline_failure(stack, start, out, message, traceback.format_exc())
    if out is not None:
        write(recording, out / stack)
    return Outcome(stack, OFFLINE_PREVIEW, "ok", {"create": len(recording.resources)}, time.monotonic() - start)


def _offline_failure(stack: str, start: float, out: Path | None, message: str, log: str) -> Outcome:
    _keep(out, stack, OFFLINE_PREVIEW, log)
    return Outcome(stack, OFFLINE_PREVIEW, "failed", None, time.monotonic() - start, message)


def run_offline(stacks: Mapping[str, Path], concurrency: int, out: Path | None) -> list[Outcome]:
    """Offline previews in `concurrency` fresh processes: a render owns its process's Pulumi runtime state."""
    progress = Progress("fleet", len(stacks))
    with ProcessPoolExecutor(max_workers=concurrency, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(offline_preview, stack, path, out): stack for stack, path in stacks.items()}
        for future in as_completed(futures):  # one line per stack as it finishes; the table keeps list order
            outcome = _result(futures[future], future)
            progress.finished(f"{outcome.stack}: {OFFLINE_PREVIEW}", outcome.seconds, outcome.status)
        return [_result(stack, future) for future, stack in futures.items()]


def _result(stack: str, future: Future[Outcome]) -> Outcome:
    try:
        return future.result()
    except Exception as error:  # a worker that died (e.g. out of memory) still leaves a row
        return Outcome(stack, OFFLINE_PREVIEW, "failed", None, 0.0, f"{type(error).__name__}: {first_line(str(error))}")


def table(outcomes: Sequence[Outcome]) -> str:
    """One aligned table; the error column comes last so long messages do not push others apart."""
    rows = [HEADERS] + [
        (o.stack, o.action, o.status, summarize(o.changes), f"{o.seconds:.1f}s", o.error) for o in outcomes
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADERS))]
    lines = ("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(line.rstrip() for line in lines)
