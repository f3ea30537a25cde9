"""Where the plans come from: plan.json files and directories, or git refs and the working tree rendered fresh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

Plan = dict[str, Any]  # one plan.json


class DiffError(Exception):
    """A user mistake or a failed render: reported on stderr with exit status 2, no traceback."""


def load_plan(path: Path) -> Plan:
    """Read and sanity-check one plan.json, so a wrong file is an error and not a silent no-op."""
    try:
        plan = json.loads(path.read_text())
    except OSError as error:
        raise DiffError(f"{path}: {error.strerror}") from None
    except ValueError as error:
        raise DiffError(f"{path}: not JSON: {error}") from None
    if not isinstance(plan, dict) or not _is_resource_list(plan.get("resources")):
        raise DiffError(f"{path}: not a preview plan (needs `resources`, each with urn, type and name)")
    return plan


def _is_resource_list(resources: Any) -> bool:
    return isinstance(resources, list) and all(
        isinstance(r, dict) and all(isinstance(r.get(k), str) for k in ("urn", "type", "name")) for r in resources
    )


def load_path(path: Path) -> dict[str, Plan]:
    """A plan.json, a directory holding one, or a directory of `<stack>/plan.json`."""
    single = path if path.is_file() else path / "plan.json"
    if single.is_file():
        plan = load_plan(single)
        return {str(plan.get("stack") or single.parent.name): plan}
    found = sorted(path.glob("*/plan.json"))
    if not found:
        raise DiffError(f"{path}: no plan.json here nor in any <stack>/ subdirectory")
    return {p.parent.name: load_plan(p) for p in found}


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise DiffError("git is not installed; give OLD and NEW as plan directories instead") from None


def resolve_commit(ref: str, cwd: Path) -> str | None:
    """The commit `ref` names, or None when it names none (or cwd is not in a repository)."""
    result = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    return result.stdout.strip() if result.returncode == 0 else None


def export_tree(commit: str, repo: Path, dest: Path) -> None:
    """Write the tree of `commit` under `dest`, as `git archive | tar -x` would, without touching repo."""
    dest.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryFile() as errors,
        subprocess.Popen(
            ["git", "archive", "--format=tar", commit], cwd=repo, stdout=subprocess.PIPE, stderr=errors
        ) as archive,
    ):
        try:
            with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
                tar.extractall(dest, filter="data")
        except tarfile.TarError as error:
            problem = str(error)
        else:
            problem = ""
        archive.wait()
        errors.seek(0)
        stderr = errors.read().decode(errors="replace").strip()
    if archive.returncode != 0 or problem:
        raise DiffError(f"git archive {commit} failed: {stderr or problem or f'exit {archive.returncode}'}")


def stack_files(project_dir: Path, only: set[str] | None) -> dict[str, Path]:
    """`Pulumi.<stack>.yaml` files by stack name."""
    files = {f.name[len("Pulumi.") : -len(".yaml")]: f for f in sorted(project_dir.glob("Pulumi.*.yaml"))}
    return {stack: f for stack, f in files.items() if only is None or stack in only}


def render_stacks(project_dir: Path, out_dir: Path, only: set[str] | None, label: str) -> dict[str, Plan]:
    """Render every stack of `project_dir` with the preview tool that lives in that tree."""
    stacks = stack_files(project_dir, only)
    # -m puts cwd first on sys.path, so the tree's own package renders it; PYTHONSAFEPATH would drop that entry.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}
    # Trees from before the package layout have their renderer in a top-level `offline` package.
    tool = ["traffic_edge"] if (project_dir / "traffic_edge").is_dir() else ["offline"]

    def render(stack: str) -> subprocess.CompletedProcess[str]:
        command = [
            sys.executable,
            "-m",
            *tool,
            "preview",
            "--config",
            str(stacks[stack].resolve()),
            "--out",
            str(out_dir / stack),
        ]
        return subprocess.run(command, cwd=project_dir, env=env, capture_output=True, text=True, check=False)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = dict(zip(stacks, pool.map(render, stacks), strict=True))
    for stack, result in results.items():
        if result.returncode != 0:
            output = (result.stderr or result.stdout).strip()[-3000:]
            raise DiffError(f"{label}: rendering {stacks[stack].name} failed (exit {result.returncode}):\n{output}")
    return {stack: load_plan(out_dir / stack / "plan.json") for stack in stacks}


class Sources:
    """Turns OLD/NEW arguments into plans, rendering git refs and the working tree in a temp dir."""

    def __init__(self, workdir: Path, scratch: Path, only: set[str] | None) -> None:
        self.workdir = workdir
        self.scratch = scratch
        self.only = only
        self.renders = 0

    def _scratch(self, name: str) -> Path:
        self.renders += 1
        return self.scratch / f"{self.renders}-{name}"

    def load(self, spec: str, force_git: bool) -> dict[str, Plan]:
        if not force_git and Path(spec).exists():
            return load_path(Path(spec))
        commit = resolve_commit(spec, self.workdir)
        if commit is None:
            what = "a git commit" if force_git else "an existing path nor a git commit"
            raise DiffError(f"{spec!r} is not {what}")
        top = _git(["rev-parse", "--show-toplevel"], self.workdir).stdout.strip()
        prefix = _git(["rev-parse", "--show-prefix"], self.workdir).stdout.strip()
        tree = self._scratch("tree")
        export_tree(commit, Path(top), tree)
        return render_stacks(tree / prefix, self._scratch("plans"), self.only, f"{spec} ({commit[:12]})")

    def worktree(self) -> dict[str, Plan]:
        return render_stacks(self.workdir, self._scratch("plans"), self.only, "working tree")
