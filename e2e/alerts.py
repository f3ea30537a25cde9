"""The certificate expiry rule judged by Prometheus itself: `promtool check rules` on every example stack's rule, and
`promtool test rules` on series shaped like cert-manager's, where each case must raise exactly its alert.

cert-manager's series carry the Certificate's name and namespace and its issuer (cert-manager @ v1.21.1 :
internal/collectors/certificate_collector.go); the expiry is 0 until the first issuance.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from traffic_edge.config.load import parse_engine_config
from traffic_edge.offline.stackfile import read_project, read_stack_config
from traffic_edge.plan import Deployment, edge_plan
from traffic_edge.plan.alerts import EXPIRY, READY, AlertSettings, expiry_rule
from traffic_edge.plan.objects import KubeObject

DAY = 86400
EVAL_MINUTES = 20  # past the not-Ready alert's `for: 15m`
ISSUER = {"issuer_name": "letsencrypt-production", "issuer_kind": "ClusterIssuer", "issuer_group": "cert-manager.io"}


@dataclass(frozen=True)
class Case:
    namespace: str
    name: str
    days_left: float | None  # None: never issued (cert-manager reports 0)
    ready: bool
    alerts: tuple[str, ...]  # what must fire for it, nothing else
    summary: str = ""  # the summary it must carry, as Prometheus renders its template


# The stack's certificates are the first four; the last is another team's, which the rule must leave alone.
CASES = (
    Case("gateway", "edge-soon", 10, True, ("CertificateExpiresSoon",),
         "expires within 20 days and has not been renewed (in 10d 0h 0m 0s)"),
    Case("gateway", "edge-last-days", 2, True, ("CertificateExpiresVerySoon",),
         "expires within 3 days (in 2d 0h 0m 0s)"),
    Case("certs", "edge-fresh", 60, True, ()),
    Case("certs", "edge-new", None, False, ("CertificateNotReady",), "cert-manager reports the certificate not Ready"),
)
FOREIGN = Case("other-team", "edge-soon", 1, False, ())


def stack_rule(stack_file: Path, project_dir: Path) -> KubeObject | None:
    """The rule the stack renders (None where its alerts are off), read as the CLI reads the stack file."""
    project = read_project(project_dir)
    read = read_stack_config(stack_file, project)
    config = parse_engine_config(project.name, read.values, read.secret_keys)
    stack = stack_file.name.split(".", 1)[1].rsplit(".", 1)[0]
    return edge_plan(config, Deployment(project.name, stack)).certificate_alerts


def _series(case: Case) -> list[dict[str, str]]:
    labels = {"name": case.name, "namespace": case.namespace, **ISSUER}
    expiry = 0 if case.days_left is None else EVAL_MINUTES * 60 + int(case.days_left * DAY)
    found = [{"series": _selector(EXPIRY, labels), "values": f"{expiry}+0x{EVAL_MINUTES}"}]
    for condition in ("True", "False"):
        value = int((condition == "True") == case.ready)
        found.append({"series": _selector(READY, {**labels, "condition": condition}),
                      "values": f"{value}+0x{EVAL_MINUTES}"})
    return found


def _selector(metric: str, labels: dict[str, str]) -> str:
    return metric + "{" + ",".join(f'{key}="{value}"' for key, value in sorted(labels.items())) + "}"


def unit_test(rule_file: str, cases: Iterable[Case], foreign: Case) -> dict[str, Any]:
    """A promtool test file: every case's series, and per alert exactly the certificates that must raise it."""
    names = ("CertificateExpiresSoon", "CertificateExpiresVerySoon", "CertificateNotReady")
    everything = [*cases, foreign]
    severity = {"CertificateExpiresSoon": "warning", "CertificateExpiresVerySoon": "critical",
                "CertificateNotReady": "warning"}
    checks = []
    for alert in names:
        expected = []
        for case in everything:
            if alert in case.alerts:
                labels = {"name": case.name, "namespace": case.namespace, **ISSUER, "severity": severity[alert]}
                if alert == "CertificateNotReady":
                    labels["condition"] = "False"
                description = (f"Certificate {case.namespace}/{case.name}: run the doctor "
                               "(python -m traffic_edge doctor) for the stuck step and its fix.")
                expected.append({"exp_labels": labels,
                                 "exp_annotations": {"summary": case.summary, "description": description}})
        checks.append({"eval_time": f"{EVAL_MINUTES}m", "alertname": alert, "exp_alerts": expected})
    return {
        "rule_files": [rule_file],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m",
                   "input_series": [series for case in everything for series in _series(case)],
                   "alert_rule_test": checks}],
    }


def _promtool(promtool: Path, *args: str, cwd: Path) -> str | None:
    """None when promtool agrees, else its output."""
    completed = subprocess.run([str(promtool), *args], cwd=cwd, capture_output=True, text=True, check=False)
    return None if completed.returncode == 0 else (completed.stdout + completed.stderr).strip()


def judge(promtool: Path, stack_files: Iterable[Path], project_dir: Path, workdir: Path) -> list[str]:
    """Every failure: a stack's rule promtool refuses, or a case that raised other alerts than it must."""
    workdir.mkdir(parents=True, exist_ok=True)
    failures = []
    for stack_file in stack_files:
        rule = stack_rule(stack_file, project_dir)
        if rule is None:
            continue
        path = workdir / f"{stack_file.stem}.rules.yaml"
        path.write_text(yaml.safe_dump(dict(rule.spec)))
        refused = _promtool(promtool, "check", "rules", path.name, cwd=workdir)
        if refused:
            failures.append(f"{stack_file.name}: promtool check rules: {refused}")
    certificates = [(case.namespace, case.name) for case in CASES]
    rule = expiry_rule(AlertSettings(20, 3, {}), certificates)
    (workdir / "cases.rules.yaml").write_text(yaml.safe_dump(dict(rule.spec)))
    (workdir / "cases.test.yaml").write_text(yaml.safe_dump(unit_test("cases.rules.yaml", CASES, FOREIGN)))
    refused = _promtool(promtool, "test", "rules", "cases.test.yaml", cwd=workdir)
    if refused:
        failures.append(f"promtool test rules: {refused}")
    return failures
