"""HTTP listeners either redirect to HTTPS or carry routes, and the port-80 policy guards only the ones that redirect.

The base is the function platform as its users write it: one Envoy Gateway with `http` on 80 and `tcp` on 10081,
Host-based routes on the HTTP listener (no TLS), a TCPRoute for gRPC, and Let's Encrypt by HTTP-01 through the
gateway. Each case changes one thing in it.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import Config, parse_config
from tests.edits import edited, issues_of, plan_of, put
from traffic_edge.config import Issue
from traffic_edge.conformance.admission import ParamStore, Request, UserInfo, admit
from traffic_edge.conformance.validator import ManifestValidator, require_refdata
from traffic_edge.plan import EdgePlan
from traffic_edge.plan.admission import ROUTE_LISTENERS_ANNOTATION
from traffic_edge.plan.gateways import listener_whitelists

DOMAIN = "fn.example.test"
GW = "gateway.networking.k8s.io"
BACKEND = [{"backends": [{"service": "api", "port": 8080}]}]
HTTPS = {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": f"api.{DOMAIN}", "certificate": "public"}
BASE: Config = {
    "platform": {"kind": "onprem"},
    "domain": DOMAIN,
    "issuers": {"acme": {"email": "ops@example.test"}},
    "namespaces": {"fn-api": {"gateways": ["edge"]}},
    "gateways": [{
        "name": "edge",
        "certificates": [{"name": "public", "issuer": "letsencrypt-staging",
                          "dnsNames": [f"api.{DOMAIN}", f"invocation.{DOMAIN}"]}],
        "listeners": [{"name": "http", "protocol": "HTTP", "port": 80},
                      {"name": "tcp", "protocol": "TCP", "port": 10081}],
    }],
    "routes": [
        {"name": "api", "namespace": "fn-api", "gateway": "edge", "hostnames": [f"api.{DOMAIN}"], "rules": BACKEND},
        {"name": "invocation", "namespace": "fn-api", "gateway": "edge",
         "hostnames": [f"invocation.{DOMAIN}", f"*.invocation.{DOMAIN}"], "rules": BACKEND},
        {"name": "invoker-grpc", "kind": "TCPRoute", "namespace": "fn-api", "gateway": "edge", "listener": "tcp",
         "rules": [{"backends": [{"service": "invoker", "port": 10081}]}]},
    ],
}


def with_https(config: Config) -> None:
    """TLS for the API; the function names stay on HTTP."""
    config["gateways"][0]["listeners"].insert(1, copy.deepcopy(HTTPS))
    del config["routes"][1]


def sections(plan: EdgePlan, route: str) -> list[str]:
    return [ref["sectionName"] for ref in plan.routes.routes[f"fn-api.{route}"].spec["parentRefs"]]


def listener(plan: EdgePlan, name: str) -> dict[str, Any]:
    return next(item for item in plan.gateways[0].gateway.spec["listeners"] if item["name"] == name)


def port_80_policies(plan: EdgePlan) -> list[str]:
    """The names of http-listener-routes and its bindings (the stack's other guardrails are not this file's)."""
    return [item.name for item in plan.admission if item.name.startswith("traffic-edge-http-listener-routes")]


# ---------------------------------------------------------------------------------- the two kinds and their defaults


def test_without_tls_on_the_gateway_the_http_listener_carries_routes() -> None:
    plan = plan_of(BASE)
    assert sections(plan, "api") == ["http"]
    assert sections(plan, "invocation") == ["http"]
    assert plan.gateways[0].redirects == {}
    selector = listener(plan, "http")["allowedRoutes"]["namespaces"]["selector"]
    assert selector["matchExpressions"][0]["values"] == ["fn-api", "gateway"]  # the gateway's HTTP-01 routes too
    assert port_80_policies(plan) == []  # nothing on port 80 only redirects: no policy guards it


def test_the_function_platform_renders_valid_objects() -> None:
    require_refdata()
    plan = plan_of(BASE)
    validator = ManifestValidator()
    objects = [plan.gateways[0].gateway, *plan.gateways[0].certificates.values(), *plan.routes.routes.values()]
    for item in objects:
        assert validator.validate(item.manifest()) == [], item.name
    [issuer] = [item for item in plan.issuers[0].acme if item.name == "letsencrypt-staging"]
    assert issuer.solvers[0].http01 is not None
    assert issuer.solvers[0].http01.listener == "http"


def test_beside_https_the_http_listener_redirects_unless_told_to_carry_routes() -> None:
    redirecting = plan_of(BASE, with_https)
    assert sections(redirecting, "api") == ["https"]
    assert list(redirecting.gateways[0].redirects) == ["http"]
    assert listener(redirecting, "http")["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0][
        "values"] == ["gateway"]
    carrying = plan_of(BASE, with_https, put("gateways[0].listeners[0].httpMode", "routes"))
    assert sections(carrying, "api") == ["http", "https"]  # said so: clear text beside TLS
    assert carrying.gateways[0].redirects == {}
    assert port_80_policies(carrying) == []


def test_a_listener_told_to_redirect_redirects() -> None:
    plan = plan_of(BASE, with_https, put("gateways[0].listeners[0].httpMode", "redirect"))
    assert list(plan.gateways[0].redirects) == ["http"]
    assert port_80_policies(plan) == ["traffic-edge-http-listener-routes",
                                                     "traffic-edge-http-listener-routes.gateway.edge"]


def test_all_namespaces_are_admitted_on_a_carrying_listener_where_configured() -> None:
    config = parse_config(edited(BASE, put("gateways[0].listeners[0].allowedRoutes", {"all": True})))
    assert listener_whitelists(config, config.gateways[0])["http"] is None


# ---------------------------------------------------------------------------------- the rules, tripped and passed


def test_a_route_naming_a_redirecting_listener_is_refused_with_the_fix() -> None:
    route_on_http = put("routes[0].listener", "http")
    assert Issue("routes[0].listener", "listener http of gateway edge only redirects to HTTPS",
                 "attach it to https, or set gateways[0].listeners[0].httpMode: routes to serve the route there in "
                 "clear text") in issues_of(BASE, with_https, route_on_http)
    plan = plan_of(BASE, with_https, route_on_http, put("gateways[0].listeners[0].httpMode", "routes"))
    assert sections(plan, "api") == ["http"]


def test_http_mode_is_for_http_listeners_only() -> None:
    assert Issue("gateways[0].listeners[1].httpMode", "only HTTP listeners take httpMode, not TCP", "remove it") in \
        issues_of(BASE, put("gateways[0].listeners[1].httpMode", "routes"))
    assert plan_of(BASE, put("gateways[0].listeners[0].httpMode", "routes")).gateways[0].redirects == {}


def test_a_redirect_needs_an_https_listener_to_redirect_to() -> None:
    assert Issue("gateways[0].listeners[0].httpMode", "http redirects to HTTPS, and gateway edge has no HTTPS listener "
                 "to redirect to", "set httpMode: routes to serve routes there in clear text, or add an HTTPS listener"
                 ) in issues_of(BASE, put("gateways[0].listeners[0].httpMode", "redirect"))
    terminating = {"name": "tls", "protocol": "TLS", "port": 8443, "hostname": f"db.{DOMAIN}", "tlsMode": "Terminate",
                   "certificate": "public"}

    def add_tls(config: Config) -> None:
        config["gateways"][0]["listeners"].append(copy.deepcopy(terminating))
        config["gateways"][0]["certificates"][0]["dnsNames"].append(f"db.{DOMAIN}")

    assert Issue("gateways[0].listeners[0].httpMode", "http redirects to HTTPS (the default beside a TLS-terminating "
                 "listener), and gateway edge has no HTTPS listener to redirect to",
                 "set httpMode: routes to serve routes there in clear text, or add an HTTPS listener") in \
        issues_of(BASE, add_tls)
    assert sections(plan_of(BASE, add_tls, put("gateways[0].listeners[0].httpMode", "routes")), "api") == ["http"]


# ---------------------------------------------------------------------------------- two port-80 listeners, one policy


def two_on_port_80(config: Config) -> None:
    """`http` carries routes for the function names, `secure` on port 80 too redirects www to HTTPS."""
    with_https(config)
    listeners = config["gateways"][0]["listeners"]
    listeners[0]["hostname"] = f"*.invocation.{DOMAIN}"
    listeners.append({"name": "secure", "protocol": "HTTP", "port": 80, "hostname": f"www.{DOMAIN}",
                      "httpMode": "redirect"})
    listeners[0]["httpMode"] = "routes"
    config["routes"] = [{"name": "invocation", "namespace": "fn-api", "gateway": "edge",
                         "hostnames": [f"a.invocation.{DOMAIN}"], "rules": BACKEND}]


def route(namespace: str, ref: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": f"{GW}/v1", "kind": "HTTPRoute", "metadata": {"name": "web", "namespace": namespace},
            "spec": {"parentRefs": [{"group": GW, "kind": "Gateway", "name": "edge", "namespace": "gateway", **ref}],
                     "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]}}


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}}}


def test_the_policy_guards_only_the_redirecting_one_of_two_port_80_listeners() -> None:
    plan = plan_of(BASE, two_on_port_80)
    gateway = plan.gateways[0].gateway.manifest()
    assert gateway["metadata"]["annotations"] == {ROUTE_LISTENERS_ANNOTATION: "http"}
    manifests = [item.manifest() for item in plan.admission]
    policies = [item for item in manifests if item["kind"] == "ValidatingAdmissionPolicy"]
    bindings = [item for item in manifests if item["kind"] == "ValidatingAdmissionPolicyBinding"]
    store = ParamStore({(GW, "Gateway"): True}, [gateway])
    alice = UserInfo("alice")

    def allowed(ns: str, ref: dict[str, Any]) -> bool:
        return admit(policies, bindings, store, Request("CREATE", "httproutes", route(ns, ref), alice,
                                                        namespace_object=namespace(ns))).allowed

    assert allowed("fn-api", {"sectionName": "http"})
    assert not allowed("fn-api", {"sectionName": "secure"})
    assert allowed("fn-api", {})  # fn-api is admitted by http alone
    assert not allowed("gateway", {})  # the gateway's namespace is admitted by secure too: it would attach there
    del gateway["metadata"]["annotations"]  # without the annotation every port-80 listener is guarded
    assert not allowed("fn-api", {"sectionName": "http"})


def test_only_a_gateway_with_port_80_listeners_of_both_kinds_names_those_that_carry_routes() -> None:
    """The annotation tells the policy which port-80 listeners to leave alone; where all of them carry routes (no
    binding) or all redirect (all guarded), the Gateway carries none."""
    carrying = plan_of(BASE).gateways[0].gateway.manifest()  # `http` carries routes: no binding judges this Gateway
    assert ROUTE_LISTENERS_ANNOTATION not in carrying["metadata"].get("annotations", {})
    assert [item for item in plan_of(BASE).admission if "http-listener-routes" in item.manifest()["metadata"]["name"]] \
        == []
    redirecting = plan_of(BASE, with_https, put("gateways[0].listeners[0].httpMode", "redirect"))
    assert ROUTE_LISTENERS_ANNOTATION not in redirecting.gateways[0].gateway.manifest()["metadata"].get(
        "annotations", {})
    # A listener carrying routes on another port is none of the policy's: the redirecting Gateway still names none.
    elsewhere = {"name": "alt", "protocol": "HTTP", "port": 8080, "httpMode": "routes"}
    with_alt = plan_of(BASE, with_https, put("gateways[0].listeners[0].httpMode", "redirect"),
                       lambda config: config["gateways"][0]["listeners"].append(dict(elsewhere)))
    assert ROUTE_LISTENERS_ANNOTATION not in with_alt.gateways[0].gateway.manifest()["metadata"].get("annotations", {})


def test_every_port_80_listener_that_carries_routes_is_named() -> None:
    def a_second_carrying_one(config: Config) -> None:
        config["gateways"][0]["listeners"].append({"name": "legacy", "protocol": "HTTP", "port": 80,
                                                   "hostname": f"*.legacy.{DOMAIN}", "httpMode": "routes"})

    gateway = plan_of(BASE, two_on_port_80, a_second_carrying_one).gateways[0].gateway.manifest()
    assert gateway["metadata"]["annotations"] == {ROUTE_LISTENERS_ANNOTATION: "http,legacy"}
