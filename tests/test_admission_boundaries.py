"""Admission policies at their boundaries: the one bad listener beside good ones, the second parentRef, the solver's
label on a route that is no solver route, every kind a policy lists, and the Gateway a binding names as params.

Each request is judged by traffic_edge.conformance.admission as the API server judges it, with the policies and
bindings of a render of the multitenant example (or, where a case needs other config, of admission_manifests) and
the Gateways a ParamStore holds. Helpers and names are those of tests/test_admission.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import RenderStack
from tests.test_admission import (
    BINDING,
    DOMAIN,
    GATEWAYS_ARE_NAMESPACED,
    GW,
    PLATFORM,
    PLATFORM_NS,
    PORT_80_MESSAGE,
    TEAM_A,
    TEAM_A_NS,
    TEAM_B,
    VAP,
    create,
    edge_ref,
    gateway,
    listener,
    namespace,
    own,
    refusal,
    route,
)
from traffic_edge.conformance.admission import ParamStore, Request, admit
from traffic_edge.offline.engine import Recording
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.plan.admission import admission_manifests

Manifest = dict[str, Any]

# cert-manager @ v1.21.1 : pkg/apis/acme/v1/types.go (L52-60) names the labels of every HTTP-01 solver object, and
# pkg/issuer/acme/http/httproute.go (L145-184) writes the solver's HTTPRoute: one rule, one Exact match of
# `/.well-known/acme-challenge/<token>` (L162-164), parentRefs copied from the issuer's solver. Literals, so that a
# typo in the program's copy is a failure here.
SOLVER_LABELS = {"acme.cert-manager.io/http-domain": "1950485011", "acme.cert-manager.io/http-token": "3141592653",
                 "acme.cert-manager.io/http01-solver": "true"}
CHALLENGE = {"path": {"type": "Exact", "value": "/.well-known/acme-challenge/x7k2pQ"}}
CATCH_ALL = {"path": {"type": "PathPrefix", "value": "/"}}
# external-dns @ v0.22.0 : source/annotations/annotations.go (L21-22, L56-57) reads names from `<prefix>hostname`
# and `<prefix>internal-hostname`; v0.21.0 images use the alpha prefix (same file, L22).
DNS_NAME_ANNOTATIONS = [f"{prefix}{key}"
                        for prefix in ("external-dns.kubernetes.io/", "external-dns.alpha.kubernetes.io/")
                        for key in ("hostname", "internal-hostname")]
TENANT_GATEWAY_MESSAGE = (
    "a listener admits routes from namespaces of tenants this gateway was not given: admit by name "
    "(kubernetes.io/metadata.name In [...]) or by tenant (traffic-edge.io/tenant In the given ones, or NotIn every "
    "other)")
APPS_NS = namespace("apps") | {"metadata": {"name": "apps", "labels": {"kubernetes.io/metadata.name": "apps",
                                                                          "team": "apps"}}}


@pytest.fixture(scope="module")
def stack(render_stack: RenderStack) -> Recording:
    return render_stack(PROJECT_DIR / "Pulumi.multitenant.yaml")


@pytest.fixture(scope="module")
def policies(stack: Recording) -> dict[str, Manifest]:
    return {r.inputs["metadata"]["name"].removeprefix("traffic-edge-"): r.inputs for r in own(stack, VAP)}


@pytest.fixture(scope="module")
def bindings(stack: Recording) -> list[Manifest]:
    return [r.inputs for r in own(stack, BINDING)]


@pytest.fixture(scope="module")
def cluster(stack: Recording) -> ParamStore:
    return ParamStore(GATEWAYS_ARE_NAMESPACED, [r.inputs for r in stack.of_type(f"kubernetes:{GW}/v1:Gateway")])


def with_edge(*listeners: Manifest, annotations: dict[str, str] | None = None) -> ParamStore:
    """The cluster with Gateway gateway/edge holding `listeners`: what the edge binding of http-listener-routes
    reads as its params."""
    edge = gateway("gateway", *listeners)
    edge["metadata"]["name"] = "edge"
    if annotations:
        edge["metadata"]["annotations"] = annotations
    return ParamStore(GATEWAYS_ARE_NAMESPACED, [edge])


def http_80(name: str = "http", allowed_routes: Manifest | None = None) -> Manifest:
    item = listener(name, "HTTP", 80)
    if allowed_routes is not None:
        item["allowedRoutes"] = allowed_routes
    return item


def annotated_object(kind: str, ns: str, annotations: dict[str, str]) -> Manifest:
    """A Service, or a Gateway API object without listeners or hostnames, carrying `annotations`."""
    metadata = {"name": "db", "namespace": ns, "annotations": annotations}
    if kind == "Service":
        return {"apiVersion": "v1", "kind": kind, "metadata": metadata, "spec": {}}
    spec: Manifest = {"listeners": []} if kind in ("Gateway", "ListenerSet") else {}
    return {"apiVersion": f"{GW}/v1", "kind": kind, "metadata": metadata, "spec": spec}


# ---------------------------------------------------------------------------------- refusals say Forbidden


def test_every_refusal_of_the_program_is_forbidden(policies: dict[str, Manifest]) -> None:
    """Without `reason` the API server answers 422 Invalid; a guardrail's refusal is 403 Forbidden."""
    assert len(policies) == 7
    for name, policy in policies.items():
        assert {validation.get("reason") for validation in policy["spec"]["validations"]} == {"Forbidden"}, name


def test_every_policy_of_the_program_fails_closed(
    policies: dict[str, Manifest], bindings: list[Manifest], cluster: ParamStore
) -> None:
    """failurePolicy Fail: an expression that cannot be evaluated refuses the request (Ignore would admit it)."""
    ours = list(policies.values())
    assert {policy["spec"]["failurePolicy"] for policy in ours} == {"Fail"}
    no_listeners = {**gateway("team-a"), "kind": "ListenerSet", "spec": {}}  # object.spec.listeners errors
    decision = admit(ours, bindings, cluster, create("listenersets", no_listeners, TEAM_A_NS))
    assert not decision.allowed


def test_the_platforms_exemption_is_one_named_match_condition(policies: dict[str, Manifest]) -> None:
    """The API server requires each matchCondition to carry a qualified name, unique in its policy."""
    conditions = {name: [condition["name"] for condition in policy["spec"].get("matchConditions", [])]
                  for name, policy in policies.items()}
    assert conditions == {"dns-hostname-annotations": [], "domain-hostnames": ["not-the-platform"],
                          "gateway-hostnames": [], "gateway-tenant-namespaces": [], "http-listener-routes": [],
                          "route-hostnames": [], "tenant-labels": ["not-the-platform"]}


def test_a_refusal_reaches_the_client_as_forbidden(policies: dict[str, Manifest], bindings: list[Manifest]) -> None:
    request = create("httproutes", route("HTTPRoute", "team-a", [f"shop.{TEAM_B}"]), TEAM_A_NS)
    decision = admit([policies["route-hostnames"]], bindings, ParamStore({}), request)
    assert [(denial.reason, denial.message) for denial in decision.denials] == [
        ("Forbidden", f"routes here must name hostnames under {TEAM_A}")]


# ---------------------------------------------------------------------------------- one bad listener among good ones


@pytest.mark.parametrize(("kind", "resource"), [("Gateway", "gateways"), ("ListenerSet", "listenersets")])
@pytest.mark.parametrize("bad", [
    listener("other", "HTTPS", 443, f"shop.{TEAM_B}"),
    listener("plain", "HTTP", 8080),
    listener("tls", "TLS", 6443),  # TLS carries SNI: it is judged like HTTPS
], ids=["other-tenants-name", "no-hostname", "tls-without-hostname"])
def test_one_listener_outside_the_suffix_refuses_the_whole_gateway(
    policies: dict[str, Manifest], bindings: list[Manifest], kind: str, resource: str, bad: Manifest
) -> None:
    for listeners in ([listener("https", "HTTPS", 443, f"*.{TEAM_A}"), bad],
                      [bad, listener("https", "HTTPS", 443, f"*.{TEAM_A}")]):
        obj = {**gateway("team-a", *listeners), "kind": kind}
        message = refusal(policies["gateway-hostnames"], bindings, create(resource, obj, TEAM_A_NS))
        assert message == f"every HTTP, HTTPS and TLS listener here needs a hostname under {TEAM_A}"


def test_tcp_and_udp_listeners_need_no_hostname(policies: dict[str, Manifest], bindings: list[Manifest]) -> None:
    own = gateway("team-a", listener("https", "HTTPS", 443, TEAM_A), listener("db", "TCP", 5432),
                  listener("dns", "UDP", 53))
    assert refusal(policies["gateway-hostnames"], bindings, create("gateways", own, TEAM_A_NS)) is None


def test_a_listener_outside_the_domain_refuses_the_gateway(
    policies: dict[str, Manifest], bindings: list[Manifest]
) -> None:
    platform_gateway = gateway("gateway", listener("https", "HTTPS", 443, f"*.{DOMAIN}"),
                               listener("other", "HTTPS", 8443, "www.example.org"), listener("http", "HTTP", 80))
    for resource, kind in (("gateways", "Gateway"), ("listenersets", "ListenerSet")):
        request = create(resource, {**platform_gateway, "kind": kind}, PLATFORM_NS)
        message = refusal(policies["domain-hostnames"], bindings, request)
        assert message == f"every listener hostname must lie in {DOMAIN}"
        assert refusal(policies["domain-hostnames"], bindings, Request("CREATE", resource, request.obj, PLATFORM,
                                                                        namespace_object=PLATFORM_NS)) is None


# ---------------------------------------------------------------------------------- domain-hostnames


@pytest.mark.parametrize(("hostname", "inside"), [
    (DOMAIN, True),
    (f"*.{DOMAIN}", True),
    (f"deep.shop.{DOMAIN}", True),
    (f"bad{DOMAIN}", False),  # ends with the domain's text but lies outside it
    (f"{DOMAIN}.evil.org", False),
    ("www.example.org", False),
], ids=["apex", "wildcard", "deep", "lookalike", "domain-as-label", "other"])
def test_every_hostname_lies_in_the_domain(
    policies: dict[str, Manifest], bindings: list[Manifest], hostname: str, inside: bool
) -> None:
    policy = policies["domain-hostnames"]
    listener_request = create("gateways", gateway("gateway", listener("https", "HTTPS", 443, hostname)), PLATFORM_NS)
    assert (refusal(policy, bindings, listener_request) is None) == inside
    for kind in ("HTTPRoute", "GRPCRoute", "TLSRoute"):
        mixed = route(kind, "gateway", [f"www.{DOMAIN}", hostname])
        assert (refusal(policy, bindings, create(f"{kind.lower()}s", mixed, PLATFORM_NS)) is None) == inside, kind


@pytest.mark.parametrize("annotation", DNS_NAME_ANNOTATIONS)
@pytest.mark.parametrize(("kind", "resource"), [
    ("Gateway", "gateways"), ("ListenerSet", "listenersets"), ("HTTPRoute", "httproutes"), ("GRPCRoute", "grpcroutes"),
    ("TLSRoute", "tlsroutes"), ("TCPRoute", "tcproutes"), ("UDPRoute", "udproutes"), ("Service", "services"),
])
def test_external_dns_names_lie_in_the_domain_on_every_kind(
    policies: dict[str, Manifest], bindings: list[Manifest], annotation: str, kind: str, resource: str
) -> None:
    policy = policies["domain-hostnames"]

    def annotated(value: str) -> Manifest:
        return annotated_object(kind, "gateway", {annotation: value})

    assert refusal(policy, bindings, create(resource, annotated(f"db.{DOMAIN}, Cache.{DOMAIN}"), PLATFORM_NS)) is None
    message = refusal(policy, bindings, create(resource, annotated(f"db.{DOMAIN},db.example.org"), PLATFORM_NS))
    assert message == f"every name in {annotation} must lie in {DOMAIN}"


def test_allowed_domains_extend_the_domain_and_unwritten_names_are_not_judged() -> None:
    manifests = admission_manifests(None, [], [], [], [DOMAIN, "example.org"])
    [policy, binding] = manifests
    for name in (f"www.{DOMAIN}", "www.example.org", "example.org"):
        obj = route("HTTPRoute", "apps", [name])
        assert refusal(policy, [binding], create("httproutes", obj, APPS_NS)) is None, name
    outside = create("httproutes", route("HTTPRoute", "apps", ["www.example.net"]), APPS_NS)
    assert refusal(policy, [binding], outside) == f"every route hostname must lie in {DOMAIN} or example.org"
    no_names = [create("httproutes", route("HTTPRoute", "apps", None), APPS_NS),
                create("gateways", gateway("apps", listener("http", "HTTP", 80)), APPS_NS),
                create("services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}, APPS_NS)]
    for request in no_names:
        assert refusal(policy, [binding], request) is None, request.obj
    no_platform = admission_manifests(None, [], [], [], [DOMAIN])[0]
    assert "matchConditions" not in no_platform["spec"]  # nobody is exempt where no platform identity is named


# ---------------------------------------------------------------------------------- route-hostnames, every kind


@pytest.mark.parametrize("kind", ["HTTPRoute", "GRPCRoute", "TLSRoute"])
@pytest.mark.parametrize(("hostnames", "refused"), [
    ([f"shop.{TEAM_A}", f"*.{TEAM_A}", TEAM_A], False),
    ([f"shop.{TEAM_A}", f"shop.{TEAM_B}"], True),
    ([f"*.{TEAM_B}", f"shop.{TEAM_A}"], True),
    ([f"shop.bad{TEAM_A}"], True),
], ids=["own", "second-other", "first-other", "lookalike"])
def test_every_route_kind_names_only_its_tenants_hostnames(
    policies: dict[str, Manifest], bindings: list[Manifest], kind: str, hostnames: list[str], refused: bool
) -> None:
    request = create(f"{kind.lower()}s", route(kind, "team-a", hostnames), TEAM_A_NS)
    assert (refusal(policies["route-hostnames"], bindings, request) is not None) == refused


@pytest.mark.parametrize("annotation", DNS_NAME_ANNOTATIONS)
@pytest.mark.parametrize(("kind", "resource"), [
    ("Gateway", "gateways"), ("HTTPRoute", "httproutes"), ("GRPCRoute", "grpcroutes"), ("TLSRoute", "tlsroutes"),
    ("TCPRoute", "tcproutes"), ("UDPRoute", "udproutes"), ("Service", "services"),
])
def test_external_dns_names_stay_under_the_suffix_on_every_kind(
    policies: dict[str, Manifest], bindings: list[Manifest], annotation: str, kind: str, resource: str
) -> None:
    policy = policies["dns-hostname-annotations"]

    def annotated(value: str) -> Manifest:
        return annotated_object(kind, "team-a", {annotation: value})

    assert refusal(policy, bindings, create(resource, annotated(f"db.{TEAM_A}"), TEAM_A_NS)) is None
    message = refusal(policy, bindings, create(resource, annotated(f"db.{TEAM_A}, db.{TEAM_B}"), TEAM_A_NS))
    assert message == f"every name in {annotation} must lie under {TEAM_A}"


# ---------------------------------------------------------------------------------- http-listener-routes: parents


def test_a_second_parent_on_the_port_80_listener_is_refused(
    policies: dict[str, Manifest], bindings: list[Manifest], cluster: ParamStore
) -> None:
    """A route may list several parents: one that attaches to the redirecting listener is enough to be refused."""
    for refs in ([edge_ref("https"), edge_ref("http")], [edge_ref("http"), edge_ref("https")],
                 [edge_ref("https", name="team-c"), edge_ref("https"), edge_ref("http")]):
        for kind in ("HTTPRoute", "GRPCRoute"):
            obj = route(kind, "gateway", [f"shop.{DOMAIN}"], *refs)
            message = refusal(policies["http-listener-routes"], bindings, create(f"{kind.lower()}s", obj, PLATFORM_NS),
                              cluster)
            assert message == PORT_80_MESSAGE, (kind, refs)


@pytest.mark.parametrize(("ref", "refused"), [
    (edge_ref("http") | {"group": "example.com"}, False),  # another API's object that happens to be named edge
    (edge_ref("http") | {"kind": "ListenerSet"}, False),
    (edge_ref("http") | {"namespace": "team-a"}, False),  # a Gateway edge in another namespace
    (edge_ref(port=443), False),  # another port of the Gateway, no section
    (edge_ref(port=80), True),
    ({"group": GW, "kind": "Gateway", "name": "edge", "sectionName": "http"}, True),  # namespace: the route's own
], ids=["other-group", "other-kind", "other-namespace", "port-443", "port-80", "same-namespace"])
def test_only_parents_that_are_this_gateways_port_80_listener_count(
    policies: dict[str, Manifest], bindings: list[Manifest], cluster: ParamStore, ref: Manifest, refused: bool
) -> None:
    obj = route("HTTPRoute", "gateway", [f"shop.{DOMAIN}"], ref)
    message = refusal(policies["http-listener-routes"], bindings, create("httproutes", obj, PLATFORM_NS), cluster)
    assert (message is not None) == refused, message


def test_a_route_without_parents_is_no_business_of_the_port_80_policy(
    policies: dict[str, Manifest], bindings: list[Manifest], cluster: ParamStore
) -> None:
    orphan = route("HTTPRoute", "gateway", [f"shop.{DOMAIN}"])
    del orphan["spec"]["parentRefs"]  # optional in the CRD: a route that attaches to nothing yet
    assert refusal(policies["http-listener-routes"], bindings, create("httproutes", orphan, PLATFORM_NS), cluster) \
        is None


# ---------------------------------------------------------------------------------- http-listener-routes: exemptions


def solver_route(rules: list[Manifest], labels: dict[str, str] = SOLVER_LABELS, kind: str = "HTTPRoute") -> Manifest:
    """A route on the port-80 listener shaped like cert-manager's solver route, but with `rules` and `labels`."""
    obj = route(kind, "team-a", [f"shop.{TEAM_A}"], edge_ref("http"), name="cm-acme-http-solver-x7k2p", labels=labels)
    obj["spec"]["rules"] = rules
    return obj


def test_cert_managers_own_solver_route_is_admitted(
    policies: dict[str, Manifest], bindings: list[Manifest], cluster: ParamStore
) -> None:
    solver = solver_route([{"matches": [CHALLENGE], "backendRefs": [
        {"group": "", "kind": "Service", "name": "cm-acme-http-solver-abcde", "namespace": "team-a", "port": 8089,
         "weight": 1}]}])
    solver["metadata"]["generateName"] = "cm-acme-http-solver-"
    assert refusal(policies["http-listener-routes"], bindings, create("httproutes", solver, TEAM_A_NS), cluster) is None
    two = solver_route([{"matches": [CHALLENGE]}, {"matches": [CHALLENGE, CHALLENGE]}])  # still only challenges
    assert refusal(policies["http-listener-routes"], bindings, create("httproutes", two, TEAM_A_NS), cluster) is None


@pytest.mark.parametrize("rules", [
    [{"matches": [CHALLENGE, CATCH_ALL]}],  # a catch-all beside the challenge
    [{"matches": [CATCH_ALL, CHALLENGE]}],
    [{"matches": []}],  # no match: every request
    [{"matches": [CHALLENGE]}, {"matches": []}],
    [{"matches": [{"path": {"type": "Exact", "value": "/app/.well-known/acme-challenge/"}}]}],  # ends like one
    [{"matches": [{"headers": [{"name": "x-acme", "value": "1"}]}]}],  # no path: every path
], ids=["catch-all-after", "catch-all-before", "empty-matches", "second-rule-empty", "suffix-path", "headers-only"])
def test_the_solver_label_on_a_route_serving_anything_else_is_no_exemption(
    policies: dict[str, Manifest], bindings: list[Manifest], cluster: ParamStore, rules: list[Manifest]
) -> None:
    message = refusal(policies["http-listener-routes"], bindings,
                      create("httproutes", solver_route(rules), TEAM_A_NS), cluster)
    assert message == PORT_80_MESSAGE


@pytest.mark.parametrize("labels", [
    {**SOLVER_LABELS, "acme.cert-manager.io/http01-solver": "false"},
    {key: value for key, value in SOLVER_LABELS.items() if key != "acme.cert-manager.io/http01-solver"},
    {},
], ids=["solver-false", "without-solver-label", "no-labels"])
def test_challenge_paths_without_the_solver_label_are_no_exemption(
    policies: dict[str, Manifest], bindings: list[Manifest], cluster: ParamStore, labels: dict[str, str]
) -> None:
    obj = solver_route([{"matches": [CHALLENGE]}], labels)
    assert refusal(policies["http-listener-routes"], bindings, create("httproutes", obj, TEAM_A_NS), cluster) == \
        PORT_80_MESSAGE


def test_a_grpc_route_is_never_a_solver_route(
    policies: dict[str, Manifest], bindings: list[Manifest], cluster: ParamStore
) -> None:
    obj = solver_route([{"matches": [CHALLENGE]}], kind="GRPCRoute")
    assert refusal(policies["http-listener-routes"], bindings, create("grpcroutes", obj, TEAM_A_NS), cluster) == \
        PORT_80_MESSAGE


def test_each_port_80_listener_has_its_own_redirect_in_the_gateways_namespace(
    policies: dict[str, Manifest], bindings: list[Manifest]
) -> None:
    two = with_edge(http_80("http"), http_80("http-alt"), listener("https", "HTTPS", 443, f"*.{DOMAIN}"))
    policy = policies["http-listener-routes"]
    for section in ("http", "http-alt"):
        redirect = route("HTTPRoute", "gateway", None, edge_ref(section), name=f"edge-{section}-redirect")
        assert refusal(policy, bindings, create("httproutes", redirect, PLATFORM_NS), two) is None, section
        elsewhere = route("HTTPRoute", "team-a", None, edge_ref(section), name=f"edge-{section}-redirect")
        assert refusal(policy, bindings, create("httproutes", elsewhere, TEAM_A_NS), two) == PORT_80_MESSAGE
    other = route("HTTPRoute", "gateway", None, edge_ref("http-alt"), name="edge-http-redirect-2")
    assert refusal(policy, bindings, create("httproutes", other, PLATFORM_NS), two) == PORT_80_MESSAGE


def test_port_80_listeners_that_carry_routes_are_left_alone(
    policies: dict[str, Manifest], bindings: list[Manifest]
) -> None:
    """The Gateway's annotation names the port-80 listeners that serve routes (httpMode: routes); the others and
    listeners on other ports are guarded or not the policy's business."""
    listeners = (http_80("http"), http_80("plain"), http_80("legacy"), listener("alt", "HTTP", 8080))
    annotated = with_edge(*listeners, annotations={"traffic-edge.io/http-route-listeners": "legacy,plain"})
    policy = policies["http-listener-routes"]
    for section, refused in (("plain", False), ("legacy", False), ("alt", False), ("http", True)):
        request = create("httproutes", route("HTTPRoute", "gateway", None, edge_ref(section)), PLATFORM_NS)
        assert (refusal(policy, bindings, request, annotated) is not None) == refused, section
    request = create("httproutes", route("HTTPRoute", "gateway", None, edge_ref("plain")), PLATFORM_NS)
    assert refusal(policy, bindings, request, with_edge(*listeners)) == PORT_80_MESSAGE  # not annotated: guarded
    none_guarded = with_edge(http_80("plain"), annotations={"traffic-edge.io/http-route-listeners": "plain"})
    orphan = route("HTTPRoute", "gateway", None, edge_ref("plain"))
    del orphan["spec"]["parentRefs"]
    for obj in (route("HTTPRoute", "gateway", None, edge_ref("plain")), orphan):
        assert refusal(policy, bindings, create("httproutes", obj, PLATFORM_NS), none_guarded) is None


# ---------------------------------------------------------------------------------- http-listener-routes: attachment


def selector(**parts: Any) -> Manifest:
    return {"namespaces": {"from": "Selector", "selector": parts}}


def expression(key: str, operator: str, *values: str) -> Manifest:
    return {"key": key, "operator": operator, **({"values": list(values)} if values else {})}


@pytest.mark.parametrize(("allowed_routes", "attached"), [
    (None, False),  # from Same by default: only the Gateway's namespace
    ({}, False),
    ({"namespaces": {}}, False),
    ({"namespaces": {"from": "Same"}}, False),
    ({"namespaces": {"from": "All"}}, True),
    ({"namespaces": {"from": "Selector"}}, True),  # no selector: counted as matching, to err towards refusing
    (selector(), True),
    (selector(matchLabels={"team": "apps"}), True),
    (selector(matchLabels={"team": "apps", "tier": "web"}), False),
    (selector(matchLabels={"team": "shop"}), False),
    (selector(matchExpressions=[expression("team", "In", "shop", "apps")]), True),
    (selector(matchExpressions=[expression("team", "In", "shop")]), False),
    (selector(matchExpressions=[expression("tier", "In", "apps")]), False),
    (selector(matchExpressions=[expression("team", "NotIn", "shop")]), True),
    (selector(matchExpressions=[expression("team", "NotIn", "apps")]), False),
    (selector(matchExpressions=[expression("tier", "NotIn", "web")]), True),
    (selector(matchExpressions=[expression("team", "Exists")]), True),
    (selector(matchExpressions=[expression("tier", "Exists")]), False),
    (selector(matchExpressions=[expression("tier", "DoesNotExist")]), True),
    (selector(matchExpressions=[expression("team", "DoesNotExist")]), False),
    (selector(matchExpressions=[expression("team", "Exists"), expression("tier", "Exists")]), False),
    (selector(matchLabels={"team": "apps"}, matchExpressions=[expression("tier", "Exists")]), False),
    (selector(matchLabels={"tier": "web"}, matchExpressions=[expression("team", "Exists")]), False),
    ({"namespaces": {"from": "All"}, "kinds": []}, True),  # no kinds: the protocol's, HTTPRoute among them
    ({"namespaces": {"from": "All"}, "kinds": [{"kind": "HTTPRoute"}]}, True),
    ({"namespaces": {"from": "All"}, "kinds": [{"group": GW, "kind": "HTTPRoute"}]}, True),
    ({"namespaces": {"from": "All"}, "kinds": [{"group": GW, "kind": "GRPCRoute"}]}, False),
    ({"namespaces": {"from": "All"}, "kinds": [{"kind": "GRPCRoute"}, {"kind": "HTTPRoute"}]}, True),  # one of two
    ({"namespaces": {"from": "All"}, "kinds": [{"group": "example.com", "kind": "HTTPRoute"}]}, False),
])
def test_a_route_without_section_is_judged_by_the_listeners_that_admit_it(
    policies: dict[str, Manifest], bindings: list[Manifest], allowed_routes: Manifest | None, attached: bool
) -> None:
    """Without sectionName a route attaches to every listener that admits its namespace and kind (Gateway API v1.6.1
    AllowedRoutes, RouteNamespaces, LabelSelector): refused exactly where a port-80 listener that redirects does."""
    params = with_edge(http_80("http", allowed_routes), listener("https", "HTTPS", 443, f"*.{DOMAIN}"))
    request = create("httproutes", route("HTTPRoute", "apps", None, edge_ref()), APPS_NS)
    message = refusal(policies["http-listener-routes"], bindings, request, params)
    assert (message is not None) == attached, message


def test_from_the_gateways_own_namespace_a_route_without_section_attaches_by_default(
    policies: dict[str, Manifest], bindings: list[Manifest]
) -> None:
    params = with_edge(http_80("http"))
    for ref in (edge_ref(), {"name": "edge"}):  # the namespace defaults to the route's
        request = create("httproutes", route("HTTPRoute", "gateway", None, ref), PLATFORM_NS)
        assert refusal(policies["http-listener-routes"], bindings, request, params) == PORT_80_MESSAGE
    from_apps = create("httproutes", route("HTTPRoute", "apps", None, {"name": "edge"}), APPS_NS)  # apps/edge
    assert refusal(policies["http-listener-routes"], bindings, from_apps, params) is None
