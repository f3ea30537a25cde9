"""The e2e run's report: one table (row × phase: verdict and seconds), the figures, then every failure."""

from __future__ import annotations

from collections.abc import Sequence

from e2e.gaps import KNOWN_GAPS
from e2e.results import StackResult

SHOWN = {"passed": "ok", "FAILED": "FAILED", "skipped": "skip", "n/a": "-"}


def table(results: Sequence[StackResult], phases: Sequence[str]) -> str:
    used = [name for name in phases if any(name in result.phases for result in results)]
    rows = [["stack", *used, "total"]]
    for result in results:
        cells = [result.stack]
        for name in used:
            phase = result.phases.get(name)
            if phase is None or (phase.status in ("skipped", "n/a") and not phase.seconds):
                cells.append("" if phase is None else SHOWN[phase.status])
            else:
                cells.append(f"{SHOWN[phase.status]} {phase.seconds:.0f}s")
        cells.append(f"{sum(phase.seconds for phase in result.phases.values()):.0f}s")
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def figures(results: Sequence[StackResult]) -> list[str]:
    lines = []
    agree = total = 0
    gaps: set[str] = set()
    for result in results:
        counts = result.figures.get("differential")
        if counts:
            agree, total = agree + counts["agree"], total + counts["total"]
            gaps |= {line.split(":", 1)[0] for line in counts["gaps"]}
            lines.append(f"{result.stack}: differential {counts['agree']}/{counts['total']} agree")
        for finding in result.figures.get("doctor") or []:
            lines.append(f"{result.stack}: doctor found {finding}")
    if total:
        lines.append(f"differential, all stacks: {agree}/{total} agree; known gaps: "
                     + ("; ".join(f"{gap} ({KNOWN_GAPS[gap]})" for gap in sorted(gaps)) or "none"))
    return lines


def report(results: Sequence[StackResult], phases: Sequence[str], seconds: float) -> str:
    lines = ["", table(results, phases), "", f"total wall time: {seconds:.0f}s", *figures(results)]
    for result in results:
        rss = ", ".join(f"{name} {kib / 1024:.0f} MiB" for name, kib in sorted(result.peak_rss_kib.items()))
        lines.append(f"{result.stack}: run dir {result.root}" + (f"; control-plane peak RSS {rss}" if rss else ""))
        lines += [f"{result.stack} note: {note}" for note in result.notes if not note.startswith("admission ")]
    for result in results:
        for phase in result.phases.values():
            if phase.status == "FAILED":
                log = result.root / "logs" / f"{phase.name}.log"
                lines += ["", f"{result.stack} / {phase.name} FAILED (log: {log}):",
                          *(f"  {line}" for line in phase.detail.splitlines())]
    return "\n".join(lines)
