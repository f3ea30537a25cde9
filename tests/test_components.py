"""Each component built under mocks inside a test, and the pure builders beside them, against exact documents."""

from __future__ import annotations

import dataclasses
import json
import runpy
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

from tests.conftest import DEPLOYMENT, SECRET_PLACEHOLDER, Config, parse_config, provision_platform, record_component
from traffic_edge.components.cert_manager import CertManager, CertManagerArgs, cert_manager_values
from traffic_edge.components.gateway import EdgeGateway, EdgeGatewayArgs
from traffic_edge.components.gateway_api import GatewayApiCrds, GatewayApiCrdsArgs, verified_bundle
from traffic_edge.components.gateway_controller import GatewayController, GatewayControllerArgs
from traffic_edge.components.issuers import Issuers, IssuersArgs
from traffic_edge.components.kube import deep_merge, force_apply
from traffic_edge.components.routes import Routes, RoutesArgs
from traffic_edge.config.load import stack_secrets
from traffic_edge.config.model import StackConfig, Versions
from traffic_edge.conformance.validator import require_refdata, validate_helm_values
from traffic_edge.controllers import CONTROLLERS
from traffic_edge.controllers.base import ValuesContext
from traffic_edge.offline.engine import Recording, Registration
from traffic_edge.offline.render import PROJECT_DIR, preflight_off
from traffic_edge.plan import EdgePlan, edge_plan
from traffic_edge.plan.contracts import WorkloadIdentity
from traffic_edge.plan.gateways import allowed_routes, listener_whitelists
from traffic_edge.plan.issuers import AcmeIssuer, AcmeSolver, CaChain, Http01Gateway, IssuerSet
from traffic_edge.plan.routes import backend_refs, reference_grants, route_spec, routes_plan
from traffic_edge.plan.sources import bundle_location, chart_location

CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
GATEWAY_CLASS = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
GW = "gateway.networking.k8s.io"
CM = "cert-manager.io"
RELEASE_KEYS = ("chart", "name", "namespace", "repositoryOpts", "version", "values")

DOMAIN = "example.test"
LAB: Config = {
    "platform": {"kind": "onprem"},
    "domain": DOMAIN,
    "namespaces": {"apps": {"gateways": ["edge"]}, "governance": {}},
    "gateways": [
        {
            "name": "edge",
            "certificates": [{"name": "wildcard", "issuer": "internal-ca", "dnsNames": ["*.example.test"]}],
            "listeners": [
                {"name": "http", "protocol": "HTTP", "port": 80},
                {"name": "https", "protocol": "HTTPS", "port": 8443, "hostname": "*.example.test",
                 "certificate": "wildcard"},
                {"name": "public", "protocol": "HTTPS", "port": 9443, "hostname": "*.example.test",
                 "certificate": "wildcard", "allowedRoutes": {"all": True}},
                {"name": "db", "protocol": "TCP", "port": 5432, "allowedRoutes": {"namespaces": ["data"]}},
            ],
        }
    ],
    "issuers": {"internalCa": {}},
    "routes": [
        {
            "name": "api",
            "namespace": "apps",
            "gateway": "edge",
            "listener": "https",
            "hostnames": ["api.example.test"],
            "rules": [
                {"matches": [{"path": "/api/governance"}], "rewritePrefix": "/governance",
                 "backends": [{"service": "governance", "namespace": "governance", "port": 8080}]},
                {"matches": [{"path": "/", "headers": [{"name": "x-canary", "value": "true"}]}],
                 "backends": [{"service": "api", "port": 8080, "weight": 90},
                              {"service": "api-canary", "port": 8080, "weight": 10}]},
            ],
        },
        {
            "name": "reports",
            "namespace": "apps",
            "gateway": "edge",
            "listener": "https",
            "hostnames": ["reports.example.test"],
            "rules": [{"backends": [{"service": "reports", "namespace": "governance", "port": 80}]}],
        },
        {
            "name": "db",
            "kind": "TCPRoute",
            "namespace": "data",
            "gateway": "edge",
            "hostname": "db.example.test",
            "rules": [{"backends": [{"service": "postgres", "port": 5432}]}],
        },
    ],
}


def lab() -> StackConfig:
    return parse_config(LAB)


def plan_of(config: StackConfig) -> EdgePlan:
    return edge_plan(config, DEPLOYMENT)


def stand_in(name: str) -> k8s.core.v1.ConfigMap:
    """A resource standing for a dependency (CRDs, cert-manager, a namespace) that a component must wait for."""
    return k8s.core.v1.ConfigMap(name)


def component(recording: Recording, type_: str, name: str) -> Registration:
    return recording.named(type_, name)


def children(recording: Recording, parent: Registration) -> list[tuple[str, str]]:
    return sorted((r.type, r.name) for r in recording.resources.values() if r.parent == parent.urn)


def urn_of(recording: Recording, name: str) -> str:
    [found] = [r.urn for r in recording.resources.values() if r.name == name]
    return found


def object_(registration: Registration) -> dict[str, Any]:
    """apiVersion, kind, metadata, spec of a custom object."""
    return {key: registration.inputs[key] for key in ("apiVersion", "kind", "metadata", "spec")}


# ---------------------------------------------------------------------------------------------------- Gateway API


@pytest.mark.parametrize(("version", "channel"), [("v1.6.1", "standard"), ("v1.4.1", "experimental")])
def test_gateway_api_crds_are_the_release_bundle_kept_on_delete(version: str, channel: str) -> None:
    """The release asset, applied only as the bytes with the digest pinned for the release and channel."""
    versions = Versions.model_validate({"gatewayApi": version, "gatewayApiChannel": channel})
    location = bundle_location(lab().model_copy(update={"versions": versions}))
    release = f"https://github.com/kubernetes-sigs/gateway-api/releases/download/{version}/{channel}-install.yaml"
    assert (location.url, location.file) == (release, None)

    def build() -> None:
        GatewayApiCrds("gateway-api", GatewayApiCrdsArgs(location))

    recording = record_component(build)
    crds = component(recording, "traffic-edge:gateway_api:GatewayApiCrds", "gateway-api")
    bundle = component(recording, "traffic-edge:gateway_api:GatewayApiBundle", "gateway-api-bundle")
    assert bundle.parent == crds.urn
    documents = [doc for doc in yaml.safe_load_all(verified_bundle(location)) if doc]
    objects = [r for r in recording.resources.values() if r.parent == bundle.urn]
    assert sorted((r.name, r.type) for r in objects) == sorted(
        (f"gateway-api-bundle:{doc['metadata']['name']}", f"kubernetes:{doc['apiVersion']}:{doc['kind']}")
        for doc in documents
    )
    assert {(r.protect, r.retain_on_delete) for r in objects} == {(True, True)}
    # Installed or adopted, the bundle is the edge's alone: its apply takes over fields another manager set
    # (kubectl apply --server-side, another stack), which server-side apply would otherwise refuse.
    assert {r.inputs["metadata"]["annotations"].get("pulumi.com/patchForce") for r in objects} == {"true"}
    assert bundle.protect
    # A ConfigFile of the release URL, then a ConfigGroup of the verified text, before the program registered the
    # objects itself: the objects keep their URNs (named as the provider named them), nothing is replaced.
    assert [alias["spec"].get("type") for alias in bundle.aliases] == [CONFIG_FILE, CONFIG_GROUP]


# ---------------------------------------------------------------------------------------------------- cert-manager

IDENTITY_ANNOTATIONS = {"iam.gke.io/gcp-service-account": "cert-manager@lab-project.iam.gserviceaccount.com"}
POD_LABELS = {"azure.workload.identity/use": "true"}


def cert_manager_args(**overrides: Any) -> CertManagerArgs:
    """The args the edge gives cert-manager for the lab stack: the plan's version and values."""
    plan = plan_of(lab()).cert_manager
    return CertManagerArgs(**{"chart": plan.chart, "values": plan.values, **overrides})


def test_cert_manager_values_without_identity() -> None:
    plan = plan_of(lab()).cert_manager
    assert (plan.chart, plan.extra_values) == (chart_location(lab(), "cert-manager"), {})
    assert (plan.chart.chart, plan.chart.version, plan.chart.repo) == ("cert-manager", "v1.21.1",
                                                                        "https://charts.jetstack.io")
    assert cert_manager_values(cert_manager_args()) == {
        "crds": {"enabled": True, "keep": True},
        "config": {"gatewayAPI": {"enabled": True}},
        "serviceAccount": {"name": "cert-manager"},
    }


def test_cert_manager_values_with_identity_and_extra_values() -> None:
    args = cert_manager_args(
        identity=WorkloadIdentity(service_account_annotations=IDENTITY_ANNOTATIONS, pod_labels=POD_LABELS),
        extra_values={"replicaCount": 2, "crds": {"keep": False}, "serviceAccount": {"labels": {"team": "edge"}}},
    )
    assert cert_manager_values(args) == {
        "crds": {"enabled": True, "keep": False},
        "config": {"gatewayAPI": {"enabled": True}},
        "serviceAccount": {"name": "cert-manager", "annotations": IDENTITY_ANNOTATIONS, "labels": {"team": "edge"}},
        "podLabels": POD_LABELS,
        "replicaCount": 2,
    }


def test_cert_manager_extra_values_come_from_config() -> None:
    config = parse_config({**LAB, "certManager": {"values": {"replicaCount": 2}}})
    assert plan_of(config).cert_manager.extra_values == {"replicaCount": 2}


def test_cert_manager_release() -> None:
    def build() -> None:
        crds, namespace, role = stand_in("crds"), stand_in("namespace"), stand_in("role-binding")
        identity = WorkloadIdentity(IDENTITY_ANNOTATIONS, POD_LABELS, ready=[role])
        CertManager("cert-manager", cert_manager_args(identity=identity, depends_on=[crds, namespace]))

    recording = record_component(build)
    parent = component(recording, "traffic-edge:cert_manager:CertManager", "cert-manager")
    release = recording.named(RELEASE, "cert-manager")
    assert release.parent == parent.urn
    assert {key: release.inputs.get(key) for key in RELEASE_KEYS} == {
        "chart": "cert-manager",
        "name": "cert-manager",  # fixed: no random suffix, so upgrades stay in place
        "namespace": "cert-manager",
        "repositoryOpts": {"repo": "https://charts.jetstack.io"},
        "version": "v1.21.1",
        "values": {
            "crds": {"enabled": True, "keep": True},
            "config": {"gatewayAPI": {"enabled": True}},
            "serviceAccount": {"name": "cert-manager", "annotations": IDENTITY_ANNOTATIONS},
            "podLabels": POD_LABELS,
        },
    }
    assert release.dependencies == sorted(urn_of(recording, name) for name in ("crds", "namespace", "role-binding"))


def test_cert_manager_values_match_the_chart_schema() -> None:
    require_refdata()
    args = cert_manager_args(
        identity=WorkloadIdentity(service_account_annotations=IDENTITY_ANNOTATIONS, pod_labels=POD_LABELS)
    )
    assert validate_helm_values("cert-manager", "v1.21.1", cert_manager_values(args)) == []


# ---------------------------------------------------------------------------------------------------- controller


def test_envoy_gateway_controller() -> None:
    """Envoy Gateway's own CRDs from their chart, then gateway-helm without its CRD subchart: the Gateway API CRDs
    have one owner, and it is not this chart (envoyproxy/gateway @ v1.9.0 : site/content/en/latest/install/
    install-helm.md, "Installing CRDs separately")."""
    row = CONTROLLERS["envoy-gateway"]
    plan = plan_of(lab()).controller

    def build() -> None:
        crds, namespace = stand_in("crds"), stand_in("namespace")
        GatewayController("envoy-gateway", GatewayControllerArgs(
            row=row,
            context=ValuesContext("LoadBalancer"),
            chart=plan.chart,
            crd_chart=plan.crd_chart,
            extra_values={"deployment": {"replicas": 2}},
            crds=[crds],
            namespace=[namespace],
        ))

    recording = record_component(build)
    own_crds = recording.named("kubernetes:helm.sh/v4:Chart", "envoy-gateway-crds")
    assert {key: own_crds.inputs.get(key) for key in ("chart", "version", "namespace", "values")} == {
        "chart": "oci://docker.io/envoyproxy/gateway-crds-helm",
        "version": "v1.9.0",
        "namespace": "envoy-gateway-system",
        "values": {"crds": {"gatewayAPI": {"enabled": False}, "envoyGateway": {"enabled": True}}},
    }
    assert (own_crds.protect, own_crds.retain_on_delete) == (True, True)
    release = recording.named(RELEASE, "envoy-gateway")
    assert {key: release.inputs.get(key) for key in RELEASE_KEYS} == {
        "chart": "oci://docker.io/envoyproxy/gateway-helm",
        "name": "envoy-gateway",
        "namespace": "envoy-gateway-system",
        "repositoryOpts": None,
        "version": "v1.9.0",
        "values": {"crds": {"enabled": False}, "deployment": {"replicas": 2}},
    }
    assert release.dependencies == sorted([*(urn_of(recording, name) for name in ("crds", "namespace")), own_crds.urn])
    [gateway_class] = recording.of_type(GATEWAY_CLASS)
    assert object_(gateway_class) == {
        "apiVersion": f"{GW}/v1",
        "kind": "GatewayClass",
        "metadata": {"name": "envoy-gateway"},
        "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
    }
    assert gateway_class.dependencies == [urn_of(recording, "crds")]


def test_controller_without_chart_installs_no_release() -> None:
    row = dataclasses.replace(CONTROLLERS["envoy-gateway"], chart=None)
    chartless = StackConfig.model_validate({**LAB, "controller": {"name": "cilium"}})  # cilium comes with the cluster
    assert plan_of(chartless).controller.chart is None

    def build() -> None:
        GatewayController("envoy-gateway", GatewayControllerArgs(row, ValuesContext("LoadBalancer"), chart=None))

    recording = record_component(build)
    assert recording.of_type(RELEASE) == []
    assert [r.name for r in recording.of_type(GATEWAY_CLASS)] == ["envoy-gateway-class"]


# ---------------------------------------------------------------------------------------------------- issuers

HTTP01 = Http01Gateway(name="edge", namespace="gateway", listener="http")
SERVERS = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-production": "https://acme-v02.api.letsencrypt.org/directory",
}


def letsencrypt(solver: AcmeSolver, production: bool = True) -> tuple[AcmeIssuer, ...]:
    """The issuers `issuers.acme` stands for: staging, and production in production stacks."""
    return tuple(AcmeIssuer(name, server, "ops@example.test", f"{name}-account-key", (solver,))
                 for name, server in SERVERS.items() if production or name == "letsencrypt-staging")


ACME = letsencrypt(AcmeSolver(HTTP01))
DEFAULT_CA = CaChain("internal-ca", "internal-ca-root", "traffic-edge internal CA", "87600h")


def cluster_issuers(acme: tuple[AcmeIssuer, ...], internal_ca: CaChain | None) -> IssuerSet:
    return IssuerSet(key="", namespace="cert-manager", kind="ClusterIssuer", acme=acme, internal_ca=internal_ca)


def build_issuers(issuers: IssuerSet, config: StackConfig | None = None) -> Recording:
    """The Issuers component; with `config`, DNS-01 by the solver its on-prem platform provisions."""

    def build() -> None:
        cert_manager = stand_in("cert-manager")
        dns01 = None
        if config is not None:
            tsig = stack_secrets(config)["tsigSecret"]
            dns01 = provision_platform(config, pulumi.Output.secret(tsig)).dns01
        Issuers("issuers", IssuersArgs(issuers=issuers, dns01=dns01, depends_on=[cert_manager]))

    return record_component(build, config={"tsigSecret": {"secure": "v1:c2VjcmV0"}})


def acme_issuer(issuer: str, solver: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": f"{CM}/v1",
        "kind": "ClusterIssuer",
        "metadata": {"name": issuer},
        "spec": {
            "acme": {
                "server": SERVERS[issuer],
                "email": "ops@example.test",
                "privateKeySecretRef": {"name": f"{issuer}-account-key"},
                "solvers": [solver],
            }
        },
    }


def test_the_plan_solves_http01_on_the_first_gateways_port_80_listener() -> None:
    issuers = {"internalCa": {}, "acme": {"email": "ops@example.test"}}
    config = parse_config({**LAB, "production": True, "issuers": issuers})
    assert plan_of(config).issuers[0] == cluster_issuers(ACME, DEFAULT_CA)


def test_acme_issuers_solve_http01_on_the_gateway_http_listener() -> None:
    recording = build_issuers(cluster_issuers(ACME, None))
    http01 = {
        "http01": {
            "gatewayHTTPRoute": {
                "parentRefs": [
                    {"group": GW, "kind": "Gateway", "name": "edge", "namespace": "gateway", "sectionName": "http"}
                ]
            }
        }
    }
    issuers = recording.of_type(CLUSTER_ISSUER)
    assert [object_(r) for r in issuers] == [acme_issuer(name, http01) for name in sorted(SERVERS)]
    assert all(r.dependencies == [urn_of(recording, "cert-manager")] for r in issuers)
    assert recording.of_type(SECRET) == []
    assert recording.of_type(CERTIFICATE) == []


def test_only_production_stacks_get_the_production_issuer() -> None:
    issuers = {"acme": {"email": "ops@example.test"}, "internalCa": {}}
    ca = ["selfsigned-root", "internal-ca"]
    assert plan_of(parse_config({**LAB, "issuers": issuers})).issuers[0].names == ["letsencrypt-staging", *ca]
    production = plan_of(parse_config({**LAB, "production": True, "issuers": issuers})).issuers[0]
    assert production.names == ["letsencrypt-staging", "letsencrypt-production", *ca]
    recording = build_issuers(cluster_issuers(letsencrypt(AcmeSolver(HTTP01), production=False), None))
    assert [r.inputs["metadata"]["name"] for r in recording.of_type(CLUSTER_ISSUER)] == ["letsencrypt-staging"]


def test_acme_issuers_solve_dns01_by_rfc2136_with_a_masked_tsig_secret() -> None:
    config = parse_config({
        **LAB,
        "dns": {"rfc2136": {"nameserver": "ns1.example.test:5353", "tsigKeyName": "edge-key.example.test"}},
        "tsigSecret": {"secure": "v1:c2VjcmV0"},
        "issuers": {"acme": {"email": "ops@example.test", "solver": "dns01"}, "internalCa": {}},
        "routes": [],
    })
    acme = plan_of(config).issuers[0].acme
    assert acme == letsencrypt(AcmeSolver(None), production=False)
    recording = build_issuers(cluster_issuers(letsencrypt(AcmeSolver(None)), None), config)
    [secret] = recording.of_type(SECRET)
    assert secret.inputs == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "rfc2136-tsig", "namespace": "cert-manager"},
        "stringData": "[secret]",
    }
    dns01 = {
        "dns01": {
            "rfc2136": {
                "nameserver": "ns1.example.test:5353",
                "tsigKeyName": "edge-key.example.test",
                "tsigAlgorithm": "HMACSHA256",
                "tsigSecretSecretRef": {"name": "rfc2136-tsig", "key": "tsig-secret-key"},
            }
        }
    }
    issuers = recording.of_type(CLUSTER_ISSUER)
    assert [object_(r) for r in issuers] == [acme_issuer(name, dns01) for name in sorted(SERVERS)]
    assert all(secret.urn in r.dependencies for r in issuers)
    everything = json.dumps([r.as_json() for r in recording.resources.values()])
    assert SECRET_PLACEHOLDER not in everything


def test_internal_ca_chain() -> None:
    recording = build_issuers(cluster_issuers((), CaChain("internal-ca", "internal-ca-root", "lab root CA", "43800h")))
    root = recording.named(CLUSTER_ISSUER, "issuers-selfsigned-root")
    ca = recording.named(CERTIFICATE, "issuers-internal-ca-certificate")
    issuer = recording.named(CLUSTER_ISSUER, "issuers-internal-ca")
    assert object_(root)["spec"] == {"selfSigned": {}}
    assert object_(ca) == {
        "apiVersion": f"{CM}/v1",
        "kind": "Certificate",
        "metadata": {"name": "internal-ca", "namespace": "cert-manager"},
        "spec": {
            "isCA": True,
            "commonName": "lab root CA",
            "secretName": "internal-ca-root",
            "duration": "43800h",
            "privateKey": {"algorithm": "ECDSA", "size": 256},
            "issuerRef": {"name": "selfsigned-root", "kind": "ClusterIssuer", "group": CM},
        },
    }
    assert object_(issuer) == {
        "apiVersion": f"{CM}/v1",
        "kind": "ClusterIssuer",
        "metadata": {"name": "internal-ca"},
        "spec": {"ca": {"secretName": "internal-ca-root"}},
    }
    cert_manager = urn_of(recording, "cert-manager")
    assert root.dependencies == [cert_manager]
    assert ca.dependencies == sorted([cert_manager, root.urn])
    assert issuer.dependencies == sorted([cert_manager, ca.urn])
    assert [r.name for r in recording.of_type(CLUSTER_ISSUER)] == ["issuers-internal-ca", "issuers-selfsigned-root"]


def test_no_issuer_configured_creates_nothing() -> None:
    recording = build_issuers(cluster_issuers((), None))
    assert sorted(r.type for r in recording.resources.values()) == [
        "kubernetes:core/v1:ConfigMap", "traffic-edge:issuers:Issuers"
    ]


# ---------------------------------------------------------------------------------------------------- gateway


def test_listener_whitelists() -> None:
    """HTTP only ever admits the gateway's own redirect; `All` only where configured; else a namespace list."""
    config = lab()
    assert listener_whitelists(config, config.gateways[0]) == {
        "http": ["gateway"],
        "https": ["apps", "gateway"],
        "public": None,
        "db": ["apps", "data", "gateway"],
    }


def test_allowed_routes() -> None:
    assert allowed_routes(None) == {"namespaces": {"from": "All"}}
    assert allowed_routes(["apps", "gateway"]) == {
        "namespaces": {
            "from": "Selector",
            "selector": {
                "matchExpressions": [
                    {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["apps", "gateway"]}
                ]
            },
        }
    }


def selector(*namespaces: str) -> dict[str, Any]:
    return allowed_routes(list(namespaces))


WILDCARD_REF = [{"group": "", "kind": "Secret", "name": "edge-wildcard-tls"}]
EXPECTED_GATEWAY_SPEC = {
    "gatewayClassName": "envoy-gateway",
    "listeners": [
        {
            "name": "http",
            "port": 80,
            "protocol": "HTTP",
            "allowedRoutes": {**selector("gateway"), "kinds": [{"group": GW, "kind": "HTTPRoute"}]},
        },
        {
            "name": "https",
            "port": 8443,
            "protocol": "HTTPS",
            "hostname": "*.example.test",
            "tls": {"mode": "Terminate", "certificateRefs": WILDCARD_REF},
            "allowedRoutes": selector("apps", "gateway"),
        },
        {
            "name": "public",
            "port": 9443,
            "protocol": "HTTPS",
            "hostname": "*.example.test",
            "tls": {"mode": "Terminate", "certificateRefs": WILDCARD_REF},
            "allowedRoutes": {"namespaces": {"from": "All"}},
        },
        {"name": "db", "port": 5432, "protocol": "TCP", "allowedRoutes": selector("apps", "data", "gateway")},
    ],
}


def gateway_args(config: StackConfig, crds: Sequence[pulumi.Resource] = (),
                 cert_manager: Sequence[pulumi.Resource] = ()) -> EdgeGatewayArgs:
    return EdgeGatewayArgs(
        plan=plan_of(config).gateways[0],
        crds=crds,
        cert_manager=cert_manager,
        namespaces=lambda *_: [],
    )


def test_gateway_spec() -> None:
    assert gateway_args(lab()).plan.gateway.spec == EXPECTED_GATEWAY_SPEC


def test_edge_gateway() -> None:
    config = lab()

    def build() -> None:
        EdgeGateway("gateway-edge", gateway_args(config, [stand_in("crds")], [stand_in("cert-manager")]))

    recording = record_component(build)
    parent = component(recording, "traffic-edge:gateway:EdgeGateway", "gateway-edge")
    assert children(recording, parent) == [
        (CERTIFICATE, "gateway-edge-wildcard"),
        (GATEWAY, "gateway-edge"),
        ("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "gateway-edge-http-redirect"),
    ]
    gateway = recording.named(GATEWAY, "gateway-edge")
    assert object_(gateway) == {
        "apiVersion": f"{GW}/v1",
        "kind": "Gateway",
        "metadata": {"name": "edge", "namespace": "gateway"},
        "spec": EXPECTED_GATEWAY_SPEC,
    }
    assert gateway.dependencies == [urn_of(recording, "crds")]
    certificate = recording.named(CERTIFICATE, "gateway-edge-wildcard")
    assert object_(certificate) == {
        "apiVersion": f"{CM}/v1",
        "kind": "Certificate",
        "metadata": {"name": "edge-wildcard", "namespace": "gateway"},
        "spec": {
            "secretName": "edge-wildcard-tls",  # what the HTTPS listeners' certificateRefs name
            "dnsNames": ["*.example.test"],
            "issuerRef": {"name": "internal-ca", "kind": "ClusterIssuer", "group": CM},
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        },
    }
    assert certificate.dependencies == [urn_of(recording, "cert-manager")]
    redirect = recording.named("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "gateway-edge-http-redirect")
    assert object_(redirect) == {
        "apiVersion": f"{GW}/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "edge-http-redirect", "namespace": "gateway"},
        "spec": {
            "parentRefs": [{"group": GW, "kind": "Gateway", "name": "edge", "sectionName": "http"}],
            "rules": [
                # to the first HTTPS port, since it is not 443
                {"filters": [{"type": "RequestRedirect",
                              "requestRedirect": {"scheme": "https", "statusCode": 301, "port": 8443}}]}
            ],
        },
    }


def test_redirect_to_443_names_no_port() -> None:
    config = parse_config({**LAB, "gateways": [{
        "name": "edge",
        "certificates": LAB["gateways"][0]["certificates"],
        "listeners": [
            {"name": "http", "protocol": "HTTP", "port": 80},
            {"name": "https", "protocol": "HTTPS", "port": 443, "certificate": "wildcard"},
        ],
    }], "routes": []})

    def build() -> None:
        EdgeGateway("gateway-edge", gateway_args(config))

    recording = record_component(build)
    redirect = recording.named("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "gateway-edge-http-redirect")
    assert redirect.inputs["spec"]["rules"] == [
        {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
    ]


# ---------------------------------------------------------------------------------------------------- routes


def parent_ref(section: str) -> dict[str, str]:
    return {"group": GW, "kind": "Gateway", "name": "edge", "namespace": "gateway", "sectionName": section}


EXPECTED_API_ROUTE_SPEC = {
    "parentRefs": [parent_ref("https")],
    "hostnames": ["api.example.test"],
    "rules": [
        {
            "matches": [{"path": {"type": "PathPrefix", "value": "/api/governance"}}],
            "filters": [
                {
                    "type": "URLRewrite",
                    "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/governance"}},
                }
            ],
            "backendRefs": [
                {"group": "", "kind": "Service", "name": "governance", "namespace": "governance", "port": 8080}
            ],
        },
        {
            "matches": [{"path": {"type": "PathPrefix", "value": "/"},
                         "headers": [{"type": "Exact", "name": "x-canary", "value": "true"}]}],
            "backendRefs": [
                {"group": "", "kind": "Service", "name": "api", "port": 8080, "weight": 90},
                {"group": "", "kind": "Service", "name": "api-canary", "port": 8080, "weight": 10},
            ],
        },
    ],
}
# apps' routes reach two Services in governance: one grant there, for exactly those.
EXPECTED_GOVERNANCE_GRANT_SPEC = {
    "from": [{"group": GW, "kind": "HTTPRoute", "namespace": "apps"}],
    "to": [{"group": "", "kind": "Service", "name": "governance"}, {"group": "", "kind": "Service", "name": "reports"}],
}


def test_http_route_spec() -> None:
    config = lab()
    assert route_spec(config.routes[0], config.gateways[0]) == EXPECTED_API_ROUTE_SPEC


def test_route_without_listener_attaches_to_every_listener_of_its_protocol() -> None:
    """sectionName always: never to the HTTP listener, which only redirects."""
    config = parse_config({**LAB, "routes": [{**LAB["routes"][1], "listener": None}]})
    assert route_spec(config.routes[0], config.gateways[0])["parentRefs"] == [
        parent_ref("https"), parent_ref("public")
    ]


def test_reference_grants_admit_exactly_the_cross_namespace_services() -> None:
    config = lab()
    assert reference_grants(config.routes) == {("governance", "apps"): EXPECTED_GOVERNANCE_GRANT_SPEC}
    assert reference_grants(config.routes[2:]) == {}


def build_routes(config: StackConfig, version: str = "v1.6.1", channel: str = "standard") -> Recording:
    versions = Versions.model_validate({"gatewayApi": version, "gatewayApiChannel": channel})
    plan = routes_plan(config.model_copy(update={"versions": versions}))

    def build() -> None:
        crds = stand_in("crds")
        namespaces = {name: stand_in(f"namespace-{name}") for name in ("apps", "governance", "data")}
        Routes("routes", RoutesArgs(
            plan=plan,
            crds=[crds],
            namespaces=lambda *names: [namespaces[name] for name in names],
        ))

    return record_component(build)


def test_the_edge_plans_the_configured_routes() -> None:
    config = lab()
    assert plan_of(config).routes == routes_plan(config)
    assert sorted(routes_plan(config).routes) == ["apps.api", "apps.reports", "data.db"]


def test_routes_component() -> None:
    config = lab()
    recording = build_routes(config)
    parent = component(recording, "traffic-edge:routes:Routes", "routes")
    assert children(recording, parent) == [
        ("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "routes-apps.api"),
        ("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "routes-apps.reports"),
        ("kubernetes:gateway.networking.k8s.io/v1:ReferenceGrant", "routes-grant-governance.apps"),
        ("kubernetes:gateway.networking.k8s.io/v1:TCPRoute", "routes-data.db"),
    ]
    api = recording.named("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "routes-apps.api")
    assert object_(api) == {
        "apiVersion": f"{GW}/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "api", "namespace": "apps"},
        "spec": EXPECTED_API_ROUTE_SPEC,
    }
    assert api.dependencies == sorted([urn_of(recording, "crds"), urn_of(recording, "namespace-apps")])
    [grant] = recording.of_type("kubernetes:gateway.networking.k8s.io/v1:ReferenceGrant")
    assert object_(grant) == {
        "apiVersion": f"{GW}/v1",
        "kind": "ReferenceGrant",
        "metadata": {"name": "traffic-edge-from-apps", "namespace": "governance"},
        "spec": EXPECTED_GOVERNANCE_GRANT_SPEC,
    }
    assert grant.dependencies == sorted([urn_of(recording, "crds"), urn_of(recording, "namespace-governance")])
    tcp = recording.named("kubernetes:gateway.networking.k8s.io/v1:TCPRoute", "routes-data.db")
    assert object_(tcp) == {
        "apiVersion": f"{GW}/v1",
        "kind": "TCPRoute",
        "metadata": {"name": "db", "namespace": "data",
                     "annotations": {"external-dns.kubernetes.io/hostname": "db.example.test"}},
        "spec": {
            "parentRefs": [parent_ref("db")],
            "rules": [{"backendRefs": [{"group": "", "kind": "Service", "name": "postgres", "port": 5432}]}],
        },
    }


def test_routes_follow_the_served_api_versions() -> None:
    """Gateway API v1.4.1 experimental serves TCPRoute at v1alpha2 and ReferenceGrant at v1beta1 only."""
    recording = build_routes(lab(), "v1.4.1", "experimental")
    versions = sorted((r.inputs["kind"], r.inputs["apiVersion"]) for r in recording.resources.values()
                      if r.type.startswith(f"kubernetes:{GW}"))
    assert versions == [
        ("HTTPRoute", f"{GW}/v1"), ("HTTPRoute", f"{GW}/v1"),
        ("ReferenceGrant", f"{GW}/v1beta1"), ("TCPRoute", f"{GW}/v1alpha2"),
    ]


def test_same_namespace_backends_need_no_grant() -> None:
    config = parse_config({**LAB, "routes": [LAB["routes"][2]]})
    recording = build_routes(config)
    assert recording.of_type("kubernetes:gateway.networking.k8s.io/v1:ReferenceGrant") == []
    named = {**LAB["routes"][2], "rules": [{"backends": [{"service": "postgres", "port": 5432, "namespace": "data"}]}]}
    assert reference_grants(parse_config({**LAB, "routes": [named]}).routes) == {}  # its own namespace, written out


def test_backend_refs_say_only_what_differs_from_the_api_server_s_defaults() -> None:
    """A backend in the route's own namespace names none and a lone backend of weight 1 no weight, as the API server
    reads a missing field: writing the default would show as a change in every preview diff of an upgrade."""
    own = {"service": "postgres", "port": 5432, "namespace": "data"}
    other = {"service": "replica", "port": 5432, "namespace": "governance"}
    route = {**LAB["routes"][2], "rules": [{"backends": [own]}]}
    [parsed] = parse_config({**LAB, "routes": [route]}).routes
    assert backend_refs(parsed, parsed.rules[0].backends) == [
        {"group": "", "kind": "Service", "name": "postgres", "port": 5432}]
    route["rules"] = [{"backends": [{**own, "weight": 3}, {**other, "weight": 1}]}]
    [parsed] = parse_config({**LAB, "routes": [route]}).routes
    assert backend_refs(parsed, parsed.rules[0].backends) == [
        {"group": "", "kind": "Service", "name": "postgres", "port": 5432, "weight": 3},
        {"group": "", "kind": "Service", "name": "replica", "port": 5432, "namespace": "governance", "weight": 1}]


# ---------------------------------------------------------------------------------------------------- wiring


def test_deep_merge() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": "x"}
    assert deep_merge(base, {"a": {"c": [3], "e": {"f": True}}, "d": None}) == {
        "a": {"b": 1, "c": [3], "e": {"f": True}}, "d": None
    }
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": "x"}, "the base is not modified"
    assert deep_merge({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}


def test_platform_managed_crds_are_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the platform owns the Gateway API CRDs the program installs no bundle, and waits for none."""
    # As GKE's built-in controller does on GKE: a row whose platform installs the CRDs.
    row = dataclasses.replace(CONTROLLERS["envoy-gateway"], platform="onprem", platform_manages_crds=True)
    monkeypatch.setitem(CONTROLLERS, "envoy-gateway", row)  # the table the program will read
    config = {**LAB, "production": True, "issuers": {"internalCa": {}, "acme": {"email": "ops@example.test"}}}

    def program() -> None:
        runpy.run_path(str(PROJECT_DIR / "__main__.py"), run_name="__main__")

    with preflight_off():  # no cluster to read
        recording = record_component(program, config=config)
    assert recording.of_type(CONFIG_GROUP) == []
    assert recording.of_type(CONFIG_FILE) == []
    assert recording.of_type("traffic-edge:gateway_api:GatewayApiCrds") == []
    envoy = recording.named(RELEASE, "edge-envoy-gateway")
    assert envoy.inputs["values"]["crds"] == {"enabled": False}  # nor does the chart install any
    assert [r.name for r in recording.of_type(CLUSTER_ISSUER)] == [
        "edge-issuers-internal-ca", "edge-issuers-letsencrypt-production", "edge-issuers-letsencrypt-staging",
        "edge-issuers-selfsigned-root",
    ]


def test_objects_of_a_crd_chart_take_over_what_helm_set() -> None:
    """CRDs a chart's crds/ installed belong to Helm's field manager, and an older release's differ: the CRD chart's
    objects apply with `pulumi.com/patchForce` (pulumi/pulumi-kubernetes @ v4.32.0 : provider/pkg/await/await.go
    L1031-1063), or server-side apply refuses every changed field."""
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "envoyproxies.gateway.envoyproxy.io", "labels": {"a": "b"}}}
    child = pulumi.ResourceTransformArgs(True, "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
                                         "edge-envoy-gateway-crds:envoyproxies", crd, pulumi.ResourceOptions())
    result = force_apply(child)
    assert result is not None
    assert result.props["metadata"] == {"name": "envoyproxies.gateway.envoyproxy.io", "labels": {"a": "b"},
                                        "annotations": {"pulumi.com/patchForce": "true"}}
    chart = pulumi.ResourceTransformArgs(False, "kubernetes:helm.sh/v4:Chart", "edge-envoy-gateway-crds",
                                         {"chart": "gateway-crds-helm"}, pulumi.ResourceOptions())
    assert force_apply(chart) is None
