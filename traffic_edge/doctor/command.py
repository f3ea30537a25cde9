"""The doctor command: render what the stack declares, read the cluster through its connection, report findings."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from traffic_edge.config import ConfigError
from traffic_edge.doctor import certificates, dns, drift, gateways, workloads
from traffic_edge.doctor.expected import Expected, read_expected
from traffic_edge.doctor.findings import Finding, as_json, as_table, exit_code
from traffic_edge.doctor.live import Cluster, ClusterError
from traffic_edge.offline.stackfile import StackFileError
from traffic_edge.plan.sources import ClusterConnection
from traffic_edge.project import PROJECT_DIR

Check = Callable[[Expected, Cluster, argparse.Namespace], Iterator[Finding]]
CHECKS: dict[str, Check] = {
    "crds": lambda expected, cluster, _: workloads.check_crds(expected, cluster),
    "classes": lambda expected, cluster, _: gateways.check_classes(expected, cluster),
    "gateways": lambda expected, cluster, _: gateways.check_gateways(expected, cluster),
    "routes": lambda expected, cluster, _: gateways.check_routes(expected, cluster),
    "issuers": lambda expected, cluster, _: certificates.check_issuers(expected, cluster),
    "certificates": lambda expected, cluster, args: certificates.check_certificates(
        expected, cluster, certificates.ExpiryWindow.of(expected, args.expiry_window),
        args.now or certificates.now_utc()
    ),
    "workloads": lambda expected, cluster, _: workloads.check_releases(expected, cluster),
    "dns": lambda expected, cluster, args: dns.check_dns(expected, cluster, dns.resolver_lookup(args.resolver)),
    "drift": lambda expected, cluster, _: drift.check_drift(expected, cluster),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Check a deployed edge against what its stack declares; each finding says how to fix it."
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="the stack of Pulumi.<STACK>.yaml in the project directory")
    source.add_argument("--config", help="a stack file")
    parser.add_argument("--kubeconfig", help="connect with this kubeconfig instead of the stack's cluster setting")
    parser.add_argument("--context", help="with --kubeconfig (or the ambient one): this context")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--strict", action="store_true", help="exit 1 on warnings (errors always exit 2)")
    parser.add_argument("--verbose", action="store_true", help="also list the checks that passed")
    parser.add_argument("--expiry-window", type=float, default=None, metavar="DAYS",
                        help="warn of certificates expiring within DAYS (default: certManager.expiryAlerts."
                        "warningDays, 20; an error within its criticalDays, 3)")
    parser.add_argument("--resolver", help="the DNS server to ask (default: the system's resolvers)")
    parser.add_argument("--skip", action="append", default=[], choices=sorted(CHECKS),
                        help="leave out a check (repeatable), e.g. dns where the names are not public yet")
    parser.set_defaults(now=None)  # the clock certificate expiry is judged by; tests set it


def _connection(expected: Expected, args: argparse.Namespace) -> tuple[ClusterConnection, str | None]:
    """The stack's own connection, or the one the flags name; a cluster stack's kubeconfig through the CLI."""
    if args.kubeconfig or args.context:
        return ClusterConnection("kubeconfig", args.kubeconfig, args.context), None
    connection = expected.plan.cluster
    if connection.via != "stack":
        return connection, None
    command = ["pulumi", "stack", "output", "kubeconfig", "--show-secrets", "--stack", str(connection.stack)]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ClusterError(f"cannot read the kubeconfig output of {connection.stack}: {error}; "
                           "pass --kubeconfig") from None
    if completed.returncode != 0:
        raise ClusterError(f"`{' '.join(command)}` failed: {completed.stderr.strip()}; pass --kubeconfig")
    return connection, completed.stdout


def diagnose(expected: Expected, cluster: Cluster, args: argparse.Namespace) -> list[Finding]:
    findings: list[Finding] = []
    for name, check in CHECKS.items():
        if name in args.skip:
            continue
        try:
            findings += list(check(expected, cluster, args))
        except (ApiException, HTTPError, OSError) as error:
            findings.append(Finding("error", "(edge)", f"check {name}", f"could not read the cluster: {error}",
                                    "check the connection and the credentials' RBAC (read access is enough)"))
    return findings


def run(args: argparse.Namespace) -> int:
    """0: healthy; 1: warnings, with --strict; 2: errors, or the stack or cluster cannot be read."""
    stack_file = Path(args.config) if args.config else PROJECT_DIR / f"Pulumi.{args.stack}.yaml"
    try:
        expected = read_expected(stack_file.resolve())
        connection, kubeconfig_text = _connection(expected, args)
        cluster = Cluster.connect(connection, kubeconfig_text)
    except (StackFileError, ConfigError, ClusterError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    findings = diagnose(expected, cluster, args)
    if args.skip:
        findings.append(Finding("warning", "(edge)", "doctor", f"not checked: {', '.join(sorted(args.skip))}"))
    print(as_json(findings) if args.format == "json" else as_table(findings, args.verbose))
    return exit_code(findings, args.strict)


def options(**overrides: object) -> argparse.Namespace:
    """The command's defaults, for callers that run `diagnose` themselves (tests, other tools)."""
    defaults = argparse.Namespace(expiry_window=None, resolver=None, skip=[], now=None, strict=False, verbose=False)
    return argparse.Namespace(**{**vars(defaults), **overrides})

