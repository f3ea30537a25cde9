"""Admission policies: each refuses the hijack it exists for and admits the legitimate request beside it.

The policies and bindings come from a render of the multitenant example and are judged by
traffic_edge.conformance.admission, which evaluates them as the API server does: the binding's paramRef names
the Gateway a policy reads as `params`, looked up in the cluster's objects (a ParamStore).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import RenderStack, parse_config
from traffic_edge.config.tenancy import SUFFIX_LABEL, TENANT_LABEL
from traffic_edge.conformance.admission import (
    Decision,
    ParamStore,
    Request,
    UserInfo,
    admit,
    compile_policy,
    policy_expressions,
    selected,
)
from traffic_edge.conformance.validator import REFDATA, ManifestValidator, require_refdata
from traffic_edge.offline.engine import Recording, Registration
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.plan.admission import admission_manifests
from traffic_edge.plan.guardrails import Tenancy
from traffic_edge.plan.routes import EXTERNAL_DNS_HOSTNAME

Manifest = dict[str, Any]

GW = "gateway.networking.k8s.io"
VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
DOMAIN = "edge.example.com"
TEAM_A = f"team-a.{DOMAIN}"
TEAM_B = f"team-b.{DOMAIN}"
PLATFORM_GROUP = "kubeadm:cluster-admins"  # guardrails.platformGroups of the example
ALICE = UserInfo("alice", ("system:authenticated", "team-a-developers"))
PLATFORM = UserInfo("alice", ("system:authenticated", PLATFORM_GROUP))
GATEWAYS_ARE_NAMESPACED = {(GW, "Gateway"): True}  # the scope the Gateway CRD declares
# What cert-manager v1.21.1 writes on its HTTP-01 solver route, as literals so that a typo in the program's copy
# fails here: pkg/apis/acme/v1/types.go (SolverIdentificationLabelKey) and pkg/issuer/acme/http/httproute.go
# (an Exact match of fmt.Sprintf("/.well-known/acme-challenge/%s", token)).
ACME_SOLVER_LABEL = "acme.cert-manager.io/http01-solver"
ACME_CHALLENGE_PATH = "/.well-known/acme-challenge/"


# ---------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def stack(render_stack: RenderStack) -> Recording:
    return render_stack(PROJECT_DIR / "Pulumi.multitenant.yaml")


def own(stack: Recording, type_: str) -> list[Registration]:
    """The program's own policies and bindings (the Gateway API bundle brings its safe-upgrades pair)."""
    return [r for r in stack.of_type(type_) if r.inputs["metadata"]["name"].startswith("traffic-edge-")]


@pytest.fixture(scope="module")
def policies(stack: Recording) -> dict[str, Manifest]:
    return {r.inputs["metadata"]["name"].removeprefix("traffic-edge-"): r.inputs for r in own(stack, VAP)}


@pytest.fixture(scope="module")
def bindings(stack: Recording) -> list[Manifest]:
    return [r.inputs for r in own(stack, BINDING)]


@pytest.fixture(scope="module")
def gateways(stack: Recording) -> dict[str, Manifest]:
    return {r.inputs["metadata"]["name"]: r.inputs for r in stack.of_type(f"kubernetes:{GW}/v1:Gateway")}


@pytest.fixture(scope="module")
def cluster(gateways: dict[str, Manifest]) -> ParamStore:
    """The params the bindings can find: the stack's Gateways, as the API server would store them."""
    return ParamStore(GATEWAYS_ARE_NAMESPACED, list(gateways.values()))


NO_GATEWAYS = ParamStore(GATEWAYS_ARE_NAMESPACED)


def refusal(policy: Manifest, bindings: list[Manifest], request: Request,
            params: ParamStore = NO_GATEWAYS) -> str | None:
    """None when the policy (with every binding of it) admits the request, else the first refusal's message."""
    decision = admit([policy], bindings, params, request)
    return decision.denials[0].message if decision.denials else None


def namespace(name: str, suffix: str | None = None, tenant: str | None = None) -> Manifest:
    labels = {"kubernetes.io/metadata.name": name}
    if suffix is not None:
        labels |= {SUFFIX_LABEL: suffix, TENANT_LABEL: tenant or name}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


TEAM_A_NS = namespace("team-a", TEAM_A)
PLATFORM_NS = namespace("gateway")


def gateway(ns: str, *listeners: Manifest) -> Manifest:
    return {"apiVersion": f"{GW}/v1", "kind": "Gateway", "metadata": {"name": "own", "namespace": ns},
            "spec": {"gatewayClassName": "envoy-gateway", "listeners": list(listeners)}}


def listener(name: str, protocol: str, port: int, hostname: str | None = None) -> Manifest:
    item: Manifest = {"name": name, "protocol": protocol, "port": port}
    if hostname is not None:
        item["hostname"] = hostname
    return item


def route(kind: str, ns: str, hostnames: list[str] | None, *parent_refs: Manifest,
          name: str = "web", labels: dict[str, str] | None = None,
          annotations: dict[str, str] | None = None) -> Manifest:
    metadata: Manifest = {"name": name, "namespace": ns}
    if labels:
        metadata["labels"] = labels
    if annotations:
        metadata["annotations"] = annotations
    spec: Manifest = {"parentRefs": list(parent_refs) or [edge_ref("https")], "rules": [{}]}
    if hostnames is not None:
        spec["hostnames"] = hostnames
    return {"apiVersion": f"{GW}/v1", "kind": kind, "metadata": metadata, "spec": spec}


def edge_ref(section: str | None = None, port: int | None = None, name: str = "edge") -> Manifest:
    """A parentRef as the API server stores it (group and kind defaulted by the CRD)."""
    ref: Manifest = {"group": GW, "kind": "Gateway", "name": name, "namespace": "gateway"}
    if section is not None:
        ref["sectionName"] = section
    if port is not None:
        ref["port"] = port
    return ref


def create(resource: str, obj: Manifest, ns: Manifest | None, user: UserInfo = ALICE) -> Request:
    return Request("CREATE", resource, obj, user, namespace_object=ns)


# ---------------------------------------------------------------------------------- the policies themselves


def test_every_expression_compiles_with_only_functions_kubernetes_has(policies: dict[str, Manifest]) -> None:
    assert sorted(policies) == [
        "dns-hostname-annotations", "domain-hostnames", "gateway-hostnames", "gateway-tenant-namespaces",
        "http-listener-routes", "route-hostnames", "tenant-labels",
    ]
    for manifest in policies.values():
        compile_policy(manifest)  # raises on a name the API server's CEL environment lacks
        for expression, _ in policy_expressions(manifest):
            assert "\n" not in expression  # else the API server requires a message


def test_manifests_are_what_the_api_server_accepts(stack: Recording) -> None:
    require_refdata()
    validator = ManifestValidator()
    manifests = [r.inputs for r in [*own(stack, VAP), *own(stack, BINDING)]]
    assert len(manifests) == 15
    for manifest in manifests:
        assert validator.validate(manifest) == []


def test_bindings_deny_and_name_their_policy_and_gateway(stack: Recording) -> None:
    bindings = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in own(stack, BINDING)}
    params = {name: spec.get("paramRef") for name, spec in bindings.items()}
    assert params == {
        "traffic-edge-dns-hostname-annotations": None,
        "traffic-edge-domain-hostnames": None,
        "traffic-edge-gateway-hostnames": None,
        "traffic-edge-gateway-tenant-namespaces": None,
        "traffic-edge-route-hostnames": None,
        "traffic-edge-tenant-labels": None,
        "traffic-edge-http-listener-routes.gateway.edge":
            {"name": "edge", "namespace": "gateway", "parameterNotFoundAction": "Allow"},
        "traffic-edge-http-listener-routes.team-c.team-c":
            {"name": "team-c", "namespace": "team-c", "parameterNotFoundAction": "Allow"},
    }
    assert {spec["validationActions"] == ["Deny"] for spec in bindings.values()} == {True}
    policy_of = {r.inputs["metadata"]["name"]: r.urn for r in own(stack, VAP)}
    for registration in own(stack, BINDING):
        assert policy_of[registration.inputs["spec"]["policyName"]] in registration.dependencies


def test_a_stack_without_tenants_gets_only_the_port_80_policy_where_port_80_redirects() -> None:
    http = {"name": "http", "protocol": "HTTP", "port": 80}
    https = {"name": "https", "protocol": "HTTPS", "port": 443, "certificate": "edge"}
    certificates = [{"name": "edge", "issuer": "internal-ca", "dnsNames": [f"www.{DOMAIN}"]}]
    stack = {"platform": {"kind": "onprem"}, "domain": DOMAIN, "issuers": {"internalCa": {}}}
    config = parse_config({**stack, "gateways": [{"name": "edge", "certificates": certificates,
                                                  "listeners": [http, https]}]})
    manifests = admission_manifests(None, [], [], config.gateways)
    assert [(m["kind"], m["metadata"]["name"]) for m in manifests] == [
        ("ValidatingAdmissionPolicy", "traffic-edge-http-listener-routes"),
        ("ValidatingAdmissionPolicyBinding", "traffic-edge-http-listener-routes.gateway.edge"),
    ]
    plain = parse_config({**stack, "gateways": [{"name": "edge", "listeners": [http]}]})  # it carries routes
    assert admission_manifests(None, [], [], plain.gateways) == []


# ---------------------------------------------------------------------------------- the stack's own objects


def test_the_stacks_own_objects_pass_every_policy(
    stack: Recording, policies: dict[str, Manifest], bindings: list[Manifest], cluster: ParamStore
) -> None:
    """The program must never be refused by its own guardrails: its Gateways, routes and namespaces are admitted."""
    namespaces = {r.inputs["metadata"]["name"]: r.inputs for r in stack.of_type("kubernetes:core/v1:Namespace")}
    objects = [r.inputs for r in stack.resources.values() if r.type.startswith(f"kubernetes:{GW}/")]
    plural = {"Gateway": "gateways", "HTTPRoute": "httproutes", "GRPCRoute": "grpcroutes", "TLSRoute": "tlsroutes"}
    checked = [obj for obj in objects if obj["kind"] in plural]
    for obj in checked:
        request = create(plural[obj["kind"]], obj, namespaces[obj["metadata"]["namespace"]])
        assert admit(list(policies.values()), bindings, cluster, request) == Decision(), obj["metadata"]
    for ns in namespaces.values():
        assert admit(list(policies.values()), bindings, cluster, create("namespaces", ns, None, PLATFORM)).allowed
    assert len(checked) > 8


# ---------------------------------------------------------------------------------- gateway-hostnames


@pytest.mark.parametrize(("listeners", "refused"), [
    ([listener("https", "HTTPS", 443, f"*.{TEAM_A}"), listener("db", "TCP", 5432)], False),
    ([listener("https", "HTTPS", 443, f"shop.{TEAM_A}"), listener("api", "TLS", 6443, TEAM_A)], False),
    ([listener("https", "HTTPS", 443, f"*.{DOMAIN}")], True),  # every other tenant's names too
    ([listener("https", "HTTPS", 443, f"shop.{TEAM_B}")], True),  # another tenant's name
    ([listener("http", "HTTP", 80)], True),  # no hostname: every name
    ([listener("https", "HTTPS", 443, f"evil{TEAM_A}")], True),  # ends with the suffix but is not under it
], ids=["wildcard-own", "exact-own", "domain-wildcard", "other-tenant", "no-hostname", "lookalike"])
def test_gateway_listeners_stay_under_the_tenants_suffix(
    policies: dict[str, Manifest], bindings: list[Manifest], listeners: list[Manifest], refused: bool
) -> None:
    request = create("gateways", gateway("team-a", *listeners), TEAM_A_NS)
    message = refusal(policies["gateway-hostnames"], bindings, request)
    assert (message is not None) == refused, message
    if refused:
        assert message == f"every HTTP, HTTPS and TLS listener here needs a hostname under {TEAM_A}"


def test_gateway_hostnames_bind_only_in_tenant_namespaces(
    policies: dict[str, Manifest], bindings: list[Manifest]
) -> None:
    shared = gateway("gateway", listener("https", "HTTPS", 443, f"*.{DOMAIN}"), listener("http", "HTTP", 80))
    assert refusal(policies["gateway-hostnames"], bindings, create("gateways", shared, PLATFORM_NS)) is None
    listener_set = {**gateway("team-a", listener("x", "HTTPS", 443, f"x.{TEAM_B}")), "kind": "ListenerSet"}
    assert refusal(policies["gateway-hostnames"], bindings, create("listenersets", listener_set, TEAM_A_NS))


# ---------------------------------------------------------------------------------- route-hostnames


@pytest.mark.parametrize(("kind", "hostnames", "refused"), [
    ("HTTPRoute", [f"shop.{TEAM_A}"], False),
    ("HTTPRoute", [f"*.{TEAM_A}", TEAM_A], False),
    ("TLSRoute", [f"api.{TEAM_A}"], False),
    ("HTTPRoute", [f"shop.{TEAM_B}"], True),
    ("HTTPRoute", [f"shop.{TEAM_A}", f"pay.{TEAM_B}"], True),
    ("GRPCRoute", [f"grpc.{TEAM_B}"], True),
    ("TLSRoute", [f"*.{DOMAIN}"], True),
    ("HTTPRoute", [], True),
    ("HTTPRoute", None, True),
], ids=["own", "own-wildcard-and-apex", "own-tls", "other", "one-of-two-other", "grpc-other", "tls-domain-wildcard",
        "empty", "absent"])
def test_routes_name_hostnames_under_the_tenants_suffix(
    policies: dict[str, Manifest], bindings: list[Manifest], kind: str, hostnames: list[str] | None, refused: bool
) -> None:
    request = create(f"{kind.lower()}s", route(kind, "team-a", hostnames), TEAM_A_NS)
    message = refusal(policies["route-hostnames"], bindings, request)
    assert (message is not None) == refused, message
    if refused:
        assert message == f"routes here must name hostnames under {TEAM_A}"


def test_route_hostnames_check_updates_and_skip_platform_namespaces(
    policies: dict[str, Manifest], bindings: list[Manifest]
) -> None:
    own, taken = route("HTTPRoute", "team-a", [f"shop.{TEAM_A}"]), route("HTTPRoute", "team-a", [f"shop.{TEAM_B}"])
    update = Request("UPDATE", "httproutes", taken, ALICE, old=own, namespace_object=TEAM_A_NS)
    assert refusal(policies["route-hostnames"], bindings, update) is not None
    platform = route("HTTPRoute", "gateway", None)
    assert refusal(policies["route-hostnames"], bindings, create("httproutes", platform, PLATFORM_NS)) is None


# ---------------------------------------------------------------------------------- dns-hostname-annotations


@pytest.mark.parametrize(("value", "refused"), [
    (f"db.{TEAM_A}", False),
    (f"db.{TEAM_A}, cache.{TEAM_A}", False),
    (f"DB.Team-A.{DOMAIN}", False),
    (f"db.{TEAM_A},www.{TEAM_B}", True),
    (f"www.{DOMAIN}", True),
], ids=["own", "two-own", "own-uppercase", "one-other", "domain"])
def test_external_dns_annotations_stay_under_the_suffix(
    policies: dict[str, Manifest], bindings: list[Manifest], value: str, refused: bool
) -> None:
    policy = policies["dns-hostname-annotations"]
    tcp = route("TCPRoute", "team-a", None, annotations={EXTERNAL_DNS_HOSTNAME: value})
    message = refusal(policy, bindings, create("tcproutes", tcp, TEAM_A_NS))
    assert (message is not None) == refused, message
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "db", "namespace": "team-a", "annotations": {EXTERNAL_DNS_HOSTNAME: value}}}
    message = refusal(policy, bindings, create("services", service, TEAM_A_NS))
    assert (message is not None) == refused, message


def test_objects_without_the_annotation_are_left_alone(policies: dict[str, Manifest], bindings: list[Manifest]) -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "team-a"}}
    assert refusal(policies["dns-hostname-annotations"], bindings, create("services", service, TEAM_A_NS)) is None


def test_dns_annotations_outside_tenant_namespaces_are_the_platforms(
    policies: dict[str, Manifest], bindings: list[Manifest]
) -> None:
    """A namespace without the suffix label has no suffix to stay under: the policy does not reach it."""
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "edge", "namespace": "gateway", "annotations": {EXTERNAL_DNS_HOSTNAME: DOMAIN}}}
    assert refusal(policies["dns-hostname-annotations"], bindings, create("services", service, PLATFORM_NS)) is None


# ---------------------------------------------------------------------------------- tenant-labels


def relabelled(labels: dict[str, str]) -> Manifest:
    changed = copy.deepcopy(TEAM_A_NS)
    changed["metadata"]["labels"] = labels
    return changed


OWN_LABELS = TEAM_A_NS["metadata"]["labels"]


@pytest.mark.parametrize(("operation", "old", "new", "refused"), [
    ("UPDATE", TEAM_A_NS, relabelled({**OWN_LABELS, SUFFIX_LABEL: DOMAIN}), True),  # widen to the whole domain
    ("UPDATE", TEAM_A_NS, relabelled({**OWN_LABELS, SUFFIX_LABEL: TEAM_B}), True),  # take another tenant's
    ("UPDATE", TEAM_A_NS, relabelled({"kubernetes.io/metadata.name": "team-a", TENANT_LABEL: "team-a"}), True),
    ("UPDATE", TEAM_A_NS, relabelled({**OWN_LABELS, TENANT_LABEL: "team-b"}), True),
    ("CREATE", None, namespace("team-a-sneaky", TEAM_B, "team-b"), True),
    ("UPDATE", TEAM_A_NS, relabelled({**OWN_LABELS, "cost-centre": "42"}), False),  # other labels are free
    ("CREATE", None, namespace("scratch"), False),
], ids=["widen", "take-other", "remove-suffix", "change-tenant", "create-labelled", "other-label", "create-plain"])
def test_only_the_platform_changes_tenant_labels(
    policies: dict[str, Manifest], bindings: list[Manifest], operation: str, old: Manifest | None, new: Manifest,
    refused: bool,
) -> None:
    policy = policies["tenant-labels"]
    message = refusal(policy, bindings, Request(operation, "namespaces", new, ALICE, old=old))
    assert (message is not None) == refused, message
    if refused:
        assert message == f"only the platform sets or changes the labels {SUFFIX_LABEL} and {TENANT_LABEL}"
    assert refusal(policy, bindings, Request(operation, "namespaces", new, PLATFORM, old=old)) is None


def test_the_platform_is_named_by_user_or_group() -> None:
    manifests = admission_manifests(Tenancy({}, {}), ["system:serviceaccount:ci:pulumi"], [], [])
    [policy] = [m for m in manifests if m["kind"] == "ValidatingAdmissionPolicy" and "tenant-labels" in
                m["metadata"]["name"]]
    bindings = [m for m in manifests if m["kind"] == "ValidatingAdmissionPolicyBinding"]
    change = relabelled({**OWN_LABELS, SUFFIX_LABEL: DOMAIN})
    ci = UserInfo("system:serviceaccount:ci:pulumi", ("system:serviceaccounts",))
    assert refusal(policy, bindings, Request("UPDATE", "namespaces", change, ci, old=TEAM_A_NS)) is None
    someone = UserInfo("alice", (PLATFORM_GROUP,))  # the group of another stack's platform
    assert refusal(policy, bindings, Request("UPDATE", "namespaces", change, someone, old=TEAM_A_NS))
    assert refusal(policy, bindings, Request("UPDATE", "namespaces/status", change, ALICE, old=TEAM_A_NS))


# ---------------------------------------------------------------------------------- http-listener-routes


PORT_80_MESSAGE = ("the port-80 listeners of Gateway gateway/edge only redirect to HTTPS and serve ACME challenges: "
                   "name a listener that serves routes in sectionName")


@pytest.mark.parametrize(("ref", "refused"), [
    (edge_ref("https"), False),
    (edge_ref("http"), True),
    # Neither sectionName nor another port: the route attaches to every listener admitting team-a, and the
    # redirecting one admits only its own namespace (see test_chart_routes.py for routes from there).
    (edge_ref(port=80), False),
    (edge_ref(), False),
    (edge_ref("https", port=443), False),
    (edge_ref("http", name="team-c"), False),  # another Gateway: its own binding judges it
], ids=["https", "http-section", "port-80", "whole-gateway", "https-port", "other-gateway"])
def test_tenant_routes_stay_off_the_port_80_listener(
    policies: dict[str, Manifest], bindings: list[Manifest], cluster: ParamStore, ref: Manifest, refused: bool
) -> None:
    request = create("httproutes", route("HTTPRoute", "team-a", [f"shop.{TEAM_A}"], ref), TEAM_A_NS)
    message = refusal(policies["http-listener-routes"], bindings, request, cluster)
    assert (message is not None) == refused, message
    if refused:
        assert message == PORT_80_MESSAGE


def test_only_the_redirect_and_acme_challenges_attach_to_port_80(
    stack: Recording, policies: dict[str, Manifest], bindings: list[Manifest], cluster: ParamStore
) -> None:
    policy = policies["http-listener-routes"]
    [redirect] = [r.inputs for r in stack.of_type(f"kubernetes:{GW}/v1:HTTPRoute")
                  if r.inputs["metadata"] == {"name": "edge-http-redirect", "namespace": "gateway"}]
    # cert-manager's solver route: its label, one rule with one Exact match of the challenge path.
    challenge = {"matches": [{"path": {"type": "Exact", "value": f"{ACME_CHALLENGE_PATH}x7k2p"}}]}
    solver = route("HTTPRoute", "team-a", [f"shop.{TEAM_A}"], edge_ref("http"), name="cm-acme-http-solver-x7k2p",
                   labels={ACME_SOLVER_LABEL: "true", "acme.cert-manager.io/http-token": "1"})
    solver["spec"]["rules"] = [challenge]

    def judged(obj: Manifest, ns: Manifest) -> str | None:
        return refusal(policy, bindings, create("httproutes", obj, ns), cluster)

    assert judged(redirect, PLATFORM_NS) is None
    assert judged(solver, TEAM_A_NS) is None  # in the Certificate's namespace, which the listener admits
    # The redirect's name elsewhere is no exemption, nor is the solver's label on a route serving anything else.
    copied = {"metadata": {**redirect["metadata"], "namespace": "team-a"},
              "spec": {**redirect["spec"], "parentRefs": [edge_ref("http")]}}
    assert judged({**redirect, **copied}, TEAM_A_NS) is not None
    prefix = {"matches": [{"path": {"type": "PathPrefix", "value": ACME_CHALLENGE_PATH}}]}
    look_alike = {"matches": [{"path": {"type": "Exact", "value": "/.well-known/acme-challenges"}}]}  # not under it
    rule_sets: list[list[Manifest]] = [[{}], [challenge, {}], [prefix], [look_alike]]
    for rules in rule_sets:
        assert judged({**solver, "spec": {**solver["spec"], "rules": rules}}, TEAM_A_NS) is not None, rules
    # A route in the gateway's namespace is no exemption either, unless it is one of the two.
    assert judged(route("HTTPRoute", "gateway", None, edge_ref("http")), PLATFORM_NS) is not None


# ---------------------------------------------------------------------------------- params, as bindings name them


def test_a_binding_naming_a_missing_gateway_refuses_unless_not_found_is_allowed(
    policies: dict[str, Manifest], bindings: list[Manifest], gateways: dict[str, Manifest]
) -> None:
    """The binding's paramRef names the Gateway; without it the API server applies parameterNotFoundAction."""
    policy = policies["http-listener-routes"]
    [edge_binding] = [b for b in bindings if b["spec"].get("paramRef", {}).get("name") == "edge"]
    request = create("httproutes", route("HTTPRoute", "team-a", [f"shop.{TEAM_A}"], edge_ref("https")), TEAM_A_NS)
    assert refusal(policy, [edge_binding], request, NO_GATEWAYS) is None  # the stack's bindings Allow
    deny = copy.deepcopy(edge_binding)
    deny["spec"]["paramRef"]["parameterNotFoundAction"] = "Deny"
    message = refusal(policy, [deny], request, NO_GATEWAYS)
    assert message == "failed to configure binding: no params found for policy binding with `Deny` " \
                      "parameterNotFoundAction"
    with_edge = ParamStore(GATEWAYS_ARE_NAMESPACED, [gateways["edge"]])
    assert refusal(policy, [deny], request, with_edge) is None  # found: evaluated, and https is fine
    deny["spec"]["paramRef"]["name"] = "team-c"  # exists, but in namespace team-c, not the paramRef's gateway
    assert refusal(policy, [deny], request, ParamStore(GATEWAYS_ARE_NAMESPACED, list(gateways.values())))


def test_params_are_the_object_the_binding_names(
    policies: dict[str, Manifest], bindings: list[Manifest], gateways: dict[str, Manifest]
) -> None:
    """Each binding evaluates the policy with its own Gateway: edge's port-80 rule does not follow team-c's."""
    policy = policies["http-listener-routes"]
    on_http = create("httproutes", route("HTTPRoute", "team-a", [f"shop.{TEAM_A}"], edge_ref("http")), TEAM_A_NS)
    only_team_c = ParamStore(GATEWAYS_ARE_NAMESPACED, [gateways["team-c"]])
    assert refusal(policy, bindings, on_http, only_team_c) is None
    assert refusal(policy, bindings, on_http, ParamStore(GATEWAYS_ARE_NAMESPACED, [gateways["edge"]])) == \
        PORT_80_MESSAGE


def test_param_scope_is_read_from_the_param_kind(policies: dict[str, Manifest], gateways: dict[str, Manifest]) -> None:
    """A namespaced paramKind without paramRef.namespace reads the request's namespace; a request without one
    cannot be judged (a configuration error), and an unknown paramKind neither."""
    policy = copy.deepcopy(policies["http-listener-routes"])
    policy["spec"]["matchConstraints"]["resourceRules"].append(
        {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["namespaces"]})
    binding = {"metadata": {"name": "per-namespace"},
               "spec": {"policyName": policy["metadata"]["name"], "validationActions": ["Deny"],
                        "paramRef": {"name": "edge", "parameterNotFoundAction": "Allow"}}}
    store = ParamStore(GATEWAYS_ARE_NAMESPACED, list(gateways.values()))
    on_http = route("HTTPRoute", "gateway", [f"shop.{TEAM_A}"], edge_ref("http"))
    assert refusal(policy, [binding], create("httproutes", on_http, PLATFORM_NS), store) == PORT_80_MESSAGE
    namespace_request = create("namespaces", namespace("scratch"), None)
    message = refusal(policy, [binding], namespace_request, store)
    assert message == ("failed to configure binding: cannot use namespaced paramRef in policy binding that matches "
                       "cluster-scoped resources")
    unknown = refusal(policy, [binding], create("httproutes", on_http, PLATFORM_NS), ParamStore({}))
    assert unknown is not None
    assert "not known" in unknown


def test_param_ref_selector_and_label_selectors() -> None:
    labels = {"tier": "edge", "zone": "a"}
    assert selected({"matchLabels": {"tier": "edge"}, "matchExpressions": [
        {"key": "zone", "operator": "In", "values": ["a", "b"]}, {"key": "x", "operator": "DoesNotExist"}]}, labels)
    assert not selected({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, labels)
    assert selected({}, labels)
    params = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n, "namespace": "ns", "labels": lab},
               "data": {"limit": limit}} for n, lab, limit in (("a", {"use": "yes"}, "1"), ("b", {}, "2"))]
    policy = {"metadata": {"name": "limits"}, "spec": {
        "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
        "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                                                "resources": ["services"]}]},
        "validations": [{"expression": "params.data.limit == '2'",
                         "messageExpression": "'limit ' + params.data.limit"}],
    }}
    binding = {"metadata": {"name": "by-label"}, "spec": {"policyName": "limits", "validationActions": ["Deny"],
               "paramRef": {"selector": {"matchLabels": {"use": "yes"}}, "parameterNotFoundAction": "Deny"}}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "ns"}}
    store = ParamStore({("", "ConfigMap"): True}, params)
    assert refusal(policy, [binding], create("services", service, None), store) == "limit 1"


# ---------------------------------------------------------------------------------- failure policy and actions


def _policy(expression: str, *, failure: str = "Fail", conditions: tuple[str, ...] = ()) -> Manifest:
    return {"metadata": {"name": "p"}, "spec": {
        "failurePolicy": failure,
        "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["*"], "operations": ["*"],
                                                "resources": ["services"]}]},
        "matchConditions": [{"name": f"c{i}", "expression": c} for i, c in enumerate(conditions)],
        "validations": [{"expression": expression}],
    }}


def _binding(*actions: str) -> Manifest:
    return {"metadata": {"name": "b"}, "spec": {"policyName": "p", "validationActions": list(actions)}}


SERVICE_REQUEST = create("services", {"apiVersion": "v1", "kind": "Service",
                                      "metadata": {"name": "s", "namespace": "team-a"}}, TEAM_A_NS)


def test_errors_follow_the_failure_policy_and_failures_the_validation_actions() -> None:
    store = ParamStore({})
    error = "object.spec.ports.size() > 0"  # no spec: a CEL error
    refused = admit([_policy(error)], [_binding("Deny")], store, SERVICE_REQUEST)
    assert refused.denials[0].message.startswith(f"expression '{error}' resulted in error")
    assert str(refused.denials[0]).startswith("ValidatingAdmissionPolicy 'p' with binding 'b' denied request: ")
    assert admit([_policy(error, failure="Ignore")], [_binding("Deny")], store, SERVICE_REQUEST).allowed
    warned = admit([_policy("false")], [_binding("Warn", "Audit")], store, SERVICE_REQUEST)
    assert warned.allowed
    assert warned.warnings == ("ValidatingAdmissionPolicy 'p' with binding 'b' denied request: failed expression: "
                               "false",)
    assert not admit([_policy("false")], [_binding("Deny")], store, SERVICE_REQUEST).allowed


def test_match_conditions_skip_on_false_and_fail_closed_on_errors() -> None:
    store = ParamStore({})
    assert admit([_policy("false", conditions=("true", "false"))], [_binding("Deny")], store, SERVICE_REQUEST).allowed
    broken = admit([_policy("true", conditions=("object.spec.x",))], [_binding("Deny")], store, SERVICE_REQUEST)
    assert "matchCondition 'c0' resulted in error" in broken.denials[0].message
    ignored = _policy("true", conditions=("object.spec.x",), failure="Ignore")
    assert admit([ignored], [_binding("Deny")], store, SERVICE_REQUEST).allowed


def test_match_conditions_see_no_namespace_object_as_on_the_api_server() -> None:
    """kube-apiserver v1.37.2 evaluates matchConditions without `namespaceObject` (found by the e2e tier): a
    condition reading it errors and, failing closed, refuses; the same read in a validation works."""
    store = ParamStore({})
    labelled = "has(namespaceObject.metadata.labels)"
    refused = admit([_policy("true", conditions=(labelled,))], [_binding("Deny")], store, SERVICE_REQUEST)
    assert "matchCondition 'c0' resulted in error" in refused.denials[0].message
    assert admit([_policy(labelled)], [_binding("Deny")], store, SERVICE_REQUEST).allowed


def test_no_policy_of_the_program_reads_the_namespace_in_a_match_condition(policies: dict[str, Manifest]) -> None:
    assert policies
    for policy in policies.values():
        for condition in policy["spec"].get("matchConditions") or ():
            assert "namespaceObject" not in condition["expression"], policy["metadata"]["name"]


# ---------------------------------------------------------------------------------- an upstream policy


def _crd_request(operation: str, path: Path, old: Path | None = None) -> Request:
    def crd(file: Path) -> Manifest:
        return next(doc for doc in yaml.safe_load_all(file.read_text()) if doc["kind"] == "CustomResourceDefinition")

    return Request(operation, "customresourcedefinitions", crd(path), PLATFORM, old=crd(old) if old else None)


def test_gateway_apis_own_safe_upgrades_policy() -> None:
    """Gateway API ships a ValidatingAdmissionPolicy with a binding that narrows it (matchResources): the
    evaluator runs it as the API server would against installs of its own CRDs."""
    require_refdata()
    documents = list(yaml.safe_load_all((REFDATA / "gateway-api/v1.6.1/standard/"
                                         "gateway.networking.k8s.io_vap_safeupgrades.yaml").read_text()))
    [policy] = [d for d in documents if d and d["kind"] == "ValidatingAdmissionPolicy"]
    bindings = [d for d in documents if d and d["kind"] == "ValidatingAdmissionPolicyBinding"]
    compile_policy(policy)
    store = ParamStore({})
    standard = REFDATA / "gateway-api/v1.6.1/standard/gateway.networking.k8s.io_gateways.yaml"
    experimental = REFDATA / "gateway-api/v1.6.1/experimental/gateway.networking.k8s.io_gateways.yaml"
    older = REFDATA / "gateway-api/v1.4.1/standard/gateway.networking.k8s.io_gateways.yaml"
    assert admit([policy], bindings, store, _crd_request("CREATE", standard)).allowed
    assert admit([policy], bindings, store, _crd_request("UPDATE", experimental, old=experimental)).allowed
    over_standard = admit([policy], bindings, store, _crd_request("UPDATE", experimental, old=standard))
    assert over_standard.denials[0].message.startswith("Installing experimental CRDs on top of standard")
    downgrade = admit([policy], bindings, store, _crd_request("UPDATE", older, old=standard))
    assert downgrade.denials[0].message.startswith("Installing CRDs with version before v1.5.0 is prohibited")
    status = Request("UPDATE", "customresourcedefinitions/status", _crd_request("UPDATE", older).obj, PLATFORM)
    assert admit([policy], bindings, store, status).allowed  # the binding matches the resource, not /status


def test_a_param_kind_names_the_gateway_at_the_version_its_crd_serves(policies: dict[str, Manifest]) -> None:
    """The API server resolves paramKind by group, version and kind: a version the CRD does not serve leaves the
    policy unable to find its params, and every request it matches is refused (failurePolicy Fail)."""
    kinds = {name: policy["spec"]["paramKind"] for name, policy in policies.items() if "paramKind" in policy["spec"]}
    assert kinds == {"http-listener-routes": {"apiVersion": f"{GW}/v1", "kind": "Gateway"}}
