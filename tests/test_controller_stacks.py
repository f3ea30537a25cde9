"""Whole stacks on the controllers issue 13 is about: each renders (or is refused for its documented reason),
what it renders is what the API server accepts (../shared/refdata), and it passes the policy pack."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Config, Rejection, RenderStack, depends_on, write_stack
from tests.test_controllers import ARN, DOMAIN, stack_for
from tests.test_policy_pack import rendered_plan
from traffic_edge.conformance.validator import ManifestValidator, require_refdata
from traffic_edge.controllers import CONTROLLERS
from traffic_edge.data.permissions.azure import AZURE_ROLES
from traffic_edge.offline.engine import Recording, Registration
from traffic_edge.offline.plan import manifests
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.policy.plan import check_plan

RELEASE = "kubernetes:helm.sh/v3:Release"
CHART = "kubernetes:helm.sh/v4:Chart"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
TLS = {"name": "tls", "protocol": "TLS", "port": 8443, "hostname": f"db.{DOMAIN}", "tlsMode": "Passthrough"}
TLS_ROUTE = {"name": "db", "kind": "TLSRoute", "namespace": "apps", "gateway": "edge", "hostnames": [f"db.{DOMAIN}"],
             "rules": [{"backends": [{"service": "db", "port": 5432}]}]}
SUBNET = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/net/providers/Microsoft.Network/" \
    "virtualNetworks/lab/subnets/alb"
ALB_ID = "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/agc/providers/" \
    "Microsoft.ServiceNetworking/trafficControllers/edge"
ALB = "alb.networking.azure.io"


def with_tls_route(controller: str) -> Config:
    config = copy.deepcopy(stack_for(CONTROLLERS[controller]))
    config["gateways"][0]["listeners"].append(TLS)
    config["routes"].append(TLS_ROUTE)
    return config


def lbc_with_tcp_route() -> Config:
    """An ALB for HTTPS and an NLB for TCP (one load balancer kind per Gateway), internal, the cluster's name and VPC
    from its stack."""
    config = copy.deepcopy(stack_for(CONTROLLERS["aws-load-balancer-controller"]))
    config["platform"] = {"kind": "eks", "region": "eu-west-1", "clusterStack": "org/cluster/lab"}
    config["controller"]["scheme"] = "internal"
    config["gateways"].append({"name": "db", "listeners": [{"name": "db", "protocol": "TCP", "port": 5432}]})
    config["namespaces"]["apps"]["gateways"].append("db")
    config["routes"].append({"name": "db", "kind": "TCPRoute", "namespace": "apps", "gateway": "db",
                             "rules": [{"backends": [{"service": "db", "port": 5432}]}]})
    return config


def azure(application_gateway: Config) -> Config:
    config = copy.deepcopy(stack_for(CONTROLLERS["azure-alb"]))
    config["controller"]["applicationGateway"] = application_gateway
    return config


STACKS: dict[str, Callable[[], Config]] = {
    "istio": lambda: with_tls_route("istio"),
    "nginx-tls-route": lambda: with_tls_route("nginx-gateway-fabric"),
    "lbc-tcp-route": lbc_with_tcp_route,
    "alb-managed": lambda: azure({"mode": "managed", "subnetId": SUBNET}),
    "alb-byo": lambda: azure({"mode": "byo", "subnetId": SUBNET, "albId": ALB_ID, "frontend": "edge-frontend"}),
}
UNCHECKED = {"alb-managed": [f"{ALB}/v1 ApplicationLoadBalancer"]}  # no CRD of the ALB controller in refdata


@pytest.fixture
def stack_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return write_stack(tmp_path, STACKS[request.param](), stack=request.param)


stacks = pytest.mark.parametrize("stack_file", list(STACKS), indirect=True)


@stacks
def test_the_stack_renders_and_the_api_server_accepts_it(stack_file: Path, render_stack: RenderStack) -> None:
    require_refdata()
    validator = ManifestValidator("v1.6.1", "standard")
    unchecked, errors = [], []
    for manifest in manifests(render_stack(stack_file)).values():
        for error in validator.validate(manifest):
            if error.endswith("in the reference data"):
                unchecked.append(f"{manifest['apiVersion']} {manifest['kind']}")
            else:
                errors.append(error)
    assert errors == []
    assert unchecked == UNCHECKED.get(stack_file.name.split(".")[1], [])


@stacks
def test_the_stack_passes_the_policy_pack(
    stack_file: Path, render_stack: RenderStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert check_plan(rendered_plan(stack_file, render_stack, monkeypatch)) == []


@stacks
def test_every_release_is_atomic_and_cleans_up(stack_file: Path, render_stack: RenderStack) -> None:
    """helm.v3.Release: `atomic` uninstalls a failed install (and rolls back a failed upgrade); `cleanupOnFail`
    removes what a failed upgrade created (pulumi/pulumi-kubernetes @ v4.32.0 : helm_release.go L606-618,
    L733-747)."""
    for release in render_stack(stack_file).of_type(RELEASE):
        assert (release.inputs["atomic"], release.inputs["cleanupOnFail"]) == (True, True), release.name
        assert release.inputs["timeout"] >= 300


def render(tmp_path: Path, render_stack: RenderStack, name: str) -> Recording:
    return render_stack(write_stack(tmp_path, STACKS[name](), stack=name))


def object_named(recording: Recording, kind: str, name: str) -> Registration:
    [found] = [r for r in recording.resources.values()
               if r.inputs.get("kind") == kind and r.inputs["metadata"]["name"] == name]
    return found


def test_istio_base_comes_before_istiod(tmp_path: Path, render_stack: RenderStack) -> None:
    """istio/istio @ 1.30.3 : manifests/charts/istio-control/istio-discovery/README.md "Before installing, ensure CRDs
    are installed in the cluster (from the `istio/base` chart)"; TLSRoute needs no alpha flag (read at v1)."""
    recording = render(tmp_path, render_stack, "istio")
    base = recording.named(CHART, "edge-istio-crds")
    istiod = recording.named(RELEASE, "edge-istio")
    assert (base.inputs["chart"], base.inputs["version"], base.inputs["namespace"]) == ("base", "1.30.5",
                                                                                        "istio-system")
    assert (base.protect, base.retain_on_delete) == (True, True)
    assert depends_on(recording, istiod, base)
    assert istiod.inputs["values"] == {}


def test_the_load_balancer_configuration_updates_in_place(tmp_path: Path, render_stack: RenderStack) -> None:
    """The storage version now (gateway.k8s.aws/v1), aliased to the v1beta1 type it had: pulumi-kubernetes updates a
    custom resource in place unless its name or namespace changes (provider/pkg/provider/diff.go @ v4.32.0)."""
    recording = render(tmp_path, render_stack, "lbc-tcp-route")
    [nlb, alb] = sorted(recording.of_type("kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration"),
                        key=lambda r: r.inputs["metadata"]["name"])  # gateways db and edge
    assert [item.inputs["spec"]["scheme"] for item in (alb, nlb)] == ["internal", "internal"]
    assert alb.inputs["spec"]["listenerConfigurations"] == [{"protocolPort": "HTTPS:443", "defaultCertificate": ARN}]
    assert {"type": "kubernetes:gateway.k8s.aws/v1beta1:LoadBalancerConfiguration"} in [
        {key: value for key, value in alias.get("spec", alias).items() if key == "type"} for alias in nlb.aliases
    ]
    values = recording.named(RELEASE, "edge-aws-load-balancer-controller").inputs["values"]
    assert (values["clusterName"], values["vpcId"]) == ("fake-cluster", "vpc-00000000000000fa")  # the cluster stack's


def test_application_gateway_managed_by_the_controller(tmp_path: Path, render_stack: RenderStack) -> None:
    recording = render(tmp_path, render_stack, "alb-managed")
    alb = object_named(recording, "ApplicationLoadBalancer", "traffic-edge")
    assert (alb.inputs["apiVersion"], alb.inputs["metadata"]["namespace"], alb.inputs["spec"]) == (
        f"{ALB}/v1", "azure-alb-system", {"associations": [SUBNET]})
    assert depends_on(recording, alb, recording.named(RELEASE, "edge-azure-alb"))  # its CRD comes with the chart
    gateway = object_named(recording, "Gateway", "edge")
    assert gateway.inputs["metadata"]["annotations"] == {f"{ALB}/alb-namespace": "azure-alb-system",
                                                         f"{ALB}/alb-name": "traffic-edge"}
    grants = role_grants(recording)
    assert grants["Network Contributor"] == SUBNET
    assert grants["AppGw for Containers Configuration Manager"].endswith("/resourceGroups/MC_lab")  # node RG


def test_application_gateway_brought_by_the_platform_team(tmp_path: Path, render_stack: RenderStack) -> None:
    recording = render(tmp_path, render_stack, "alb-byo")
    assert [r for r in recording.resources.values() if r.inputs.get("kind") == "ApplicationLoadBalancer"] == []
    gateway = object_named(recording, "Gateway", "edge")
    assert gateway.inputs["metadata"]["annotations"] == {f"{ALB}/alb-id": ALB_ID}
    assert gateway.inputs["spec"]["addresses"] == [{"type": f"{ALB}/alb-frontend", "value": "edge-frontend"}]
    grants = role_grants(recording)
    assert grants["AppGw for Containers Configuration Manager"] == ALB_ID.split("/providers/", maxsplit=1)[0]
    assert grants["Network Contributor"] == SUBNET


def role_grants(recording: Recording) -> dict[str, str]:
    """The ALB controller's role assignments: role name → scope."""
    names = {guid: role for role, guid in AZURE_ROLES.items()}
    return {
        names[r.inputs["roleDefinitionId"].rsplit("/", 1)[1]]: r.inputs["scope"]
        for r in recording.of_type(ROLE_ASSIGNMENT) if "alb-controller" in r.name
    }


# ------------------------------------------------------------------------------------------------------ Cilium

def cilium_stack(version: str) -> Config:
    """The Cilium example, on a cluster running `version`."""
    raw = yaml.safe_load((PROJECT_DIR / "Pulumi.cilium.yaml").read_text())["config"]
    config: dict[str, Any] = {key.split(":", 1)[1]: value for key, value in raw.items()}
    config["controller"]["version"] = version
    return config


def test_the_cilium_example_runs_cilium_1_20_on_standard_crds(render_stack: RenderStack) -> None:
    """Cilium 1.20 reads TLSRoute at v1 (cilium/cilium @ v1.20.2 : operator/pkg/gateway-api/helpers/schemes.go)."""
    assert cilium_stack("1.20.2")["controller"] == {"name": "cilium", "version": "1.20.2", "serviceType": "NodePort"}
    assert "versions" not in cilium_stack("1.20.2")  # the standard channel of the pinned release
    recording = render_stack(PROJECT_DIR / "Pulumi.cilium.yaml")
    assert recording.named("traffic-edge:gateway_api:GatewayApiCrds", "edge-gateway-api")
    [route] = [r for r in recording.resources.values() if r.inputs.get("kind") == "TLSRoute"]
    assert route.inputs["apiVersion"] == "gateway.networking.k8s.io/v1"


def test_cilium_1_19_on_standard_crds_is_refused_before_anything_is_created(
    tmp_path: Path, render_rejected: Callable[[Path], Rejection]
) -> None:
    rejection = render_rejected(write_stack(tmp_path, cilium_stack("1.19.7"), stack="cilium-119"))
    assert "[controller-reads-listed-unserved-version]" in rejection.message
    assert rejection.stack_urn
    assert rejection.registered == {}
