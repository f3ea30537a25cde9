"""`python -m e2e [--config Pulumi.<stack>.yaml ...]`: the on-prem example stacks through the real engine.

Prints one table (stack × phase: verdict and seconds), the failures with their engine errors and log paths,
and exits 1 if any phase failed. Run directories (engine output per phase, control-plane logs) are kept.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from e2e.charts import PROJECT_DIR, build_stub_charts
from e2e.lifecycle import PHASES, Lifecycle, StackResult, Toolchain
from e2e.program import WORKAROUNDS, LocalSources, Workarounds

ON_PREM_STACKS = ("dev", "functions", "multitenant", "cilium")
BINARIES = ("pulumi", "pulumi-resource-kubernetes", "kube-apiserver", "kube-controller-manager", "etcd")


def toolchain(bin_dir: Path | None) -> Toolchain:
    """The given bin dir, else build.sh's (a cache hit in seconds once built)."""
    if bin_dir is None:
        build = PROJECT_DIR / "e2e" / "toolchain" / "build.sh"
        completed = subprocess.run(["bash", str(build)], stdout=subprocess.PIPE, text=True, check=False)
        if completed.returncode != 0:
            sys.exit(f"e2e: {build} failed (exit {completed.returncode})")
        bin_dir = Path(completed.stdout.strip().splitlines()[-1])
    missing = [name for name in BINARIES if not (bin_dir / name).exists()]
    if missing:
        sys.exit(f"e2e: {bin_dir} lacks {', '.join(missing)}")
    return Toolchain(bin_dir.resolve())


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
                lines += ["", f"{result.stack} / {phase.name} FAILED (log: {result.root / 'logs' / phase.name}.log):",
                          *(f"  {line}" for line in phase.detail.splitlines())]
        lines += [f"{result.stack} note: {note}" for note in result.notes]
    return "\n".join(lines)


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM unwinds like Ctrl-C, so every control-plane process is stopped on the way out."""
    raise SystemExit(128 + signum)


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
    signal.signal(signal.SIGTERM, _terminate)
    stack_files = [
        path.resolve() for path in args.config or [args.project / f"Pulumi.{name}.yaml" for name in ON_PREM_STACKS]
    ]
    tools = toolchain(args.bin)
    root = (args.workdir or Path(tempfile.mkdtemp(prefix="traffic-edge-e2e-"))).resolve()
    charts = build_stub_charts(root / "sources" / "charts")
    print(f"[e2e] run dir {root}", flush=True)
    started = time.monotonic()
    results = []
    for stack_file in stack_files:
        sources = LocalSources(charts, root / "sources" / "bundles")
        workarounds = Workarounds(args.workaround)
        lifecycle = Lifecycle(stack_file, tools, root / stack_file.stem.split(".", 1)[1], sources, workarounds)
        results.append(lifecycle.run())
    print(report(results, time.monotonic() - started), flush=True)
    sys.exit(0 if all(result.passed for result in results) else 1)


if __name__ == "__main__":
    main()
