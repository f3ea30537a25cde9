"""`python -m traffic_edge graph`: the picture is drawn from the plan, nothing more and nothing less.

Each example stack's graph is checked against its own plan.json, read here independently of traffic_edge.graph.
The pictures of changes, and Mermaid's parse of every picture, are in test_graph_pictures.py.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RenderStack
from traffic_edge.cli import main
from traffic_edge.graph import compare, graph_of, mermaid
from traffic_edge.graph.dot import to_dot
from traffic_edge.graph.mermaid import node_ids
from traffic_edge.graph.model import Graph
from traffic_edge.graph.pictures import README_END, README_START
from traffic_edge.offline.plan import plan_document, write
from traffic_edge.offline.render import PROJECT_DIR

STACK_FILES = sorted(PROJECT_DIR.glob("Pulumi.*.yaml"))
STACKS = [path.name.split(".")[1] for path in STACK_FILES]
GATEWAY_API = "gateway.networking.k8s.io/v1"
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
IDENTITY_NAME_INPUT = {"Account": "accountId", "Role": "name", "UserAssignedIdentity": "resourceName"}
ZONE_NAME_INPUT = {
    "gcp:dns/managedZone:ManagedZone": "dnsName",
    "aws:route53/zone:Zone": "name",
    "azure-native:dns:Zone": "zoneName",
    "azure-native:privatedns:PrivateZone": "privateZoneName",
}
DEV_DOMAIN = "172.18.255.200.nip.io"

Plan = dict[str, Any]
Pair = tuple[Plan, Plan]


# --- reading the plan, independently of traffic_edge.graph --------------------------------------------------


def plan_of(render_stack: RenderStack, stack: str) -> Plan:
    """A stack's plan.json as the preview writes it: plain JSON."""
    plan: Plan = json.loads(json.dumps(plan_document(render_stack(PROJECT_DIR / f"Pulumi.{stack}.yaml"))))
    return plan


def objects(plan: Plan, kind: str) -> list[dict[str, Any]]:
    return [
        r["inputs"] for r in plan["resources"]
        if r["type"].startswith("kubernetes:") and r["inputs"].get("kind") == kind and "spec" in r["inputs"]
    ]


def ref(obj: dict[str, Any]) -> str:
    metadata = obj["metadata"]
    return f"{metadata['namespace']}/{metadata['name']}" if metadata.get("namespace") else metadata["name"]


def routes(plan: Plan) -> Iterator[dict[str, Any]]:
    for kind in ROUTE_KINDS:
        yield from objects(plan, kind)


def expected_listeners(plan: Plan) -> set[str]:
    return {f"Listener/{ref(g)}/{item['name']}" for g in objects(plan, "Gateway") for item in g["spec"]["listeners"]}


def expected_routes(plan: Plan) -> set[str]:
    return {f"{route['kind']}/{ref(route)}" for route in routes(plan)}


def backend_refs(plan: Plan) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(route, rule, backendRef) for every backendRef of every route."""
    for route in routes(plan):
        for rule in route["spec"].get("rules", []):
            for backend in rule.get("backendRefs", []):
                yield route, rule, backend


def backend_key(route: dict[str, Any], backend: dict[str, Any]) -> str:
    namespace = backend.get("namespace", route["metadata"]["namespace"])
    return f"{backend.get('kind', 'Service')}/{namespace}/{backend['name']}:{backend['port']}"


def plan_keys(plan: Plan) -> set[str]:
    """Every key a node may have: one per object, listener, backendRef, zone, identity and release in the plan."""
    keys = expected_listeners(plan) | expected_routes(plan)
    keys |= {backend_key(route, backend) for route, _, backend in backend_refs(plan)}
    for kind in ("Gateway", "ReferenceGrant", "Certificate", "ClusterIssuer", "Issuer", "ValidatingAdmissionPolicy"):
        keys |= {f"{kind}/{ref(obj)}" for obj in objects(plan, kind)}
    for resource in plan["resources"]:
        inputs, type_ = resource["inputs"], resource["type"]
        if type_ == "kubernetes:helm.sh/v3:Release":
            keys.add(f"HelmRelease/{inputs['namespace']}/{inputs['name']}")
        if type_ in ZONE_NAME_INPUT:
            keys.add(f"Zone/{inputs[ZONE_NAME_INPUT[type_]].rstrip('.')}")
        kind = type_.rpartition(":")[2]
        if kind in IDENTITY_NAME_INPUT and not type_.startswith("kubernetes:"):
            keys.add(f"Identity/{kind}/{inputs[IDENTITY_NAME_INPUT[kind]]}")
    if "dnsZone" in plan["outputs"]:
        keys.add(f"Zone/{plan['outputs']['dnsZone']['name']}")
    return keys


def keys_of(graph: Graph, kind: str) -> list[str]:
    return [node.key for node in graph.nodes if node.kind == kind]


def edges(graph: Graph, source_kind: str, target_kind: str) -> set[tuple[str, str, str]]:
    kinds = {node.key: node.kind for node in graph.nodes}
    return {e.key for e in graph.edges if (kinds[e.source], kinds[e.target]) == (source_kind, target_kind)}


# --- every example stack ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_each_listener_route_backend_and_grant_appears_exactly_once(stack: str, render_stack: RenderStack) -> None:
    plan = plan_of(render_stack, stack)
    graph = graph_of(plan)
    text = mermaid(graph)

    assert sorted(keys_of(graph, "listener")) == sorted(expected_listeners(plan))
    assert sorted(keys_of(graph, "route")) == sorted(expected_routes(plan))
    assert sorted(keys_of(graph, "backend")) == sorted({backend_key(r, b) for r, _, b in backend_refs(plan)})
    for kind, drawn in (("ReferenceGrant", "grant"), ("ValidatingAdmissionPolicy", "policy")):
        assert sorted(keys_of(graph, drawn)) == sorted(f"{kind}/{ref(obj)}" for obj in objects(plan, kind))
    for node_id in node_ids(graph.nodes).values():
        assert len(re.findall(rf"^\s*{node_id}[\[({{>]", text, re.MULTILINE)) == 1, node_id


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_is_drawn_that_the_plan_lacks(stack: str, render_stack: RenderStack) -> None:
    plan = plan_of(render_stack, stack)
    graph = graph_of(plan)

    assert {node.key for node in graph.nodes} <= plan_keys(plan)
    attached = {
        (f"Listener/{parent.get('namespace', route['metadata']['namespace'])}/{parent['name']}/{parent['sectionName']}",
         f"{route['kind']}/{ref(route)}", "")
        for route in routes(plan) for parent in route["spec"]["parentRefs"]
    }
    assert edges(graph, "listener", "route") == attached
    sent = {(source, target) for source, target, _ in edges(graph, "route", "backend")}
    assert sent == {(f"{r['kind']}/{ref(r)}", backend_key(r, b)) for r, _, b in backend_refs(plan)}
    for grant, backend, label in edges(graph, "grant", "backend"):
        [granting] = [g for g in objects(plan, "ReferenceGrant") if f"ReferenceGrant/{ref(g)}" == grant]
        namespace, name = backend.split("/")[1], backend.split("/")[2].split(":")[0]
        assert granting["metadata"]["namespace"] == namespace
        assert name in {to.get("name") for to in granting["spec"]["to"]}, (grant, backend, label)


@pytest.mark.parametrize("stack", STACKS)
def test_tls_certificates_issuers_and_identities_are_the_plans(stack: str, render_stack: RenderStack) -> None:
    plan = plan_of(render_stack, stack)
    graph = graph_of(plan)
    certificates = {c["spec"]["secretName"]: c for c in objects(plan, "Certificate")}

    served = set()
    for gateway in objects(plan, "Gateway"):
        for listener in gateway["spec"]["listeners"]:
            for secret in listener.get("tls", {}).get("certificateRefs", []):
                listener_key = f"Listener/{ref(gateway)}/{listener['name']}"
                served.add((f"Certificate/{ref(certificates[secret['name']])}", listener_key))
    assert {(source, target) for source, target, _ in edges(graph, "certificate", "listener")} == served
    for issuer, certificate, _ in edges(graph, "issuer", "certificate"):
        [cert] = [c for c in objects(plan, "Certificate") if f"Certificate/{ref(c)}" == certificate]
        assert issuer.rpartition("/")[2] == cert["spec"]["issuerRef"]["name"]
    identities = [r for r in plan["resources"] if r["type"].rpartition(":")[2] in IDENTITY_NAME_INPUT
                  and not r["type"].startswith("kubernetes:")]
    assert len(keys_of(graph, "identity")) == len(identities)
    zone = next(iter(keys_of(graph, "zone")), None)
    for identity in keys_of(graph, "identity"):  # each is acted as by a controller and granted the zone
        assert [e.source for e in graph.edges_to(identity)]
        assert zone in [e.target for e in graph.edges_from(identity)]


# --- the dev stack, as a reader follows it --------------------------------------------------------------------


def reaches(graph: Graph) -> set[tuple[str, str, str | None, str, str]]:
    """(route hostnames, listener, its certificate, backend, rule) along every drawn path of traffic."""
    found = set()
    for listener in keys_of(graph, "listener"):
        certificate = next((e.source for e in graph.edges_to(listener) if e.source.startswith("Certificate/")), None)
        for attach in (e for e in graph.edges_from(listener) if e.style == "thick"):
            route = graph.node(attach.target)
            hostnames = route.lines[1] if route.key.split("/")[0] in ("HTTPRoute", "GRPCRoute", "TLSRoute") else ""
            for send in graph.edges_from(route.key):
                found.add((hostnames, listener, certificate, send.target, send.label))
    return found


def test_the_dev_picture_shows_which_hostnames_reach_which_services(render_stack: RenderStack) -> None:
    graph = graph_of(plan_of(render_stack, "dev"))
    https, certificate = "Listener/gateway/edge/https", "Certificate/gateway/edge-wildcard"
    api, www = f"api.{DEV_DOMAIN}", f"www.{DEV_DOMAIN}"

    assert reaches(graph) == {
        (api, https, certificate, "Service/governance/governance:8080", "/api/governance ⇒ /governance"),
        (api, https, certificate, "Service/apps/api:8080", "x-canary: true · weight 90"),
        (api, https, certificate, "Service/apps/api-canary:8080", "x-canary: true · weight 10"),
        (api, https, certificate, "Service/apps/api:8080", ""),
        (www, https, certificate, "Service/apps/web:80", ""),
        ("", "Listener/gateway/edge/grpc", None, "Service/apps/grpc-api:10081", ""),
    }
    assert graph.node(https).lines == (
        "listener https", "HTTPS :443 · TLS Terminate", f"*.{DEV_DOMAIN}", "admits routes from apps, gateway"
    )
    assert graph.node(certificate).lines[1] == f"*.{DEV_DOMAIN}, {DEV_DOMAIN}"
    assert ("ClusterIssuer/internal-ca", certificate, "issues") in edges(graph, "issuer", "certificate")
    assert edges(graph, "grant", "backend") == {
        ("ReferenceGrant/governance/traffic-edge-from-apps", "Service/governance/governance:8080", "permits")
    }
    redirect = graph.node("HTTPRoute/gateway/edge-http-redirect")
    assert redirect.lines[-1] == "redirect to https (301)"
    assert [e.source for e in graph.edges_to(redirect.key)] == ["Listener/gateway/edge/http"]
    assert [e.target for e in graph.edges_from("ValidatingAdmissionPolicy/traffic-edge-http-listener-routes")] == [
        "Gateway/gateway/edge"
    ]


def test_a_cloud_stack_shows_its_zone_and_who_may_change_it(render_stack: RenderStack) -> None:
    graph = graph_of(plan_of(render_stack, "gke"))
    zone = "Zone/gke.example.com"

    assert graph.node(zone).lines == ("DNS zone gke.example.com", "Cloud DNS · protected")
    for workload in ("cert-manager", "external-dns"):
        identity = f"Identity/Account/traffic-edge-gke-{workload}"
        release = f"HelmRelease/{workload}/{workload}"
        assert (release, identity, f"Workload Identity as {workload}/{workload}") in {e.key for e in graph.edges}
        records = "projects/acme-edge-prod/roles/traffic_edge_gke_dns_records"  # the stack's records-only role
        assert (identity, zone, records) in {e.key for e in graph.edges}
    assert ("ClusterIssuer/letsencrypt-production", zone, "DNS-01 challenges") in {e.key for e in graph.edges}


def test_roles_bound_to_a_service_account_principal_draw_the_principal() -> None:
    member = ("principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p.svc.id.goog"
              "/subject/ns/external-dns/sa/external-dns")
    zone = {"urn": "zone", "type": "gcp:dns/managedZone:ManagedZone", "inputs": {"dnsName": "example.com."}}
    inputs = {"managedZone": "example-com", "member": member, "role": "roles/dns.admin"}
    grant = {"urn": "grant", "type": "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember",
             "dependencies": ["zone"], "inputs": inputs}

    graph = graph_of({"outputs": {}, "resources": [zone, grant]})

    principal = f"Identity/principal/{member}"
    assert graph.node(principal).lines == ("IAM principal external-dns/external-dns",)
    assert {e.key for e in graph.edges} == {
        ("ServiceAccount/external-dns/external-dns", principal, "Workload Identity as external-dns/external-dns"),
        (principal, "Zone/example.com", "roles/dns.admin"),
    }


def test_the_readme_shows_the_dev_picture(render_stack: RenderStack) -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    block = readme.split(README_START, 1)[1].split(README_END, 1)[0]

    expected = f"\n```mermaid\n{mermaid(graph_of(plan_of(render_stack, 'dev')))}```\n"
    assert block == expected, "run `python -m traffic_edge graph --stack dev --readme`"


# --- routes, listeners and grants the examples do not exercise ------------------------------------------------


def manifest(kind: str, namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    metadata = {"name": name, "namespace": namespace} if namespace else {"name": name}
    inputs = {"apiVersion": GATEWAY_API, "kind": kind, "metadata": metadata, "spec": spec}
    urn = f"urn:pulumi:lab::traffic-edge::kubernetes:{GATEWAY_API}:{kind}::{namespace}.{name}"
    return {"urn": urn, "type": f"kubernetes:{GATEWAY_API}:{kind}", "name": name, "custom": True, "inputs": inputs,
            "dependencies": []}


def lab_plan(*extra: dict[str, Any]) -> Plan:
    listeners = [
        {"name": "http", "protocol": "HTTP", "port": 80},
        {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": "*.lab.example",
         "allowedRoutes": {"namespaces": {"from": "All"}},
         "tls": {"certificateRefs": [{"kind": "Secret", "name": "lab-tls", "namespace": "certs"}]}},
        {"name": "tcp", "protocol": "TCP", "port": 9000, "allowedRoutes": {"namespaces": {"from": "All"}}},
    ]
    gateway = manifest("Gateway", "gateway", "lab", {"gatewayClassName": "lab", "listeners": listeners})
    return {"project": "traffic-edge", "stack": "lab", "outputs": {}, "resources": [gateway, *extra]}


def http_route(name: str, namespace: str, parent: dict[str, Any], backend: dict[str, Any]) -> dict[str, Any]:
    spec = {"parentRefs": [{"name": "lab", "namespace": "gateway", **parent}], "hostnames": [f"{name}.lab.example"],
            "rules": [{"backendRefs": [backend]}]}
    return manifest("HTTPRoute", namespace, name, spec)


def test_a_route_without_section_name_attaches_to_every_listener_that_takes_it() -> None:
    graph = graph_of(lab_plan(
        http_route("app", "gateway", {}, {"name": "app", "port": 80}),
        http_route("other", "apps", {}, {"name": "other", "port": 80}),
    ))

    # the HTTP listener admits routes from its own namespace only; the TCP one takes no HTTPRoute
    assert {e.source for e in graph.edges_to("HTTPRoute/gateway/app")} == {
        "Listener/gateway/lab/http", "Listener/gateway/lab/https"
    }
    assert {e.source for e in graph.edges_to("HTTPRoute/apps/other")} == {"Listener/gateway/lab/https"}


def test_refusals_are_drawn_dotted_with_the_reason() -> None:
    graph = graph_of(lab_plan(
        http_route("named", "apps", {"sectionName": "http"}, {"name": "svc", "port": 80}),
        http_route("nowhere", "apps", {"sectionName": "gone"}, {"name": "svc", "port": 80}),
        http_route("across", "apps", {"sectionName": "https"}, {"name": "db", "namespace": "data", "port": 5432}),
    ))
    by_key = {e.key: e for e in graph.edges}

    refused = ("Listener/gateway/lab/http", "HTTPRoute/apps/named", "refused: namespace apps not admitted")
    assert by_key[refused].style == "dotted"
    missing = ("Gateway/gateway/lab", "HTTPRoute/apps/nowhere", "refused: no listener gone")
    assert by_key[missing].style == "dotted"
    ungranted = ("HTTPRoute/apps/across", "Service/data/db:5432", "⚠ no ReferenceGrant: refused")
    assert by_key[ungranted].style == "dotted"
    secret = ("Secret/certs/lab-tls", "Listener/gateway/lab/https", "⚠ no ReferenceGrant: refused")
    assert graph.node(secret[0]).lines == ("Secret certs/lab-tls", "not issued by this stack")
    assert by_key[secret].style == "dotted"


def test_a_gateway_reaches_a_certificate_in_another_namespace_through_its_grant() -> None:
    grant = manifest("ReferenceGrant", "certs", "from-gateway", {
        "from": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "gateway"}],
        "to": [{"group": "", "kind": "Secret", "name": "lab-tls"}],
    })
    graph = graph_of(lab_plan(grant))

    assert ("ReferenceGrant/certs/from-gateway", "Secret/certs/lab-tls", "permits") in {e.key for e in graph.edges}
    assert ("Secret/certs/lab-tls", "Listener/gateway/lab/https", "") in {e.key for e in graph.edges}


# --- the command line --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_plan_dir(tmp_path_factory: pytest.TempPathFactory, render_stack: RenderStack) -> Path:
    out = tmp_path_factory.mktemp("dev")
    write(render_stack(PROJECT_DIR / "Pulumi.dev.yaml"), out)
    return out


def test_graph_draws_a_saved_plan_as_mermaid(dev_plan_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "--plan", str(dev_plan_dir)]) == 0
    assert capsys.readouterr().out == mermaid(graph_of(json.loads((dev_plan_dir / "plan.json").read_text())))


def test_graph_draws_svg_where_graphviz_is_installed(dev_plan_dir: Path, tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's `dot` is not installed (apt-get install graphviz)")
    out = tmp_path / "dev.svg"

    assert main(["graph", "--plan", str(dev_plan_dir), "--format", "svg", "--out", str(out)]) == 0
    svg = html.unescape(out.read_text())
    assert all(text in svg for text in ("<svg", "listener https", "Service apps/api-canary:8080"))


def test_without_graphviz_svg_fails_with_a_clear_message(
    dev_plan_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)

    assert main(["graph", "--plan", str(dev_plan_dir), "--format", "svg"]) == 2
    err = capsys.readouterr().err
    assert "SVG needs Graphviz's `dot` on PATH (Debian/Ubuntu: apt-get install graphviz)" in err


def test_graph_refuses_what_it_cannot_draw(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "--plan", str(tmp_path / "missing")]) == 2
    assert "no plan.json" in capsys.readouterr().err
    assert main(["graph", "--stack", "dev", "--readme", "--format", "svg"]) == 2
    assert "--readme writes Mermaid" in capsys.readouterr().err
    assert main(["graph", "--stack", "no-such-stack"]) == 2
    assert "Pulumi.no-such-stack.yaml" in capsys.readouterr().err


def test_the_dot_text_names_every_node_and_edge(render_stack: RenderStack) -> None:
    graph = graph_of(plan_of(render_stack, "multitenant"))
    _, marks = compare(None, graph)

    text = to_dot(graph, marks)

    assert text.count(" -> ") == len(graph.edges)
    assert text.count('fillcolor="#dafbe1"') == len(graph.nodes)
    assert "subgraph cluster_admission {" in text
