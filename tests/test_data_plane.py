"""A gateway's data-plane settings become the objects its controller reads, valid against the controller's own CRDs
(../shared/refdata), children of the gateway's component, named after the gateway alone; on GKE the platform
creates the SSL policy the gateway's policy names.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEPLOYMENT, RenderStack, depends_on, parse_config, write_stack
from tests.test_compat import HTTP, HTTPS, WILDCARD, cilium, lab
from tests.test_data_plane_rules import HA, LB_IP, NLB, OTHER_IP, gateway, gke
from traffic_edge.conformance.validator import ManifestValidator, require_refdata
from traffic_edge.controllers.base import ParametersObject
from traffic_edge.offline.engine import Recording, Registration
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.plan import edge_plan
from traffic_edge.plan.gateways import GatewayPlan
from traffic_edge.plan.secrets import secret_parts

Config = dict[str, Any]
GATEWAY = "traffic-edge:gateway:EdgeGateway"
ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
CLIENT_TRAFFIC_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"
GCP_GATEWAY_POLICY = "kubernetes:networking.gke.io/v1:GCPGatewayPolicy"
GITOPS = {"minTlsVersion": "1.2", "dataPlane": {**HA, "service": {"annotations": NLB}}}


def plan_of(config: Config, name: str = "edge") -> GatewayPlan:
    return next(item for item in edge_plan(parse_config(config), DEPLOYMENT).gateways if item.name == name)


def manifest(obj: ParametersObject) -> dict[str, Any]:
    return {"apiVersion": obj.api_version, "kind": obj.kind, "metadata": {"name": obj.name, "namespace": obj.namespace},
            "spec": dict(obj.spec)}


def accepted(*manifests: dict[str, Any]) -> list[str]:
    """What the API server would refuse of these, with the CRDs of the pinned releases."""
    require_refdata()
    validator = ManifestValidator()
    return [error for item in manifests for error in validator.validate(item)]


# ------------------------------------------------------------------------------------------ Envoy Gateway

def test_a_gateways_own_envoy_fleet_is_an_envoy_proxy_its_gateway_names() -> None:
    """envoyproxy/gateway @ v1.9.0 : internal/gatewayapi/contexts.go (L96-124) takes the EnvoyProxy a Gateway's
    infrastructure.parametersRef names, from the Gateway's namespace."""
    service = {"annotations": NLB, "externalTrafficPolicy": "Local"}
    planned = plan_of(gateway(lab(), dataPlane={**HA, "service": service}))
    assert planned.parameters is not None
    assert (planned.parameters.kind, planned.parameters.name, planned.parameters.namespace) == (
        "EnvoyProxy", "edge-proxy", "gateway")
    assert planned.parameters.spec == {"provider": {"type": "Kubernetes", "kubernetes": {
        "envoyService": {"type": "LoadBalancer", "annotations": NLB, "externalTrafficPolicy": "Local"},
        "envoyDeployment": {"replicas": 2},
        "envoyPDB": {"minAvailable": 1},
    }}}
    assert planned.gateway.spec["infrastructure"] == {
        "parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": "edge-proxy"}}
    assert accepted(manifest(planned.parameters), planned.gateway.manifest()) == []


def test_the_gateways_envoy_proxy_keeps_the_class_service_type() -> None:
    """Without mergeType it replaces the class's EnvoyProxy (api/v1alpha1/envoyproxy_types.go L226-232): a NodePort
    edge stays NodePort, unless the gateway asks for another type."""
    nodeport = copy.deepcopy(lab())
    nodeport["controller"]["serviceType"] = "NodePort"
    service = plan_of(gateway(nodeport, dataPlane={"replicas": 2})).parameters
    assert service is not None
    assert service.spec["provider"]["kubernetes"]["envoyService"] == {"type": "NodePort"}
    own = plan_of(gateway(nodeport, dataPlane={"service": {"type": "LoadBalancer"}})).parameters
    assert own is not None
    assert own.spec["provider"]["kubernetes"] == {"envoyService": {"type": "LoadBalancer"}}
    assert plan_of(lab()).parameters is None  # no settings: the class's EnvoyProxy, as before


def test_a_minimum_tls_version_is_a_client_traffic_policy_on_the_gateway() -> None:
    planned = plan_of(gateway(lab(), minTlsVersion="1.3"))
    [policy] = planned.policies
    assert manifest(policy) == {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "ClientTrafficPolicy",
        "metadata": {"name": "edge-tls", "namespace": "gateway"},
        "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge"}],
                 "tls": {"minVersion": "1.3"}},
    }
    assert accepted(manifest(policy)) == []
    assert plan_of(lab()).policies == ()


@pytest.mark.parametrize("budget", [{"minAvailable": "50%"}, {"maxUnavailable": 1}])
def test_either_budget_is_one_the_crd_accepts(budget: Config) -> None:
    planned = plan_of(gateway(lab(), dataPlane={"replicas": 3, "disruptionBudget": budget}))
    assert planned.parameters is not None
    assert planned.parameters.spec["provider"]["kubernetes"]["envoyPDB"] == budget
    assert accepted(manifest(planned.parameters)) == []


# ------------------------------------------------------------------------------------------ addresses

@pytest.mark.parametrize("controller", ["envoy-gateway", "nginx-gateway-fabric", "istio"])
def test_addresses_are_typed_ip_addresses_on_the_gateway(controller: str) -> None:
    """Typed: NGINX Gateway Fabric refuses an address without a type (nginx/nginx-gateway-fabric @ v2.6.7 :
    internal/controller/state/graph/gateway.go L284-290)."""
    addresses = [LB_IP] if controller == "istio" else [LB_IP, "2001:db8::10"]
    planned = plan_of(gateway(lab(controller=controller), addresses=addresses))
    assert planned.gateway.spec["addresses"] == [{"type": "IPAddress", "value": value} for value in addresses]
    assert accepted(planned.gateway.manifest()) == []
    assert "addresses" not in plan_of(lab(controller=controller)).gateway.spec


def test_cilium_takes_the_addresses_from_the_gateway() -> None:
    planned = plan_of(gateway(cilium("1.20.2"), addresses=[LB_IP, OTHER_IP]))
    assert planned.gateway.spec["addresses"] == [{"type": "IPAddress", "value": LB_IP},
                                                 {"type": "IPAddress", "value": OTHER_IP}]
    assert planned.parameters is None  # Cilium refuses a Gateway's parametersRef
    assert planned.policies == ()


# ------------------------------------------------------------------------------------------ NGINX Gateway Fabric

@pytest.mark.parametrize(("minimum", "protocols"), [("1.2", "TLSv1.2 TLSv1.3"), ("1.3", "TLSv1.3")])
def test_nginx_takes_the_minimum_as_a_listener_option(minimum: str, protocols: str) -> None:
    """nginx/nginx-gateway-fabric @ v2.6.7 : internal/controller/state/dataplane/configuration.go (L1170-1183)."""
    config = gateway(lab(controller="nginx-gateway-fabric"), minTlsVersion=minimum)
    listeners = {item["name"]: item for item in plan_of(config).gateway.spec["listeners"]}
    assert listeners["https"]["tls"]["options"] == {"nginx.org/ssl-protocols": protocols}
    assert "tls" not in listeners["http"]
    assert accepted(plan_of(config).gateway.manifest()) == []


# ------------------------------------------------------------------------------------------ whole stacks

def two_gateways(**settings: Any) -> Config:
    """`edge` and `internal` on envoy-gateway; `settings` on `edge` only."""
    config = gateway(lab(), **settings)
    config["gateways"].append({"name": "internal", "namespace": "gateway", "certificates": [WILDCARD],
                               "listeners": [HTTP, HTTPS]})
    config["namespaces"]["apps"]["gateways"].append("internal")
    return config


def rendered(render_stack: RenderStack, directory: Path, config: Config, stack: str = "lab") -> Recording:
    directory.mkdir(exist_ok=True)
    return render_stack(write_stack(directory, config, stack=stack))


def test_settings_on_one_gateway_change_nothing_else(tmp_path: Path, render_stack: RenderStack) -> None:
    """Adding a gateway's settings renames, replaces and re-parents nothing: every resource of the edge without them
    stays as it was, but that gateway's Gateway (its addresses and parametersRef); the new objects are children of
    its component."""
    before = rendered(render_stack, tmp_path / "before", two_gateways())
    after = rendered(render_stack, tmp_path / "after", two_gateways(addresses=[LB_IP], **GITOPS))

    def by_name(recording: Recording) -> dict[tuple[str, str], Registration]:
        return {(item.type, item.name): item for item in recording.resources.values()}

    old, new = by_name(before), by_name(after)
    assert set(old) <= set(new)
    changed = {key for key in old if (old[key].inputs, old[key].parent) != (new[key].inputs, new[key].parent)}
    assert changed == {("kubernetes:gateway.networking.k8s.io/v1:Gateway", "edge-gateway-edge")}
    component = new[(GATEWAY, "edge-gateway-edge")]
    added = {key: new[key] for key in set(new) - set(old)}
    assert sorted(added) == [(CLIENT_TRAFFIC_POLICY, "edge-gateway-edge-clienttrafficpolicy"),
                             (ENVOY_PROXY, "edge-gateway-edge-parameters")]
    assert all(item.parent == component.urn for item in added.values())


def test_the_policies_wait_for_the_controller_that_serves_their_kind(render_stack: RenderStack) -> None:
    recording = render_stack(PROJECT_DIR / "Pulumi.eks.yaml")
    [release] = [item for item in recording.of_type("kubernetes:helm.sh/v3:Release")
                 if item.name.endswith("envoy-gateway")]
    for kind in (ENVOY_PROXY, CLIENT_TRAFFIC_POLICY):
        [policy] = recording.of_type(kind)
        assert depends_on(recording, policy, release)


def test_the_gitops_eks_stack_runs_ha_proxies_behind_an_nlb_with_tls_1_2(render_stack: RenderStack) -> None:
    """As the GitOps multi-cluster reference deployment: an NLB with IP targets handed to the AWS Load Balancer
    Controller (kubernetes-sigs/aws-load-balancer-controller @ v3.5.0 : docs/guide/service/nlb.md L92-105), two
    proxies with a PodDisruptionBudget, TLS 1.2 minimum."""
    recording = render_stack(PROJECT_DIR / "Pulumi.eks.yaml")
    [proxy] = recording.of_type(ENVOY_PROXY)
    kubernetes = proxy.inputs["spec"]["provider"]["kubernetes"]
    assert kubernetes["envoyService"]["annotations"] == {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    }
    assert (kubernetes["envoyDeployment"], kubernetes["envoyPDB"]) == ({"replicas": 2}, {"minAvailable": 1})
    [policy] = recording.of_type(CLIENT_TRAFFIC_POLICY)
    assert policy.inputs["spec"]["tls"] == {"minVersion": "1.2"}


def test_the_cilium_lb_ipam_stack_pins_each_gateways_address(render_stack: RenderStack) -> None:
    recording = render_stack(PROJECT_DIR / "Pulumi.cilium-lbipam.yaml")
    gateways = {item.inputs["metadata"]["name"]: item.inputs["spec"]
                for item in recording.of_type("kubernetes:gateway.networking.k8s.io/v1:Gateway")}
    assert {name: spec["addresses"] for name, spec in gateways.items()} == {
        "web": [{"type": "IPAddress", "value": "172.18.255.200"}],
        "registry": [{"type": "IPAddress", "value": "172.18.255.201"}],
    }
    [config] = recording.of_type("kubernetes:cilium.io/v2alpha1:CiliumGatewayClassConfig")
    assert config.inputs["spec"] == {"service": {"type": "LoadBalancer"}}  # LB-IPAM assigns LoadBalancer Services


# ------------------------------------------------------------------------------------------ GKE

def test_gke_gets_an_ssl_policy_per_minimum_and_scope(tmp_path: Path, render_stack: RenderStack) -> None:
    """A global class takes a global SSL policy, a regional class a regional one in the cluster's region; 1.3 needs
    the RESTRICTED profile (https://cloud.google.com/load-balancing/docs/use-ssl-policies)."""
    config = gateway(gke(location="europe-west1-b"), minTlsVersion="1.2")
    config["gateways"].append({**config["gateways"][0], "name": "internal", "className": "gke-l7-rilb",
                               "minTlsVersion": "1.3"})
    config["namespaces"]["apps"]["gateways"].append("internal")
    recording = rendered(render_stack, tmp_path, config, "gke-tls")
    [global_policy] = recording.of_type("gcp:compute/sSLPolicy:SSLPolicy")
    [regional] = recording.of_type("gcp:compute/regionSslPolicy:RegionSslPolicy")
    assert (global_policy.name, global_policy.inputs["name"], global_policy.inputs["minTlsVersion"],
            global_policy.inputs["profile"]) == (
        "edge-platform-ssl-policy-tls-1-2", "traffic-edge-gke-tls-tls-1-2", "TLS_1_2", "MODERN")
    assert (regional.inputs["name"], regional.inputs["region"], regional.inputs["minTlsVersion"],
            regional.inputs["profile"]) == ("traffic-edge-gke-tls-tls-1-3", "europe-west1", "TLS_1_3", "RESTRICTED")
    policies = {item.inputs["metadata"]["name"]: item for item in recording.of_type(GCP_GATEWAY_POLICY)}
    assert policies["edge-tls"].inputs["spec"] == {
        "default": {"sslPolicy": "traffic-edge-gke-tls-tls-1-2"},
        "targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge"},
    }
    assert depends_on(recording, policies["edge-tls"], global_policy)
    assert depends_on(recording, policies["internal-tls"], regional)
    assert policies["internal-tls"].parent == recording.named(GATEWAY, "edge-gateway-internal").urn


def test_gke_without_a_minimum_creates_no_ssl_policy(tmp_path: Path, render_stack: RenderStack) -> None:
    recording = rendered(render_stack, tmp_path, gke(), "gke-plain")
    assert recording.of_type("gcp:compute/sSLPolicy:SSLPolicy") == []
    assert recording.of_type(GCP_GATEWAY_POLICY) == []


def test_a_secret_gateways_key_makes_the_platforms_inputs_secret() -> None:
    """The GKE platform builds SSL policies from gateways[].minTlsVersion and className, so storing `gateways` as a
    secret must taint the platform's resources too (traffic_edge.plan.secrets)."""
    assert "platform" in secret_parts({"gateways"})
