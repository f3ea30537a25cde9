"""Routes made outside the stack: an application chart's own HTTPRoute attaches to the edge and passes its guardrails.

Charts write one parentRef naming the Gateway and its namespace, without sectionName (group and kind left to the
CRD's defaults). Such a route attaches to every listener that admits its namespace and kind; the port-80 policy
judges it by those listeners, so it passes from an application namespace and is refused only where it would be
served in clear text beside the redirect. README.md, "Routes from application charts", says how to wire a chart.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import RenderStack
from traffic_edge.config.tenancy import SUFFIX_LABEL, TENANT_LABEL
from traffic_edge.conformance.admission import ParamStore, Request, UserInfo, admit
from traffic_edge.conformance.validator import ManifestValidator, require_refdata
from traffic_edge.graph.semantics import refusal
from traffic_edge.graph.source import Manifest as GraphManifest
from traffic_edge.offline.engine import Recording
from traffic_edge.offline.render import PROJECT_DIR

GW = "gateway.networking.k8s.io"
DEV_DOMAIN = "172.18.255.200.nip.io"
TENANT_DOMAIN = "edge.example.com"
CHART_USER = UserInfo("system:serviceaccount:argocd:argocd-application-controller", ("system:serviceaccounts",))
Manifest = dict[str, Any]


def chart_route(namespace: str, hostname: str | None) -> Manifest:
    """An HTTPRoute as an application chart's template renders it (e.g. `helm template data-insights`)."""
    route: Manifest = {
        "apiVersion": f"{GW}/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "data-insights", "namespace": namespace,
                     "labels": {"app.kubernetes.io/name": "data-insights", "app.kubernetes.io/managed-by": "Helm"}},
        "spec": {
            "parentRefs": [{"name": "edge", "namespace": "gateway"}],
            "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                       "backendRefs": [{"name": "data-insights", "port": 8080}]}],
        },
    }
    if hostname is not None:
        route["spec"]["hostnames"] = [hostname]
    return route


def namespace(name: str, labels: dict[str, str] | None = None) -> Manifest:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}}}


class Edge:
    """One rendered stack as the cluster holds it: its admission policies and bindings, and its Gateways."""

    def __init__(self, recording: Recording) -> None:
        manifests = [r.inputs for r in recording.resources.values() if r.type.startswith("kubernetes:")]
        self.policies = [m for m in manifests if m.get("kind") == "ValidatingAdmissionPolicy"]
        self.bindings = [m for m in manifests if m.get("kind") == "ValidatingAdmissionPolicyBinding"]
        self.gateways = [m for m in manifests if m.get("kind") == "Gateway"]

    def denials(self, route: Manifest, ns: Manifest) -> list[str]:
        store = ParamStore({(GW, "Gateway"): True}, copy.deepcopy(self.gateways))
        decision = admit(self.policies, self.bindings, store, Request("CREATE", "httproutes", route, CHART_USER,
                                                                       namespace_object=ns))
        return [denial.message for denial in decision.denials]

    def attached(self, route: Manifest, ns: Manifest) -> dict[str, str | None]:
        """Listener of the Gateway `edge` → why it does not take the route (None where it does)."""
        [gateway] = [g for g in self.gateways if g["metadata"]["name"] == "edge"]
        as_graph = GraphManifest(GW, route["kind"], route["metadata"]["namespace"], route["metadata"]["name"],
                                 route["metadata"], route["spec"])
        labels = ns["metadata"]["labels"]
        return {listener["name"]: refusal(listener, "gateway", as_graph, labels)
                for listener in gateway["spec"]["listeners"]}


@pytest.fixture(scope="module")
def dev(render_stack: RenderStack) -> Edge:
    return Edge(render_stack(PROJECT_DIR / "Pulumi.dev.yaml"))


@pytest.fixture(scope="module")
def multitenant(render_stack: RenderStack) -> Edge:
    return Edge(render_stack(PROJECT_DIR / "Pulumi.multitenant.yaml"))


def test_a_chart_route_is_a_valid_httproute() -> None:
    require_refdata()
    assert ManifestValidator().validate(chart_route("apps", f"insights.{DEV_DOMAIN}")) == []


def test_from_an_application_namespace_it_attaches_to_https_and_passes(dev: Edge) -> None:
    """`namespaces.apps.gateways: [edge]` admits apps on https; http only redirects and admits gateway alone."""
    route, apps = chart_route("apps", f"insights.{DEV_DOMAIN}"), namespace("apps", {"team": "apps"})
    assert dev.attached(route, apps) == {
        "http": "namespace apps not admitted",
        "https": None,
        "grpc": "listener takes TCPRoute, not HTTPRoute",
    }
    assert dev.denials(route, apps) == []


def test_from_the_gateways_namespace_it_would_be_served_in_clear_text_and_is_refused(dev: Edge) -> None:
    route, own = chart_route("gateway", f"insights.{DEV_DOMAIN}"), namespace("gateway")
    assert dev.attached(route, own)["http"] is None
    assert dev.denials(route, own) == [
        "the port-80 listeners of Gateway gateway/edge only redirect to HTTPS and serve ACME challenges: name a "
        "listener that serves routes in sectionName"]
    named = copy.deepcopy(route)
    named["spec"]["parentRefs"][0]["sectionName"] = "https"
    assert dev.denials(named, own) == []


def test_from_a_namespace_the_stack_does_not_admit_it_attaches_nowhere(dev: Edge) -> None:
    route, other = chart_route("other", f"insights.{DEV_DOMAIN}"), namespace("other")
    assert dev.attached(route, other)["https"] == "namespace other not admitted"
    assert dev.denials(route, other) == []  # admitted or not is the listener's business, not the policy's


def test_in_a_tenants_namespace_it_passes_with_names_under_the_suffix(multitenant: Edge) -> None:
    labels = {SUFFIX_LABEL: f"team-a.{TENANT_DOMAIN}", TENANT_LABEL: "team-a"}
    team_a = namespace("team-a", labels)
    route = chart_route("team-a", f"insights.team-a.{TENANT_DOMAIN}")
    assert multitenant.attached(route, team_a)["https"] is None
    assert multitenant.denials(route, team_a) == []
    assert multitenant.denials(chart_route("team-a", f"insights.{TENANT_DOMAIN}"), team_a)  # outside its suffix
    assert multitenant.denials(chart_route("team-a", None), team_a)  # every name of the listener
