"""Namespaces the platform does not own: routes from namespaces the stack does not create, listeners that admit
namespaces by labels, and `allowedRoutes.all` honoured on every listener, port 80 included.

The Gateway API takes one of All, Same or Selector with one label selector per listener (apis/v1/gateway_types.go @
v1.6.1, RouteNamespaces), so a selector replaces the whitelist by name instead of adding to it.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.conftest import DEPLOYMENT, PROJECT, Config, parse_config
from tests.edits import Edit, edited, issues_of, plan_of, put
from tests.test_admission import ACME_CHALLENGE_PATH, ACME_SOLVER_LABEL
from traffic_edge.config import Issue
from traffic_edge.conformance.admission import ParamStore, Request, UserInfo, admit
from traffic_edge.conformance.validator import ManifestValidator, require_refdata
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.plan import EdgePlan, edge_plan

DOMAIN = "example.test"
GW = "gateway.networking.k8s.io"
BACKEND = [{"backends": [{"service": "web", "port": 8080}]}]
SELECT_APPS = {"selector": {"matchLabels": {"team": "apps"}}}
BASE: Config = {
    "platform": {"kind": "onprem"},
    "domain": DOMAIN,
    "issuers": {"internalCa": {}},
    "namespaces": {"apps": {"labels": {"team": "apps"}}},
    "gateways": [{
        "name": "edge",
        "certificates": [{"name": "wildcard", "issuer": "internal-ca", "dnsNames": [f"*.{DOMAIN}"]}],
        "listeners": [{"name": "http", "protocol": "HTTP", "port": 80},
                      {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": f"*.{DOMAIN}",
                       "certificate": "wildcard", "allowedRoutes": SELECT_APPS}],
    }],
    "routes": [{"name": "web", "namespace": "apps", "gateway": "edge", "hostnames": [f"www.{DOMAIN}"],
                "rules": BACKEND}],
}


def route_from(namespace: str) -> Edit:
    return lambda config: config["routes"].append(
        {"name": "web", "namespace": namespace, "gateway": "edge", "hostnames": [f"{namespace}.{DOMAIN}"],
         "rules": BACKEND})


def admitted(plan: EdgePlan, gateway: str, listener: str) -> dict[str, Any]:
    [found] = [item for item in plan.gateways if item.name == gateway]
    [spec] = [item for item in found.gateway.spec["listeners"] if item["name"] == listener]
    namespaces: dict[str, Any] = spec["allowedRoutes"]["namespaces"]
    return namespaces


# ---------------------------------------------------------------------------------- a listener that selects by labels


def test_a_selector_admits_the_namespaces_carrying_its_labels() -> None:
    plan = plan_of(BASE)
    assert admitted(plan, "edge", "https") == {"from": "Selector", "selector": {"matchLabels": {"team": "apps"}}}
    assert [ref["sectionName"] for ref in plan.routes.routes["apps.web"].spec["parentRefs"]] == ["https"]
    require_refdata()
    assert ManifestValidator().validate(plan.gateways[0].gateway.manifest()) == []


def test_a_namespace_created_here_without_the_labels_is_refused_with_the_fix() -> None:
    assert Issue("routes[1].namespace", "namespace web lacks the labels listener https of gateway edge selects "
                 "(team=apps)", "add them to namespaces.web.labels") in issues_of(
        BASE, put("namespaces.web", {}), route_from("web"))
    parse_config(edited(BASE, put("namespaces.web", {"labels": {"team": "apps"}}), route_from("web")))


@pytest.mark.parametrize("edit", [put("namespaces.legacy", {"create": False}), put("namespaces", {})],
                         ids=["create-false", "not-listed"])
def test_a_namespace_made_elsewhere_is_taken_to_carry_the_labels(edit: Edit) -> None:
    """Its labels are not known here: the Gateway's status says whether it attached."""
    config = parse_config(edited(BASE, edit, route_from("legacy")))
    assert "legacy" not in edge_plan(config, DEPLOYMENT).namespaces


def test_routes_come_from_namespaces_the_stack_does_not_create() -> None:
    """A whitelist listener admits an undeclared namespace by name; a declared one need not be created."""
    by_name = put("gateways[0].listeners[1].allowedRoutes", {"namespaces": ["legacy"]})
    assert Issue("routes[1].namespace", "namespace legacy may not attach routes to gateway edge",
                 "add edge to namespaces.legacy.gateways") in issues_of(
        BASE, put("gateways[0].listeners[1].allowedRoutes", {}), route_from("legacy"))
    plan = plan_of(BASE, by_name, put("namespaces.apps", {"gateways": ["edge"]}), route_from("legacy"))
    assert admitted(plan, "edge", "https")["selector"]["matchExpressions"][0]["values"] == ["apps", "gateway", "legacy"]
    assert set(plan.namespaces) == {"apps", "cert-manager", "envoy-gateway-system", "gateway"}


@pytest.mark.parametrize(("allowed", "expected"), [
    ({**SELECT_APPS, "namespaces": ["apps"]},
     Issue("gateways[0].listeners[1].allowedRoutes.namespaces", "a listener with a selector admits only the "
           "namespaces carrying its labels: the Gateway API takes one selector per listener, no list beside it",
           "label those namespaces (namespaces.<name>.labels) and remove `namespaces`")),
    ({**SELECT_APPS, "all": True},
     Issue("gateways[0].listeners[1].allowedRoutes.selector", "a listener admits every namespace or those a selector "
           "picks, and `all` is set too", "remove `all` or `selector`")),
    ({"selector": {"matchLabels": {}}},
     Issue("gateways[0].listeners[1].allowedRoutes.selector.matchLabels", "dictionary should have at least 1 item "
           "after validation, not 0")),
], ids=["with-namespaces", "with-all", "no-labels"])
def test_a_selector_is_the_listeners_one_way_to_admit(allowed: dict[str, Any], expected: Issue) -> None:
    assert expected in issues_of(BASE, put("gateways[0].listeners[1].allowedRoutes", allowed))


def test_the_redirect_and_challenges_must_stay_admitted_on_a_selecting_port_80_listener() -> None:
    select = put("gateways[0].listeners[0].allowedRoutes", SELECT_APPS)
    expected = Issue("gateways[0].listeners[0].allowedRoutes.selector", "namespace gateway lacks the labels "
                     "team=apps, and its redirect to HTTPS comes from there", "add them to namespaces.gateway.labels")
    assert expected in issues_of(BASE, select)
    plan = plan_of(BASE, select, put("namespaces.gateway", {"labels": {"team": "apps"}}))
    assert admitted(plan, "edge", "http") == {"from": "Selector", "selector": {"matchLabels": {"team": "apps"}}}


def test_challenges_come_from_their_certificates_namespace_which_the_port_80_selector_must_admit() -> None:
    def certificate_in_certs(config: Config) -> None:
        config["gateways"][0]["certificates"].append({"name": "site", "issuer": "letsencrypt-staging",
                                                      "dnsNames": [f"www.{DOMAIN}"], "namespace": "certs"})

    labels = {"team": "apps", "env": "lab"}
    edits = (put("gateways[0].listeners[0].allowedRoutes", {"selector": {"matchLabels": labels}}),
             put("namespaces.gateway", {"labels": labels}),
             put("namespaces.certs", {"labels": {"team": "ops"}}), put("issuers.acme", {"email": f"ops@{DOMAIN}"}),
             certificate_in_certs)
    assert issues_of(BASE, *edits) == [Issue(
        "gateways[0].listeners[0].allowedRoutes.selector", "namespace certs lacks the labels env=lab, team=apps, and "
        "cert-manager's HTTP-01 challenge routes comes from there", "add them to namespaces.certs.labels")]
    plan_of(BASE, *edits, put("namespaces.certs", {"labels": labels}))


# ---------------------------------------------------------------------------------- allowedRoutes.all on port 80


def cluster_of(plan: EdgePlan) -> tuple[list[dict[str, Any]], list[dict[str, Any]], ParamStore]:
    manifests = [item.manifest() for item in plan.admission]
    policies = [item for item in manifests if item["kind"] == "ValidatingAdmissionPolicy"]
    bindings = [item for item in manifests if item["kind"] == "ValidatingAdmissionPolicyBinding"]
    store = ParamStore({(GW, "Gateway"): True}, [item.gateway.manifest() for item in plan.gateways])
    return policies, bindings, store


def http_route(namespace: str, parent: dict[str, Any], rules: list[dict[str, Any]] | None = None,
               labels: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "r", "namespace": namespace, **({"labels": labels} if labels else {})}
    return {"apiVersion": f"{GW}/v1", "kind": "HTTPRoute", "metadata": metadata,
            "spec": {"parentRefs": [parent], "hostnames": [f"shop.{DOMAIN}"], "rules": rules or [{}]}}


def test_all_is_honoured_on_the_port_80_listener_for_challenges_from_any_namespace() -> None:
    """cert-manager writes HTTP-01 challenge routes in the Certificate's namespace, wherever an application made
    its Certificate: `all` on port 80 admits them, and http-listener-routes still refuses any other route there."""
    plan = plan_of(BASE, put("gateways[0].listeners[0].allowedRoutes", {"all": True}))
    assert admitted(plan, "edge", "http") == {"from": "All"}
    assert list(plan.gateways[0].redirects) == ["http"]
    policies, bindings, store = cluster_of(plan)
    shop = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {
        "kubernetes.io/metadata.name": "shop"}}}
    whole_gateway = {"group": GW, "kind": "Gateway", "name": "edge", "namespace": "gateway"}
    challenge = [{"matches": [{"path": {"type": "Exact", "value": f"{ACME_CHALLENGE_PATH}x7k2p"}}]}]
    solver = http_route("shop", {**whole_gateway, "sectionName": "http"}, challenge, {ACME_SOLVER_LABEL: "true"})
    user = UserInfo("system:serviceaccount:cert-manager:cert-manager")

    def decision(route: dict[str, Any]) -> bool:
        return admit(policies, bindings, store, Request("CREATE", "httproutes", route, user, namespace_object=shop)
                     ).allowed

    assert decision(solver)
    assert not decision(http_route("shop", whole_gateway))  # a chart's route would be served in clear text
    assert decision(http_route("shop", {**whole_gateway, "sectionName": "https"}))


# ---------------------------------------------------------------------------------- selectors and tenants


def tenants_base() -> Config:
    config = yaml.safe_load((PROJECT_DIR / "Pulumi.multitenant.yaml").read_text())["config"]
    return {key.removeprefix(f"{PROJECT}:"): value for key, value in config.items()}


def test_a_selector_never_admits_a_tenant_the_gateway_was_not_given() -> None:
    select = put("gateways[0].listeners[1].allowedRoutes", {"selector": {"matchLabels": {"env": "prod"}}})
    team_c_prod = put("namespaces.team-c", {"labels": {"env": "prod"}})

    def given_prod(config: Config) -> None:
        config["namespaces"]["team-a"] = {"labels": {"env": "prod"}}
        for namespace in ("team-a-jobs", "team-b"):
            config["namespaces"][namespace]["labels"] = {"env": "prod"}

    assert Issue("gateways[0].listeners[1].allowedRoutes.selector", "selects team-c, tenant team-c's namespace, on "
                 "listener https of gateway edge, which tenant team-c was not given",
                 "narrow the selector, or give it the gateway: edge in namespaces.team-c.gateways") in issues_of(
        tenants_base(), select, team_c_prod)
    plan = plan_of(tenants_base(), select, given_prod)
    assert admitted(plan, "edge", "https") == {"from": "Selector", "selector": {
        "matchLabels": {"env": "prod"},
        "matchExpressions": [{"key": "traffic-edge.io/tenant", "operator": "NotIn", "values": ["team-c"]}]}}


def test_a_tenant_kept_out_by_the_selector_is_told_why() -> None:
    select = put("gateways[0].listeners[1].allowedRoutes", {"selector": {"matchLabels": {"env": "prod"}}})
    steal = route_from("team-c")

    def on_edge(config: Config) -> None:
        config["routes"][-1]["hostnames"] = ["www.team-c.edge.example.com"]

    found = issues_of(tenants_base(), select, steal, on_edge)
    assert Issue("routes[5].namespace", "team-c is tenant team-c's namespace, and listener https of gateway edge "
                 "admits no tenant it was not given", "give it the gateway: add edge to namespaces.team-c.gateways"
                 ) in found


def test_the_name_label_the_api_server_adds_is_one_a_selector_may_pick() -> None:
    by_name = {"selector": {"matchLabels": {"kubernetes.io/metadata.name": "apps"}}}
    plan = plan_of(BASE, put("gateways[0].listeners[1].allowedRoutes", by_name))
    assert admitted(plan, "edge", "https")["selector"] == {"matchLabels": {"kubernetes.io/metadata.name": "apps"}}


def test_a_port_80_listener_carrying_routes_still_admits_the_challenges_namespaces() -> None:
    def certificate_in_certs(config: Config) -> None:
        config["gateways"][0]["certificates"].append({"name": "site", "issuer": "letsencrypt-staging",
                                                      "dnsNames": [f"www.{DOMAIN}"], "namespace": "certs"})

    plan = plan_of(BASE, put("gateways[0].listeners[0].httpMode", "routes"),
                   put("issuers.acme", {"email": f"ops@{DOMAIN}"}), certificate_in_certs)
    assert admitted(plan, "edge", "http")["selector"]["matchExpressions"][0]["values"] == ["certs", "gateway"]
