"""Upgrade: the last landed program deploys the stack, then the current program previews and ups over it. Nothing
may be replaced or deleted but what the change notes call intended (INTENDED); a namespace, CRD, Gateway, route,
Certificate or Secret never.

The last landed program predates the cluster connection and the artifact sources: it reaches the control plane
through KUBECONFIG, and its charts and bundle through e2e.program.LocalSources. It deploys the user's stack file
where it can read it, else the file as it was at that commit, which the current program then takes as well (an
upgrade of the program, not of the config; said in the notes).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pulumi import automation as auto

from e2e.program import LocalSources, inline_program
from e2e.steps import Steps, destructive
from e2e.workspace import Workspace, first_error

LAST_LANDED = "e88c2aa"
# Steps the change notes call intended, by a part of their URN, with the note (a replace or delete of a critical
# kind is never excused).
INTENDED: dict[str, str] = {
    "::pulumi:providers:kubernetes::default": (
        "the ambient default provider gives way to the edge's explicit one (cluster connection, issue 15); every "
        "object moves to it unreplaced, as both reach the same cluster"
    ),
}


def export_commit(project_dir: Path, commit: str, into: Path) -> Path | None:
    """`git archive <commit>` of the project, unpacked into `into` (once per run); None outside a clone that has
    the commit (an exported tree): the upgrade phase then says so."""
    if not (into / "__main__.py").exists():
        archive = subprocess.run(["git", "-C", str(project_dir), "archive", commit], capture_output=True, check=False)
        if archive.returncode != 0:
            return None
        into.mkdir(parents=True, exist_ok=True)
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


@contextmanager
def importable(project_dir: Path) -> Iterator[None]:
    """The old program's top-level packages importable while it runs, and forgotten afterwards."""
    before = set(sys.modules)
    try:
        yield
    finally:
        if str(project_dir) in sys.path:
            sys.path.remove(str(project_dir))
        for name in set(sys.modules) - before:
            module = sys.modules[name]
            if str(getattr(module, "__file__", "") or "").startswith(str(project_dir)):
                del sys.modules[name]


class OldProgramError(Exception):
    """The last landed program cannot deploy the stack here (its own defect, or a refusal): nothing to upgrade."""


@dataclass
class Upgrade:
    old_project: Path
    sources: LocalSources
    log: Callable[[str], None]
    notes: list[str] = field(default_factory=list)

    def deploy_old(self, workspace: Workspace, old_stack_file: Path) -> bool:
        """`pulumi up` of the last landed program: the user's file, else the file of that commit (returns True
        then). Raises OldProgramError where that program cannot deploy the stack at all."""
        program = inline_program(self.old_project, (self.sources.transform,))
        stack = workspace.stack(program)
        try:
            with importable(self.old_project):
                stack.up(on_output=self.log, color="never")
            return False
        except auto.CommandError as error:
            if "config error" not in str(error) or not old_stack_file.exists():
                raise OldProgramError(first_error(error)) from error
            self.notes.append(f"the last landed program refuses the current stack file ({first_error(error)}); it "
                              f"deploys {old_stack_file.name} as of {LAST_LANDED}, and the current program takes "
                              "that file too (a program upgrade; this commit's config changes are the other "
                              "phases' to judge)")
        workspace.file.write_text(old_stack_file.read_text())
        workspace.readable_secrets(stack)
        try:
            with importable(self.old_project):
                stack.up(on_output=self.log, color="never")
        except auto.CommandError as error:
            raise OldProgramError(first_error(error)) from error
        return True

    def judge(self, stack: auto.Stack, out: Path) -> list[str]:
        """The current program's preview, then up, over the old deployment: the step lists, and what they may not
        hold."""
        failures = []
        for operation in ("preview", "up"):
            steps = Steps()
            run = stack.preview if operation == "preview" else stack.up
            try:
                run(on_event=steps, on_output=self.log, color="never", diff=True)
            finally:
                (out / f"upgrade-{operation}-steps.txt").write_text(steps.listing() + "\n")
            counts: dict[str, int] = {}
            for step in steps.items:
                counts[step.op] = counts.get(step.op, 0) + 1
            self.notes.append(f"upgrade {operation}: " + ", ".join(f"{n} {op}" for op, n in sorted(counts.items())))
            failures += [f"{operation}: {line}" for line in destructive(steps.items, INTENDED)]
        return failures
