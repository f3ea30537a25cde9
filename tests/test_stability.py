"""Small config edits make small plans: for every example stack, a new route, tenant or listener adds
or changes only the resources it must, and nothing is renamed, replaced or re-parented.

Each edit is made on a copy of the stack file in a temp dir (same stack name); the program is always
the project's. Old and new renders are compared with traffic_edge.offline.diff, as a reviewer would see them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT, STACK_FILES, RenderStack, parse_config
from traffic_edge.config.model import Gateway, Listener, StackConfig
from traffic_edge.config.queries import admits, known_labels, listener_admission, managed_namespaces, namespace_owners
from traffic_edge.config.routes import HttpRoute, Route
from traffic_edge.config.tenancy import SUFFIX_LABEL, TENANT_LABEL
from traffic_edge.data.route_kinds import ROUTE_KINDS
from traffic_edge.offline import diff
from traffic_edge.offline.diff.compare import ResourceDiff, resource_key
from traffic_edge.offline.engine import Recording, Registration
from traffic_edge.offline.plan import plan_document
from traffic_edge.offline.render import render

PROBE = "stability-probe"
BACKEND_NAMESPACE = "stability-backend"  # holds no grant yet in any example
GATEWAY_GROUP = "gateway.networking.k8s.io"
ROUTE_KINDS_ON_HTTPS = tuple(kind for kind, row in ROUTE_KINDS.items() if "HTTPS" in row.protocols)

Config = dict[str, Any]
Edit = Callable[[Config], None]

stacks = pytest.mark.parametrize("stack_file", STACK_FILES, ids=[path.name for path in STACK_FILES])


def raw_config(stack_file: Path) -> Config:
    """The stack file's `traffic-edge:` keys without the prefix, `{secure: ...}` values kept."""
    config = yaml.safe_load(stack_file.read_text())["config"]
    return {key.removeprefix(f"{PROJECT}:"): value for key, value in config.items()}


def edited(stack_file: Path, tmp_path: Path, edit: Edit) -> Path:
    """A copy of `stack_file` (same name, so same stack) with `edit` applied to its config."""
    data = yaml.safe_load(stack_file.read_text())
    config = raw_config(stack_file)
    edit(config)
    data["config"] = {key if ":" in key else f"{PROJECT}:{key}": value for key, value in config.items()}
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / stack_file.name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def compare(old: Recording, new: Recording) -> diff.StackDiff:
    return diff.diff_stack(old.stack, plan_document(old), plan_document(new))


def by_kind(stack_diff: diff.StackDiff, kind: str) -> dict[str, ResourceDiff]:
    return {r.key: r for r in stack_diff.resources if r.kind == kind}


def assert_nothing_moved(stack_diff: diff.StackDiff) -> None:
    """No replacement, no re-parenting, no move (by alias), no deletion, no output change."""
    moved = [
        f"{r.kind} {r.type} {r.name}"
        for r in stack_diff.resources
        if r.kind in ("replace", "reparent", "move", "delete")
    ]
    assert moved == []
    assert stack_diff.outputs == ()


def https_listener(config: StackConfig) -> tuple[Gateway, Listener]:
    """The first gateway's HTTPS listener with the most specific hostname: a copy of it on another port serves only
    names its certificate covers."""
    for gateway in config.gateways:
        listeners = [listener for listener in gateway.listeners if listener.protocol == "HTTPS"]
        if listeners:
            return gateway, max(listeners, key=lambda item: len(item.hostname or ""))
    pytest.skip("the stack has no HTTPS listener for an HTTPRoute to attach to")


def probe_route(config: StackConfig, backend_namespace: str | None) -> Config:
    """An HTTPRoute like the stack's first one (same gateway, namespace and hostname, a path of its own), else one in
    the gateway's own namespace, which its listeners always admit."""
    template = next((route for route in config.routes if isinstance(route, HttpRoute)), None)
    gateway, listener = https_listener(config)
    if template is not None:
        gateway = next(g for g in config.gateways if g.name == template.gateway)
        namespace = template.namespace
        hostnames = list(template.hostnames[:1])  # a name the listener's certificate covers
    else:
        namespace = gateway.namespace
        host = listener.hostname
        hostnames = [] if host is None else [f"{PROBE}.{host[2:]}" if host.startswith("*.") else host]
    labels = known_labels(managed_namespaces(config), namespace)
    assert any(admits(listener_admission(config, gateway, item), namespace, labels) for item in gateway.listeners)
    backend: Config = {"service": PROBE, "port": 8080}
    if backend_namespace is not None:
        backend["namespace"] = backend_namespace
    route: Config = {"name": PROBE, "namespace": namespace, "gateway": gateway.name,
                     "rules": [{"matches": [{"path": f"/{PROBE}"}], "backends": [backend]}]}
    if hostnames:
        route["hostnames"] = hostnames
    return route


def resource(recording: Recording, key: str) -> Registration:
    [found] = [r for r in recording.resources.values() if resource_key(r.urn) == key]
    return found


def identity(recording: Recording, key: str) -> tuple[str, str | None, str | None]:
    """(kind, namespace, name) of the object a resource declares; the type for anything else."""
    found = resource(recording, key)
    meta = found.inputs.get("metadata") or {}
    return found.inputs.get("kind") or found.type, meta.get("namespace"), meta.get("name")


def ingress_ports(spec: Config) -> set[tuple[int, str]]:
    return {(item["port"], item["protocol"]) for rule in spec["ingress"] for item in rule.get("ports", [])}


@stacks
@pytest.mark.parametrize("cross_namespace", [False, True], ids=["same-namespace", "cross-namespace"])
def test_a_new_route_adds_only_itself(
    stack_file: Path, tmp_path: Path, render_stack: RenderStack, cross_namespace: bool
) -> None:
    config = parse_config(raw_config(stack_file))
    route = probe_route(config, BACKEND_NAMESPACE if cross_namespace else None)
    old = render_stack(stack_file)

    new = render(edited(stack_file, tmp_path, lambda c: c.setdefault("routes", []).append(route)))

    stack_diff = compare(old, new)
    assert_nothing_moved(stack_diff)
    assert by_kind(stack_diff, "change") == {}, "a route in an already-admitted namespace changes nothing else"
    added = {identity(new, key): resource(new, key) for key in by_kind(stack_diff, "add")}
    route_object = ("HTTPRoute", route["namespace"], PROBE)
    grants = [key for key in added if key[0] == "ReferenceGrant"]
    assert set(added) == {route_object, *grants}
    assert len(grants) == (1 if cross_namespace else 0)
    if cross_namespace:
        spec = added[grants[0]].inputs["spec"]
        assert grants[0][1] == BACKEND_NAMESPACE
        assert spec["from"] == [{"group": GATEWAY_GROUP, "kind": "HTTPRoute", "namespace": route["namespace"]}]
        assert spec["to"] == [{"group": "", "kind": "Service", "name": PROBE}]


@stacks
def test_a_new_listener_changes_only_its_gateway_and_the_routes_that_attach_to_it(
    stack_file: Path, tmp_path: Path, render_stack: RenderStack
) -> None:
    config = parse_config(raw_config(stack_file))
    gateway, template = https_listener(config)
    used = {listener.port for listener in gateway.listeners}
    port = next(port for port in range(8443, 9000) if port not in used)
    g_index = config.gateways.index(gateway)

    def add_listener(c: Config) -> None:
        listeners = c["gateways"][g_index]["listeners"]
        listener = copy.deepcopy(next(item for item in listeners if item["name"] == template.name))
        listener.update(name=PROBE, port=port)
        listeners.append(listener)

    old = render_stack(stack_file)
    new = render(edited(stack_file, tmp_path, add_listener))

    stack_diff = compare(old, new)
    assert_nothing_moved(stack_diff)
    assert by_kind(stack_diff, "add") == {}
    changed = {identity(new, key): change for key, change in by_kind(stack_diff, "change").items()}
    gateway_object = ("Gateway", gateway.namespace, gateway.name)
    # Routes without a `listener` attach to every listener of their protocol, so they gain a parentRef.
    attached = {
        (route.kind, route.namespace, route.name)
        for route in config.routes
        if route.gateway == gateway.name and route.listener is None and route.kind in ROUTE_KINDS_ON_HTTPS
    }
    # The NetworkPolicy admitting traffic to the gateway's proxies, where the stack has one, opens the new
    # port, and nothing else.
    proxy_policy_name = f"traffic-edge-gateway-{gateway.namespace}.{gateway.name}"
    policies = {key for key in changed if key[0] == "NetworkPolicy"}
    assert policies == {
        identity(old, resource_key(r.urn))
        for r in old.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if r.inputs["metadata"]["name"] == proxy_policy_name
    }
    for policy in policies:
        key = changed[policy].key
        before, after = resource(old, key).inputs["spec"], resource(new, key).inputs["spec"]
        assert {**before, "ingress": None} == {**after, "ingress": None}, policy
        assert ingress_ports(after) - ingress_ports(before) == {(port, "TCP")}, policy
        assert ingress_ports(before) <= ingress_ports(after), policy
    assert set(changed) - policies == {gateway_object, *attached}
    new_listener = f"spec.listeners[{len(gateway.listeners)}]"
    assert {change.path.startswith(new_listener) for change in changed[gateway_object].changes} == {True}
    for route_object in attached:
        key = changed[route_object].key
        new_ref = f"spec.parentRefs[{len(resource(old, key).inputs['spec']['parentRefs'])}]"
        assert {change.path.startswith(new_ref) for change in changed[route_object].changes} == {True}, route_object


@stacks
def test_a_new_tenant_adds_only_its_own_resources(stack_file: Path, tmp_path: Path, render_stack: RenderStack) -> None:
    """A stack without tenants first gets one (with the guardrails tenants need), so the diff shows what one
    more tenant costs, not what switching tenancy on does."""
    config = parse_config(raw_config(stack_file))
    owners = namespace_owners(config.tenants)
    shared = next((g for g in config.gateways if g.namespace not in owners), None)
    if shared is None:
        pytest.skip("no shared gateway for a tenant to attach to")

    def tenant(name: str) -> Config:
        return {"namespaces": [name], "hostnameSuffix": f"{name}.{config.domain}", "gateway": shared.name}

    def seed(c: Config) -> None:
        if not c.get("tenants"):
            c["tenants"] = {"stability-seed": tenant("stability-seed")}
            guardrails = c.setdefault("guardrails", {})
            if not guardrails.get("platformUsers") and not guardrails.get("platformGroups"):
                guardrails["platformGroups"] = ["system:masters"]

    def add(c: Config) -> None:
        seed(c)
        c["tenants"][PROBE] = tenant(PROBE)

    old = render_stack(stack_file) if config.tenants else render(edited(stack_file, tmp_path / "old", seed))
    new = render(edited(stack_file, tmp_path / "new", add))

    stack_diff = compare(old, new)
    assert_nothing_moved(stack_diff)
    added = {identity(new, key): resource(new, key) for key in by_kind(stack_diff, "add")}
    assert ("Namespace", None, PROBE) in added
    assert added[("Namespace", None, PROBE)].inputs["metadata"]["labels"] == {
        TENANT_LABEL: PROBE,
        SUFFIX_LABEL: f"{PROBE}.{config.domain}",
    }
    outside = [key for key in added if key != ("Namespace", None, PROBE) and key[1] != PROBE]
    assert outside == [], "a tenant adds objects in its own namespaces only"
    changed = {identity(new, key): change for key, change in by_kind(stack_diff, "change").items()}
    # The policy that keeps tenants off gateways they were not given holds who owns which namespace: updated in place.
    tenant_policy = ("ValidatingAdmissionPolicy", None, "traffic-edge-gateway-tenant-namespaces")
    assert sorted(changed) == sorted([("Gateway", shared.namespace, shared.name), tenant_policy])
    paths = {change.path for change in changed[("Gateway", shared.namespace, shared.name)].changes}
    assert {re.sub(r"\[\d+\]", "[]", path).split(".allowedRoutes.")[0] for path in paths} == {"spec.listeners[]"}
    assert {change.path.split("[")[0] for change in changed[tenant_policy].changes} == {"spec.variables"}


def cross_namespace_pairs(routes: Sequence[Route]) -> set[tuple[str, str]]:
    """(backend namespace, route namespace) for every backend outside its route's namespace."""
    return {
        (backend.namespace, route.namespace)
        for route in routes
        for rule in route.rules
        for backend in rule.backends
        if backend.namespace not in (None, route.namespace)
    }


def route_grant_pairs(recording: Recording, key: str) -> set[tuple[str, str]]:
    """(namespace, from namespace) of a ReferenceGrant admitting routes."""
    found = resource(recording, key).inputs
    namespace = found["metadata"]["namespace"]
    return {(namespace, item["namespace"]) for item in found["spec"]["from"] if item["kind"] in ROUTE_KINDS}


@stacks
def test_removing_a_route_removes_only_it(stack_file: Path, tmp_path: Path, render_stack: RenderStack) -> None:
    """The route goes, with the ReferenceGrants only it needed; a grant other routes still use may only shrink."""
    config = parse_config(raw_config(stack_file))
    if not config.routes:
        pytest.skip("the stack has no routes")
    gone, remaining = config.routes[0], config.routes[1:]
    freed = cross_namespace_pairs([gone]) - cross_namespace_pairs(remaining)
    old = render_stack(stack_file)

    new = render(edited(stack_file, tmp_path, lambda c: c["routes"].pop(0)))

    stack_diff = compare(old, new)
    assert [r.kind for r in stack_diff.resources if r.kind not in ("delete", "change")] == []
    assert stack_diff.outputs == ()
    deleted = {identity(old, key): key for key in by_kind(stack_diff, "delete")}
    grants = {item: key for item, key in deleted.items() if item[0] == "ReferenceGrant"}
    assert set(deleted) - set(grants) == {(gone.kind, gone.namespace, gone.name)}
    assert {pair for key in grants.values() for pair in route_grant_pairs(old, key)} == freed
    for key, change in by_kind(stack_diff, "change").items():
        assert identity(new, key)[0] == "ReferenceGrant", identity(new, key)
        assert route_grant_pairs(new, key) <= cross_namespace_pairs([gone]), identity(new, key)
        assert {c.path.split("[")[0] for c in change.changes} <= {"spec.from", "spec.to"}, identity(new, key)


@stacks
def test_rendering_twice_diffs_empty(stack_file: Path, render_stack: RenderStack) -> None:
    first, second = render_stack(stack_file), render(stack_file)

    assert plan_document(first) == plan_document(second)
    assert not compare(first, second).changed
