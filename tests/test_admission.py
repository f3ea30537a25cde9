"""Admission policies: each refuses the hijack it exists for and admits the legitimate request beside it.

The policies come from a render of the multitenant example. A small evaluator does what the API server does
with a ValidatingAdmissionPolicy: match the request's resource and operation, evaluate matchConditions
(any false skips the policy), then the variables and validations over `object`, `oldObject`, `request`,
`namespaceObject`, `params` and `variables`; a CEL error refuses the request (failurePolicy: Fail).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import celpy
import pytest
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.evaluation import CELEvalError, base_functions

from components.admission import ACME_SOLVER_LABEL, AdmissionPoliciesArgs, admission_manifests
from components.routes import EXTERNAL_DNS_HOSTNAME
from offline.engine import Recording
from offline.render import PROJECT_DIR
from stackconfig.tenancy import SUFFIX_LABEL, TENANT_LABEL
from tests.conformance.validator import ManifestValidator, require_refdata
from tests.conftest import RenderStack, parse_config

GW = "gateway.networking.k8s.io"
VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
DOMAIN = "edge.example.com"
TEAM_A = f"team-a.{DOMAIN}"
TEAM_B = f"team-b.{DOMAIN}"
PLATFORM_GROUP = "kubeadm:cluster-admins"  # guardrails.platformGroups of the example


# ---------------------------------------------------------------------------------- the evaluator


def _split(value: celtypes.StringType, separator: celtypes.StringType) -> celtypes.ListType:
    return celtypes.ListType([celtypes.StringType(part) for part in str(value).split(str(separator))])


def _trim(value: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType(str(value).strip())


def _lower_ascii(value: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType("".join(c.lower() if c.isascii() else c for c in str(value)))


# The Kubernetes strings library functions the policies use
# (https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-strings-library).
K8S_STRINGS: dict[str, Any] = {"split": _split, "trim": _trim, "lowerAscii": _lower_ascii}
MACROS = {"has", "all", "exists", "exists_one", "map", "filter"}
ENV = celpy.Environment()


def called_functions(expression: str) -> set[str]:
    """Every function or macro an expression calls, from celpy's parse tree."""
    names: set[str] = set()
    pending = [ENV.compile(expression)]
    while pending:
        node = pending.pop()
        if not hasattr(node, "children"):
            continue
        if node.data == "member_dot_arg":
            names.add(str(node.children[1]))
        elif node.data == "ident_arg":
            names.add(str(node.children[0]))
        pending.extend(node.children)
    return names


def evaluate(expression: str, activation: Mapping[str, Any]) -> Any:
    """The value, or the CELEvalError the API server would turn into a refusal."""
    try:
        return ENV.program(ENV.compile(expression), functions=K8S_STRINGS).evaluate(dict(activation))
    except CELEvalError as error:
        return error


@dataclass(frozen=True)
class Request:
    operation: str
    group: str
    resource: str
    obj: dict[str, Any] | None
    old: dict[str, Any] | None = None
    namespace: dict[str, Any] | None = None  # the Namespace object of a namespaced request
    username: str = "alice"
    groups: tuple[str, ...] = ("system:authenticated", "team-a-developers")
    params: dict[str, Any] | None = field(default=None)


def _matches(policy: dict[str, Any], request: Request) -> bool:
    """The request's group, operation and resource are those of a rule; `x/*` is any subresource of x."""
    resource, slash, _ = request.resource.partition("/")
    return any(
        request.group in rule["apiGroups"] and request.operation in rule["operations"]
        and (request.resource in rule["resources"] or (slash and f"{resource}/*" in rule["resources"]))
        for rule in policy["spec"]["matchConstraints"]["resourceRules"]
    )


def admit(policy: dict[str, Any], request: Request) -> str | None:
    """None when the policy admits the request, else the message the API server would answer with."""
    if not _matches(policy, request):
        return None
    spec = policy["spec"]
    namespace = (request.namespace or {}).get("metadata", {}).get("name")
    activation: dict[str, Any] = {
        "object": json_to_cel(request.obj),
        "oldObject": json_to_cel(request.old),
        "namespaceObject": json_to_cel(request.namespace),
        "params": json_to_cel(request.params),
        "request": json_to_cel({
            "operation": request.operation,
            "namespace": namespace or "",
            "resource": {"group": request.group, "resource": request.resource},
            "userInfo": {"username": request.username, "groups": list(request.groups)},
        }),
    }
    for condition in spec.get("matchConditions", []):
        result = evaluate(condition["expression"], activation)
        if isinstance(result, CELEvalError):
            return f"error in matchCondition {condition['name']}: {result}"
        if not result:
            return None
    variables: dict[Any, Any] = {}
    for variable in spec.get("variables", []):
        activation["variables"] = celtypes.MapType(variables)
        variables[celtypes.StringType(variable["name"])] = evaluate(variable["expression"], activation)
    activation["variables"] = celtypes.MapType(variables)
    for validation in spec["validations"]:
        result = evaluate(validation["expression"], activation)
        if isinstance(result, CELEvalError):
            return f"error: {result}"
        if not result:
            message = evaluate(validation["messageExpression"], activation) if "messageExpression" in validation \
                else validation["message"]
            return str(message)
    return None


# ---------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def stack(render_stack: RenderStack) -> Recording:
    return render_stack(PROJECT_DIR / "Pulumi.multitenant.yaml")


@pytest.fixture(scope="module")
def policies(stack: Recording) -> dict[str, dict[str, Any]]:
    return {r.inputs["metadata"]["name"].removeprefix("traffic-edge-"): r.inputs for r in stack.of_type(VAP)}


def namespace(name: str, suffix: str | None = None, tenant: str | None = None) -> dict[str, Any]:
    labels = {"kubernetes.io/metadata.name": name}
    if suffix is not None:
        labels |= {SUFFIX_LABEL: suffix, TENANT_LABEL: tenant or name}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


TEAM_A_NS = namespace("team-a", TEAM_A)
PLATFORM_NS = namespace("gateway")


def gateway(ns: str, *listeners: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": f"{GW}/v1", "kind": "Gateway", "metadata": {"name": "own", "namespace": ns},
            "spec": {"gatewayClassName": "envoy-gateway", "listeners": list(listeners)}}


def listener(name: str, protocol: str, port: int, hostname: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, "protocol": protocol, "port": port}
    if hostname is not None:
        item["hostname"] = hostname
    return item


def route(kind: str, ns: str, hostnames: list[str] | None, *parent_refs: dict[str, Any],
          name: str = "web", labels: dict[str, str] | None = None,
          annotations: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": ns}
    if labels:
        metadata["labels"] = labels
    if annotations:
        metadata["annotations"] = annotations
    spec: dict[str, Any] = {"parentRefs": list(parent_refs) or [edge_ref("https")], "rules": [{}]}
    if hostnames is not None:
        spec["hostnames"] = hostnames
    return {"apiVersion": f"{GW}/v1", "kind": kind, "metadata": metadata, "spec": spec}


def edge_ref(section: str | None = None, port: int | None = None, name: str = "edge") -> dict[str, Any]:
    """A parentRef as the API server stores it (group and kind defaulted by the CRD)."""
    ref: dict[str, Any] = {"group": GW, "kind": "Gateway", "name": name, "namespace": "gateway"}
    if section is not None:
        ref["sectionName"] = section
    if port is not None:
        ref["port"] = port
    return ref


def create(resource: str, obj: dict[str, Any], ns: dict[str, Any] | None, group: str = GW) -> Request:
    return Request("CREATE", group, resource, obj, namespace=ns)


# ---------------------------------------------------------------------------------- the CEL itself


def expressions(manifest: dict[str, Any]) -> Iterator[str]:
    spec = manifest["spec"]
    for item in spec.get("matchConditions", []) + spec.get("variables", []):
        yield item["expression"]
    for validation in spec["validations"]:
        yield validation["expression"]
        if "messageExpression" in validation:
            yield validation["messageExpression"]


def test_every_expression_compiles_with_only_functions_kubernetes_has(policies: dict[str, dict[str, Any]]) -> None:
    assert sorted(policies) == [
        "dns-hostname-annotations", "gateway-hostnames", "http-listener-routes", "route-hostnames", "tenant-labels",
    ]
    known = set(base_functions) | set(K8S_STRINGS) | MACROS
    for name, manifest in policies.items():
        for expression in expressions(manifest):
            assert called_functions(expression) <= known, (name, expression)
            assert "\n" not in expression  # else the API server requires a message


def test_manifests_are_what_the_api_server_accepts(stack: Recording) -> None:
    require_refdata()
    validator = ManifestValidator()
    manifests = [r.inputs for r in [*stack.of_type(VAP), *stack.of_type(BINDING)]]
    assert len(manifests) == 11
    for manifest in manifests:
        assert validator.validate(manifest) == []


def test_bindings_deny_and_name_their_policy_and_gateway(stack: Recording) -> None:
    bindings = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in stack.of_type(BINDING)}
    params = {name: spec.get("paramRef") for name, spec in bindings.items()}
    assert params == {
        "traffic-edge-dns-hostname-annotations": None,
        "traffic-edge-gateway-hostnames": None,
        "traffic-edge-route-hostnames": None,
        "traffic-edge-tenant-labels": None,
        "traffic-edge-http-listener-routes.gateway.edge":
            {"name": "edge", "namespace": "gateway", "parameterNotFoundAction": "Allow"},
        "traffic-edge-http-listener-routes.team-c.team-c":
            {"name": "team-c", "namespace": "team-c", "parameterNotFoundAction": "Allow"},
    }
    assert {spec["validationActions"] == ["Deny"] for spec in bindings.values()} == {True}
    policy_of = {r.inputs["metadata"]["name"]: r.urn for r in stack.of_type(VAP)}
    for registration in stack.of_type(BINDING):
        assert policy_of[registration.inputs["spec"]["policyName"]] in registration.dependencies


def test_a_stack_without_tenants_gets_only_the_port_80_policy() -> None:
    config = parse_config({
        "platform": {"kind": "onprem"}, "domain": DOMAIN, "issuers": {"internalCa": {}},
        "gateways": [{"name": "edge", "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}],
    })
    manifests = admission_manifests(AdmissionPoliciesArgs(False, [], [], config.gateways, []))
    assert [(m["kind"], m["metadata"]["name"]) for m in manifests] == [
        ("ValidatingAdmissionPolicy", "traffic-edge-http-listener-routes"),
        ("ValidatingAdmissionPolicyBinding", "traffic-edge-http-listener-routes.gateway.edge"),
    ]


# ---------------------------------------------------------------------------------- the stack's own objects


def test_the_stacks_own_objects_pass_every_policy(stack: Recording, policies: dict[str, dict[str, Any]]) -> None:
    """The program must never be refused by its own guardrails: its Gateways, routes and namespaces are admitted."""
    namespaces = {r.inputs["metadata"]["name"]: r.inputs for r in stack.of_type("kubernetes:core/v1:Namespace")}
    gateways = {r.inputs["metadata"]["name"]: r.inputs for r in stack.of_type(f"kubernetes:{GW}/v1:Gateway")}
    objects = [r.inputs for r in stack.resources.values() if r.type.startswith(f"kubernetes:{GW}/")]
    plural = {"Gateway": "gateways", "HTTPRoute": "httproutes", "GRPCRoute": "grpcroutes", "TLSRoute": "tlsroutes"}
    checked = 0
    for obj in objects:
        if obj["kind"] not in plural:
            continue
        ns = namespaces[obj["metadata"]["namespace"]]
        for name, policy in policies.items():
            for params in gateways.values() if name == "http-listener-routes" else [None]:
                request = Request("CREATE", GW, plural[obj["kind"]], obj, namespace=ns, params=params)
                assert admit(policy, request) is None, (name, obj["metadata"])
                checked += 1
    for ns in namespaces.values():
        request = Request("CREATE", "", "namespaces", ns, groups=(PLATFORM_GROUP, "system:authenticated"))
        assert admit(policies["tenant-labels"], request) is None
    assert checked > 40


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
    policies: dict[str, dict[str, Any]], listeners: list[dict[str, Any]], refused: bool
) -> None:
    message = admit(policies["gateway-hostnames"], create("gateways", gateway("team-a", *listeners), TEAM_A_NS))
    assert (message is not None) == refused, message
    if refused:
        assert message == f"every HTTP, HTTPS and TLS listener here needs a hostname under {TEAM_A}"


def test_gateway_hostnames_bind_only_in_tenant_namespaces(policies: dict[str, dict[str, Any]]) -> None:
    shared = gateway("gateway", listener("https", "HTTPS", 443, f"*.{DOMAIN}"), listener("http", "HTTP", 80))
    assert admit(policies["gateway-hostnames"], create("gateways", shared, PLATFORM_NS)) is None
    listener_set = {**gateway("team-a", listener("x", "HTTPS", 443, f"x.{TEAM_B}")), "kind": "ListenerSet"}
    assert admit(policies["gateway-hostnames"], create("listenersets", listener_set, TEAM_A_NS)) is not None


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
    policies: dict[str, dict[str, Any]], kind: str, hostnames: list[str] | None, refused: bool
) -> None:
    request = create(f"{kind.lower()}s", route(kind, "team-a", hostnames), TEAM_A_NS)
    message = admit(policies["route-hostnames"], request)
    assert (message is not None) == refused, message
    if refused:
        assert message == f"routes here must name hostnames under {TEAM_A}"


def test_route_hostnames_check_updates_and_skip_platform_namespaces(policies: dict[str, dict[str, Any]]) -> None:
    own, taken = route("HTTPRoute", "team-a", [f"shop.{TEAM_A}"]), route("HTTPRoute", "team-a", [f"shop.{TEAM_B}"])
    update = Request("UPDATE", GW, "httproutes", taken, old=own, namespace=TEAM_A_NS)
    assert admit(policies["route-hostnames"], update) is not None
    platform = route("HTTPRoute", "gateway", None)
    assert admit(policies["route-hostnames"], create("httproutes", platform, PLATFORM_NS)) is None


# ---------------------------------------------------------------------------------- dns-hostname-annotations


@pytest.mark.parametrize(("value", "refused"), [
    (f"db.{TEAM_A}", False),
    (f"db.{TEAM_A}, cache.{TEAM_A}", False),
    (f"DB.Team-A.{DOMAIN}", False),
    (f"db.{TEAM_A},www.{TEAM_B}", True),
    (f"www.{DOMAIN}", True),
], ids=["own", "two-own", "own-uppercase", "one-other", "domain"])
def test_external_dns_annotations_stay_under_the_suffix(
    policies: dict[str, dict[str, Any]], value: str, refused: bool
) -> None:
    tcp = route("TCPRoute", "team-a", None, annotations={EXTERNAL_DNS_HOSTNAME: value})
    message = admit(policies["dns-hostname-annotations"], create("tcproutes", tcp, TEAM_A_NS))
    assert (message is not None) == refused, message
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "db", "namespace": "team-a", "annotations": {EXTERNAL_DNS_HOSTNAME: value}}}
    message = admit(policies["dns-hostname-annotations"], create("services", service, TEAM_A_NS, group=""))
    assert (message is not None) == refused, message


def test_objects_without_the_annotation_are_left_alone(policies: dict[str, dict[str, Any]]) -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "team-a"}}
    assert admit(policies["dns-hostname-annotations"], create("services", service, TEAM_A_NS, group="")) is None


# ---------------------------------------------------------------------------------- tenant-labels


def relabelled(labels: dict[str, str]) -> dict[str, Any]:
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
    policies: dict[str, dict[str, Any]], operation: str, old: dict[str, Any] | None, new: dict[str, Any],
    refused: bool,
) -> None:
    policy = policies["tenant-labels"]
    message = admit(policy, Request(operation, "", "namespaces", new, old=old))
    assert (message is not None) == refused, message
    if refused:
        assert message == f"only the platform sets or changes the labels {SUFFIX_LABEL} and {TENANT_LABEL}"
    as_platform = Request(operation, "", "namespaces", new, old=old, groups=("system:authenticated", PLATFORM_GROUP))
    assert admit(policy, as_platform) is None


def test_the_platform_is_named_by_user_or_group() -> None:
    [policy, _binding] = [m for m in admission_manifests(AdmissionPoliciesArgs(
        True, ["system:serviceaccount:ci:pulumi"], [], [], [])) if "tenant-labels" in m["metadata"]["name"]]
    change = relabelled({**OWN_LABELS, SUFFIX_LABEL: DOMAIN})
    ci = Request("UPDATE", "", "namespaces", change, old=TEAM_A_NS, username="system:serviceaccount:ci:pulumi",
                 groups=("system:serviceaccounts",))
    assert admit(policy, ci) is None
    assert admit(policy, Request("UPDATE", "", "namespaces", change, old=TEAM_A_NS, groups=(PLATFORM_GROUP,)))
    status = Request("UPDATE", "", "namespaces/status", change, old=TEAM_A_NS)
    assert admit(policy, status) is not None


# ---------------------------------------------------------------------------------- http-listener-routes


@pytest.fixture(scope="module")
def edge(stack: Recording) -> dict[str, Any]:
    return stack.named(f"kubernetes:{GW}/v1:Gateway", "gateway-edge").inputs


@pytest.mark.parametrize(("ref", "refused"), [
    (edge_ref("https"), False),
    (edge_ref("http"), True),
    (edge_ref(port=80), True),
    (edge_ref(), True),  # neither: attaches to every listener, port 80 included
    (edge_ref("https", port=443), False),
    (edge_ref("http", name="team-c"), False),  # another Gateway: its own binding judges it
], ids=["https", "http-section", "port-80", "whole-gateway", "https-port", "other-gateway"])
def test_tenant_routes_stay_off_the_port_80_listener(
    policies: dict[str, dict[str, Any]], edge: dict[str, Any], ref: dict[str, Any], refused: bool
) -> None:
    request = Request("CREATE", GW, "httproutes", route("HTTPRoute", "team-a", [f"shop.{TEAM_A}"], ref),
                      namespace=TEAM_A_NS, params=edge)
    message = admit(policies["http-listener-routes"], request)
    assert (message is not None) == refused, message
    if refused:
        assert message == ("the port-80 listeners of Gateway gateway/edge only redirect to HTTPS and serve ACME "
                           "challenges")


def test_only_the_redirect_and_acme_challenges_attach_to_port_80(
    stack: Recording, policies: dict[str, dict[str, Any]], edge: dict[str, Any]
) -> None:
    policy = policies["http-listener-routes"]
    redirect = stack.named(f"kubernetes:{GW}/v1:HTTPRoute", "gateway-edge-http-redirect").inputs
    solver = route("HTTPRoute", "gateway", [f"shop.{TEAM_A}"], edge_ref("http"), name="cm-acme-http-solver-x7k2p",
                   labels={ACME_SOLVER_LABEL: "true", "acme.cert-manager.io/http-token": "1"})

    def request(obj: dict[str, Any], ns: dict[str, Any]) -> Request:
        return Request("CREATE", GW, "httproutes", obj, namespace=ns, params=edge)

    assert admit(policy, request(redirect, PLATFORM_NS)) is None
    assert admit(policy, request(solver, PLATFORM_NS)) is None
    # The same names and labels elsewhere are no exemption.
    copied = {"metadata": {**redirect["metadata"], "namespace": "team-a"},
              "spec": {**redirect["spec"], "parentRefs": [edge_ref("http")]}}
    assert admit(policy, request({**redirect, **copied}, TEAM_A_NS)) is not None
    assert admit(policy, request({**solver, "metadata": {**solver["metadata"], "namespace": "team-a"}},
                                 TEAM_A_NS)) is not None
    # A route in the gateway's namespace is no exemption either, unless it is one of the two.
    assert admit(policy, request(route("HTTPRoute", "gateway", None, edge_ref("http")), PLATFORM_NS)) is not None
