"""Pulumi.dev.yaml: the on-prem lab edge a newcomer renders first, checked as a reviewer reads its plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RenderStack, depends_on
from traffic_edge.offline.engine import Recording, Registration
from traffic_edge.offline.plan import manifests, write
from traffic_edge.offline.render import PROJECT_DIR, render

DEV = PROJECT_DIR / "Pulumi.dev.yaml"
DOMAIN = "172.18.255.200.nip.io"
GW = "gateway.networking.k8s.io"
RELEASE = "kubernetes:helm.sh/v3:Release"
CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
HTTP_ROUTE = f"kubernetes:{GW}/v1:HTTPRoute"
CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
ISSUER_REF = {"name": "internal-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}


@pytest.fixture(scope="module")
def dev(render_stack: RenderStack) -> Recording:
    return render_stack(DEV)


def spec(registration: Registration) -> Any:
    return registration.inputs["spec"]


def bundle(dev: Recording) -> Registration:
    """The Gateway CRD, one of the objects of the Gateway API bundle."""
    return dev.named(CRD, "edge-gateway-api-bundle:gateways.gateway.networking.k8s.io")


def test_outputs(dev: Recording) -> None:
    assert dev.outputs["platform"] == "onprem"
    assert dev.outputs["domain"] == DOMAIN
    assert dev.outputs["gatewayClass"] == "envoy-gateway"
    assert dev.outputs["gateways"] == {"edge": "gateway"}
    assert dev.outputs["clusterIssuers"] == ["selfsigned-root", "internal-ca"]


def test_gateway_api_crds_envoy_gateway_and_cert_manager(dev: Recording) -> None:
    bundle_objects = [r for r in dev.resources.values() if r.parent == bundle(dev).parent]
    assert len(dev.of_type(CRD)) == 10
    assert {(r.protect, r.retain_on_delete) for r in bundle_objects} == {(True, True)}
    releases = {r.name: (r.inputs["chart"], r.inputs["version"], r.inputs["namespace"]) for r in dev.of_type(RELEASE)}
    assert releases == {
        "edge-cert-manager": ("cert-manager", "v1.21.1", "cert-manager"),
        "edge-envoy-gateway": ("oci://docker.io/envoyproxy/gateway-helm", "v1.9.0", "envoy-gateway-system"),
    }
    [gateway_class] = dev.of_type(f"kubernetes:{GW}/v1:GatewayClass")
    assert spec(gateway_class) == {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"}


def test_internal_ca_chain(dev: Recording) -> None:
    root = dev.named(CLUSTER_ISSUER, "edge-issuers-selfsigned-root")
    ca = dev.named(CERTIFICATE, "edge-issuers-internal-ca-certificate")
    issuer = dev.named(CLUSTER_ISSUER, "edge-issuers-internal-ca")
    assert spec(root) == {"selfSigned": {}}
    assert spec(ca)["isCA"] is True
    assert spec(ca)["commonName"] == "traffic-edge dev root CA"
    assert spec(ca)["issuerRef"] == {**ISSUER_REF, "name": "selfsigned-root"}
    assert spec(issuer) == {"ca": {"secretName": spec(ca)["secretName"]}}
    assert root.urn in ca.dependencies
    assert ca.urn in issuer.dependencies
    assert dev.of_type(CLUSTER_ISSUER) == sorted([root, issuer], key=lambda r: r.urn), "no Let's Encrypt issuers"


def test_wildcard_certificate_behind_the_https_listener(dev: Recording) -> None:
    certificate = dev.named(CERTIFICATE, "edge-gateway-edge-wildcard")
    assert certificate.inputs["metadata"] == {"name": "edge-wildcard", "namespace": "gateway"}
    assert spec(certificate)["dnsNames"] == [f"*.{DOMAIN}", DOMAIN]
    assert spec(certificate)["issuerRef"] == ISSUER_REF
    gateway = dev.named(f"kubernetes:{GW}/v1:Gateway", "edge-gateway-edge")
    listeners = {listener["name"]: listener for listener in spec(gateway)["listeners"]}
    assert sorted(listeners) == ["grpc", "http", "https"]
    assert listeners["https"]["hostname"] == f"*.{DOMAIN}"
    assert listeners["https"]["tls"] == {
        "mode": "Terminate",
        "certificateRefs": [{"group": "", "kind": "Secret", "name": spec(certificate)["secretName"]}],
    }
    assert (listeners["grpc"]["protocol"], listeners["grpc"]["port"]) == ("TCP", 10081)


def test_http_only_redirects_to_https(dev: Recording) -> None:
    gateway = dev.named(f"kubernetes:{GW}/v1:Gateway", "edge-gateway-edge")
    [http] = [listener for listener in spec(gateway)["listeners"] if listener["protocol"] == "HTTP"]
    assert http["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]["values"] == ["gateway"]
    assert http["allowedRoutes"]["kinds"] == [{"group": GW, "kind": "HTTPRoute"}]
    redirect = dev.named(HTTP_ROUTE, "edge-gateway-edge-http-redirect")
    assert spec(redirect) == {
        "parentRefs": [{"group": GW, "kind": "Gateway", "name": "edge", "sectionName": "http"}],
        "rules": [
            {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
        ],
    }


def test_host_based_routes(dev: Recording) -> None:
    routes = {r.inputs["metadata"]["name"]: r for r in dev.of_type(HTTP_ROUTE) if r.name.startswith("edge-routes-")}
    assert {name: spec(route)["hostnames"] for name, route in routes.items()} == {
        "api": [f"api.{DOMAIN}"],
        "web": [f"www.{DOMAIN}"],
    }
    for route in routes.values():
        assert [ref["sectionName"] for ref in spec(route)["parentRefs"]] == ["https"], "never on the HTTP listener"
    [tcp] = dev.of_type(f"kubernetes:{GW}/v1:TCPRoute")
    assert [ref["sectionName"] for ref in spec(tcp)["parentRefs"]] == ["grpc"]


def test_cross_namespace_backend_has_its_reference_grant(dev: Recording) -> None:
    api = dev.named(HTTP_ROUTE, "edge-routes-apps.api")
    rewrite, canary, _ = spec(api)["rules"]
    assert rewrite["backendRefs"] == [
        {"group": "", "kind": "Service", "name": "governance", "namespace": "governance", "port": 8080}
    ]
    replace_prefix = {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/governance"}
    assert rewrite["filters"] == [{"type": "URLRewrite", "urlRewrite": {"path": replace_prefix}}]
    assert [(ref["name"], ref["weight"]) for ref in canary["backendRefs"]] == [("api", 90), ("api-canary", 10)]
    [grant] = dev.of_type(f"kubernetes:{GW}/v1:ReferenceGrant")
    assert grant.inputs["metadata"] == {"name": "traffic-edge-from-apps", "namespace": "governance"}
    assert spec(grant) == {
        "from": [{"group": GW, "kind": "HTTPRoute", "namespace": "apps"}],
        "to": [{"group": "", "kind": "Service", "name": "governance"}],
    }


def test_namespaces(dev: Recording) -> None:
    labels = {r.inputs["metadata"]["name"]: r.inputs["metadata"].get("labels") for r in
              dev.of_type("kubernetes:core/v1:Namespace")}
    assert labels == {
        "apps": {"team": "apps"},
        "cert-manager": None,
        "envoy-gateway-system": None,
        "gateway": None,
        "governance": None,
    }


def test_dependency_order(dev: Recording) -> None:
    """CRDs → cert-manager → issuers and certificates; every Gateway API object after the CRDs."""
    crds = bundle(dev)
    cert_manager = dev.named(RELEASE, "edge-cert-manager")
    assert crds.urn in cert_manager.dependencies, "cert-manager's Gateway API support needs the CRDs first"
    for issuer in dev.of_type(CLUSTER_ISSUER):
        assert cert_manager.urn in issuer.dependencies, issuer.name
    for certificate in dev.of_type(CERTIFICATE):
        assert cert_manager.urn in certificate.dependencies, certificate.name
    gateway_api_objects = [r for r in dev.resources.values() if r.type.startswith(f"kubernetes:{GW}/")]
    assert {r.inputs["kind"] for r in gateway_api_objects} == {
        "GatewayClass", "Gateway", "HTTPRoute", "TCPRoute", "ReferenceGrant"
    }
    for registration in gateway_api_objects:
        assert crds.urn in registration.dependencies, registration.name
    envoy = dev.named(RELEASE, "edge-envoy-gateway")
    assert depends_on(dev, envoy, crds)
    assert not depends_on(dev, crds, cert_manager)


def test_rendering_twice_gives_identical_files(dev: Recording, tmp_path: Path) -> None:
    write(dev, tmp_path / "first")
    write(render(DEV), tmp_path / "second")
    first, second = (
        {path.relative_to(tmp_path / run): path.read_bytes() for path in (tmp_path / run).rglob("*") if path.is_file()}
        for run in ("first", "second")
    )
    assert sorted(map(str, first)) == sorted(["plan.json", *(f"manifests/{name}" for name in manifests(dev))])
    assert first == second
