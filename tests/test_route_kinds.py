"""Every route kind and listener protocol, rendered in a whole stack and checked against the real CRDs.

Also: exactly the ReferenceGrants needed (cross-namespace backends and certificates), and none more.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Config, RenderStack, record_component, write_stack
from traffic_edge.components.routes import Routes, RoutesArgs
from traffic_edge.config.model import StackConfig
from traffic_edge.config.routes import GrpcMatch, HeaderMatch
from traffic_edge.conformance.validator import ManifestValidator, require_refdata
from traffic_edge.data.versions import ROUTE_API_VERSIONS
from traffic_edge.offline.engine import Recording, Registration
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.plan.routes import EXTERNAL_DNS_HOSTNAME, grpc_match, routes_plan

DOMAIN = "kinds.example.test"
GW = "gateway.networking.k8s.io"
GRANT = "ReferenceGrant"

CONFIG: Config = {
    "platform": {"kind": "onprem"},
    "domain": DOMAIN,
    "issuers": {"internalCa": {}},
    "namespaces": {"apps": {"gateways": ["edge"]}, "backends": {}, "certs": {}},
    "gateways": [
        {
            "name": "edge",
            "namespace": "gateway",
            "certificates": [
                {"name": "web", "issuer": "internal-ca", "dnsNames": [f"*.{DOMAIN}"]},
                {"name": "shared", "issuer": "internal-ca", "dnsNames": [f"tls.{DOMAIN}"], "namespace": "certs"},
                {"name": "spare", "issuer": "internal-ca", "dnsNames": [f"spare.{DOMAIN}"], "namespace": "certs"},
            ],
            "listeners": [
                {"name": "http", "protocol": "HTTP", "port": 80},
                {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": f"*.{DOMAIN}", "certificate": "web"},
                {"name": "passthrough", "protocol": "TLS", "port": 8443, "hostname": f"vault.{DOMAIN}",
                 "tlsMode": "Passthrough"},
                {"name": "terminate", "protocol": "TLS", "port": 9443, "hostname": f"tls.{DOMAIN}",
                 "tlsMode": "Terminate", "certificate": "shared"},
                {"name": "db", "protocol": "TCP", "port": 5432},
                {"name": "dns", "protocol": "UDP", "port": 5353},
            ],
        }
    ],
    "routes": [
        {"name": "web", "namespace": "apps", "gateway": "edge", "hostnames": [f"web.{DOMAIN}"],
         "rules": [{"backends": [{"service": "web", "port": 8080}]}]},
        {"name": "echo", "kind": "GRPCRoute", "namespace": "apps", "gateway": "edge", "hostnames": [f"grpc.{DOMAIN}"],
         "rules": [
             {"matches": [{"service": "echo.v1.Echo", "method": "Say",
                           "headers": [{"name": "x-tenant", "value": "blue"}]}, {"method": "Ping"}],
              "backends": [{"service": "echo", "namespace": "backends", "port": 9000}]},
             {"backends": [{"service": "echo-fallback", "port": 9000}]},
         ]},
        {"name": "vault", "kind": "TLSRoute", "namespace": "apps", "gateway": "edge", "listener": "passthrough",
         "hostnames": [f"vault.{DOMAIN}"], "rules": [{"backends": [{"service": "vault", "namespace": "backends",
                                                                     "port": 8200}]}]},
        {"name": "tls", "kind": "TLSRoute", "namespace": "apps", "gateway": "edge", "listener": "terminate",
         "hostnames": [f"tls.{DOMAIN}"], "rules": [{"backends": [{"service": "plain", "port": 8080}]}]},
        {"name": "postgres", "kind": "TCPRoute", "namespace": "apps", "gateway": "edge", "hostname": f"db.{DOMAIN}",
         "rules": [{"backends": [{"service": "postgres", "namespace": "backends", "port": 5432}]}]},
        {"name": "coredns", "kind": "UDPRoute", "namespace": "apps", "gateway": "edge",
         "rules": [{"backends": [{"service": "coredns", "namespace": "backends", "port": 53}]}]},
    ],
}


def parent(section: str) -> dict[str, str]:
    return {"group": GW, "kind": "Gateway", "name": "edge", "namespace": "gateway", "sectionName": section}


def service(name: str, port: int, namespace: str | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"group": "", "kind": "Service", "name": name, "port": port}
    return ref if namespace is None else {**ref, "namespace": namespace}


def manifest(registration: Registration) -> dict[str, Any]:
    return {key: registration.inputs[key] for key in ("apiVersion", "kind", "metadata", "spec")}


def custom(recording: Recording, kind: str) -> list[dict[str, Any]]:
    return [manifest(r) for r in sorted(recording.resources.values(), key=lambda r: r.name)
            if r.type.startswith("kubernetes:") and r.inputs.get("kind") == kind]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, render_stack: RenderStack) -> Recording:
    return render_stack(write_stack(tmp_path_factory.mktemp("kinds"), CONFIG, stack="kinds"))


def by_name(recording: Recording, kind: str, name: str) -> dict[str, Any]:
    [found] = [item for item in custom(recording, kind) if item["metadata"]["name"] == name]
    return found


def test_every_object_is_accepted_by_the_v1_6_1_standard_crds(rendered: Recording) -> None:
    require_refdata()
    validator = ManifestValidator("v1.6.1", "standard")
    objects = [manifest(r) for r in rendered.resources.values()
               if r.type.startswith(("kubernetes:gateway.networking.k8s.io", "kubernetes:cert-manager.io"))]
    assert len(objects) == 17  # class, gateway, redirect, 6 routes, 2 grants, 6 certificates and issuers
    assert [error for item in objects for error in validator.validate(item)] == []


def test_listeners_of_every_protocol(rendered: Recording) -> None:
    listeners = by_name(rendered, "Gateway", "edge")["spec"]["listeners"]
    assert listeners[2:] == [
        {"name": "passthrough", "port": 8443, "protocol": "TLS", "hostname": f"vault.{DOMAIN}",
         "tls": {"mode": "Passthrough"}, "allowedRoutes": listeners[2]["allowedRoutes"]},
        {"name": "terminate", "port": 9443, "protocol": "TLS", "hostname": f"tls.{DOMAIN}",
         "tls": {"mode": "Terminate",
                 "certificateRefs": [{"group": "", "kind": "Secret", "name": "edge-shared-tls", "namespace": "certs"}]},
         "allowedRoutes": listeners[3]["allowedRoutes"]},
        {"name": "db", "port": 5432, "protocol": "TCP", "allowedRoutes": listeners[4]["allowedRoutes"]},
        {"name": "dns", "port": 5353, "protocol": "UDP", "allowedRoutes": listeners[5]["allowedRoutes"]},
    ]
    assert listeners[1]["tls"] == {"mode": "Terminate",
                                   "certificateRefs": [{"group": "", "kind": "Secret", "name": "edge-web-tls"}]}


def test_certificates_are_issued_in_their_namespace(rendered: Recording) -> None:
    assert [(item["metadata"]["namespace"], item["metadata"]["name"], item["spec"]["secretName"])
            for item in custom(rendered, "Certificate") if item["metadata"]["name"].startswith("edge-")] == [
        ("certs", "edge-shared", "edge-shared-tls"),
        ("certs", "edge-spare", "edge-spare-tls"),
        ("gateway", "edge-web", "edge-web-tls"),
    ]


def test_grpc_route(rendered: Recording) -> None:
    route = by_name(rendered, "GRPCRoute", "echo")
    assert route["apiVersion"] == f"{GW}/v1"
    assert route["spec"] == {
        "parentRefs": [parent("https")],
        "hostnames": [f"grpc.{DOMAIN}"],
        "rules": [
            {
                "matches": [
                    {"method": {"type": "Exact", "service": "echo.v1.Echo", "method": "Say"},
                     "headers": [{"type": "Exact", "name": "x-tenant", "value": "blue"}]},
                    {"method": {"type": "Exact", "method": "Ping"}},
                ],
                "backendRefs": [service("echo", 9000, "backends")],
            },
            {"backendRefs": [service("echo-fallback", 9000)]},
        ],
    }


def test_tls_routes_match_sni_hostnames(rendered: Recording) -> None:
    assert by_name(rendered, "TLSRoute", "vault")["spec"] == {
        "parentRefs": [parent("passthrough")],
        "hostnames": [f"vault.{DOMAIN}"],
        "rules": [{"backendRefs": [service("vault", 8200, "backends")]}],
    }
    assert by_name(rendered, "TLSRoute", "tls")["spec"]["parentRefs"] == [parent("terminate")]


def test_tcp_and_udp_routes(rendered: Recording) -> None:
    tcp = by_name(rendered, "TCPRoute", "postgres")
    assert tcp["metadata"] == {"name": "postgres", "namespace": "apps",
                               "annotations": {"external-dns.kubernetes.io/hostname": f"db.{DOMAIN}"}}
    assert tcp["spec"] == {
        "parentRefs": [parent("db")], "rules": [{"backendRefs": [service("postgres", 5432, "backends")]}]
    }
    udp = by_name(rendered, "UDPRoute", "coredns")
    assert udp["metadata"] == {"name": "coredns", "namespace": "apps"}
    assert udp["spec"] == {
        "parentRefs": [parent("dns")], "rules": [{"backendRefs": [service("coredns", 53, "backends")]}]
    }


def test_exactly_the_needed_reference_grants(rendered: Recording) -> None:
    assert custom(rendered, GRANT) == [
        {
            "apiVersion": f"{GW}/v1",
            "kind": GRANT,
            "metadata": {"name": "gateway-edge-from-gateway", "namespace": "certs"},
            "spec": {"from": [{"group": GW, "kind": "Gateway", "namespace": "gateway"}],
                     "to": [{"group": "", "kind": "Secret", "name": "edge-shared-tls"}]},
        },
        {
            "apiVersion": f"{GW}/v1",
            "kind": GRANT,
            "metadata": {"name": "traffic-edge-from-apps", "namespace": "backends"},
            "spec": {
                "from": [{"group": GW, "kind": kind, "namespace": "apps"}
                         for kind in ("GRPCRoute", "TCPRoute", "TLSRoute", "UDPRoute")],
                "to": [{"group": "", "kind": "Service", "name": name}
                       for name in ("coredns", "echo", "postgres", "vault")],
            },
        },
    ]


def test_external_dns_hostname_annotation_is_the_one_external_dns_reads(render_stack: RenderStack) -> None:
    """v0.22.0's default prefix, which the chart values also set explicitly so that v0.21.0 reads it too."""
    assert EXTERNAL_DNS_HOSTNAME == "external-dns.kubernetes.io/hostname"
    with_external_dns = render_stack(PROJECT_DIR / "Pulumi.functions.yaml")
    release = with_external_dns.named("kubernetes:helm.sh/v3:Release", "edge-external-dns")
    assert f"{release.inputs['values']['annotationPrefix']}hostname" == EXTERNAL_DNS_HOSTNAME


@pytest.mark.parametrize(
    ("match", "rendered"),
    [
        (GrpcMatch(), {}),
        (GrpcMatch(service="a.B"), {"method": {"type": "Exact", "service": "a.B"}}),
        (GrpcMatch(method="Get"), {"method": {"type": "Exact", "method": "Get"}}),
        (GrpcMatch(headers=[HeaderMatch(name="x", value="y", type="RegularExpression")]),
         {"headers": [{"type": "RegularExpression", "name": "x", "value": "y"}]}),
    ],
)
def test_grpc_match(match: GrpcMatch, rendered: dict[str, Any]) -> None:
    assert grpc_match(match) == rendered


@pytest.mark.parametrize(("version", "channel"), [("v1.4.1", "experimental"), ("v1.6.1", "experimental")])
def test_l4_routes_at_the_versions_each_release_serves(version: str, channel: str) -> None:
    """The same routes render at v1alpha2/v1beta1 for v1.4.1 experimental and at v1 for v1.6.1; both are accepted."""
    require_refdata()
    config = StackConfig.model_validate({**CONFIG, "versions": {"gatewayApi": version, "gatewayApiChannel": channel}})

    def build() -> None:
        Routes("routes", RoutesArgs(plan=routes_plan(config), crds=[], namespaces=lambda *_: []))

    recording = record_component(build)
    objects = [manifest(r) for r in recording.resources.values() if r.custom]
    validator = ManifestValidator(version, channel)
    assert {(item["kind"], item["apiVersion"]) for item in objects} == {
        (kind, f"{GW}/{ROUTE_API_VERSIONS[(version, channel)][kind]}")
        for kind in ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute", GRANT)
    }
    assert [error for item in objects for error in validator.validate(item)] == []


def test_a_same_namespace_certificate_needs_no_grant(tmp_path: Path, render_stack: RenderStack) -> None:
    config = {**CONFIG, "routes": CONFIG["routes"][:1]}
    gateway = dict(CONFIG["gateways"][0])
    gateway["certificates"] = [{**item, "namespace": None} if item["name"] == "shared" else item
                               for item in gateway["certificates"]]
    gateway["certificates"] = [{key: value for key, value in item.items() if value is not None}
                               for item in gateway["certificates"]]
    recording = render_stack(write_stack(tmp_path, {**config, "gateways": [gateway]}))
    assert custom(recording, GRANT) == []
