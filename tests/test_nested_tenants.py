"""Child tenants, as a per-tenant platform nests them: a child names its `parent` and holds a suffix under the
parent's; the names under the child's suffix are the child's alone. The config refuses a parent claiming them (and
a child claiming the parent's others), and so do the admission policies, which judge by the namespace's suffix
label."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from tests.conftest import DEPLOYMENT, PROJECT, Config, parse_config
from tests.edits import Edit, edited, issues_of, put
from traffic_edge.config import Issue
from traffic_edge.config.tenancy import SUFFIX_LABEL, TENANT_LABEL
from traffic_edge.conformance.admission import ParamStore, Request, UserInfo, admit
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.plan import EdgePlan, edge_plan
from traffic_edge.plan.routes import EXTERNAL_DNS_HOSTNAME

Manifest = dict[str, Any]
GW = "gateway.networking.k8s.io"
DOMAIN = "edge.example.com"
PARENT = f"team-c.{DOMAIN}"
CHILD = f"eu.{PARENT}"
ALICE = UserInfo("alice", ("system:authenticated",))
PLATFORM = UserInfo("deployer", ("kubeadm:cluster-admins",))


def nested() -> Config:
    """The multitenant example with team-c-eu, a child of team-c, on a Gateway of its own."""
    config = yaml.safe_load((PROJECT_DIR / "Pulumi.multitenant.yaml").read_text())["config"]
    raw: Config = {key.removeprefix(f"{PROJECT}:"): value for key, value in config.items()}
    raw["tenants"]["team-c-eu"] = {"namespaces": ["team-c-eu"], "hostnameSuffix": CHILD, "parent": "team-c"}
    raw["gateways"].append({
        "name": "team-c-eu", "namespace": "team-c-eu",
        "certificates": [{"name": "app", "issuer": "internal-ca", "dnsNames": [f"*.{CHILD}"]}],
        "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443, "hostname": f"*.{CHILD}",
                       "certificate": "app"}],
    })
    raw["routes"].append({"name": "app", "namespace": "team-c-eu", "gateway": "team-c-eu",
                          "hostnames": [f"app.{CHILD}"], "rules": [{"backends": [{"service": "app", "port": 8080}]}]})
    return raw


@pytest.fixture(scope="module")
def plan() -> EdgePlan:
    return edge_plan(parse_config(nested()), DEPLOYMENT)


def test_a_child_is_a_tenant_of_its_own_under_its_parents_suffix(plan: EdgePlan) -> None:
    assert plan.namespaces["team-c-eu"] == {TENANT_LABEL: "team-c-eu", SUFFIX_LABEL: CHILD}
    assert plan.namespaces["team-c"] == {TENANT_LABEL: "team-c", SUFFIX_LABEL: PARENT}


# ---------------------------------------------------------------------------------- the config


def claim(path: str, hostname: str) -> tuple[Edit, Issue]:
    return put(path, [hostname] if path.endswith(("hostnames", "dnsNames")) else hostname), Issue(
        path + ("[0]" if path.endswith(("hostnames", "dnsNames")) else ""),
        f"{hostname} lies in the suffix {CHILD} of tenant team-c-eu, a child of tenant team-c: its names are "
        "team-c-eu's alone", "serve it from one of tenant team-c-eu's namespaces")


@pytest.mark.parametrize(("path", "hostname"), [
    ("routes[3].hostnames", f"app.{CHILD}"),  # team-c's route
    ("routes[3].hostnames", f"*.{CHILD}"),
    ("gateways[1].listeners[1].hostname", f"pay.{CHILD}"),  # team-c's own gateway
    ("gateways[1].certificates[0].dnsNames", CHILD),
], ids=["route", "route-wildcard", "listener", "certificate-apex"])
def test_the_parent_claims_none_of_its_childs_names(path: str, hostname: str) -> None:
    edit, expected = claim(path, hostname)
    assert expected in issues_of(nested(), edit)


def test_the_child_claims_none_of_its_parents_names() -> None:
    assert Issue("routes[5].hostnames[0]", f"www.{PARENT} is outside tenant team-c-eu's suffix {CHILD}",
                 f"use a name under {CHILD}") in issues_of(nested(), put("routes[5].hostnames", [f"www.{PARENT}"]))


def test_the_parents_own_names_and_wildcard_stay_its_own() -> None:
    """`*.team-c…` on team-c's port-80 listener serves team-c's names; Gateway API precedence gives exact and more
    specific names (the child's, on the child's own Gateway) the request first."""
    config = nested()
    config["routes"][3]["hostnames"] = [f"app.{PARENT}"]
    parse_config(config)
    assert nested()["gateways"][1]["listeners"][0]["hostname"] == f"*.{PARENT}"


@pytest.mark.parametrize(("edit", "expected"), [
    (put("tenants.team-c-eu.parent", "team-x"),
     Issue("tenants.team-c-eu.parent", "team-x is not a tenant",
           "name another tenant: one of team-a, team-b, team-c")),
    (put("tenants.team-c-eu.parent", "team-c-eu"),
     Issue("tenants.team-c-eu.parent", "team-c-eu is the tenant itself",
           "name another tenant: one of team-a, team-b, team-c")),
    (put("tenants.team-c.parent", "team-c-eu"),
     Issue("tenants.team-c.parent", "the parents of team-c come back round (team-c → team-c-eu → team-c)",
           "give the top tenant no parent")),
    (put("tenants.team-c-eu.parent", "team-a"),
     Issue("tenants.team-c-eu.hostnameSuffix", f"{CHILD} is not under the suffix team-a.{DOMAIN} of its parent team-a",
           f"use a name under team-a.{DOMAIN}, e.g. team-c-eu.team-a.{DOMAIN}")),
    (lambda c: c["tenants"]["team-c-eu"].pop("parent"),
     Issue("tenants.team-c-eu.hostnameSuffix", f"{CHILD} lies inside tenant team-c's suffix {PARENT}",
           "give each tenant a suffix outside the others', or make team-c-eu its child: parent: team-c")),
    (put("tenants.team-c-eu.hostnameSuffix", PARENT),
     Issue("tenants.team-c.hostnameSuffix", f"{PARENT} is tenant team-c-eu's suffix too",
           "give each tenant a suffix of its own")),
    (put("tenants.team-c-eu.parent", "Team-C"),
     Issue("tenants.team-c-eu.parent", "must be a DNS-1123 label: lowercase letters, digits and '-', at most 63 "
           "characters")),
], ids=["unknown-parent", "own-parent", "cycle", "not-under-parent", "no-parent", "same-suffix", "not-a-name"])
def test_each_nesting_mistake_is_an_issue_with_its_fix(edit: Edit, expected: Issue) -> None:
    assert expected in issues_of(nested(), edit)


def test_a_platform_route_in_a_childs_suffix_names_the_child() -> None:
    def promo(config: Config) -> None:
        config["routes"].append({"name": "promo", "namespace": "gateway", "gateway": "edge", "hostnames": [
            f"promo.{CHILD}"], "rules": [{"backends": [{"service": "p", "port": 80}]}]})

    assert Issue("routes[6].hostnames[0]", f"promo.{CHILD} lies in tenant team-c-eu's suffix {CHILD}, and gateway (of "
                 "HTTPRoute promo) is no namespace of tenant team-c-eu", "serve it from one of tenant team-c-eu's "
                 "namespaces, or use a name outside the tenants' suffixes") in issues_of(nested(), promo)


# ---------------------------------------------------------------------------------- at the API server


def namespace(name: str, tenant: str, suffix: str) -> Manifest:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {
        "kubernetes.io/metadata.name": name, TENANT_LABEL: tenant, SUFFIX_LABEL: suffix}}}


PARENT_NS = namespace("team-c", "team-c", PARENT)
CHILD_NS = namespace("team-c-eu", "team-c-eu", CHILD)


def refusal(plan: EdgePlan, policy: str, request: Request) -> str | None:
    manifests = [item.manifest() for item in plan.admission]
    policies = [m for m in manifests if m["kind"] == "ValidatingAdmissionPolicy"
                and m["metadata"]["name"] == f"traffic-edge-{policy}"]
    bindings = [m for m in manifests if m["kind"] == "ValidatingAdmissionPolicyBinding"]
    decision = admit(policies, bindings, ParamStore({}), request)
    return decision.denials[0].message if decision.denials else None


def http_route(ns: str, hostnames: list[str], annotations: dict[str, str] | None = None) -> Manifest:
    metadata: Manifest = {"name": "web", "namespace": ns, **({"annotations": annotations} if annotations else {})}
    return {"apiVersion": f"{GW}/v1", "kind": "HTTPRoute", "metadata": metadata,
            "spec": {"parentRefs": [{"name": "team-c", "namespace": "team-c"}], "hostnames": hostnames}}


def gateway(ns: str, hostname: str) -> Manifest:
    return {"apiVersion": f"{GW}/v1", "kind": "Gateway", "metadata": {"name": "g", "namespace": ns},
            "spec": {"gatewayClassName": "envoy-gateway",
                     "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443, "hostname": hostname}]}}


NESTED = ", outside the suffixes of its child tenants"


@pytest.mark.parametrize(("ns", "hostname", "refused"), [
    (PARENT_NS, f"shop.{PARENT}", False),
    (PARENT_NS, f"*.{PARENT}", False),
    (PARENT_NS, f"x.{CHILD}", True),  # the hijack: a parent's namespace claiming its child's name
    (PARENT_NS, f"*.{CHILD}", True),
    (PARENT_NS, CHILD, True),
    (PARENT_NS, f"x.ceu.{PARENT}", False),  # ends like the child's suffix, is not under it
    (CHILD_NS, f"x.{CHILD}", False),
    (CHILD_NS, f"x.{PARENT}", True),
], ids=["parent-own", "parent-wildcard", "parent-claims-child", "parent-claims-child-wildcard",
        "parent-claims-child-apex", "lookalike", "child-own", "child-claims-parent"])
def test_the_policies_judge_by_the_suffix_label_and_the_childrens_suffixes(
    plan: EdgePlan, ns: Manifest, hostname: str, refused: bool
) -> None:
    name, suffix = ns["metadata"]["name"], ns["metadata"]["labels"][SUFFIX_LABEL]
    route = Request("CREATE", "httproutes", http_route(name, [hostname]), ALICE, namespace_object=ns)
    message = refusal(plan, "route-hostnames", route)
    assert (message is not None) == refused, message
    if refused:
        assert message == f"routes here must name hostnames under {suffix}{NESTED}"  # in every tenant namespace
    listener = Request("CREATE", "gateways", gateway(name, hostname), ALICE, namespace_object=ns)
    assert (refusal(plan, "gateway-hostnames", listener) is not None) == refused
    annotated = http_route(name, [f"www.{suffix}"], {EXTERNAL_DNS_HOSTNAME: hostname})
    annotation = Request("CREATE", "httproutes", annotated, ALICE, namespace_object=ns)
    assert (refusal(plan, "dns-hostname-annotations", annotation) is not None) == refused


def test_the_parents_gateway_admits_no_namespace_of_its_child(plan: EdgePlan) -> None:
    [team_c] = [item.gateway.manifest() for item in plan.gateways if item.name == "team-c"]
    request = Request("CREATE", "gateways", team_c, PLATFORM, namespace_object=PARENT_NS)
    assert refusal(plan, "gateway-tenant-namespaces", request) is None
    widened = copy.deepcopy(team_c)
    widened["spec"]["listeners"][1]["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0][
        "values"].append("team-c-eu")
    request = Request("UPDATE", "gateways", widened, ALICE, old=team_c, namespace_object=PARENT_NS)
    assert refusal(plan, "gateway-tenant-namespaces", request) is not None


def test_the_stacks_own_objects_pass_every_policy(plan: EdgePlan) -> None:
    namespaces = {"team-c": PARENT_NS, "team-c-eu": CHILD_NS}
    objects = [item.gateway.manifest() for item in plan.gateways if item.namespace in namespaces]
    objects += [route.manifest() for item in plan.gateways for route in item.redirects.values()
                if item.namespace in namespaces]
    objects += [item.manifest() for item in plan.routes.routes.values() if item.namespace in namespaces]
    manifests = [item.manifest() for item in plan.admission]
    policies = [m for m in manifests if m["kind"] == "ValidatingAdmissionPolicy"]
    bindings = [m for m in manifests if m["kind"] == "ValidatingAdmissionPolicyBinding"]
    store = ParamStore({(GW, "Gateway"): True}, [item.gateway.manifest() for item in plan.gateways])
    plural = {"Gateway": "gateways", "HTTPRoute": "httproutes", "TLSRoute": "tlsroutes"}
    assert len(objects) == 5
    for obj in objects:
        request = Request("CREATE", plural[obj["kind"]], obj, PLATFORM,
                          namespace_object=namespaces[obj["metadata"]["namespace"]])
        assert admit(policies, bindings, store, request).allowed, obj["metadata"]


def grandchild(suffix: str) -> Edit:
    def edit(config: Config) -> None:
        config["tenants"]["team-c-eu-de"] = {"namespaces": ["team-c-eu-de"], "hostnameSuffix": suffix,
                                             "parent": "team-c-eu"}
        config["gateways"].append({
            "name": "team-c-eu-de", "namespace": "team-c-eu-de",
            "certificates": [{"name": "app", "issuer": "internal-ca", "dnsNames": [f"*.{suffix}"]}],
            "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443, "hostname": f"*.{suffix}",
                           "certificate": "app"}],
        })

    return edit


def test_a_grandchild_nests_under_its_parent_by_whole_labels() -> None:
    parse_config(edited(nested(), grandchild(f"de.{CHILD}")))  # three levels: no cycle, each under the next
    look_alike = f"de{CHILD}"  # ends with the parent's suffix, but not at a label
    assert Issue("tenants.team-c-eu-de.hostnameSuffix", f"{look_alike} is not under the suffix {CHILD} of its parent "
                 f"team-c-eu", f"use a name under {CHILD}, e.g. team-c-eu-de.{CHILD}") in issues_of(
        nested(), grandchild(look_alike))
    below_a_cycle = issues_of(nested(), grandchild(f"de.{CHILD}"), put("tenants.team-c.parent", "team-c-eu"))
    assert Issue("tenants.team-c-eu-de.parent", "the parents of team-c-eu-de come back round (team-c-eu-de → "
                 "team-c-eu → team-c → team-c-eu)", "give the top tenant no parent") in below_a_cycle
