"""`python -m e2e [--config Pulumi.<stack>.yaml ...]`: on-prem stacks through the real engine and a real API server,
and the Kubernetes objects of cloud stacks on a real API server (doctor's checks).

Prints one table (stack × phase: verdict and seconds), the figures (differential counts, doctor findings, upgrade
steps), the failures with their engine errors and log paths, and exits 1 if any phase failed. The config-parity
corpus runs as a row of its own. Run directories (engine output per phase, control-plane logs, doctor output,
step lists) are kept.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from e2e.charts import PROJECT_DIR, REFDATA
from e2e.cloud_objects import row_name
from e2e.controlplane import unwind_on_sigterm
from e2e.lifecycle import PHASES
from e2e.report import report
from e2e.results import PhaseResult, StackResult
from e2e.upgrade import LAST_LANDED, export_commit
from e2e.workspace import environment, stack_name

BINARIES = ("pulumi", "pulumi-resource-kubernetes", "kube-apiserver", "kube-controller-manager", "etcd", "promtool",
            "prometheus-operator-crds")
CORPUS = "(corpus)"


def toolchain(bin_dir: Path | None, root: Path) -> Path:
    """The given bin dir, else build.sh's (a cache hit in seconds once built), pinned for this run: `<root>/bin`
    links to the binaries themselves, so a concurrent build.sh, which relinks its bin dir, cannot pull them away
    mid-run (and `<root>/bin/pulumi` is the layout auto.PulumiCommand(root) expects)."""
    if bin_dir is None:
        build = PROJECT_DIR / "e2e" / "toolchain" / "build.sh"
        completed = subprocess.run(["bash", str(build)], stdout=subprocess.PIPE, text=True, check=False)
        if completed.returncode != 0:
            sys.exit(f"e2e: {build} failed (exit {completed.returncode})")
        bin_dir = Path(completed.stdout.strip().splitlines()[-1])
    missing = [name for name in BINARIES if not (bin_dir / name).exists()]
    if missing:
        sys.exit(f"e2e: {bin_dir} lacks {', '.join(missing)}")
    pinned = root / "bin"
    pinned.mkdir(parents=True)
    for name in BINARIES:
        (pinned / name).symlink_to((bin_dir / name).resolve())
    return pinned


def platform_kind(stack_file: Path) -> str | None:
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    platform = next((value for key, value in config.items() if key.endswith(":platform")), None)
    return str(platform.get("kind")) if isinstance(platform, dict) else None


def by_platform(stack_files: list[Path]) -> tuple[list[Path], list[Path]]:
    """(on-prem stack files, cloud ones): the on-prem ones run whole; of a cloud one, whose cloud cannot run here,
    its Kubernetes objects meet the API server (e2e.cloud_objects). A file naming no platform is neither."""
    kinds = {stack_file.resolve(): platform_kind(stack_file) for stack_file in stack_files}
    return ([file for file, kind in kinds.items() if kind == "onprem"],
            [file for file, kind in kinds.items() if kind not in ("onprem", None)])


def artifact_cache(root: Path) -> Path:
    """The rows' previews verify the Gateway API bundle against its pinned digest, fetched from a GitHub release
    no host here reaches: it is rebuilt from refdata into this run's cache, as a user without the release asset
    does (`python -m traffic_edge bundle`), so the run never depends on what an earlier one left in ~/.cache."""
    cache = root / "artifacts"
    subprocess.run([sys.executable, "-m", "traffic_edge", "bundle", "--sources", str(REFDATA / "gateway-api")],
                   cwd=PROJECT_DIR, env={**os.environ, "TRAFFIC_EDGE_ARTIFACT_CACHE": str(cache)}, check=True,
                   stdout=subprocess.DEVNULL)
    return cache


def run_child(module: str, args: list[str], name: str, root: Path, bin_dir: Path, cwd: Path) -> StackResult:
    """One job in a child process in the CLI's environment; a child that dies without a result fails its row."""
    root.mkdir(parents=True)
    # -P: the project dir (cwd) stays off sys.path until the program puts it there; it may hold an e2e/ of its own.
    command = [sys.executable, "-P", "-m", module, "--root", str(root), "--bin", str(bin_dir), *args]
    env = {**os.environ, **environment(root / "state", bin_dir, None), "PYTHONPATH": str(PROJECT_DIR)}
    child = subprocess.Popen(command, cwd=cwd, env=env)
    try:
        child.wait()
    except BaseException:
        child.send_signal(signal.SIGTERM)  # it stops its control planes, then exits
        child.wait()
        raise
    result_file = root / "result.json"
    if result_file.exists():
        return StackResult.from_json(result_file.read_text())
    crashed = StackResult(name, root)
    crashed.phases["cluster"] = PhaseResult("cluster", "FAILED", 0.0, f"the process exited with {child.returncode} "
                                            "and no result; its output is above")
    return crashed


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m e2e", description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", type=Path, metavar="FILE",
                        help="a Pulumi.<stack>.yaml beside the project's Pulumi.yaml (repeatable): an on-prem one "
                        "runs every phase, a cloud one its objects' doctor phase; default: every example stack")
    parser.add_argument("--project", type=Path, default=PROJECT_DIR,
                        help="project whose example stacks run by default, e.g. an exported commit")
    parser.add_argument("--bin", type=Path, help="toolchain bin dir; default: what e2e/toolchain/build.sh prints")
    parser.add_argument("--workdir", type=Path, help="run directory; default: a new one under the temp dir")
    parser.add_argument("--jobs", type=int, default=2, help="stacks run at once (default 2)")
    parser.add_argument("--phase", action="append", choices=PHASES, default=[],
                        help="run only this phase (repeatable) and those it needs; default: every phase")
    args = parser.parse_args()
    unwind_on_sigterm()
    on_prem, cloud = by_platform(args.config or sorted(args.project.glob("Pulumi.*.yaml")))
    if args.phase and "doctor" not in args.phase:
        cloud = []
    root = (args.workdir or Path(tempfile.mkdtemp(prefix="traffic-edge-e2e-"))).resolve()
    bin_dir = toolchain(args.bin, root)
    print(f"[e2e] run dir {root}", flush=True)
    os.environ["TRAFFIC_EDGE_ARTIFACT_CACHE"] = str(artifact_cache(root))  # every row's child inherits it
    started = time.monotonic()
    old_project = export_commit(PROJECT_DIR, LAST_LANDED, root / "old")
    upgrade = ["--old-project", str(old_project)] if old_project is not None else []
    upgrade += [f"--phase={name}" for name in args.phase]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        jobs = [] if args.phase and "config-parity" not in args.phase else [
            pool.submit(run_child, "e2e.parity_corpus", [], CORPUS, root / "corpus", bin_dir, PROJECT_DIR)]
        jobs += [pool.submit(run_child, "e2e.lifecycle", [*upgrade, str(file)], stack_name(file),
                             root / stack_name(file), bin_dir, file.parent) for file in on_prem]
        jobs += [pool.submit(run_child, "e2e.cloud_objects", [str(file)], row_name(file),
                             root / f"{stack_name(file)}-objects", bin_dir, file.parent) for file in cloud]
        results = [job.result() for job in jobs]
    print(report(results, PHASES, time.monotonic() - started), flush=True)
    sys.exit(0 if all(result.passed for result in results) else 1)


if __name__ == "__main__":
    main()
