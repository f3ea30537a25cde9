"""The five reference deployments of issue 10, each written as its users describe it in one example stack, render
valid objects with the facts a reviewer would check by hand: names, listeners, issuers, Secrets, policies.

- Pulumi.functions.yaml: a function platform on Envoy Gateway;
- Pulumi.craft-gke.yaml: a CRAFT-style networking guide on GKE;
- Pulumi.gitops-eks.yaml: one environment of a GitOps multi-cluster stack on EKS;
- Pulumi.cilium-lab.yaml: a Cilium lab with its Gateway in kube-system;
- Pulumi.cilium-tenants.yaml: a per-tenant platform on Cilium.

Admission is judged by traffic_edge.conformance.admission against the stack's own rendered policies, as the API
server would judge it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import RenderStack
from traffic_edge.config.tenancy import NAMESPACE_LABEL, SUFFIX_LABEL, TENANT_LABEL
from traffic_edge.conformance.admission import ParamStore, Request, UserInfo, admit
from traffic_edge.conformance.validator import ManifestValidator, require_refdata
from traffic_edge.graph.semantics import refusal
from traffic_edge.graph.source import Manifest as GraphManifest
from traffic_edge.offline.plan import manifests
from traffic_edge.offline.render import PROJECT_DIR

Manifest = dict[str, Any]
GW = "gateway.networking.k8s.io"
DEPLOYMENTS = ("functions", "craft-gke", "gitops-eks", "cilium-lab", "cilium-tenants")
# Someone who is not the platform: a chart's Argo CD, a tenant's kubectl.
SOMEONE = UserInfo("system:serviceaccount:argocd:argocd-application-controller", ("system:serviceaccounts",))
DNS_EGRESS = {"to": [{"namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: "kube-system"}},
                      "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
              "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}


@dataclass(frozen=True)
class Deployment:
    """One rendered stack, its objects by kind."""

    objects: list[Manifest]

    def of(self, kind: str, namespace: str | None = None) -> dict[str, Manifest]:
        """Name → object, of one kind (in one namespace)."""
        return {m["metadata"]["name"]: m for m in self.objects
                if m["kind"] == kind and (namespace is None or m["metadata"].get("namespace") == namespace)}

    def one(self, kind: str, name: str, namespace: str | None = None) -> Manifest:
        return self.of(kind, namespace)[name]

    def denials(self, request: Request) -> list[str]:
        policies, bindings = self.of("ValidatingAdmissionPolicy"), self.of("ValidatingAdmissionPolicyBinding")
        store = ParamStore({(GW, "Gateway"): True}, copy.deepcopy(list(self.of("Gateway").values())))
        decision = admit(list(policies.values()), list(bindings.values()), store, request)
        return [denial.message for denial in decision.denials]


@pytest.fixture(scope="module")
def deployment(render_stack: RenderStack) -> Any:
    def rendered(stack: str) -> Deployment:
        return Deployment(list(manifests(render_stack(PROJECT_DIR / f"Pulumi.{stack}.yaml")).values()))

    return rendered


def namespace(name: str, labels: dict[str, str] | None = None) -> Manifest:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {NAMESPACE_LABEL: name, **(labels or {})}}}


def http_route(ns: str, gateway: str, gateway_ns: str, hostnames: list[str], section: str | None = None) -> Manifest:
    """An HTTPRoute as an application chart renders it: one parentRef, no sectionName unless given, group and kind
    defaulted."""
    parent = {"name": gateway, "namespace": gateway_ns, **({"sectionName": section} if section else {})}
    return {
        "apiVersion": f"{GW}/v1", "kind": "HTTPRoute",
        "metadata": {"name": "data-insights", "namespace": ns, "labels": {"app.kubernetes.io/managed-by": "Helm"}},
        "spec": {"parentRefs": [parent], "hostnames": hostnames,
                 "rules": [{"backendRefs": [{"name": "data-insights", "port": 8080}]}]},
    }


def sections(route: Manifest) -> set[tuple[str, str]]:
    return {(ref["name"], ref.get("sectionName", "")) for ref in route["spec"]["parentRefs"]}


def listeners(gateway: Manifest) -> dict[str, Manifest]:
    return {item["name"]: item for item in gateway["spec"]["listeners"]}


@pytest.fixture(scope="module")
def validator() -> ManifestValidator:
    require_refdata()
    return ManifestValidator()


@pytest.mark.parametrize("stack", DEPLOYMENTS)
def test_every_object_is_what_the_api_server_accepts(stack: str, deployment: Any, validator: ManifestValidator) -> None:
    """Every kind included: each has its CRD in the reference data, so nothing is left unchecked."""
    errors = [f"{m['kind']} {m['metadata'].get('name')}: {error}" for m in deployment(stack).objects
              for error in validator.validate(m)]
    assert errors == []


# The function platform: one Gateway, `http` on 80 carrying routes and `tcp` on 10081.

FUNCTIONS = "functions.example.net"


def test_functions_one_gateway_whose_port_80_carries_the_routes(deployment: Any) -> None:
    edge = deployment("functions")
    [gateway] = edge.of("Gateway").values()
    found = listeners(gateway)
    assert (found["http"]["protocol"], found["http"]["port"]) == ("HTTP", 80)
    assert (found["tcp"]["protocol"], found["tcp"]["port"]) == ("TCP", 10081)
    assert not [name for name in edge.of("HTTPRoute") if name.endswith("-http-redirect")]
    assert "traffic-edge-http-listener-routes" not in edge.of("ValidatingAdmissionPolicy")
    routes = edge.of("HTTPRoute", "functions-edge").values()
    hosts = {tuple(route["spec"]["hostnames"]): sections(route) for route in routes}
    assert {host for (host,) in hosts} == {f"api-keys.{FUNCTIONS}", f"api.{FUNCTIONS}", f"invocation.{FUNCTIONS}",
                                           f"*.invocation.{FUNCTIONS}"}
    assert all(("edge", "http") in attached for attached in hosts.values())
    assert sections(edge.one("TCPRoute", "invoker-grpc", "functions-edge")) == {("edge", "tcp")}


def test_functions_listeners_admit_the_namespaces_labelled_as_the_platforms(deployment: Any) -> None:
    edge = deployment("functions")
    [gateway] = edge.of("Gateway").values()
    platform = {"from": "Selector", "selector": {"matchLabels": {"nvcf/platform": "true"}}}
    assert {name: item["allowedRoutes"]["namespaces"] for name, item in listeners(gateway).items()} == {
        "http": platform, "https": platform, "tcp": platform}
    labelled = {name for name, ns in edge.of("Namespace").items()
                if ns["metadata"].get("labels", {}).get("nvcf/platform") == "true"}
    assert labelled == {"gateway", "functions-edge", "fn-api", "fn-runtime"}


def test_functions_backends_are_reached_through_reference_grants(deployment: Any) -> None:
    edge = deployment("functions")
    grants = {m["metadata"]["namespace"]: m["spec"] for m in edge.objects if m["kind"] == "ReferenceGrant"}
    assert set(grants) == {"fn-api", "fn-runtime"}
    assert {item["namespace"] for spec in grants.values() for item in spec["from"]} == {"functions-edge"}
    assert {item["name"] for item in grants["fn-runtime"]["to"]} == {"invoker", "invoker-grpc"}


def test_functions_lets_encrypt_by_http01_through_the_gateway(deployment: Any) -> None:
    edge = deployment("functions")
    [solver] = edge.one("ClusterIssuer", "letsencrypt-staging")["spec"]["acme"]["solvers"]
    assert solver["http01"]["gatewayHTTPRoute"]["parentRefs"] == [
        {"group": GW, "kind": "Gateway", "name": "edge", "namespace": "gateway", "sectionName": "http"}]
    certificate = edge.one("Certificate", "edge-public", "gateway")
    assert certificate["spec"]["dnsNames"] == [f"api-keys.{FUNCTIONS}", f"api.{FUNCTIONS}", f"invocation.{FUNCTIONS}"]


# The CRAFT-style guide on GKE: its names, a chart's own HTTPRoute, one app's egress.

CRAFT = "em.example.com"


def test_craft_names_the_gateway_issuer_and_secret_as_the_guide_does(deployment: Any) -> None:
    edge = deployment("craft-gke")
    gateway = edge.one("Gateway", "em-runtime-gateway", "gateway")
    assert listeners(gateway)["https"]["tls"]["certificateRefs"] == [
        {"group": "", "kind": "Secret", "name": "platform-tls"}]
    issuer = edge.one("ClusterIssuer", "letsencrypt-prod")["spec"]["acme"]
    assert issuer["server"] == "https://acme-v02.api.letsencrypt.org/directory"
    assert [set(solver) for solver in issuer["solvers"]] == [{"dns01"}]
    [certificate] = edge.of("Certificate", "gateway").values()
    assert (certificate["spec"]["secretName"], certificate["spec"]["issuerRef"]["name"]) == (
        "platform-tls", "letsencrypt-prod")
    assert set(edge.of("ClusterIssuer")) == {"letsencrypt-prod"}


def test_craft_a_charts_route_without_section_name_attaches_and_passes(
    deployment: Any, validator: ManifestValidator
) -> None:
    edge = deployment("craft-gke")
    route, apps = http_route("em-apps", "em-runtime-gateway", "gateway", [f"insights.{CRAFT}"]), namespace("em-apps")
    assert validator.validate(route) == []
    gateway = edge.one("Gateway", "em-runtime-gateway", "gateway")
    as_graph = GraphManifest(GW, "HTTPRoute", "em-apps", "data-insights", route["metadata"], route["spec"])
    assert {item["name"]: refusal(item, "gateway", as_graph, apps["metadata"]["labels"])
            for item in gateway["spec"]["listeners"]} == {"http": "namespace em-apps not admitted", "https": None}
    assert edge.denials(Request("CREATE", "httproutes", route, SOMEONE, namespace_object=apps)) == []
    elsewhere = http_route("em-apps", "em-runtime-gateway", "gateway", ["insights.example.org"])
    assert edge.denials(Request("CREATE", "httproutes", elsewhere, SOMEONE, namespace_object=apps)) == [
        f"every route hostname must lie in {CRAFT}"]


def test_craft_external_dns_publishes_the_charts_routes(render_stack: RenderStack) -> None:
    """The stack has no routes of its own: external-dns watches HTTPRoutes for the charts' (and starts at all)."""
    recording = render_stack(PROJECT_DIR / "Pulumi.craft-gke.yaml")
    release = recording.named("kubernetes:helm.sh/v3:Release", "edge-external-dns")
    assert release.inputs["values"]["sources"] == ["gateway-httproute"]


def test_craft_only_data_insights_pods_reach_anywhere_on_443(deployment: Any) -> None:
    edge = deployment("craft-gke")
    assert "em-apps" not in edge.of("Namespace")  # the charts' namespace: Helm makes it
    [policy] = edge.of("NetworkPolicy", "em-apps").values()
    assert policy["metadata"]["name"] == "traffic-edge-egress-data-insights-egress"
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {"app": "data-insights"}},
        "policyTypes": ["Egress"],
        "egress": [DNS_EGRESS, {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                                "ports": [{"port": 443, "protocol": "TCP"}]}],
    }


# One environment of the GitOps stack on EKS.

GITOPS = "staging.gitops.example.com"


def test_gitops_both_lets_encrypt_issuers_in_a_stack_not_marked_production(deployment: Any) -> None:
    edge = deployment("gitops-eks")
    servers = {name: item["spec"]["acme"]["server"] for name, item in edge.of("ClusterIssuer").items()}
    assert servers == {"letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
                       "letsencrypt-production": "https://acme-v02.api.letsencrypt.org/directory"}
    certificates = {name: (item["spec"]["issuerRef"]["name"], item["spec"]["dnsNames"])
                    for name, item in edge.of("Certificate", "gateway").items()}
    assert certificates == {"edge-wildcard": ("letsencrypt-production", [f"*.{GITOPS}", GITOPS]),
                            "edge-preview": ("letsencrypt-staging", [f"*.preview.{GITOPS}"])}


def test_gitops_routes_name_their_hosts_under_the_gateways_wildcards(deployment: Any) -> None:
    edge = deployment("gitops-eks")
    gateway = edge.one("Gateway", "edge", "gateway")
    wildcards = {name: item.get("hostname") for name, item in listeners(gateway).items()}
    assert wildcards == {"http": None, "https": f"*.{GITOPS}", "https-preview": f"*.preview.{GITOPS}"}
    routes = {name: (route["spec"]["hostnames"], sections(route)) for name, route in edge.of("HTTPRoute").items()
              if route["metadata"]["namespace"] in ("apps", "previews")}
    assert routes == {"web": ([f"www.{GITOPS}"], {("edge", "https")}),
                      "api": ([f"api.{GITOPS}"], {("edge", "https")}),
                      "web-pr-42": ([f"pr-42.preview.{GITOPS}"], {("edge", "https-preview")})}


def test_gitops_every_hostname_ends_with_the_environments_domain(deployment: Any) -> None:
    edge = deployment("gitops-eks")
    apps = namespace("apps")
    inside = http_route("apps", "edge", "gateway", [f"shop.{GITOPS}"])
    assert edge.denials(Request("CREATE", "httproutes", inside, SOMEONE, namespace_object=apps)) == []
    production = http_route("apps", "edge", "gateway", ["shop.gitops.example.com"])  # another environment's
    assert edge.denials(Request("CREATE", "httproutes", production, SOMEONE, namespace_object=apps)) == [
        f"every route hostname must lie in {GITOPS}"]


def test_gitops_envoy_behind_an_nlb_two_proxies_a_budget_and_tls_12(deployment: Any) -> None:
    edge = deployment("gitops-eks")
    kubernetes = edge.one("EnvoyProxy", "edge-proxy", "gateway")["spec"]["provider"]["kubernetes"]
    assert kubernetes["envoyService"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-type"] == "external"
    assert kubernetes["envoyService"]["type"] == "LoadBalancer"
    assert (kubernetes["envoyDeployment"]["replicas"], kubernetes["envoyPDB"]) == (2, {"minAvailable": 1})
    assert edge.one("ClientTrafficPolicy", "edge-tls", "gateway")["spec"]["tls"] == {"minVersion": "1.2"}


# The Cilium lab.

LAB = "172.18.0.2.nip.io"


def test_cilium_lab_gateway_in_kube_system_on_a_node_port_class(deployment: Any) -> None:
    edge = deployment("cilium-lab")
    gateway = edge.one("Gateway", "idp", "kube-system")
    assert gateway["spec"]["gatewayClassName"] == "cilium-traffic-edge"
    assert edge.one("GatewayClass", "cilium-traffic-edge")["spec"]["controllerName"] == "io.cilium/gateway-controller"
    assert edge.one("CiliumGatewayClassConfig", "traffic-edge", "kube-system")["spec"] == {
        "service": {"type": "NodePort"}}
    assert "kube-system" not in edge.of("Namespace")  # a system namespace: never created, labelled or deleted


def test_cilium_lab_ca_issuer_from_the_idp_demo_ca(deployment: Any) -> None:
    edge = deployment("cilium-lab")
    assert edge.one("ClusterIssuer", "ca-issuer")["spec"] == {"ca": {"secretName": "idp-demo-ca"}}
    [ca] = [item for item in edge.of("Certificate", "cert-manager").values() if item["spec"].get("isCA")]
    assert (ca["spec"]["commonName"], ca["spec"]["secretName"]) == ("idp-demo-ca", "idp-demo-ca")
    [served] = edge.of("Certificate", "kube-system").values()
    assert (served["spec"]["issuerRef"]["name"], served["spec"]["dnsNames"]) == ("ca-issuer", [f"*.{LAB}"])


def test_cilium_lab_six_host_routes(deployment: Any) -> None:
    edge = deployment("cilium-lab")
    hosts = {host for route in edge.of("HTTPRoute").values() if not route["metadata"]["name"].endswith("-redirect")
             for host in route["spec"]["hostnames"]}
    assert hosts == {f"{tool}.{LAB}" for tool in ("backstage", "argocd", "gitea", "keycloak", "grafana", "headlamp")}


# The per-tenant platform on Cilium.

TENANTS = {"acme": "acme.lab.example.test", "acme-staging": "staging.acme.lab.example.test",
           "globex": "globex.lab.example.test"}


def tenant_namespace(name: str, tenant: str) -> Manifest:
    return namespace(name, {TENANT_LABEL: tenant, SUFFIX_LABEL: TENANTS[tenant]})


def test_tenants_a_gateway_an_issuer_and_an_address_each(deployment: Any) -> None:
    edge = deployment("cilium-tenants")
    gateways = {m["metadata"]["namespace"]: m for m in edge.of("Gateway").values()}
    assert set(gateways) == set(TENANTS)
    addresses = {tenant: gateway["spec"]["addresses"] for tenant, gateway in gateways.items()}
    assert addresses == {"acme": [{"type": "IPAddress", "value": "172.18.255.200"}],
                         "acme-staging": [{"type": "IPAddress", "value": "172.18.255.201"}],
                         "globex": [{"type": "IPAddress", "value": "172.18.255.202"}]}
    assert {tenant for tenant in TENANTS if "internal-ca" in edge.of("Issuer", tenant)} == set(TENANTS)
    assert not edge.of("ClusterIssuer")
    for tenant, gateway in gateways.items():
        api = listeners(gateway)["kube-api"]
        assert (api["protocol"], api["port"], api["tls"], api["hostname"]) == (
            "TLS", 6443, {"mode": "Passthrough"}, f"api.{TENANTS[tenant]}")
        [route] = edge.of("TLSRoute", f"{tenant}-cp").values()
        assert sections(route) == {(tenant, "kube-api")}


def test_tenants_the_child_holds_the_names_under_its_suffix(deployment: Any) -> None:
    edge = deployment("cilium-tenants")
    labels = edge.one("Namespace", "acme-staging")["metadata"]["labels"]
    assert (labels[TENANT_LABEL], labels[SUFFIX_LABEL]) == ("acme-staging", TENANTS["acme-staging"])
    parent, child = tenant_namespace("acme", "acme"), tenant_namespace("acme-staging", "acme-staging")
    claims = http_route("acme", "acme", "acme", [f"shop.{TENANTS['acme-staging']}"], "https")
    assert edge.denials(Request("CREATE", "httproutes", claims, SOMEONE, namespace_object=parent)) == [
        f"routes here must name hostnames under {TENANTS['acme']}, outside the suffixes of its child tenants"]
    own = http_route("acme-staging", "acme-staging", "acme-staging", [f"shop.{TENANTS['acme-staging']}"], "https")
    assert edge.denials(Request("CREATE", "httproutes", own, SOMEONE, namespace_object=child)) == []
    upward = http_route("acme-staging", "acme-staging", "acme-staging", [f"shop.{TENANTS['acme']}"], "https")
    assert edge.denials(Request("CREATE", "httproutes", upward, SOMEONE, namespace_object=child)) == [
        f"routes here must name hostnames under {TENANTS['acme-staging']}, outside the suffixes of its child tenants"]


def test_tenants_no_gateway_admits_another_tenants_namespaces(deployment: Any) -> None:
    edge = deployment("cilium-tenants")
    assert "traffic-edge-gateway-tenant-namespaces" in edge.of("ValidatingAdmissionPolicy")
    gateway = copy.deepcopy(edge.one("Gateway", "acme", "acme"))
    for name in ("acme", "acme-staging", "globex"):  # every tenant's own, as rendered
        rendered = edge.one("Gateway", name, name)
        request = Request("UPDATE", "gateways", rendered, SOMEONE, old=rendered,
                          namespace_object=tenant_namespace(name, name))
        assert edge.denials(request) == [], name
    https = listeners(gateway)["https"]
    https["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]["values"].append("globex")
    request = Request("UPDATE", "gateways", gateway, SOMEONE, old=edge.one("Gateway", "acme", "acme"),
                      namespace_object=tenant_namespace("acme", "acme"))
    [message] = edge.denials(request)
    assert message.startswith("a listener admits routes from namespaces of tenants this gateway was not given")
