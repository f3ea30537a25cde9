"""Guardrails the API server holds for anyone who writes in the cluster: every hostname in the environment's domain
(`domain-hostnames`), and no Gateway admitting a tenant it was not given (`gateway-tenant-namespaces`). Each refuses
the hijack it exists for and admits the legitimate request beside it, judged by traffic_edge.conformance.admission
as the API server judges it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from tests.conftest import DEPLOYMENT, PROJECT, Config, RenderStack, parse_config
from tests.test_admission import own
from traffic_edge.config import ConfigError, Issue
from traffic_edge.conformance.admission import ParamStore, Request, UserInfo, admit, compile_policy
from traffic_edge.conformance.validator import ManifestValidator, require_refdata
from traffic_edge.offline.engine import Recording
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.plan import edge_plan
from traffic_edge.plan.vap import DNS_NAME_ANNOTATIONS

Manifest = dict[str, Any]
GW = "gateway.networking.k8s.io"
VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
DOMAIN = "edge.example.com"
PLATFORM_GROUP = "kubeadm:cluster-admins"  # guardrails.platformGroups of the multitenant example
ALICE = UserInfo("alice", ("system:authenticated",))
PLATFORM = UserInfo("deployer", ("system:authenticated", PLATFORM_GROUP))
NO_PARAMS = ParamStore({})


@pytest.fixture(scope="module")
def stack(render_stack: RenderStack) -> Recording:
    return render_stack(PROJECT_DIR / "Pulumi.multitenant.yaml")


@pytest.fixture(scope="module")
def policies(stack: Recording) -> dict[str, Manifest]:
    return {r.inputs["metadata"]["name"].removeprefix("traffic-edge-"): r.inputs for r in own(stack, VAP)}


@pytest.fixture(scope="module")
def bindings(stack: Recording) -> list[Manifest]:
    return [r.inputs for r in own(stack, BINDING)]


def refusal(policy: Manifest, bindings: list[Manifest], request: Request) -> str | None:
    decision = admit([policy], bindings, NO_PARAMS, request)
    return decision.denials[0].message if decision.denials else None


def namespace(name: str, tenant: str | None = None) -> Manifest:
    labels = {"kubernetes.io/metadata.name": name}
    if tenant is not None:
        labels |= {"traffic-edge.io/tenant": tenant, "traffic-edge.io/hostname-suffix": f"{tenant}.{DOMAIN}"}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def create(resource: str, obj: Manifest, user: UserInfo = ALICE) -> Request:
    ns = obj["metadata"].get("namespace")
    tenant = ns if ns and ns.startswith("team-") else None
    return Request("CREATE", resource, obj, user, namespace_object=namespace(ns, tenant) if ns else None)


def gateway(ns: str, *listeners: Manifest, name: str = "own", **spec: Any) -> Manifest:
    return {"apiVersion": f"{GW}/v1", "kind": "Gateway", "metadata": {"name": name, "namespace": ns},
            "spec": {"gatewayClassName": "envoy-gateway", "listeners": list(listeners), **spec}}


def listener(hostname: str | None = None, namespaces: Manifest | None = None, protocol: str = "HTTPS") -> Manifest:
    item: Manifest = {"name": "l", "protocol": protocol, "port": 443 if protocol == "HTTPS" else 5432}
    if hostname is not None:
        item["hostname"] = hostname
    if namespaces is not None:
        item["allowedRoutes"] = {"namespaces": namespaces}
    return item


def route(ns: str, hostnames: list[str] | None, annotations: dict[str, str] | None = None,
          kind: str = "HTTPRoute") -> Manifest:
    metadata: Manifest = {"name": "web", "namespace": ns, **({"annotations": annotations} if annotations else {})}
    spec: Manifest = {"parentRefs": [{"name": "edge", "namespace": "gateway"}], "rules": [{}]}
    if hostnames is not None:
        spec["hostnames"] = hostnames
    return {"apiVersion": f"{GW}/v1", "kind": kind, "metadata": metadata, "spec": spec}


def test_the_policies_compile_and_are_what_the_api_server_accepts(policies: dict[str, Manifest]) -> None:
    for name in ("domain-hostnames", "gateway-tenant-namespaces"):
        compile_policy(policies[name])
        assert "matchConditions" not in policies[name]["spec"] or all(
            "namespaceObject" not in item["expression"] for item in policies[name]["spec"]["matchConditions"])
    require_refdata()
    validator = ManifestValidator()
    assert validator.validate(policies["domain-hostnames"]) == []
    assert validator.validate(policies["gateway-tenant-namespaces"]) == []


# ---------------------------------------------------------------------------------- domain-hostnames


@pytest.mark.parametrize(("hostnames", "refused"), [
    ([f"shop.{DOMAIN}"], False),
    ([f"*.{DOMAIN}", DOMAIN], False),
    (None, False),  # no names written: the listener's names (in a tenant's namespace route-hostnames judges)
    ([f"shop.{DOMAIN}", "login.bank.example"], True),
    ([f"evil{DOMAIN}"], True),  # ends with the domain but is not inside it
    (["*.example.com"], True),  # wider than the domain
], ids=["inside", "wildcard-and-apex", "none", "one-outside", "lookalike", "wider"])
def test_route_hostnames_lie_in_the_domain(
    policies: dict[str, Manifest], bindings: list[Manifest], hostnames: list[str] | None, refused: bool
) -> None:
    for kind in ("HTTPRoute", "GRPCRoute", "TLSRoute"):
        message = refusal(policies["domain-hostnames"], bindings, create(f"{kind.lower()}s", route("apps", hostnames,
                                                                                                   kind=kind)))
        assert (message is not None) == refused, (kind, message)
        if refused:
            assert message == f"every route hostname must lie in {DOMAIN}"


def test_listener_hostnames_lie_in_the_domain(policies: dict[str, Manifest], bindings: list[Manifest]) -> None:
    policy = policies["domain-hostnames"]
    assert refusal(policy, bindings, create("gateways", gateway("apps", listener(f"*.{DOMAIN}"), listener()))) is None
    assert refusal(policy, bindings, create("gateways", gateway("apps", listener("login.bank.example")))) == (
        f"every listener hostname must lie in {DOMAIN}")
    mixed = gateway("apps", listener(f"shop.{DOMAIN}"), listener("login.bank.example"))  # one good listener is not all
    assert refusal(policy, bindings, create("gateways", mixed)) == f"every listener hostname must lie in {DOMAIN}"
    listener_set = {**gateway("apps", listener("www.example.org")), "kind": "ListenerSet"}
    assert refusal(policy, bindings, create("listenersets", listener_set))


@pytest.mark.parametrize("annotation", DNS_NAME_ANNOTATIONS)
def test_external_dns_names_lie_in_the_domain_under_every_prefix(
    policies: dict[str, Manifest], bindings: list[Manifest], annotation: str
) -> None:
    policy = policies["domain-hostnames"]
    for value, refused in ((f"db.{DOMAIN}, Cache.{DOMAIN.upper()}", False), (f"db.{DOMAIN},www.example.org", True)):
        tcp = route("apps", None, {annotation: value}, kind="TCPRoute")
        udp = route("apps", None, {annotation: value}, kind="UDPRoute")
        service = {"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "db", "namespace": "apps", "annotations": {annotation: value}}, "spec": {}}
        for resource, obj in (("tcproutes", tcp), ("udproutes", udp), ("services", service), ("gateways", {
                **gateway("apps", listener()), "metadata": {"name": "g", "namespace": "apps",
                                                            "annotations": {annotation: value}}})):
            message = refusal(policy, bindings, create(resource, obj))
            assert (message is not None) == refused, (resource, message)
            if refused:
                assert message == f"every name in {annotation} must lie in {DOMAIN}"


def test_the_platform_is_exempt(policies: dict[str, Manifest], bindings: list[Manifest]) -> None:
    hijack = route("apps", ["login.bank.example"])
    assert refusal(policies["domain-hostnames"], bindings, create("httproutes", hijack, ALICE))
    assert refusal(policies["domain-hostnames"], bindings, create("httproutes", hijack, PLATFORM)) is None


def stack_config(**guardrails: Any) -> Config:
    return {"platform": {"kind": "onprem"}, "domain": "example.test", "guardrails": guardrails,
            "gateways": [{"name": "edge", "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}]}


def policy_of(config: Config) -> Manifest | None:
    objects = edge_plan(parse_config(config), DEPLOYMENT).admission
    return next((o.manifest() for o in objects if o.name == "traffic-edge-domain-hostnames"), None)


def test_on_by_default_wider_where_allowed_and_off_where_said() -> None:
    """On by default: a stack's own hostnames lie in `domain` already, so it cannot break a valid stack."""
    default = policy_of(stack_config())
    assert default is not None
    assert "matchConditions" not in default["spec"]  # no platform identity named: nobody is exempt
    wider = policy_of(stack_config(allowedDomains=["apps.internal"], platformUsers=["ci"]))
    assert wider is not None
    binding = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
               "metadata": {"name": "b"}, "spec": {"policyName": wider["metadata"]["name"],
                                                   "validationActions": ["Deny"]}}
    assert refusal(wider, [binding], create("httproutes", route("apps", ["x.apps.internal"]))) is None
    assert refusal(wider, [binding], create("httproutes", route("apps", ["x.example.org"]))) == (
        "every route hostname must lie in example.test or apps.internal")
    assert refusal(wider, [binding], create("httproutes", route("apps", ["x.example.org"]), UserInfo("ci"))) is None
    assert policy_of(stack_config(hostnamesInDomain=False)) is None


@pytest.mark.parametrize(("guardrails", "expected"), [
    ({"hostnamesInDomain": False, "allowedDomains": ["apps.internal"]},
     Issue("guardrails.allowedDomains", "widens the hostname guardrail, and hostnamesInDomain turns it off",
           "remove allowedDomains, or set hostnamesInDomain: true")),
    ({"allowedDomains": ["*.apps.internal"]},
     Issue("guardrails.allowedDomains[0]", "a domain admits every name under it already", "write apps.internal")),
    ({"allowedDomains": ["Apps.Internal"]},
     Issue("guardrails.allowedDomains[0]", "must be a lowercase DNS name (a leading `*.` is allowed)")),
    ({"hostnamesInDomain": "sometimes"},
     Issue("guardrails.hostnamesInDomain", "input should be a valid boolean, unable to interpret input")),
], ids=["allowed-while-off", "wildcard", "uppercase", "not-a-boolean"])
def test_each_guardrail_mistake_is_an_issue_with_its_fix(guardrails: dict[str, Any], expected: Issue) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(stack_config(**guardrails))
    assert expected in raised.value.issues


# ---------------------------------------------------------------------------------- gateway-tenant-namespaces


def by_name(*names: str) -> Manifest:
    return {"from": "Selector", "selector": {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": list(names)}]}}


def by_labels(labels: dict[str, str], *requirements: Manifest) -> Manifest:
    selector: Manifest = {"matchLabels": labels}
    if requirements:
        selector["matchExpressions"] = list(requirements)
    return {"from": "Selector", "selector": selector}


NOT_TEAM_C = {"key": "traffic-edge.io/tenant", "operator": "NotIn", "values": ["team-c"]}
LISTENER_MESSAGE = ("a listener admits routes from namespaces of tenants this gateway was not given: admit by name "
                    "(kubernetes.io/metadata.name In [...]) or by tenant (traffic-edge.io/tenant In the given ones, or "
                    "NotIn every other)")


@pytest.mark.parametrize(("ns", "name", "namespaces", "refused"), [
    ("gateway", "edge", by_name("gateway", "team-a", "team-b"), False),  # as the stack renders it
    ("gateway", "edge", by_name("gateway", "team-c"), True),  # team-c was not given the shared gateway
    ("gateway", "edge", {"from": "All"}, True),
    ("gateway", "edge", by_labels({"env": "prod"}), True),  # labels a tenant's namespace might carry
    ("gateway", "edge", by_labels({"env": "prod"}, NOT_TEAM_C), False),  # as the stack renders a selector
    ("gateway", "edge", by_labels({"traffic-edge.io/tenant": "team-a"}), False),
    ("gateway", "edge", by_labels({"kubernetes.io/metadata.name": "team-c-api"}), True),
    ("gateway", "edge", by_labels({}, {"key": "traffic-edge.io/tenant", "operator": "DoesNotExist"}), False),
    ("gateway", "edge", {"from": "Same"}, False),
    ("team-c", "team-c", by_name("team-c", "team-c-api", "monitoring"), False),  # its own and platform ones
    ("team-c", "team-c", by_name("team-c", "team-a"), True),  # a tenant's gateway admitting another tenant
    ("gateway", "other", by_name("gateway", "team-a"), True),  # a gateway of no config gives no tenant
    ("gateway", "other", by_name("gateway", "monitoring"), False),
    ("gateway", "edge", by_labels({"kubernetes.io/metadata.name": "monitoring"}), False),  # no tenant's namespace
    ("gateway", "edge", by_labels({"kubernetes.io/metadata.name": "team-a-jobs"}), False),  # a given tenant's
    ("gateway", "edge", by_labels({"traffic-edge.io/tenant": "team-c"}), True),
    ("gateway", "edge", by_labels({}, {"key": "traffic-edge.io/tenant", "operator": "In", "values": ["team-a"]}),
     False),
    ("gateway", "edge", by_labels({}, {"key": "traffic-edge.io/tenant", "operator": "In",
                                       "values": ["team-a", "team-c"]}), True),  # one of them not given
    ("gateway", "edge", by_labels({}, {"key": "traffic-edge.io/tenant", "operator": "NotIn", "values": ["team-b"]}),
     True),  # leaves team-c in
    ("gateway", "other", by_labels({}, {"key": "traffic-edge.io/tenant", "operator": "NotIn",
                                        "values": ["team-a", "team-b"]}), True),  # every other but one
    ("gateway", "other", by_labels({}, {"key": "traffic-edge.io/tenant", "operator": "NotIn",
                                        "values": ["team-a", "team-b", "team-c"]}), False),
    ("gateway", "edge", by_labels({}, {"key": "team", "operator": "In", "values": ["team-a"]}), True),  # any label
    ("gateway", "edge", by_labels({}, {"key": "env", "operator": "In", "values": ["prod"]}, NOT_TEAM_C), False),
], ids=["shared-as-rendered", "shared-other-tenant", "shared-all", "shared-any-labels", "shared-labels-without-others",
        "shared-by-tenant-label", "shared-by-name-label", "shared-no-tenants", "same", "own-as-rendered",
        "own-other-tenant", "unknown-gateway-tenant", "unknown-gateway-platform", "shared-by-name-label-platform",
        "shared-by-name-label-given", "shared-by-tenant-label-other", "shared-tenant-in-given",
        "shared-tenant-in-one-other", "shared-tenant-notin-not-every-other", "unknown-gateway-notin-but-one",
        "unknown-gateway-notin-every-tenant", "shared-other-label-in", "shared-one-requirement-pins"])
def test_no_gateway_admits_a_tenant_it_was_not_given(
    policies: dict[str, Manifest], bindings: list[Manifest], ns: str, name: str, namespaces: Manifest, refused: bool
) -> None:
    hostname = "*.team-c.edge.example.com" if ns == "team-c" else f"*.{DOMAIN}"
    request = create("gateways", gateway(ns, listener(hostname, namespaces), name=name), PLATFORM)
    message = refusal(policies["gateway-tenant-namespaces"], bindings, request)
    assert (message is not None) == refused, message
    if refused:
        assert message == LISTENER_MESSAGE


def test_one_good_listener_does_not_let_an_open_one_through(
    policies: dict[str, Manifest], bindings: list[Manifest]
) -> None:
    good = listener(f"*.{DOMAIN}", by_name("gateway", "team-a"))
    opened = {**listener(f"*.{DOMAIN}", {"from": "All"}), "name": "open"}
    request = create("gateways", gateway("gateway", good, opened, name="edge"), PLATFORM)
    assert refusal(policies["gateway-tenant-namespaces"], bindings, request) == LISTENER_MESSAGE


def test_listeners_that_leave_namespaces_at_their_default_admit_only_their_own(
    policies: dict[str, Manifest], bindings: list[Manifest]
) -> None:
    """allowedRoutes.namespaces.from defaults to Same, allowedListeners to None: nothing to refuse."""
    policy = policies["gateway-tenant-namespaces"]
    unset = listener(f"*.{DOMAIN}")
    assert "allowedRoutes" not in unset
    for item in (unset, {**unset, "allowedRoutes": {}}, {**unset, "allowedRoutes": {"namespaces": {}}}):
        assert refusal(policy, bindings, create("gateways", gateway("gateway", item, name="edge"))) is None, item
    defaults: list[Manifest] = [{}, {"namespaces": {}}]
    for allowed in defaults:
        obj = gateway("gateway", unset, name="edge", allowedListeners=allowed)
        assert refusal(policy, bindings, create("gateways", obj)) is None, allowed


def test_listener_sets_from_tenants_not_given_are_refused_too(
    policies: dict[str, Manifest], bindings: list[Manifest]
) -> None:
    policy = policies["gateway-tenant-namespaces"]
    opened = gateway("gateway", listener(f"*.{DOMAIN}", by_name("gateway")), name="edge",
                     allowedListeners={"namespaces": {"from": "All"}})
    assert refusal(policy, bindings, create("gateways", opened)) == (
        "allowedListeners admits ListenerSets from namespaces of tenants this gateway was not given: admit by name "
        "(kubernetes.io/metadata.name In [...]) or by tenant (traffic-edge.io/tenant In the given ones, or NotIn "
        "every other)")
    closed = copy.deepcopy(opened)
    closed["spec"]["allowedListeners"] = {"namespaces": {"from": "None"}}
    assert refusal(policy, bindings, create("gateways", closed)) is None
    own_set = {**gateway("team-a", listener(f"x.team-a.{DOMAIN}", by_name("team-b"))), "kind": "ListenerSet"}
    assert refusal(policy, bindings, create("listenersets", own_set)) == LISTENER_MESSAGE


def test_a_rendered_selector_passes_the_policy_it_was_rendered_for() -> None:
    config = yaml.safe_load((PROJECT_DIR / "Pulumi.multitenant.yaml").read_text())["config"]
    raw = {key.removeprefix(f"{PROJECT}:"): value for key, value in config.items()}
    raw["gateways"][0]["listeners"][1]["allowedRoutes"] = {"selector": {"matchLabels": {"env": "prod"}}}
    raw["namespaces"]["team-a"] = {"labels": {"env": "prod"}}
    for name in ("team-a-jobs", "team-b"):
        raw["namespaces"][name]["labels"] = {"env": "prod"}
    plan = edge_plan(parse_config(raw), DEPLOYMENT)
    manifests = [item.manifest() for item in plan.admission]
    [policy] = [m for m in manifests if m["kind"] == "ValidatingAdmissionPolicy"
                and m["metadata"]["name"] == "traffic-edge-gateway-tenant-namespaces"]
    bindings = [m for m in manifests if m["kind"] == "ValidatingAdmissionPolicyBinding"]
    for item in plan.gateways:
        assert refusal(policy, bindings, create("gateways", item.gateway.manifest(), PLATFORM)) is None, item.name
