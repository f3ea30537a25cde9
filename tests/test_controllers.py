"""Every row of the controller table: its component, its values against the chart, and a whole stack using it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import WORKLOADS, Config, RenderStack, record_component, write_stack
from traffic_edge.components.gateway_controller import GatewayController, GatewayControllerArgs, controller_values
from traffic_edge.config.model import StackConfig
from traffic_edge.config.rules.compat import release
from traffic_edge.conformance.validator import REFDATA, ManifestValidator, require_refdata, validate_helm_values
from traffic_edge.controllers import CONTROLLERS, chart_pins
from traffic_edge.controllers.base import (
    ALL_PROTOCOLS,
    ALL_ROUTES,
    AgcDeployment,
    ControllerRow,
    GatewayFacts,
    ListenerFacts,
    ServiceType,
    ValuesContext,
)
from traffic_edge.data.workloads import IdentityPaths, Workload
from traffic_edge.offline.engine import Recording, Registration
from traffic_edge.plan.contracts import WorkloadIdentity
from traffic_edge.plan.sources import chart_location

RELEASE = "kubernetes:helm.sh/v3:Release"
CHART = "kubernetes:helm.sh/v4:Chart"
GATEWAY_CLASS = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass"
CONTROLLER = "traffic-edge:gateway_controller:GatewayController"
GW = "gateway.networking.k8s.io"
ROLE_ARN = "arn:aws:iam::123456789012:role/lab-aws-load-balancer-controller"
CLIENT_ID = "00000000-0000-0000-0000-000000000001"
ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"
LISTENERS = (ListenerFacts("HTTP", 80), ListenerFacts("HTTPS", 443), ListenerFacts("UDP", 53))


SUBNET = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/lab-network/providers/Microsoft.Network/" \
    "virtualNetworks/lab/subnets/alb"


def context(
    row: ControllerRow, service_type: ServiceType = "LoadBalancer", kinds: frozenset[str] = frozenset(),
    channel: str = "standard",
) -> ValuesContext:
    return ValuesContext(
        service_type,
        route_kinds=kinds or frozenset({"HTTPRoute"}),
        listeners=LISTENERS,
        gateway_api_channel=channel,
        cluster_name="lab",
        region="eu-west-1",
        agc=AgcDeployment("managed", SUBNET),
    )


def identity(row: ControllerRow) -> WorkloadIdentity:
    """The identity the platform hands a controller that needs one, as EKS (IRSA) and AKS make them."""
    if row.platform == "eks" and row.workload is not None:
        return WorkloadIdentity(service_account_annotations={"eks.amazonaws.com/role-arn": ROLE_ARN})
    if row.platform == "aks" and row.workload is not None:
        return WorkloadIdentity(
            service_account_annotations={"azure.workload.identity/client-id": CLIENT_ID},
            pod_labels={"azure.workload.identity/use": "true"},
            client_id=CLIENT_ID,
        )
    return WorkloadIdentity()


# A stack that names no artifact sources: every chart from its pinned upstream repository.
UPSTREAM = StackConfig.model_validate({"platform": {"kind": "onprem"}, "domain": "lab.example.test"})


def args(row: ControllerRow, values_context: ValuesContext) -> GatewayControllerArgs:
    chart = chart_location(UPSTREAM, row.chart.name) if row.chart else None
    crds = chart_location(UPSTREAM, row.crd_chart.pin.name) if row.crd_chart else None
    return GatewayControllerArgs(row, values_context, chart=chart, crd_chart=crds, identity=identity(row))


def render_controller(row: ControllerRow, values_context: ValuesContext) -> Recording:
    def build() -> None:
        GatewayController(row.name, args(row, values_context))

    return record_component(build)


def manifest(registration: Registration) -> dict[str, Any]:
    return {key: registration.inputs[key] for key in ("apiVersion", "kind", "metadata", "spec")}


def custom_objects(recording: Recording) -> list[dict[str, Any]]:
    return [manifest(r) for r in recording.resources.values() if r.custom and r.type not in (RELEASE, CHART)]


ROWS = list(CONTROLLERS.values())
IDS = list(CONTROLLERS)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_row_is_complete(row: ControllerRow) -> None:
    assert row.classes
    assert row.source.startswith("https://")
    assert all(item.route_kinds <= ALL_ROUTES and item.protocols <= ALL_PROTOCOLS for item in row.classes)
    assert set(row.reads) <= ALL_ROUTES
    assert row.chart is None or row.chart.source.startswith("https://")
    assert row.chart is None or chart_pins()[row.chart.name] is row.chart
    assert row.workload is None or WORKLOADS[row.workload.name] is row.workload
    assert row.workload is None or row.workload.namespace == row.namespace, "the identity trusts where it runs"
    assert row.workload is None or (row.aws or row.azure) is not None, "an identity with nothing to do"
    assert row.built_against is None or release(row.built_against) >= (1, 0, 0)
    assert "LoadBalancer" in row.service_types


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_controller_component(row: ControllerRow) -> None:
    """A release exactly where the row names a chart; GatewayClasses unless the chart or platform makes them."""
    values_context = context(row)
    recording = render_controller(row, values_context)
    releases = recording.of_type(RELEASE)
    if row.chart is None:
        assert releases == []
    else:
        pin = row.chart
        [chart_release] = releases
        assert chart_release.name == row.name
        assert chart_release.inputs["name"] == row.name
        assert chart_release.inputs["chart"] == pin.chart
        assert chart_release.inputs["version"] == pin.version
        assert chart_release.inputs["namespace"] == row.namespace
        assert chart_release.inputs.get("repositoryOpts") == ({"repo": pin.repo} if pin.repo else None)
        assert chart_release.inputs["values"] == controller_values(args(row, values_context))
        # a failed install is uninstalled and a failed upgrade rolled back, within the row's wait
        assert (chart_release.inputs["atomic"], chart_release.inputs["cleanupOnFail"]) == (True, True)
        assert chart_release.inputs["timeout"] == row.release_timeout
    crd_charts = recording.of_type(CHART)
    if row.crd_chart is None:
        assert crd_charts == []
    else:
        [crds] = crd_charts
        assert (crds.inputs["chart"], crds.inputs["version"]) == (row.crd_chart.pin.chart, row.crd_chart.pin.version)
        assert crds.inputs["values"] == row.crd_chart.values
        assert crds.protect
        assert crds.retain_on_delete
        assert crds.urn in recording.named(RELEASE, row.name).dependencies, "the CRDs come before the chart"
    classes = [manifest(r) for r in recording.of_type(GATEWAY_CLASS)]
    parameters = row.class_parameters(values_context)
    reference = {"parametersRef": parameters.class_ref()} if parameters else {}
    expected = [] if row.installs_classes else [
        {"apiVersion": f"{GW}/v1", "kind": "GatewayClass", "metadata": {"name": item.name},
         "spec": {"controllerName": item.controller_name, **reference}}
        for item in row.classes
    ]
    assert sorted(classes, key=str) == sorted(expected, key=str)
    require_refdata()
    validator = ManifestValidator("v1.6.1", "standard")
    assert [error for item in classes for error in validator.validate(item)] == []


EXPECTED_CLASSES = {
    "envoy-gateway": [("envoy-gateway", "gateway.envoyproxy.io/gatewayclass-controller")],
    "nginx-gateway-fabric": [("nginx", "gateway.nginx.org/nginx-gateway-controller")],
    "istio": [("istio", "istio.io/gateway-controller")],
    "traefik": [("traefik", "traefik.io/gateway-controller")],
    "cilium": [("cilium-traffic-edge", "io.cilium/gateway-controller")],
    "gke": [
        ("gke-l7-global-external-managed", "networking.gke.io/gateway"),
        ("gke-l7-regional-external-managed", "networking.gke.io/gateway"),
        ("gke-l7-rilb", "networking.gke.io/gateway"),
    ],
    "aws-load-balancer-controller": [("aws-alb", "gateway.k8s.aws/alb"), ("aws-nlb", "gateway.k8s.aws/nlb")],
    "azure-alb": [("azure-alb-external", "alb.networking.azure.io/alb-controller")],
}


def test_class_names_and_controller_names() -> None:
    assert {name: [(item.name, item.controller_name) for item in row.classes]
            for name, row in CONTROLLERS.items()} == EXPECTED_CLASSES


def test_aws_gateways_pick_the_alb_for_l7_and_the_nlb_for_l4() -> None:
    row = CONTROLLERS["aws-load-balancer-controller"]
    assert row.class_for(["HTTP", "HTTPS"]).name == "aws-alb"
    assert row.class_for(["TCP", "UDP"]).name == "aws-nlb"
    assert row.class_for(["TLS"]).name == "aws-nlb"


# ------------------------------------------------------------------------------------------------ chart values

def defaults_of(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text()) or {}
    assert isinstance(loaded, dict)
    return loaded


def unknown_keys(values: dict[str, Any], defaults: dict[str, Any], at: str = "") -> list[str]:
    """Keys set in `values` where the chart's defaults list the keys of that map and this one is not among them."""
    unknown = []
    for key, value in values.items():
        path = f"{at}.{key}" if at else key
        if defaults and key not in defaults:
            unknown.append(path)
        elif isinstance(value, dict) and isinstance(defaults.get(key), dict):
            unknown += unknown_keys(value, defaults[key], path)
    return unknown


def test_nginx_gateway_fabric_values() -> None:
    row = CONTROLLERS["nginx-gateway-fabric"]
    assert row.chart is not None
    values = row.values(context(row, "NodePort", frozenset({"HTTPRoute", "TCPRoute"}), "experimental"))
    assert values == {
        "nginxGateway": {"gatewayClassName": "nginx", "gwAPIExperimentalFeatures": {"enable": True}},
        "nginx": {"service": {"type": "NodePort"}},
    }
    require_refdata()
    assert validate_helm_values("nginx-gateway-fabric", row.chart.version, dict(values)) == []
    broken = {"nginx": {"service": {"type": "HostPort"}}}
    assert validate_helm_values("nginx-gateway-fabric", row.chart.version, broken)


def test_aws_load_balancer_controller_values() -> None:
    row = CONTROLLERS["aws-load-balancer-controller"]
    values = controller_values(args(row, context(row)))
    assert values == {
        "clusterName": "lab",
        "region": "eu-west-1",
        "serviceAccount": {
            "name": "aws-load-balancer-controller", "annotations": {"eks.amazonaws.com/role-arn": ROLE_ARN}
        },
        "controllerConfig": {"featureGates": {"ALBGatewayAPI": True, "NLBGatewayAPI": True}},
    }
    assert values["serviceAccount"]["name"] == WORKLOADS["aws-load-balancer-controller"].service_account
    require_refdata()
    assert validate_helm_values("aws-load-balancer-controller", "3.5.0", values) is None  # the chart ships no schema
    chart = REFDATA / "aws-load-balancer-controller/v3.5.0/chart/values.yaml"
    assert unknown_keys(values, defaults_of(chart)) == []
    assert unknown_keys({"clusterNmae": "lab"}, defaults_of(chart)) == ["clusterNmae"]


def test_envoy_gateway_values_are_keys_of_the_chart() -> None:
    require_refdata()
    row = CONTROLLERS["envoy-gateway"]
    chart = REFDATA / "envoy-gateway/v1.9.0/gateway-helm"
    defaults = defaults_of(chart / "values.yaml")
    defaults["crds"] = {**defaults["crds"], **defaults_of(chart / "charts/crds/values.yaml")}
    assert unknown_keys(dict(row.values(context(row))), defaults) == []


def test_envoy_gateway_node_port_through_an_envoy_proxy() -> None:
    row = CONTROLLERS["envoy-gateway"]
    recording = render_controller(row, context(row, "NodePort"))
    assert sorted(custom_objects(recording), key=lambda item: item["kind"]) == [
        {
            "apiVersion": "gateway.envoyproxy.io/v1alpha1",
            "kind": "EnvoyProxy",
            "metadata": {"name": "traffic-edge", "namespace": "envoy-gateway-system"},
            "spec": {"provider": {"type": "Kubernetes", "kubernetes": {"envoyService": {"type": "NodePort"}}}},
        },
        {
            "apiVersion": f"{GW}/v1",
            "kind": "GatewayClass",
            "metadata": {"name": "envoy-gateway"},
            "spec": {
                "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                "parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": "traffic-edge",
                                  "namespace": "envoy-gateway-system"},
            },
        },
    ]


def test_cilium_creates_only_its_class_and_class_config() -> None:
    row = CONTROLLERS["cilium"]
    recording = render_controller(row, context(row, "NodePort"))
    assert recording.of_type(RELEASE) == []
    assert sorted(custom_objects(recording), key=lambda item: item["kind"]) == [
        {
            "apiVersion": "cilium.io/v2alpha1",
            "kind": "CiliumGatewayClassConfig",
            "metadata": {"name": "traffic-edge", "namespace": "kube-system"},
            "spec": {"service": {"type": "NodePort"}},
        },
        {
            "apiVersion": f"{GW}/v1",
            "kind": "GatewayClass",
            "metadata": {"name": "cilium-traffic-edge"},
            "spec": {
                "controllerName": "io.cilium/gateway-controller",
                "parametersRef": {"group": "cilium.io", "kind": "CiliumGatewayClassConfig", "name": "traffic-edge",
                                  "namespace": "kube-system"},
            },
        },
    ]


def test_istio_takes_the_service_type_from_a_gateway_annotation() -> None:
    row = CONTROLLERS["istio"]
    assert row.gateway_annotations(context(row)) == {}
    assert row.gateway_annotations(context(row, "NodePort")) == {"networking.istio.io/service-type": "NodePort"}
    assert row.values(context(row)) == {}
    assert row.values(context(row, kinds=frozenset({"TCPRoute"}), channel="experimental")) == {
        "pilot": {"env": {"PILOT_ENABLE_ALPHA_GATEWAY_API": "true"}}
    }


def test_traefik_gets_an_entrypoint_per_listener_port() -> None:
    row = CONTROLLERS["traefik"]
    assert row.values(context(row, "NodePort", frozenset({"HTTPRoute", "TCPRoute"}))) == {
        "providers": {"kubernetesGateway": {"enabled": True, "experimentalChannel": True},
                      "kubernetesIngress": {"enabled": False}},
        "gateway": {"enabled": False},
        "gatewayClass": {"enabled": True, "name": "traefik"},
        "ports": {
            "web": {"expose": {"default": False}},
            "websecure": {"expose": {"default": False}},
            "udp53": {"port": 53, "exposedPort": 53, "protocol": "UDP", "expose": {"default": True}},
            "tcp80": {"port": 80, "exposedPort": 80, "protocol": "TCP", "expose": {"default": True}},
            "tcp443": {"port": 443, "exposedPort": 443, "protocol": "TCP", "expose": {"default": True}},
        },
        "service": {"type": "NodePort"},
        "podSecurityContext": {"sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]},
    }


def test_application_gateway_for_containers_takes_the_identity_as_a_client_id() -> None:
    """Only the client ID value: no service-account annotation or pod label the chart does not read."""
    row = CONTROLLERS["azure-alb"]
    assert row.values(context(row)) == {"albController": {"namespace": "azure-alb-system"}}
    assert controller_values(args(row, context(row))) == {"albController": {"namespace": "azure-alb-system",
                                                                            "podIdentity": {"clientID": CLIENT_ID}}}
    assert WORKLOADS["alb-controller"] == Workload(
        name="alb-controller", namespace="azure-alb-system", service_account="alb-controller-sa",
        identity_name="azure-alb-identity",
        identity_paths=IdentityPaths(service_account_annotations=None, pod_labels=None,
                                     client_id=("albController", "podIdentity", "clientID")),
    )


def test_load_balancer_configuration_carries_the_acm_certificates() -> None:
    row = CONTROLLERS["aws-load-balancer-controller"]
    listeners = (ListenerFacts("HTTP", 80), ListenerFacts("HTTPS", 443, ARN))
    parameters = row.gateway_parameters(context(row), GatewayFacts("edge", "gateway", listeners))
    assert parameters is not None
    assert (parameters.api_version, parameters.kind, parameters.name, parameters.namespace) == (
        "gateway.k8s.aws/v1", "LoadBalancerConfiguration", "edge", "gateway"
    )
    assert parameters.spec == {
        "scheme": "internet-facing",
        "listenerConfigurations": [{"protocolPort": "HTTPS:443", "defaultCertificate": ARN}],
    }
    assert parameters.gateway_ref() == {"group": "gateway.k8s.aws", "kind": "LoadBalancerConfiguration", "name": "edge"}


# ------------------------------------------------------------------------------------------------ whole stacks

DOMAIN = "lab.example.test"
WILDCARD = {"name": "wildcard", "issuer": "internal-ca", "dnsNames": [f"*.{DOMAIN}"]}
WEB = {"name": "web", "namespace": "apps", "gateway": "edge", "hostnames": [f"web.{DOMAIN}"],
       "rules": [{"backends": [{"service": "web", "port": 8080}]}]}
SECRET_LISTENERS = [{"name": "http", "protocol": "HTTP", "port": 80},
                    {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": f"*.{DOMAIN}",
                     "certificate": "wildcard"}]
PLATFORMS: dict[str, Config] = {
    "onprem": {"kind": "onprem"},
    "gke": {"kind": "gke", "project": "lab-project"},
    "eks": {"kind": "eks", "region": "eu-west-1", "clusterName": "lab",
            "oidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/AB12"},
    "aks": {"kind": "aks", "subscriptionId": "00000000-0000-0000-0000-000000000000", "resourceGroup": "lab",
            "location": "westeurope", "oidcIssuerUrl": "https://oidc.example.test/lab", "nodeResourceGroup": "MC_lab"},
}


def stack_for(row: ControllerRow) -> Config:
    """The smallest edge for this controller on its platform: one HTTPS gateway and one HTTPRoute."""
    listeners = SECRET_LISTENERS
    if row.certificates == "acm":
        listeners = [SECRET_LISTENERS[0], {"name": "https", "protocol": "HTTPS", "port": 443,
                                           "hostname": f"*.{DOMAIN}", "certificateArn": ARN}]
    issuers: Config = {"internalCa": {}}
    if row.platform == "aks":  # the Azure provider builds its DNS-01 solver unconditionally
        issuers["acme"] = {"email": "ops@example.test", "solver": "dns01"}
    settings: Config = {"name": row.name}
    if row.releases:
        settings["version"] = f"{row.releases[-1].minor}.0"
    if "applicationGateway" in row.config_keys:
        settings["applicationGateway"] = {"mode": "managed", "subnetId": SUBNET}
    if row.chart_waits_for_load_balancer and row.platform is None:
        settings["loadBalancer"] = True  # the lab has MetalLB
    return {
        "platform": PLATFORMS[row.platform or "onprem"],
        "cluster": {"ambient": True},
        "domain": DOMAIN,
        "controller": settings,
        "issuers": issuers,
        "namespaces": {"apps": {"gateways": ["edge"]}},
        "gateways": [{"name": "edge", "certificates": [] if row.certificates == "acm" else [WILDCARD],
                      "listeners": listeners}],
        "routes": [WEB],
    }


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_every_controller_renders_in_a_whole_stack(
    row: ControllerRow, tmp_path: Path, render_stack: RenderStack
) -> None:
    recording = render_stack(write_stack(tmp_path, stack_for(row), stack=row.name))
    assert recording.named(CONTROLLER, f"edge-{row.name}")
    [gateway] = [r for r in recording.resources.values() if r.inputs.get("kind") == "Gateway"]
    assert gateway.inputs["spec"]["gatewayClassName"] == row.classes[0].name
    bundles = recording.of_type("traffic-edge:gateway_api:GatewayApiCrds")
    assert len(bundles) == (0 if row.platform_manages_crds else 1)
    releases = [r.inputs["name"] for r in recording.of_type(RELEASE) if r.name == f"edge-{row.name}"]
    assert releases == ([row.name] if row.chart else [])
    require_refdata()
    validator = ManifestValidator("v1.6.1", "standard")
    gateway_api = [manifest(r) for r in recording.resources.values() if r.type.startswith(f"kubernetes:{GW}/")]
    assert [error for item in gateway_api for error in validator.validate(item)] == []
