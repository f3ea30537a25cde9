"""Each controller row is true to its pinned release: the facts a reviewer checks by hand against the upstream
source, asserted against ../shared/refdata where it holds them, else quoted with their source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.conftest import parse_config
from tests.test_compat import HTTP, HTTPS, cilium, lab, listener, route, with_versions
from traffic_edge.config.model import StackConfig
from traffic_edge.config.rules.compat import check as compat_check
from traffic_edge.conformance.validator import REFDATA, ManifestValidator, require_refdata, validate_helm_values
from traffic_edge.controllers import CONTROLLERS, chart_pins
from traffic_edge.controllers.base import AgcDeployment, GatewayFacts, ListenerFacts, ValuesContext
from traffic_edge.data.versions import SERVED_ROUTE_VERSIONS, UNSERVED_ROUTE_VERSIONS
from traffic_edge.plan import identity_requests

GATEWAY_API = REFDATA / "gateway-api"
LBC_CHART = REFDATA / "aws-load-balancer-controller/v3.5.0/chart"
EG_CHART = REFDATA / "envoy-gateway/v1.9.0/gateway-helm"
NLB = [listener("db", "TCP", 5432)]
TLS = listener("tls", "TLS", 8443, hostname="db.lab.example.test", tlsMode="Passthrough")


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def route_versions(release: str, channel: str) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Route kind → the versions its CRD serves, and those it lists unserved, read from refdata."""
    served: dict[str, set[str]] = {}
    unserved: dict[str, set[str]] = {}
    for path in sorted((GATEWAY_API / release / channel).glob("*routes.yaml")):
        for crd in documents(path):
            kind = crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                (served if version["served"] else unserved).setdefault(kind, set()).add(version["name"])
    return served, unserved


def test_listed_but_unserved_route_versions_are_those_of_the_crds() -> None:
    require_refdata()
    for release, channel in (("v1.4.1", "standard"), ("v1.4.1", "experimental"), ("v1.6.1", "standard"),
                             ("v1.6.1", "experimental")):
        served, unserved = route_versions(release, channel)
        assert {kind: set(versions) for kind, versions in UNSERVED_ROUTE_VERSIONS[(release, channel)].items()} \
            == unserved, (release, channel)
        assert {kind: set(v) for kind, v in SERVED_ROUTE_VERSIONS[(release, channel)].items()} == served


# ----------------------------------------------------------------------------------------------- Envoy Gateway

def test_envoy_gateway_chart_installs_no_crds_and_its_crd_chart_only_its_own() -> None:
    """gateway-helm's `crds` subchart is a dependency under `condition: crds.enabled` (refdata = envoyproxy/gateway
    @ v1.9.0 : charts/gateway-helm/Chart.yaml); its crds/gatewayapi-crds.yaml is the experimental v1.6.1 bundle plus
    xbackends, xbackendtrafficpolicies and xmeshes.gateway.networking.x-k8s.io (read at the tag; not in refdata).
    gateway-crds-helm's values are `crds.gatewayAPI.{enabled,channel}` and `crds.envoyGateway.enabled`
    (charts/gateway-crds-helm/values.yaml L1-6, both false by default)."""
    require_refdata()
    row = CONTROLLERS["envoy-gateway"]
    assert row.values(ValuesContext("LoadBalancer")) == {"crds": {"enabled": False}}
    assert yaml.safe_load((EG_CHART / "Chart.yaml").read_text())["dependencies"] == [
        {"name": "crds", "version": "0.0.0", "condition": "crds.enabled"}
    ]
    assert row.crd_chart is not None
    assert row.crd_chart.values == {"crds": {"gatewayAPI": {"enabled": False}, "envoyGateway": {"enabled": True}}}
    own = [crd for path in sorted((EG_CHART / "charts/crds/crds/generated").glob("*.yaml")) for crd in documents(path)]
    assert {crd["spec"]["group"] for crd in own} == {"gateway.envoyproxy.io"}


def test_crd_charts_are_pinned_with_their_controller() -> None:
    """Envoy Gateway publishes every chart at the release's version (tools/make/helm.mk L11-12, L27 @ v1.9.0);
    Istio's base and istiod share the release version (istio.io announcing-1.30.5)."""
    pins = chart_pins()
    assert (pins["envoy-gateway-crds"].chart, pins["envoy-gateway-crds"].version) == (
        "oci://docker.io/envoyproxy/gateway-crds-helm", "v1.9.0")
    assert (pins["istio-base"].chart, pins["istio-base"].repo, pins["istio-base"].version) == (
        "base", "https://istio-release.storage.googleapis.com/charts", "1.30.5")
    for row in CONTROLLERS.values():
        if row.crd_chart is not None:
            assert row.chart is not None
            assert row.crd_chart.pin.version == row.chart.version
    assert (pins["istiod"].version, pins["traefik"].version, pins["alb-controller"].version) == (
        "1.30.5", "41.5.0", "1.12.4")


# ------------------------------------------------------------------------------------------------------- Istio

def istio_values(kinds: set[str], channel: str, listeners: tuple[ListenerFacts, ...] = ()) -> Any:
    context = ValuesContext("LoadBalancer", frozenset(kinds), listeners, gateway_api_channel=channel)
    return CONTROLLERS["istio"].values(context)


def test_istio_alpha_flag_only_for_tcp_on_the_experimental_channel() -> None:
    """istio/istio @ 1.30.3 : TLSRoute is watched at v1 unconditionally (pilot/pkg/config/kube/gateway/
    controller.go L206), TCPRoute at v1alpha2 and TCP listeners only with the flag (L212-217; conversion.go
    L2152-2155); on standard CRDs the flag makes istiod wait for unserved versions (istio/istio#59387)."""
    flag = {"pilot": {"env": {"PILOT_ENABLE_ALPHA_GATEWAY_API": "true"}}}
    assert istio_values({"TLSRoute"}, "standard") == {}
    assert istio_values({"TLSRoute"}, "experimental") == {}
    assert istio_values({"TCPRoute"}, "experimental") == flag
    assert istio_values(set(), "experimental", (ListenerFacts("TCP", 5432),)) == flag
    assert istio_values({"TCPRoute"}, "standard") == {}
    assert CONTROLLERS["istio"].reads == {"TCPRoute": "v1alpha2", "UDPRoute": "v1alpha2"}


def test_istio_base_renders_the_webhook_as_istiod_leaves_it() -> None:
    """istiod turns the base chart's validation webhook to `Fail` once it serves (istio/istio @ 1.30.3 :
    pkg/webhooks/validation/controller/controller.go L257-276); the chart takes that value
    (templates/defaultrevision-validatingwebhookconfiguration.yaml, `base.validationFailurePolicy`)."""
    row = CONTROLLERS["istio"]
    assert row.crd_chart is not None
    assert row.crd_chart.values == {"base": {"validationFailurePolicy": "Fail"}}


def test_istio_tls_route_on_the_standard_channel_passes_and_tcp_route_is_refused() -> None:
    assert compat_check(parse_config(lab(controller="istio", listeners=[HTTP, HTTPS, TLS],
                                         routes=[route("web"), route("db", "TLSRoute")]))) == []
    tcp = lab(controller="istio", listeners=NLB, routes=[route("db", "TCPRoute")])
    assert [issue.path for issue in compat_check(StackConfig.model_validate(tcp))] == ["routes[0].kind"]
    assert compat_check(parse_config(with_versions(tcp, gatewayApiChannel="experimental"))) == []


# ---------------------------------------------------------------------------------------- NGINX Gateway Fabric

def test_nginx_gateway_fabric_reads_tls_route_at_v1_without_its_flag() -> None:
    """nginx/nginx-gateway-fabric @ v2.6.7 : internal/controller/manager.go (L815-826) TLSRoute v1 whenever
    served; (L841-866) TCPRoute/UDPRoute v1alpha2 only with `gwAPIExperimentalFeatures.enable`, which needs the
    experimental channel (charts/nginx-gateway-fabric/values.yaml L269-272)."""
    require_refdata()
    row = CONTROLLERS["nginx-gateway-fabric"]
    assert "TLSRoute" not in row.reads
    assert row.tls_modes == {"Passthrough"}

    def flag(kinds: set[str], channel: str) -> bool:
        values = row.values(ValuesContext("NodePort", frozenset(kinds), gateway_api_channel=channel))
        assert validate_helm_values("nginx-gateway-fabric", "2.6.7", dict(values)) == []
        return bool(values["nginxGateway"]["gwAPIExperimentalFeatures"]["enable"])

    assert (flag({"TLSRoute"}, "standard"), flag({"TLSRoute"}, "experimental")) == (False, False)
    assert (flag({"TCPRoute"}, "standard"), flag({"UDPRoute"}, "experimental")) == (False, True)
    passthrough = lab(controller="nginx-gateway-fabric", listeners=[HTTP, HTTPS, TLS],
                      routes=[route("web"), route("db", "TLSRoute")])
    assert compat_check(parse_config(passthrough)) == []


# ----------------------------------------------------------------------------- AWS Load Balancer Controller

def test_aws_load_balancer_controller_reads_every_route_at_v1() -> None:
    """kubernetes-sigs/aws-load-balancer-controller @ v3.5.0 : go.mod (L52) gateway-api v1.6.0; the route loaders
    list gwv1 types (pkg/gateway/routeutils/tcp.go L140, tls.go L138, udp.go L138)."""
    row = CONTROLLERS["aws-load-balancer-controller"]
    assert (row.built_against, dict(row.reads)) == ("v1.6.0", {})
    eks = lab(platform="eks", controller="aws-load-balancer-controller", listeners=NLB,
              routes=[route("db", "TCPRoute")])
    assert compat_check(StackConfig.model_validate(eks)) == []  # refused before: TCPRoute was read at v1alpha2
    older = [issue.path for issue in compat_check(StackConfig.model_validate(
        with_versions(eks, gatewayApi="v1.4.1", gatewayApiChannel="experimental")))]
    assert older == ["versions.gatewayApi", "routes[0].kind"]  # v1.4.1 serves TCPRoute at v1alpha2 only


def lbc_crd(kind: str) -> dict[str, Any]:
    [crd] = [doc for doc in documents(LBC_CHART / "crds/gateway-crds.yaml") if doc["spec"]["names"]["kind"] == kind]
    return crd


def test_load_balancer_configuration_at_its_storage_version_with_the_scheme_asked_for() -> None:
    require_refdata()
    crd = lbc_crd("LoadBalancerConfiguration")
    storage = [v["name"] for v in crd["spec"]["versions"] if v["storage"]]
    served = {v["name"] for v in crd["spec"]["versions"] if v["served"]}
    [v1] = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    scheme = v1["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["scheme"]["enum"]
    assert (storage, served, scheme) == (["v1"], {"v1", "v1beta1"}, ["internal", "internet-facing"])
    row = CONTROLLERS["aws-load-balancer-controller"]
    for wanted in scheme:
        context = ValuesContext("LoadBalancer", scheme=wanted)
        parameters = row.gateway_parameters(context, GatewayFacts("edge", "gateway", (ListenerFacts("TCP", 5432),)))
        assert parameters is not None
        assert parameters.api_version == f"gateway.k8s.aws/{storage[0]}"
        assert parameters.earlier_api_versions == ("gateway.k8s.aws/v1beta1",)  # existing objects update in place
        manifest: dict[str, Any] = {"apiVersion": parameters.api_version, "kind": parameters.kind,
                                    "metadata": {"name": "edge", "namespace": "gateway"}, "spec": dict(parameters.spec)}
        assert manifest["spec"]["scheme"] == wanted
        assert ManifestValidator().validate(manifest) == []


def test_aws_load_balancer_controller_values_are_keys_of_the_chart() -> None:
    """helm/aws-load-balancer-controller/values.yaml @ v3.5.0 (L134-135 clusterName, L177-178 vpcId)."""
    require_refdata()
    defaults = yaml.safe_load((LBC_CHART / "values.yaml").read_text())
    row = CONTROLLERS["aws-load-balancer-controller"]
    values = row.values(ValuesContext("LoadBalancer", cluster_name="lab", region="eu-west-1", vpc_id="vpc-0a1b2c3d"))
    assert {"clusterName", "region", "vpcId"} <= set(values) <= set(defaults)
    assert values["vpcId"] == "vpc-0a1b2c3d"
    assert "vpcId" not in row.values(ValuesContext("LoadBalancer", cluster_name="lab"))


def test_the_cluster_name_may_come_from_the_cluster_stack() -> None:
    eks = lab(platform="eks", controller="aws-load-balancer-controller", listeners=NLB,
              routes=[route("db", "TCPRoute")])
    from_stack = {**eks, "platform": {"kind": "eks", "region": "eu-west-1", "clusterStack": "org/cluster/lab"}}
    assert compat_check(StackConfig.model_validate(from_stack)) == []
    neither = {**eks, "platform": {"kind": "eks", "region": "eu-west-1"}}
    [issue] = compat_check(StackConfig.model_validate(neither))
    assert (issue.path, issue.fix) == (
        "platform.clusterName",
        "set platform.clusterName, or name the cluster's stack (exporting `clusterName`) in platform.clusterStack",
    )


# ----------------------------------------------------------------------------------------------------- Cilium

def test_cilium_facts_follow_its_version() -> None:
    """cilium/cilium: v1.18.11 and v1.19.7 operator/pkg/gateway-api/cell.go register TLSRoute at v1alpha2; v1.20.2
    operator/pkg/gateway-api/helpers/schemes.go (L22-30) requires TLSRoute, ReferenceGrant and BackendTLSPolicy at
    v1, served from Gateway API v1.5."""
    row = CONTROLLERS["cilium"]
    assert [(item.minor, dict(item.reads), item.requires_gateway_api) for item in row.releases] == [
        ("1.18", {"TLSRoute": "v1alpha2"}, None), ("1.19", {"TLSRoute": "v1alpha2"}, None), ("1.20", {}, "v1.5.0"),
    ]
    assert row.checks_listed_versions
    assert row.release("1.19.7") is row.releases[1]
    assert row.release("v1.20.2") is row.releases[2]
    assert row.release("1.17.0") is None
    tls = {"listeners": [HTTP, HTTPS, TLS], "routes": [route("web"), route("db", "TLSRoute")]}
    assert compat_check(parse_config(cilium("1.20.2", **tls))) == []
    assert compat_check(parse_config(with_versions(cilium("1.19.7", **tls), gatewayApiChannel="experimental"))) == []


# ------------------------------------------------------------------------------- Application Gateway for Containers

SUBNET = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/net/providers/Microsoft.Network/" \
    "virtualNetworks/lab/subnets/alb"
ALB_ID = "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/agc/providers/" \
    "Microsoft.ServiceNetworking/trafficControllers/edge"


def test_application_gateway_for_containers_in_both_modes() -> None:
    """Managed: an ApplicationLoadBalancer (alb.networking.azure.io/v1, spec.associations [subnet ID]) and the
    Gateway annotations alb-namespace and alb-name; bring your own: the alb-id annotation and an
    alb.networking.azure.io/alb-frontend address (learn.microsoft.com …/for-containers/
    quickstart-create-application-gateway-for-containers-managed-by-alb-controller, how-to-cert-manager-lets-encrypt-
    gateway-api)."""
    row = CONTROLLERS["azure-alb"]
    managed = ValuesContext("LoadBalancer", agc=AgcDeployment("managed", SUBNET))
    [alb] = row.objects(managed)
    assert (alb.api_version, alb.kind, alb.name, alb.namespace, dict(alb.spec)) == (
        "alb.networking.azure.io/v1", "ApplicationLoadBalancer", "traffic-edge", "azure-alb-system",
        {"associations": [SUBNET]},
    )
    assert row.gateway_annotations(managed) == {"alb.networking.azure.io/alb-namespace": "azure-alb-system",
                                                "alb.networking.azure.io/alb-name": "traffic-edge"}
    assert row.gateway_addresses(managed) == ()
    byo = ValuesContext("LoadBalancer", agc=AgcDeployment("byo", SUBNET, ALB_ID, "edge-frontend"))
    assert row.objects(byo) == ()
    assert row.gateway_annotations(byo) == {"alb.networking.azure.io/alb-id": ALB_ID}
    assert row.gateway_addresses(byo) == ({"type": "alb.networking.azure.io/alb-frontend", "value": "edge-frontend"},)


def test_application_gateway_grants_name_the_subnet_and_the_resource_group() -> None:
    """Configuration Manager (fbc52c3f-…) where the resource lives and Network Contributor (4d97b98b-…) on the
    association subnet (both create quickstarts, "Delegate permissions to managed identity")."""
    row = CONTROLLERS["azure-alb"]
    assert row.azure is not None
    assert [(grant.role, grant.scope) for grant in row.azure.grants] == [
        ("Reader", "node_resource_group"),
        ("AppGw for Containers Configuration Manager", "alb_resource_group"),
        ("Network Contributor", "alb_subnet"),
    ]
    aks = {**lab(platform="aks", controller="azure-alb"),
           "platform": {"kind": "aks", "clusterStack": "org/cluster/lab"}}
    managed = {**aks, "controller": {"name": "azure-alb", "applicationGateway": {"mode": "managed",
                                                                                 "subnetId": SUBNET}}}
    byo = {**aks, "controller": {"name": "azure-alb", "applicationGateway": {
        "mode": "byo", "subnetId": SUBNET, "albId": ALB_ID, "frontend": "edge-frontend"}}}
    [request] = [item for item in identity_requests(StackConfig.model_validate(managed))
                 if item.workload.name == "alb-controller"]
    assert request.scopes == {"alb_subnet": SUBNET}  # the resource group: the node resource group
    [request] = [item for item in identity_requests(StackConfig.model_validate(byo))
                 if item.workload.name == "alb-controller"]
    assert request.scopes == {"alb_subnet": SUBNET,
                              "alb_resource_group": "/subscriptions/00000000-0000-0000-0000-000000000002/"
                                                    "resourceGroups/agc"}
