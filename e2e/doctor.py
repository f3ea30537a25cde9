"""Doctor on a deployed stack: the statuses controllers would write (no controller runs here) go through the real
API server, then `python -m traffic_edge doctor` must read the edge as healthy (exit 0), and, with faults injected,
report each one with its fix.

The stand-in charts render no workloads, so the controllers' Deployments and ServiceAccounts are created as their
charts would create them, from the releases' values. The faults are those an operator hunts by hand: a route
from a namespace the listener does not admit, a cross-namespace backend without its ReferenceGrant, a
Certificate expiring in 10 days, a Challenge stuck on DNS-01 propagation, CRDs of another channel, and (on a
stack that declares workload identities) a service account without its identity annotation.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from e2e import crds, statuses
from e2e.cluster import Cluster, Obj
from traffic_edge.config.queries import controller
from traffic_edge.doctor.expected import Expected, Release
from traffic_edge.doctor.findings import Finding, as_table
from traffic_edge.plan.objects import KubeObject
from traffic_edge.plan.preflight import CHANNEL_ANNOTATION

CERT_MANAGER, ACME, GW = "cert-manager.io/v1", "acme.cert-manager.io/v1", "gateway.networking.k8s.io/v1"


@dataclass(frozen=True)
class Fault:
    """One injected fault and how its finding reads: the object it names, and words its problem and fix hold."""

    name: str
    obj: str
    problem: str
    fix: str

    def found_in(self, findings: Iterable[Finding]) -> Finding | None:
        return next((f for f in findings if f.severity != "ok" and f.object.startswith(self.obj)
                     and self.problem in f.problem and self.fix in f.fix), None)


@dataclass
class Writer:
    """Writes objects and statuses as controllers and charts would, through the admin's client."""

    cluster: Cluster
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def status(self, api_version: str, kind: str, name: str, namespace: str | None, status: Obj) -> None:
        resource = self.cluster.dynamic.resources.get(api_version=api_version, kind=kind)
        live = resource.get(name=name, namespace=namespace).to_dict()
        live["status"] = status
        resource.subresources["status"].replace(body=live, name=name, namespace=namespace)

    def create(self, obj: Obj) -> Obj:
        resource = self.cluster.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        created: Obj = resource.create(body=obj, namespace=obj["metadata"].get("namespace")).to_dict()
        return created

    def patch(self, api_version: str, kind: str, name: str, namespace: str | None, merge: Obj) -> None:
        """A JSON merge patch (a key set to None is removed), as `kubectl patch --type merge`."""
        resource = self.cluster.dynamic.resources.get(api_version=api_version, kind=kind)
        resource.patch(body=merge, name=name, namespace=namespace, content_type="application/merge-patch+json")

    def object_status(self, obj: KubeObject, status: Obj) -> None:
        self.status(obj.api_version, obj.kind, obj.name, obj.namespace, status)


def deployment(release: Release) -> Obj:
    """The controller's Deployment as its chart renders it, reduced to what doctor reads (pod labels)."""
    labels = {"app.kubernetes.io/name": release.name, **dict(release.values.get("podLabels") or {})}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": release.name, "namespace": release.namespace},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": release.name}},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "controller", "image": "stand-in.invalid/c:1"}]}}}}


def service_account(release: Release) -> Obj | None:
    account = release.values.get("serviceAccount") or {}
    if not isinstance(account, dict) or not account.get("name"):
        return None
    annotations = {key: "stand-in" if value in ("[unknown]", "[secret]") else value
                   for key, value in dict(account.get("annotations") or {}).items()}
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": account["name"], "namespace": release.namespace, "annotations": annotations}}


def write_workloads(writer: Writer, releases: Iterable[Release]) -> None:
    for release in releases:
        writer.create(deployment(release))
        writer.status("apps/v1", "Deployment", release.name, release.namespace, statuses.deployment_status())
        account = service_account(release)
        if account is not None and writer.cluster.get("v1", "ServiceAccount", release.name, release.namespace) is None:
            writer.create(account)


def routes(expected: Expected) -> list[KubeObject]:
    found = [*expected.plan.routes.routes.values()]
    return found + [redirect for gateway in expected.plan.gateways for redirect in gateway.redirects.values()]


def certificates(expected: Expected) -> list[KubeObject]:
    return [cert for gateway in expected.plan.gateways for cert in gateway.certificates.values()]


def write_healthy(writer: Writer, expected: Expected) -> None:
    """Every status a working controller and cert-manager write, for every object the stack declares."""
    row = controller(expected.config)
    for name in sorted({str(g.gateway.spec["gatewayClassName"]) for g in expected.plan.gateways}):
        if writer.cluster.get(GW, "GatewayClass", name) is None:  # a chart's own class; the stand-in makes none
            known = row.class_named(name)
            writer.create({"apiVersion": GW, "kind": "GatewayClass", "metadata": {"name": name},
                           "spec": {"controllerName": known.controller_name if known else "e2e.invalid/stand-in"}})
        writer.status(GW, "GatewayClass", name, None, statuses.gateway_class_status())
    for gateway in expected.plan.gateways:
        writer.object_status(gateway.gateway, statuses.gateway_status(expected, gateway.namespace, gateway.name))
    for route in routes(expected):
        writer.object_status(route, statuses.route_status(route.manifest()))
    for certificate in certificates(expected):
        writer.object_status(certificate, statuses.certificate_status(60, writer.now))
    for issuers in expected.plan.issuers:
        for name in issuers.names:
            namespace = issuers.namespace if issuers.kind == "Issuer" else None
            writer.status(CERT_MANAGER, issuers.kind, name, namespace, statuses.ready_status())
    write_workloads(writer, expected.releases)


def stuck_challenge(writer: Writer, certificate: KubeObject) -> None:
    """Issuing, with the chain cert-manager builds (CertificateRequest → Order → Challenge), stuck on DNS-01."""
    namespace, name = certificate.namespace, certificate.name
    issuer = dict(certificate.spec["issuerRef"])
    writer.object_status(certificate, {"conditions": [statuses.cond("Ready", False, "InProgress",
                                                                    "Issuing certificate as Secret does not exist")]})
    request = writer.create({"apiVersion": CERT_MANAGER, "kind": "CertificateRequest",
                             "metadata": {"name": f"{name}-1", "namespace": namespace,
                                          "annotations": {"cert-manager.io/certificate-name": name}},
                             "spec": {"issuerRef": issuer, "request": "LS0tLS1CRUdJTi0tLS0t"}})
    writer.status(CERT_MANAGER, "CertificateRequest", f"{name}-1", namespace, {"conditions": [
        statuses.cond("Ready", False, "Pending",
                      f"Waiting on certificate issuance from order {namespace}/{name}-1-1")]})
    order = writer.create({"apiVersion": ACME, "kind": "Order",
                           "metadata": {"name": f"{name}-1-1", "namespace": namespace,
                                        "ownerReferences": [_owner(request)]},
                           "spec": {"issuerRef": issuer, "request": "LS0tLS1CRUdJTi0tLS0t",
                                    "dnsNames": list(certificate.spec.get("dnsNames") or [])}})
    writer.status(ACME, "Order", f"{name}-1-1", namespace, {"state": "pending"})
    dns_name = str((certificate.spec.get("dnsNames") or ["edge.example"])[0]).removeprefix("*.")
    writer.create({"apiVersion": ACME, "kind": "Challenge",
                   "metadata": {"name": f"{name}-1-1-0", "namespace": namespace, "ownerReferences": [_owner(order)]},
                   "spec": {"type": "DNS-01", "dnsName": dns_name, "token": "t", "key": "k",
                            "url": "https://acme.invalid/chall/1", "authorizationURL": "https://acme.invalid/authz/1",
                            "issuerRef": issuer, "solver": {"dns01": {"webhook": {"groupName": "e2e.invalid",
                                                                                 "solverName": "stand-in"}}}}})
    writer.status(ACME, "Challenge", f"{name}-1-1-0", namespace, {
        "state": "pending", "processing": True, "presented": True,
        "reason": f'Waiting for DNS-01 challenge propagation: DNS record for "{dns_name}" not yet propagated'})


def _owner(obj: Obj) -> Obj:
    meta = obj["metadata"]
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}


def other_channel(writer: Writer) -> None:
    """CRDs of the experimental channel over the standard ones, as an admin installs them."""
    crds.annotate(writer.cluster, writer.cluster.gateway_api_crds(), {CHANNEL_ANNOTATION: "experimental"})


def inject(writer: Writer, expected: Expected) -> list[Fault]:
    """Every fault this stack has the objects for; returns how each must be reported."""
    faults: list[Fault] = []
    declared = sorted(expected.plan.routes.routes.values(), key=lambda r: (r.namespace, r.name))
    grants = sorted(expected.plan.routes.grants.values(), key=lambda g: (g.namespace, g.name))
    crossing = next(((route, grant) for grant in grants for route in declared
                     if any(ref.get("namespace") == grant.namespace for rule in route.spec.get("rules") or []
                            for ref in rule.get("backendRefs") or [])), None)
    if crossing is not None:
        route, grant = crossing
        writer.cluster.dynamic.resources.get(api_version=grant.api_version, kind=grant.kind).delete(
            name=grant.name, namespace=grant.namespace)
        writer.object_status(route, statuses.route_status(route.manifest(), resolved=statuses.cond(
            "ResolvedRefs", False, "RefNotPermitted", f"backendRef is not permitted in {grant.namespace}")))
        faults.append(Fault("cross-namespace backend without its ReferenceGrant", f"{route.kind} {route.namespace}/"
                            f"{route.name}", "RefNotPermitted", "ReferenceGrant"))
    other = next((r for r in declared if crossing is None or r is not crossing[0]), None)
    if other is not None:
        writer.object_status(other, statuses.route_status(other.manifest(), accepted=statuses.cond(
            "Accepted", False, "NotAllowedByListeners", "No listeners included by this parent ref allowed it")))
        faults.append(Fault("route from a namespace the listener does not admit",
                            f"{other.kind} {other.namespace}/{other.name}", "NotAllowedByListeners", "namespace"))
    certs = certificates(expected)
    if certs:
        writer.object_status(certs[0], statuses.certificate_status(10, writer.now))
        faults.append(Fault("Certificate expiring in 10 days", f"Certificate {certs[0].namespace}/{certs[0].name}",
                            "expires in 10 days", "renew"))
    acme = {issuer.name for issuers in expected.plan.issuers for issuer in issuers.acme}
    pending = next((cert for cert in certs[1:] if cert.spec["issuerRef"]["name"] in acme), None)
    if pending is not None:  # another certificate than the expiring one, from an ACME issuer
        stuck_challenge(writer, pending)
        faults.append(Fault("Challenge stuck on DNS-01 propagation", f"Certificate {pending.namespace}/"
                            f"{pending.name}", "DNS-01 challenge propagation", "_acme-challenge"))
    other_channel(writer)
    faults.append(Fault("CRDs of another channel", "Gateway API CRDs", "experimental", "gatewayApiChannel"))
    account = next((account for release in expected.releases if (account := service_account(release)) is not None
                    and account["metadata"]["annotations"]), None)
    if account is not None:  # a stack with workload identities: the annotation a chart upgrade or an admin dropped
        meta = account["metadata"]
        writer.patch("v1", "ServiceAccount", meta["name"], meta["namespace"],
                     {"metadata": {"annotations": dict.fromkeys(meta["annotations"])}})
        faults.append(Fault("service account without its identity annotation",
                            f"ServiceAccount {meta['namespace']}/{meta['name']}", "lacks the identity annotation",
                            "cloud identity"))
    return faults


def run_doctor(stack_file: Path, kubeconfig: Path, project_dir: Path, env: Mapping[str, str]
               ) -> tuple[int, list[Finding], str]:
    """`python -m traffic_edge doctor --format json` as a user runs it: (exit code, findings, raw output)."""
    command = [sys.executable, "-m", "traffic_edge", "doctor", "--config", str(stack_file),
               "--kubeconfig", str(kubeconfig), "--format", "json", "--skip", "dns"]
    completed = subprocess.run(command, cwd=project_dir, env=dict(env), capture_output=True, text=True, check=False,
                               timeout=300)
    try:
        findings = [Finding(**item) for item in json.loads(completed.stdout)]
    except (json.JSONDecodeError, TypeError):
        findings = []
    return completed.returncode, findings, completed.stdout + completed.stderr


def check(run: Callable[[], tuple[int, list[Finding], str]], writer: Writer, expected: Expected, out: Path
          ) -> tuple[list[str], list[str]]:
    """(what was found for each fault, failures): healthy must exit 0 with no error, faulty must name each fault."""
    write_healthy(writer, expected)
    code, findings, raw = run()
    (out / "doctor-healthy.json").write_text(raw)
    failures = [f"healthy: exit {code}, not 0" + (f": {raw[-600:]}" if not findings else "")] if code else []
    failures += [f"healthy: {f.severity} {f.object}: {f.problem}" for f in findings if f.severity == "error"]
    faults = inject(writer, expected)
    code, findings, raw = run()
    (out / "doctor-faulty.json").write_text(raw)
    (out / "doctor.txt").write_text(as_table(findings) + "\n")
    if code != 2:
        failures.append(f"faulty: exit {code}, not 2")
    reports = []
    for fault in faults:
        finding = fault.found_in(findings)
        if finding is None:
            failures.append(f"faulty: {fault.name} ({fault.obj}) not reported with its fix")
        else:
            reports.append(f"{fault.name}: {finding.severity} {finding.object}: {finding.problem} — fix: {finding.fix}")
    return reports, failures


def expected_of(config: Any, plan: Any, stack: str, registrations: Iterable[Mapping[str, Any]]) -> Expected:
    """What doctor expects, built from the plan and the Helm releases of an offline preview's plan.json."""
    releases = [Release(str(r["inputs"].get("name")), str(r["inputs"].get("namespace")),
                        r["inputs"].get("values") if isinstance(r["inputs"].get("values"), dict) else {})
                for r in registrations if r["type"] == "kubernetes:helm.sh/v3:Release"]
    return Expected(config, plan, stack, releases)
