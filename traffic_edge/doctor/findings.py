"""Findings and how a person or a CI job reads them: a table grouped by gateway, or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning", "ok"]
ORDER: dict[Severity, int] = {"error": 0, "warning": 1, "ok": 2}
EDGE = "(edge)"  # the group of findings that belong to no one gateway


@dataclass(frozen=True)
class Finding:
    severity: Severity
    group: str  # `namespace/gateway`, or EDGE
    object: str  # `Kind namespace/name`
    problem: str  # what the cluster says, against what the stack declares
    fix: str = ""


def ok(group: str, obj: str, what: str) -> Finding:
    return Finding("ok", group, obj, what)


def exit_code(findings: Sequence[Finding], strict: bool) -> int:
    """2 on errors; 1 on warnings when asked (`--strict`); 0 when healthy."""
    if any(finding.severity == "error" for finding in findings):
        return 2
    if strict and any(finding.severity == "warning" for finding in findings):
        return 1
    return 0


def as_json(findings: Sequence[Finding]) -> str:
    return json.dumps([asdict(finding) for finding in _sorted(findings)], indent=2)


def _sorted(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.group != EDGE, f.group, ORDER[f.severity], f.object, f.problem))


def as_table(findings: Sequence[Finding], verbose: bool = False) -> str:
    """One block per gateway: errors, then warnings; `ok` lines only when verbose. Ends with a summary line."""
    lines: list[str] = []
    shown = [finding for finding in _sorted(findings) if verbose or finding.severity != "ok"]
    group = None
    for finding in shown:
        if finding.group != group:
            group = finding.group
            lines += ["", f"{'edge-wide' if group == EDGE else 'Gateway ' + group}"]
        lines.append(f"  {finding.severity.upper():7} {finding.object}: {finding.problem}")
        if finding.fix:
            lines.append(f"          fix: {finding.fix}")
    counts = {severity: sum(1 for f in findings if f.severity == severity) for severity in ORDER}
    verdict = "unhealthy" if counts["error"] else "healthy with warnings" if counts["warning"] else "healthy"
    lines += ["", f"{verdict}: {counts['error']} errors, {counts['warning']} warnings, {counts['ok']} checks passed"]
    return "\n".join(lines).lstrip("\n")
