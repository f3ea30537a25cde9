"""`python -m e2e [--config Pulumi.<stack>.yaml ...]`: the on-prem example stacks through the real engine.

Prints one table (stack × phase: verdict and seconds), the failures with their engine errors and log paths,
and exits 1 if any phase failed. Run directories (engine output per phase, control-plane logs) are kept.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from e2e.charts import PROJECT_DIR
from e2e.controlplane import unwind_on_sigterm
from e2e.lifecycle import PHASES, PhaseResult, StackResult, Toolchain, environment, stack_name
from e2e.program import WORKAROUNDS

ON_PREM_STACKS = ("dev", "functions", "multitenant", "cilium")
BINARIES = ("pulumi", "pulumi-resource-kubernetes", "kube-apiserver", "kube-controller-manager", "etcd")


def toolchain(bin_dir: Path | None, root: Path) -> Toolchain:
    """The given bin dir, else build.sh's (a cache hit in seconds once built), pinned for this run: `<root>/bin`
    links to the binaries themselves, so a concurrent build.sh, which recreates its bin dir, cannot pull them
    away mid-run (and `<root>/bin/pulumi` is the layout auto.PulumiCommand(root) expects)."""
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
    return Toolchain(pinned)


def table(results: list[StackResult]) -> str:
    header = ["stack", *PHASES, "total", "peak RSS"]
    rows = [header]
    for result in results:
        cells = [result.stack]
        for name in PHASES:
            phase = result.phases.get(name)
            cells.append("-" if phase is None or phase.status == "skipped" else f"{phase.status} {phase.seconds:.1f}s")
        cells.append(f"{sum(phase.seconds for phase in result.phases.values()):.1f}s")
        cells.append(f"{sum(result.peak_rss_kib.values()) / 1024:.0f} MiB")
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)


def report(results: list[StackResult], seconds: float) -> str:
    lines = ["", table(results), "", f"total wall time: {seconds:.1f}s"]
    for result in results:
        rss = ", ".join(f"{name} {kib / 1024:.0f} MiB" for name, kib in sorted(result.peak_rss_kib.items()))
        lines.append(f"{result.stack}: control-plane peak RSS {rss or 'n/a'}; run dir {result.root}")
    for result in results:
        for phase in result.phases.values():
            if phase.status == "FAILED":
                logs = result.root / "logs"
                log = result.root / "cluster" / "logs" if phase.name == "cluster" else logs / f"{phase.name}.log"
                lines += ["", f"{result.stack} / {phase.name} FAILED (log: {log}):",
                          *(f"  {line}" for line in phase.detail.splitlines())]
        lines += [f"{result.stack} note: {note}" for note in result.notes]
    return "\n".join(lines)


def run_stack(stack_file: Path, root: Path, tools: Toolchain, workarounds: list[str]) -> StackResult:
    """One stack in a child process (see e2e.lifecycle) in the CLI's environment, run from the project dir as
    `pulumi up` runs a program; a child that dies without a result counts as a failed stack."""
    root.mkdir(parents=True)
    # -P: the project dir (cwd) stays off sys.path until program() puts it there; it may hold an e2e/ of its own.
    command = [sys.executable, "-P", "-m", "e2e.lifecycle", "--root", str(root), "--bin", str(tools.bin_dir),
               *(f"--workaround={name}" for name in workarounds), str(stack_file)]
    env = {**os.environ, **environment(root, tools.bin_dir), "PYTHONPATH": str(PROJECT_DIR)}
    child = subprocess.Popen(command, cwd=stack_file.parent, env=env)
    try:
        child.wait()
    except BaseException:
        child.send_signal(signal.SIGTERM)  # it stops its control plane, then exits
        child.wait()
        raise
    result_file = root / "result.json"
    if result_file.exists():
        return StackResult.from_json(result_file.read_text())
    crashed = StackResult(stack_name(stack_file), root)
    crashed.phases["cluster"] = PhaseResult("cluster", "FAILED", 0.0, f"the stack's process exited with "
                                            f"{child.returncode} and no result; its output is above")
    return crashed


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m e2e", description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", type=Path, metavar="FILE",
                        help="a Pulumi.<stack>.yaml beside the project's Pulumi.yaml and __main__.py (repeatable); "
                        "default: the on-prem example stacks of --project")
    parser.add_argument("--project", type=Path, default=PROJECT_DIR,
                        help="project whose example stacks run by default, e.g. an exported commit")
    parser.add_argument("--bin", type=Path, help="toolchain bin dir; default: what e2e/toolchain/build.sh prints")
    parser.add_argument("--workdir", type=Path, help="run directory; default: a new one under the temp dir")
    parser.add_argument("--workaround", action="append", choices=sorted(WORKAROUNDS), default=[],
                        help="bend the program past a known defect (repeatable); default: none, the program as it is")
    args = parser.parse_args()
    unwind_on_sigterm()
    stack_files = [
        path.resolve() for path in args.config or [args.project / f"Pulumi.{name}.yaml" for name in ON_PREM_STACKS]
    ]
    root = (args.workdir or Path(tempfile.mkdtemp(prefix="traffic-edge-e2e-"))).resolve()
    tools = toolchain(args.bin, root)
    print(f"[e2e] run dir {root}", flush=True)
    started = time.monotonic()
    results = [
        run_stack(stack_file, root / stack_name(stack_file), tools, args.workaround) for stack_file in stack_files
    ]
    print(report(results, time.monotonic() - started), flush=True)
    sys.exit(0 if all(result.passed for result in results) else 1)


if __name__ == "__main__":
    main()
