"""doctor finds each fault an operator hunts by hand, and says how to fix it; a healthy edge reads as healthy.

The cluster here is a dict of objects with the statuses controllers would write (e2e/statuses.py); the e2e tier
runs the same cases against a real API server.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from e2e import statuses
from traffic_edge.conformance import REFDATA, require_refdata
from traffic_edge.doctor import dns
from traffic_edge.doctor.command import diagnose, options
from traffic_edge.doctor.expected import Expected, read_expected
from traffic_edge.doctor.findings import Finding, as_json, as_table, exit_code
from traffic_edge.offline.render import PROJECT_DIR

NOW = datetime(2026, 12, 1, tzinfo=UTC)
Obj = dict[str, Any]


class FakeCluster:
    """What doctor reads, held in a dict: (apiVersion, kind, namespace, name) → object."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str | None, str], Obj] = {}

    def put(self, obj: Obj) -> Obj:
        meta = obj["metadata"]
        self.objects[(obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"])] = obj
        return obj

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        return self.objects.get((api_version, kind, namespace, name))

    def list(self, api_version: str, kind: str, namespace: str | None = None, **_: str) -> list[Obj]:
        return [obj for (version, k, ns, _name), obj in self.objects.items()
                if version == api_version and k == kind and namespace in (None, ns)]

    def version(self) -> tuple[int, int]:
        return (1, 37)


def _crds(channel: str, version: str = "v1.6.1") -> Iterator[Obj]:
    for path in sorted((REFDATA / "gateway-api" / version / channel).glob("gateway.networking.k8s.io_*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document and document.get("kind") == "CustomResourceDefinition":
                yield document


def healthy(expected: Expected) -> FakeCluster:
    """Every declared object present, with the statuses of a working controller and cert-manager."""
    cluster = FakeCluster()
    for crd in _crds(expected.config.versions.gateway_api_channel):
        cluster.put(crd)
    for obj in expected.objects():
        live = cluster.put(copy.deepcopy(obj.manifest()))
        if obj.kind in ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"):
            live["status"] = statuses.route_status(live)
        elif obj.kind == "Certificate":
            live["status"] = statuses.certificate_status(60, NOW)
    for gateway in expected.plan.gateways:
        cluster.get(gateway.gateway.api_version, "Gateway", gateway.name, gateway.namespace)["status"] = (  # type: ignore[index]
            statuses.gateway_status(expected, gateway.namespace, gateway.name)
        )
        name = str(gateway.gateway.spec["gatewayClassName"])
        cluster.put({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                     "metadata": {"name": name}, "status": statuses.gateway_class_status()})
    for issuers in expected.plan.issuers:
        for name in issuers.names:
            namespace = issuers.namespace if issuers.kind == "Issuer" else None
            cluster.put({"apiVersion": "cert-manager.io/v1", "kind": issuers.kind,
                         "metadata": {"name": name, **({"namespace": namespace} if namespace else {})},
                         "status": statuses.ready_status()})
    for release in expected.releases:
        account = release.values.get("serviceAccount") or {}
        labels = dict(release.values.get("podLabels") or {})
        cluster.put({"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": release.name, "namespace": release.namespace},
                     "spec": {"template": {"metadata": {"labels": labels}}},
                     "status": statuses.deployment_status()})
        if account.get("name"):
            cluster.put({"apiVersion": "v1", "kind": "ServiceAccount",
                         "metadata": {"name": account["name"], "namespace": release.namespace,
                                      "annotations": dict(account.get("annotations") or {})}})
    return cluster


@pytest.fixture(scope="module")
def dev() -> Expected:
    require_refdata()
    return read_expected(PROJECT_DIR / "Pulumi.dev.yaml")


def findings_of(expected: Expected, cluster: FakeCluster) -> list[Finding]:
    return diagnose(expected, cluster, options(now=NOW, skip=["dns"]))  # type: ignore[arg-type]


def errors(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity != "ok"]


def test_a_healthy_edge_reads_as_healthy(dev: Expected) -> None:
    findings = findings_of(dev, healthy(dev))
    assert errors(findings) == []
    assert exit_code(findings, strict=True) == 0
    assert "healthy: 0 errors, 0 warnings" in as_table(findings)


def _route(cluster: FakeCluster, namespace: str, name: str) -> Obj:
    return next(obj for (_version, kind, ns, n), obj in cluster.objects.items()
                if ns == namespace and n == name and kind.endswith("Route"))


def test_a_route_from_a_namespace_the_listener_does_not_admit(dev: Expected) -> None:
    cluster = healthy(dev)
    route = _route(cluster, "apps", "web")
    route["status"] = statuses.route_status(route, accepted=statuses.cond(
        "Accepted", False, "NotAllowedByListeners", "No listeners included by this parent ref allowed this attachment"))
    found = errors(findings_of(dev, cluster))
    route_finding = next(f for f in found if f.object == "HTTPRoute apps/web")
    assert "NotAllowedByListeners" in route_finding.problem
    assert "namespaces.<namespace>.gateways" in route_finding.fix
    assert exit_code(found, strict=False) == 2


def test_a_cross_namespace_backend_without_its_reference_grant(dev: Expected) -> None:
    cluster = healthy(dev)
    route = _route(cluster, "apps", "api")
    route["status"] = statuses.route_status(route, resolved=statuses.cond(
        "ResolvedRefs", False, "RefNotPermitted", "backendRef governance/governance is not permitted"))
    grant = next(key for key in cluster.objects if key[1] == "ReferenceGrant")
    del cluster.objects[grant]
    found = errors(findings_of(dev, cluster))
    assert any("RefNotPermitted" in f.problem and "ReferenceGrant" in f.fix for f in found)
    assert any(f.object.startswith("ReferenceGrant governance/") and "missing" in f.problem for f in found)


def test_a_certificate_expiring_in_ten_days_is_a_warning_and_in_two_an_error(dev: Expected) -> None:
    cluster = healthy(dev)
    certificate = next(obj for key, obj in cluster.objects.items() if key[1] == "Certificate")
    certificate["status"] = statuses.certificate_status(10, NOW)
    warning = next(f for f in findings_of(dev, cluster) if f.object.startswith("Certificate"))
    assert warning.severity == "warning"
    assert "expires in 10 days" in warning.problem
    certificate["status"] = statuses.certificate_status(2, NOW)
    assert next(f for f in findings_of(dev, cluster) if f.object.startswith("Certificate")).severity == "error"


@pytest.mark.parametrize(("stack", "where"), [
    ("dev", "the zone's authoritative servers"),  # on-prem, no RFC 2136: the user's own DNS-01 solver
    ("functions", "ns1.example.net:53 (dns.rfc2136.nameserver)"),  # on-prem: the server the updates go to
    ("gke", "the dnsZone output's name servers"),  # a cloud zone the stack creates
])
def test_a_challenge_stuck_on_dns01_propagation_is_named_with_its_fix(stack: str, where: str) -> None:
    require_refdata()
    expected = read_expected(PROJECT_DIR / f"Pulumi.{stack}.yaml")
    cluster = healthy(expected)
    certificate = next(obj for key, obj in cluster.objects.items() if key[1] == "Certificate")
    namespace, name = certificate["metadata"]["namespace"], certificate["metadata"]["name"]
    certificate["status"] = {"conditions": [statuses.cond("Ready", False, "InProgress", "Issuing certificate")]}
    request = cluster.put({"apiVersion": "cert-manager.io/v1", "kind": "CertificateRequest",
                           "metadata": {"name": f"{name}-1", "namespace": namespace, "uid": "cr-1",
                                        "annotations": {"cert-manager.io/certificate-name": name},
                                        "creationTimestamp": "2026-12-01T00:00:00Z"},
                           "status": {"conditions": [statuses.cond("Ready", False, "Pending", "Waiting on order")]}})
    order = cluster.put({"apiVersion": "acme.cert-manager.io/v1", "kind": "Order",
                         "metadata": {"name": f"{name}-1-1", "namespace": namespace, "uid": "order-1",
                                      "ownerReferences": [{"uid": request["metadata"]["uid"]}]},
                         "status": {"state": "pending"}})
    cluster.put({"apiVersion": "acme.cert-manager.io/v1", "kind": "Challenge",
                 "metadata": {"name": f"{name}-1-1-0", "namespace": namespace,
                              "ownerReferences": [{"uid": order["metadata"]["uid"]}]},
                 "spec": {"type": "DNS-01", "dnsName": "www.example.test"},
                 "status": {"state": "pending", "reason": "Waiting for DNS-01 challenge propagation: DNS record "
                            "for \"www.example.test\" not yet propagated"}})
    finding = next(f for f in errors(findings_of(expected, cluster))
                   if f.object == f"Certificate {namespace}/{name}")
    assert "Challenge" in finding.problem
    assert "DNS-01 challenge propagation" in finding.problem
    assert "_acme-challenge" in finding.fix
    assert where in finding.fix


def test_a_service_account_without_its_identity_annotation() -> None:
    eks = read_expected(PROJECT_DIR / "Pulumi.eks.yaml")
    cluster = healthy(eks)
    account = next(obj for key, obj in cluster.objects.items()
                   if key[1] == "ServiceAccount" and key[2] == "external-dns")
    account["metadata"]["annotations"] = {}
    finding = next(f for f in errors(findings_of(eks, cluster)) if f.object.startswith("ServiceAccount external-dns"))
    assert "eks.amazonaws.com/role-arn" in finding.problem
    assert "cloud identity" in finding.fix


def test_crds_of_another_channel_are_an_error_with_the_steps(dev: Expected) -> None:
    cluster = healthy(dev)
    for key in [key for key in cluster.objects if key[1] == "CustomResourceDefinition"]:
        del cluster.objects[key]
    for crd in _crds("experimental"):
        cluster.put(crd)
    finding = next(f for f in errors(findings_of(dev, cluster)) if f.object == "Gateway API CRDs")
    assert "experimental channel" in finding.problem
    assert "protected" in finding.fix


def test_listener_attachments_below_the_declared_count_are_an_error(dev: Expected) -> None:
    cluster = healthy(dev)
    gateway = next(obj for key, obj in cluster.objects.items() if key[1] == "Gateway")
    gateway["status"]["listeners"][1]["attachedRoutes"] = 0
    finding = next(f for f in errors(findings_of(dev, cluster)) if f.object.startswith("listener"))
    assert "0 routes attached, the stack attaches" in finding.problem


def test_drift_in_a_declared_field_is_a_warning(dev: Expected) -> None:
    cluster = healthy(dev)
    route = _route(cluster, "apps", "web")
    route["spec"]["hostnames"] = ["elsewhere.example.test"]
    finding = next(f for f in errors(findings_of(dev, cluster)) if f.object == "HTTPRoute apps/web")
    assert finding.severity == "warning"
    assert "spec.hostnames[0]" in finding.problem


def test_dns_names_resolve_to_the_gateway_and_carry_the_owner() -> None:
    functions = read_expected(PROJECT_DIR / "Pulumi.functions.yaml")
    cluster = healthy(functions)
    settings = functions.plan.external_dns
    assert settings is not None
    names = dns.published(functions)
    records = {}
    for hostname, _group in names:
        records[(hostname, "A")] = ["203.0.113.10"]
        records[(dns.txt_name(settings.txt_prefix, "A", hostname), "TXT")] = [
            f"heritage=external-dns,external-dns/owner={settings.txt_owner_id},external-dns/resource=httproute/x"]

    def lookup(name: str, record_type: str) -> list[str] | None:
        return records.get((name, record_type))

    assert errors(list(dns.check_dns(functions, cluster, lookup))) == []  # type: ignore[arg-type]
    first = names[0][0]
    records[(first, "A")] = ["198.51.100.7"]
    wrong = errors(list(dns.check_dns(functions, cluster, lookup)))  # type: ignore[arg-type]
    assert [f.object for f in wrong] == [f"name {first}"]
    assert "not the gateway's 203.0.113.10" in wrong[0].problem


def test_json_output_is_machine_readable(dev: Expected) -> None:
    findings = findings_of(dev, healthy(dev))
    assert {"severity", "group", "object", "problem", "fix"} <= set(yaml.safe_load(as_json(findings))[0])
