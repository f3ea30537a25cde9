"""`python -m traffic_edge diff` on synthetic plans: what it reports, what it flags, what it never prints."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from traffic_edge.offline import diff
from traffic_edge.offline.diff import render as diff_render
from traffic_edge.offline.diff import replace_rules, sources
from traffic_edge.offline.diff.compare import MISSING, SECRET, UNKNOWN, Change, ResourceDiff, StackDiff, value_changes

PROJECT = "traffic-edge"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
ZONE = "gcp:dns/managedZone:ManagedZone"
EDGE = "traffic-edge:gateway:EdgeGateway"
ROUTES = "traffic-edge:routes:Routes"


def urn(type_: str, name: str, parents: tuple[str, ...] = (), stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{'$'.join((*parents, type_))}::{name}"


def resource(
    type_: str, name: str, inputs: dict[str, Any], parent: tuple[str, str] | None = None, stack: str = "dev"
) -> dict[str, Any]:
    """A plan.json entry; `parent` is (type, name) of a top-level component."""
    parent_urn = urn(parent[0], parent[1], stack=stack) if parent else None
    return {
        "urn": urn(type_, name, (parent[0],) if parent else (), stack),
        "type": type_,
        "name": name,
        "parent": parent_urn,
        "custom": True,
        "inputs": inputs,
        "dependencies": [],
        "provider": None,
        "protect": False,
        "retainOnDelete": False,
    }


def gateway(name: str = "edge", https_port: int = 443) -> dict[str, Any]:
    return resource(
        GATEWAY,
        "gateway-edge",
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": name, "namespace": "gateway"},
            "spec": {
                "gatewayClassName": "envoy",
                "listeners": [
                    {"name": "http", "port": 80, "protocol": "HTTP"},
                    {"name": "https", "port": https_port, "protocol": "HTTPS"},
                ],
            },
        },
        parent=(EDGE, "gateway-edge"),
    )


def route(name: str, parent: tuple[str, str] = (ROUTES, "routes")) -> dict[str, Any]:
    inputs = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": "apps"},
        "spec": {"hostnames": [f"{name}.example.com"]},
    }
    return resource(ROUTE, f"routes-apps.{name}", inputs, parent=parent)


def zone(dns_name: str = "example.com.") -> dict[str, Any]:
    return resource(ZONE, "dns-zone", {"name": "edge-zone", "dnsName": dns_name, "visibility": "public"})


def plan(*resources: dict[str, Any], stack: str = "dev", outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "project": PROJECT,
        "stack": stack,
        "outputs": outputs or {},
        "resources": sorted(resources, key=lambda r: r["urn"]),
    }


def write(directory: Path, document: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "plan.json").write_text(json.dumps(document, indent=2, sort_keys=True))
    return directory


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m traffic_edge diff")
    diff.add_arguments(parser)
    return parser.parse_args(argv)


def run_diff(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = diff.run(parse(*argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def compare(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: dict[str, Any], new: dict[str, Any], *flags: str
) -> tuple[int, str]:
    code, out, err = run_diff(capsys, str(write(tmp_path / "old", old)), str(write(tmp_path / "new", new)), *flags)
    assert err == ""
    return code, out


def test_adding_a_route_is_only_an_addition(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = compare(tmp_path, capsys, plan(gateway(), route("web")), plan(gateway(), route("web"), route("api")))

    assert code == 1
    assert out.splitlines()[0] == "dev: 1 to add, 0 to change, 0 to replace, 0 to delete"
    assert f"+ ADDED {ROUTE} routes-apps.api" in out
    assert "CHANGED" not in out
    assert "REPLACED" not in out
    assert "DELETED" not in out


def test_a_listener_port_change_names_the_path_and_both_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = compare(tmp_path, capsys, plan(gateway(https_port=443)), plan(gateway(https_port=8443)))

    assert code == 1
    assert out.splitlines() == [
        "dev: 0 to add, 1 to change, 0 to replace, 0 to delete",
        f"  ~ CHANGED {GATEWAY} gateway-edge",
        "      spec.listeners[1].port: 443 → 8443",
    ]


def test_renaming_a_gateway_object_replaces_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = compare(tmp_path, capsys, plan(gateway(name="edge")), plan(gateway(name="edge-v2")))

    assert code == 1
    assert out.splitlines()[0] == "dev: 0 to add, 0 to change, 1 to replace, 0 to delete"
    assert f"+- REPLACED {GATEWAY} gateway-edge" in out
    assert 'metadata.name: "edge" → "edge-v2"  [forces replacement:' in out


def test_changing_a_zone_dns_name_replaces_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = compare(tmp_path, capsys, plan(zone("example.com.")), plan(zone("example.org.")))

    assert code == 1
    assert f"+- REPLACED {ZONE} dns-zone" in out
    assert 'dnsName: "example.com." → "example.org."  [forces replacement: ForceNew' in out


# Every input whose change replaces the resource, per provider, as upstream says (the source beside each row of
# replace_rules.REPLACE_RULES): pinned here apart from the table, so a row dropped or misspelled there fails.
REPLACING = [
    ("kubernetes:core/v1:Service", "metadata.namespace"),
    ("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "spec.group"),
    ("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "spec.names.kind"),
    ("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "spec.names.plural"),
    ("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "spec.scope"),
    ("gcp:dns/managedZone:ManagedZone", "dnsName"),
    ("gcp:dns/managedZone:ManagedZone", "name"),
    ("gcp:dns/managedZone:ManagedZone", "visibility"),
    ("aws:route53/zone:Zone", "name"),
    ("azure-native:dns:Zone", "zoneName"),
    ("azure-native:dns:Zone", "resourceGroupName"),
    ("azure-native:network:PrivateZone", "resourceGroupName"),
    ("azure-native:privatedns:PrivateZone", "privateZoneName"),
    ("gcp:serviceaccount/account:Account", "accountId"),
    ("aws:iam/role:Role", "name"),
    ("aws:eks/podIdentityAssociation:PodIdentityAssociation", "clusterName"),
    ("aws:eks/podIdentityAssociation:PodIdentityAssociation", "namespace"),
    ("aws:eks/podIdentityAssociation:PodIdentityAssociation", "serviceAccount"),
    ("azure-native:managedidentity:FederatedIdentityCredential", "federatedIdentityCredentialResourceName"),
    ("azure-native:managedidentity:FederatedIdentityCredential", "resourceName"),
    ("azure-native:managedidentity:FederatedIdentityCredential", "resourceGroupName"),
    ("azure-native:managedidentity:UserAssignedIdentity", "resourceName"),
    ("azure-native:managedidentity:UserAssignedIdentity", "resourceGroupName"),
    ("azure-native:managedidentity:UserAssignedIdentity", "location"),
    ("gcp:projects/iAMMember:IAMMember", "member"),
    ("gcp:projects/iAMMember:IAMMember", "role"),
    ("gcp:projects/iAMMember:IAMMember", "project"),
    ("gcp:serviceaccount/iAMMember:IAMMember", "member"),
    ("gcp:serviceaccount/iAMMember:IAMMember", "serviceAccountId"),
    ("gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember", "role"),
    ("gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember", "managedZone"),
    ("azure-native:authorization:RoleAssignment", "principalId"),
    ("azure-native:authorization:RoleAssignment", "roleDefinitionId"),
    ("azure-native:authorization:RoleAssignment", "scope"),
    ("kubernetes:helm.sh/v3:Release", "name"),
    ("kubernetes:helm.sh/v3:Release", "namespace"),
    ("kubernetes:core/v1:Service", "metadata.name"),
    ("kubernetes:core/v1:ConfigMap", "data"),
    ("kubernetes:core/v1:ConfigMap", "binaryData"),
    ("kubernetes:core/v1:Secret", "type"),
    ("kubernetes:core/v1:Secret", "data"),
    ("kubernetes:core/v1:Secret", "stringData"),
    ("kubernetes:core/v1:Service", "spec.clusterIP"),
    ("kubernetes:apps/v1:Deployment", "spec.selector"),
    ("kubernetes:apps/v1:StatefulSet", "spec.selector"),
    ("kubernetes:apps/v1:StatefulSet", "spec.serviceName"),
    ("kubernetes:apps/v1:StatefulSet", "spec.volumeClaimTemplates"),
    ("kubernetes:apps/v1:StatefulSet", "spec.podManagementPolicy"),
    ("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "roleRef"),
    ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "roleRef"),
    ("kubernetes:batch/v1:Job", "spec.template"),
    ("kubernetes:batch/v1:Job", "spec.selector"),
    ("kubernetes:batch/v1:Job", "spec.completions"),
    ("kubernetes:batch/v1:Job", "spec.parallelism"),
    ("gcp:dns/managedZone:ManagedZone", "project"),
    ("gcp:serviceaccount/account:Account", "project"),
    ("gcp:projects/iAMMember:IAMMember", "condition"),
    ("gcp:serviceaccount/iAMMember:IAMMember", "role"),
    ("gcp:serviceaccount/iAMMember:IAMMember", "condition"),
    ("gcp:projects/iAMCustomRole:IAMCustomRole", "roleId"),
    ("gcp:projects/iAMCustomRole:IAMCustomRole", "project"),
    ("gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember", "member"),
    ("gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember", "condition"),
    ("gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember", "project"),
    ("aws:iam/role:Role", "namePrefix"),
    ("aws:iam/role:Role", "path"),
    ("azure-native:network:PrivateZone", "privateZoneName"),
    ("azure-native:privatedns:PrivateZone", "resourceGroupName"),
    ("azure-native:authorization:RoleAssignment", "roleAssignmentName"),
]


@pytest.mark.parametrize(("type_", "path"), REPLACING)
def test_the_rules_table_covers_each_replacing_input(type_: str, path: str) -> None:
    assert replace_rules.replace_rules_for(type_, path), f"{type_} {path}"


def test_every_replacing_input_of_the_table_is_pinned_here() -> None:
    """A row added to the table is added here too, with the upstream fact behind it."""
    for rule in replace_rules.REPLACE_RULES:
        for pattern in rule.types:
            for path in rule.paths:
                pinned = any(fnmatchcase(type_, pattern) and row == path for type_, row in REPLACING)
                assert pinned, (pattern, path)


@pytest.mark.parametrize(
    ("type_", "path"),
    [
        (GATEWAY, "spec.listeners[1].port"),
        (GATEWAY, 'metadata.annotations["external-dns.alpha.kubernetes.io/hostname"]'),
        (GATEWAY, "metadata.labels.name"),
        ("kubernetes:helm.sh/v3:Release", "values.fullnameOverride"),
        ("aws:route53/zone:Zone", "comment"),
        ("azure-native:authorization:RoleAssignment", "description"),
    ],
)
def test_other_inputs_update_in_place(type_: str, path: str) -> None:
    assert replace_rules.replace_rules_for(type_, path) == []


def test_a_replacing_path_matches_below_and_above_it() -> None:
    crd = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
    assert replace_rules.replace_rules_for("kubernetes:core/v1:ConfigMap", 'data["config.yaml"]')
    assert replace_rules.replace_rules_for(crd, "spec.names")  # the whole names object added or removed
    assert not replace_rules.replace_rules_for(crd, "spec.names.shortNames[0]")
    deployment = "kubernetes:apps/v1:Deployment"
    assert replace_rules.replace_rules_for(deployment, "spec.selector.matchLabels.app")  # below, by key
    service = "kubernetes:core/v1:Service"
    assert not replace_rules.replace_rules_for(service, "spec.clusterIPs")  # a sibling whose name extends the rule's
    assert not replace_rules.replace_rules_for(service, "spec.cluster")  # nor one whose name the rule's extends


def test_every_rule_cites_a_source() -> None:
    for rule in replace_rules.REPLACE_RULES:
        assert rule.types
        assert rule.paths
        assert rule.reason
        assert rule.source.startswith("https://"), rule


def test_secret_values_are_never_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    release = "kubernetes:helm.sh/v3:Release"
    old = plan(
        resource(release, "dns", {"values": {"token": "plain-then-secret", "db": SECRET}, "name": "dns"}),
        outputs={"adminPassword": "hunter2"},
    )
    new = plan(
        resource(release, "dns", {"values": {"token": SECRET, "db": {"password": "s3cr3t"}}, "name": "dns"}),
        outputs={"adminPassword": SECRET},
    )
    for fmt in ("text", "markdown"):
        code, out = compare(tmp_path, capsys, old, new, "--format", fmt)

        assert code == 1
        assert "values.token" in out
        assert "values.db" in out
        assert "adminPassword" in out
        assert SECRET in out
        for secret in ("plain-then-secret", "s3cr3t", "password", "hunter2"):
            assert secret not in out, (fmt, secret)


def test_a_secret_appearing_is_masked_and_a_secret_unchanged_is_quiet() -> None:
    assert value_changes({"k": "x"}, {"k": SECRET}) == [Change("k", SECRET, SECRET)]
    assert value_changes({}, {"k": SECRET}) == [Change("k", MISSING, SECRET)]
    assert value_changes({"k": {"user": "admin"}}, {"k": SECRET}) == [Change("k", SECRET, SECRET)]  # nothing below
    assert value_changes({"k": SECRET}, {"k": SECRET}) == []


def test_values_are_compared_leaf_by_leaf_whatever_their_shape() -> None:
    assert value_changes({"l": [1]}, {"l": [1, 2]}) == [Change("l[1]", MISSING, 2)]
    assert value_changes({"l": [1, 2]}, {"l": [1]}) == [Change("l[1]", 2, MISSING)]
    assert value_changes({"l": [1]}, {"l": "x"}) == [Change("l", [1], "x")]  # another type: the whole value
    assert value_changes({"l": ["x"]}, {"l": [SECRET]}) == [Change("l[0]", SECRET, SECRET)]
    assert value_changes({"n": 1}, {"n": True}) == [Change("n", 1, True)]  # equal in Python, not in JSON


def test_the_secret_marker_is_the_one_the_renderer_writes() -> None:
    from traffic_edge.offline import engine  # noqa: PLC0415 - imports Pulumi; only this test needs it

    assert (SECRET, UNKNOWN) == (engine.SECRET, engine.UNKNOWN)


def test_a_new_parent_is_reported_as_re_parented(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = plan(route("web", parent=(ROUTES, "routes")))
    new = plan(route("web", parent=(EDGE, "gateway-edge")))

    code, out = compare(tmp_path, capsys, old, new)

    assert code == 1
    assert out.splitlines()[0] == "dev: 0 to add, 0 to change, 0 to replace, 0 to delete, 1 re-parented"
    assert f"+- RE-PARENTED {ROUTE} routes-apps.web" in out
    assert f"parent: routes ({ROUTES}) → gateway-edge ({EDGE})" in out
    assert "ADDED" not in out
    assert "DELETED" not in out

    code, markdown = compare(tmp_path, capsys, old, new, "--format", "markdown")
    assert "🟠 **RE-PARENTED**" in markdown
    assert "delete + create unless an alias maps the old URN" in markdown


def test_an_aliased_move_under_a_new_parent_is_neither_a_delete_nor_a_create() -> None:
    """A component moved under a new parent with an alias to its old name, and its child inheriting that alias
    (its name prefix follows the parent's), as the engine resolves them."""
    edge_type = "traffic-edge:index:TrafficEdge"
    old = plan(resource(ROUTES, "routes", {}), route("web", parent=(ROUTES, "routes")))
    edge = resource(edge_type, "edge", {})
    component = {
        **resource(ROUTES, "edge-routes", {}, parent=(edge_type, "edge")),
        "aliases": [{"spec": {"name": "routes", "noParent": True}}],
    }
    child = route("web")
    child.update(
        urn=urn(ROUTE, "edge-routes-apps.web", (edge_type, ROUTES)), name="edge-routes-apps.web",
        parent=component["urn"],
    )

    result = diff.diff_stack("dev", old, plan(edge, component, child))

    assert sorted((r.kind, r.name, r.old_key) for r in result.resources) == [
        ("add", "edge", None),
        ("move", "edge-routes", f"{PROJECT}::{ROUTES}::routes"),
        ("move", "edge-routes-apps.web", f"{PROJECT}::{ROUTES}${ROUTE}::routes-apps.web"),
    ]
    assert result.summary() == "dev: 1 to add, 0 to change, 0 to replace, 0 to delete, 2 moved by alias"


def test_a_render_that_put_the_root_stack_in_its_urns_is_the_same_deployment() -> None:
    """Renders of this tool before its own engine (e88c2aa, the base of the first pull requests after the package
    layout) wrote `pulumi:pulumi:Stack$` into every top-level resource's type chain; the engine never does. A diff
    against such a render finds every resource, and the aliases still move them."""
    stack_type = "pulumi:pulumi:Stack"
    old_component = resource(ROUTES, "routes", {})
    old_component["urn"] = urn(ROUTES, "routes", (stack_type,))
    old_route = route("web", parent=(ROUTES, "routes"))
    old_route["urn"] = urn(ROUTE, "routes-apps.web", (stack_type, ROUTES))
    old_route["parent"] = old_component["urn"]
    unchanged = plan(resource(ROUTES, "routes", {}), route("web"))

    assert diff.diff_stack("dev", plan(old_component, old_route), unchanged).resources == ()


def test_a_new_api_version_behind_an_alias_updates_the_object_in_place() -> None:
    """The provider replaces a Kubernetes object only for its name, namespace and the kind's forceNew fields; the
    alias keeps the resource, so v1beta1 → v1 is a move with a change, not a delete and create."""
    old_type = "kubernetes:gateway.k8s.aws/v1beta1:LoadBalancerConfiguration"
    new_type = "kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration"
    inputs = {"kind": "LoadBalancerConfiguration", "metadata": {"name": "edge", "namespace": "gateway"}, "spec": {}}
    old = plan(resource(old_type, "edge-lbc", {**inputs, "apiVersion": "gateway.k8s.aws/v1beta1"}))
    new = resource(new_type, "edge-lbc", {**inputs, "apiVersion": "gateway.k8s.aws/v1"})
    new["aliases"] = [{"spec": {"type": old_type}}]

    [moved] = diff.diff_stack("dev", old, plan(new)).resources

    assert (moved.kind, moved.old_key) == ("move", f"{PROJECT}::{old_type}::edge-lbc")
    assert [(c.path, c.forces) for c in moved.changes] == [("apiVersion", None)]


def test_ambiguous_moves_stay_additions_and_deletions() -> None:
    old = plan(route("web", parent=(ROUTES, "a")), route("web", parent=(ROUTES + "x", "b")))
    new = plan(route("web", parent=(EDGE, "c")))

    kinds = sorted(r.kind for r in diff.diff_stack("dev", old, new).resources)

    assert kinds == ["add", "delete", "delete"]


def test_identical_plans_exit_0_with_no_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    same = plan(gateway(), route("web"), zone(), outputs={"endpoint": "1.2.3.4"})

    code, out = compare(tmp_path, capsys, same, same)
    assert (code, out) == (0, "dev: no changes\n")

    code, markdown = compare(tmp_path, capsys, same, same, "--format", "markdown")
    assert code == 0
    assert "**dev: no changes**" in markdown


def test_markdown_has_a_heading_and_summary_per_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for side, port in (("old", 443), ("new", 8443)):
        write(tmp_path / side / "dev", plan(gateway(https_port=port), route("web")))
        write(tmp_path / side / "prod", plan(gateway(), stack="prod"))
    write(tmp_path / "new" / "gke", plan(zone(), stack="gke"))

    code, out, _ = run_diff(capsys, str(tmp_path / "old"), str(tmp_path / "new"), "--format", "markdown")

    assert code == 1
    assert out.startswith("## Offline preview diff\n")
    headings = [line for line in out.splitlines() if line.startswith("### ")]
    assert headings == ["### dev", "### gke", "### prod"]
    assert "**dev: 0 to add, 1 to change, 0 to replace, 0 to delete**" in out
    assert "**gke: 1 to add, 0 to change, 0 to replace, 0 to delete (new stack)**" in out
    assert "**prod: no changes**" in out
    assert "| <code>spec.listeners[1].port</code> | <code>443</code> | <code>8443</code> |  |" in out


def test_replacements_are_flagged_in_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = compare(tmp_path, capsys, plan(zone("a.example.")), plan(zone("b.example.")), "--format", "markdown")

    assert code == 1
    assert f"| 🔴 **REPLACED** | <code>dns-zone</code> | <code>{ZONE}</code> |" in out
    assert "🔴 **forces replacement**: ForceNew in google_dns_managed_zone ([source](https://" in out


def test_long_values_fold_into_details(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def role(action: str) -> dict[str, Any]:
        statement = {"Effect": "Allow", "Action": action, "Resource": "*"}
        policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        return resource("aws:iam/role:Role", "dns", {"name": "dns", "inlinePolicy": policy})

    old, new = plan(role("route53:*")), plan(role("route53:ChangeResourceRecordSets"))

    code, out = compare(tmp_path, capsys, old, new, "--format", "markdown")

    assert code == 1
    assert "<details><summary><code>inlinePolicy</code></summary>" in out
    assert '-      "Action": "route53:*",' in out
    assert '+      "Action": "route53:ChangeResourceRecordSets",' in out


def test_a_huge_markdown_diff_is_cut_with_its_markup_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {f"key{i}": "v" * 50 for i in range(200)}
    old = plan(resource("kubernetes:helm.sh/v3:Release", "dns", {"name": "dns", "values": {}}))
    new = plan(resource("kubernetes:helm.sh/v3:Release", "dns", {"name": "dns", "values": {"big": values}}))
    markdown = diff.render_markdown([diff.diff_stack("dev", old, new)])
    monkeypatch.setattr(diff_render, "MARKDOWN_LIMIT", len(markdown) // 2)

    cut = diff.render_markdown([diff.diff_stack("dev", old, new)])

    assert len(cut) <= diff_render.MARKDOWN_LIMIT
    assert cut.endswith("locally._\n")
    assert cut.count("```") == 2
    assert cut.count("<details>") == cut.count("</details>") == 1


def test_protect_and_provider_changes_are_reported() -> None:
    old, new = zone(), zone()
    new["protect"] = True
    old["provider"] = "urn:pulumi:dev::traffic-edge::pulumi:providers:gcp::a::a-id"
    new["provider"] = "urn:pulumi:dev::traffic-edge::pulumi:providers:gcp::b::b-id"

    [changed] = diff.diff_stack("dev", plan(old), plan(new)).resources

    assert changed.kind == "change"
    assert [c.path for c in changed.changes] == ["(protect)", "(provider)"]


def test_two_single_plans_compare_across_stacks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dev = plan(resource(ZONE, "zone", {"dnsName": "dev.example.", "name": "z"}))
    prod = plan(resource(ZONE, "zone", {"dnsName": "example.", "name": "z"}, stack="prod"), stack="prod")

    code, out = compare(tmp_path, capsys, dev, prod)

    assert code == 1
    assert out.splitlines()[0] == "dev → prod: 0 to add, 0 to change, 1 to replace, 0 to delete"


def test_stacks_option_limits_the_comparison(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for side, port in (("old", 443), ("new", 8443)):
        write(tmp_path / side / "dev", plan(gateway(https_port=port)))
        write(tmp_path / side / "prod", plan(stack="prod"))

    code, out, _ = run_diff(capsys, str(tmp_path / "old"), str(tmp_path / "new"), "--stacks", "prod")
    assert (code, out) == (0, "prod: no changes\n")

    code, out, err = run_diff(capsys, str(tmp_path / "old"), str(tmp_path / "new"), "--stacks", "staging")
    assert (code, out) == (2, "")
    assert err == "error: no such stack: staging (known: dev, prod)\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{tmp}/old", "{tmp}/new", "--worktree"], "error: give NEW or --worktree (exactly one)\n"),
        (["{tmp}/old"], "error: give NEW or --worktree (exactly one)\n"),
        (["{tmp}/nowhere", "{tmp}/new"], "error: '{tmp}/nowhere' is not an existing path nor a git commit\n"),
        (["{tmp}/empty", "{tmp}/new"], "error: {tmp}/empty: no plan.json here nor in any <stack>/ subdirectory\n"),
        (["{tmp}/broken", "{tmp}/new"], "error: {tmp}/broken/plan.json: not a preview plan"),
    ],
)
def test_user_mistakes_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    write(tmp_path / "new", plan())
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "plan.json").write_text('{"resources": [{"urn": 1}]}')

    code, out, err = run_diff(capsys, *(arg.format(tmp=tmp_path) for arg in argv))

    assert (code, out) == (2, "")
    assert err.startswith(message.format(tmp=tmp_path))
    assert "Traceback" not in err


# --- git refs: a throwaway repository whose `preview` copies a plan out of the stack file ---

FAKE_PREVIEW = """\
import json, pathlib, sys
args = sys.argv[1:]
config, out = pathlib.Path(args[args.index("--config") + 1]), pathlib.Path(args[args.index("--out") + 1])
document = json.loads(config.read_text())["plan"]
if document is None:
    sys.exit("cannot render " + config.name)
out.mkdir(parents=True, exist_ok=True)
(out / "plan.json").write_text(json.dumps(document))
"""


def git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    return subprocess.run(
        ["git", *identity, *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def stack_file(repo: Path, stack: str, document: dict[str, Any] | None) -> None:
    (repo / f"Pulumi.{stack}.yaml").write_text(json.dumps({"plan": document}))


@pytest.fixture(params=["traffic_edge", "offline"], ids=["package-layout", "pre-package-layout"])
def repo(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tree renders with its own preview: `python -m traffic_edge`, or `python -m offline` in trees from before
    the package layout (a base commit of an older branch)."""
    tool: str = request.param
    root = tmp_path / "repo"
    (root / tool).mkdir(parents=True)
    (root / tool / "__init__.py").write_text("")
    (root / tool / "__main__.py").write_text(FAKE_PREVIEW)
    stack_file(root, "dev", plan(gateway(https_port=443)))
    stack_file(root, "prod", plan(zone(), stack="prod"))
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    monkeypatch.chdir(root)
    return root


def test_a_ref_against_the_working_tree(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack_file(repo, "dev", plan(gateway(https_port=8443)))

    code, out, err = run_diff(capsys, "HEAD", "--worktree")

    assert (code, err) == (1, "")
    assert out == "\n".join(
        [
            "dev: 0 to add, 1 to change, 0 to replace, 0 to delete",
            f"  ~ CHANGED {GATEWAY} gateway-edge",
            "      spec.listeners[1].port: 443 → 8443",
            "",
            "prod: no changes",
            "",
        ]
    )


def test_two_refs_render_their_own_trees(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = git(repo, "rev-parse", "HEAD")
    stack_file(repo, "prod", plan(zone("example.org."), stack="prod"))
    git(repo, "commit", "-q", "-am", "move the zone")
    stack_file(repo, "prod", None)  # an uncommitted breakage must not leak into a ref render

    code, out, err = run_diff(capsys, base, "HEAD", "--stacks", "prod")

    assert (code, err) == (1, "")
    assert out.splitlines()[0] == "prod: 0 to add, 0 to change, 1 to replace, 0 to delete"

    code, out, _ = run_diff(capsys, "HEAD", "HEAD", "--git")
    assert (code, out) == (0, "dev: no changes\n\nprod: no changes\n")


def test_a_failed_render_exits_2_with_its_output(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack_file(repo, "prod", None)

    code, out, err = run_diff(capsys, "HEAD", "--worktree")

    assert (code, out) == (2, "")
    assert err.startswith("error: working tree: rendering Pulumi.prod.yaml failed (exit 1):\ncannot render")


def test_export_tree_writes_the_committed_files(repo: Path, tmp_path: Path) -> None:
    (repo / "Pulumi.dev.yaml").unlink()

    sources.export_tree(git(repo, "rev-parse", "HEAD"), repo, tmp_path / "tree")

    assert json.loads((tmp_path / "tree" / "Pulumi.dev.yaml").read_text())["plan"]["stack"] == "dev"
    [tool] = [path.parent.name for path in repo.glob("*/__main__.py")]
    assert (tmp_path / "tree" / tool / "__main__.py").read_text() == FAKE_PREVIEW


def test_the_command_line_entry_point(tmp_path: Path) -> None:
    same = write(tmp_path / "same", plan(gateway()))

    result = subprocess.run(
        [sys.executable, "-m", "traffic_edge", "diff", str(same), str(same)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (result.returncode, result.stdout, result.stderr) == (0, "dev: no changes\n", "")


# ---------------------------------------------------------------------------------- deletions that take data


NAMESPACE = "kubernetes:core/v1:Namespace"
CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"


def kube(type_: str, name: str, namespace: str | None = None, spec: dict[str, Any] | None = None,
         **options: bool) -> dict[str, Any]:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    found = resource(type_, f"res-{name}", {"metadata": metadata, **({"spec": spec} if spec else {})})
    return {**found, **options}


def cert_manager(owner_refs: bool) -> dict[str, Any]:
    values = {"crds": {"enabled": True}, **({"enableCertificateOwnerRef": True} if owner_refs else {})}
    return resource("kubernetes:helm.sh/v3:Release", "cert-manager", {"chart": "cert-manager", "values": values})


def test_deleting_a_namespace_says_every_object_in_it_goes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = compare(tmp_path, capsys, plan(kube(NAMESPACE, "apps")), plan())
    assert code == 1
    assert out.splitlines()[1] == (f"  !!! DELETES DATA: Namespace apps and every object in it (deleted: {NAMESPACE} "
                                   "res-apps)")
    _, markdown = compare(tmp_path, capsys, plan(kube(NAMESPACE, "apps")), plan(), "--format", "markdown")
    assert "> [!CAUTION]\n> **This deploy deletes data:**\n> - DELETES DATA: **Namespace apps and every object in " \
           "it**" in markdown


def test_a_retained_namespace_is_said_to_stay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = compare(tmp_path, capsys, plan(kube(NAMESPACE, "apps", retainOnDelete=True)), plan())
    assert "  ! keeps Namespace apps and every object in it in the cluster: deleted in the stack only" in out
    _, markdown = compare(tmp_path, capsys, plan(kube(NAMESPACE, "apps", retainOnDelete=True)), plan(),
                          "--format", "markdown")
    assert "> [!NOTE]" in markdown
    assert "[!CAUTION]" not in markdown


def test_a_replaced_or_protected_zone_is_called_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = compare(tmp_path, capsys, plan(zone("example.com.")), plan(zone("example.org.")))
    assert f"  !!! DELETES DATA: DNS zone example.com. and every record in it (replaced: {ZONE} dns-zone)" in out
    _, out = compare(tmp_path, capsys, plan({**zone(), "protect": True}), plan())
    assert (f"  !!! STOPS: {ZONE} dns-zone is protected, so `pulumi up` fails before deleting DNS zone example.com. "
            "and every record in it") in out


@pytest.mark.parametrize(("gone", "words"), [
    (kube("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "gateways.gateway.networking.k8s.io"),
     "CustomResourceDefinition gateways.gateway.networking.k8s.io and every object of its kind"),
    (resource("kubernetes:yaml/v2:ConfigGroup", "gateway-api-bundle", {"yaml": "..."}),
     "every object gateway-api-bundle applied: with a CRD, every object of its kind"),
    (kube("kubernetes:core/v1:Secret", "rfc2136-tsig", "external-dns"),
     "Secret external-dns/rfc2136-tsig and the keys or certificate it holds"),
])
def test_crds_bundles_and_secrets_are_called_out(gone: dict[str, Any], words: str) -> None:
    [loss] = diff.diff_stack("dev", plan(gone), plan()).losses
    assert (loss.what, loss.fate) == (words, "deleted")


@pytest.mark.parametrize(("owner_refs", "fate"), [(False, "left in the cluster"), (True, "deleted")])
def test_a_deleted_certificate_says_what_becomes_of_its_secret(owner_refs: bool, fate: str) -> None:
    """cert-manager v1.21.1 leaves a deleted Certificate's Secret unless it sets owner references (off by default)."""
    certificate = kube(CERTIFICATE, "edge-wildcard", "gateway", {"secretName": "edge-wildcard-tls"})
    [loss] = diff.diff_stack("dev", plan(cert_manager(owner_refs), certificate), plan(cert_manager(owner_refs))).losses
    renewal = "" if owner_refs else " (no longer renewed)"
    assert (loss.what, loss.fate) == (
        f"Secret gateway/edge-wildcard-tls: certificate gateway/edge-wildcard and its private key{renewal}", fate)


def test_deletions_without_data_are_not_called_out() -> None:
    assert diff.diff_stack("dev", plan(route("web")), plan()).losses == ()


def test_each_kind_of_change_reads_as_its_sign_and_word() -> None:
    """What a reviewer scans for in a terminal: the sign and the word of each resource line, and the summary."""
    kinds = ("replace", "reparent", "delete", "add", "change", "move")
    resources = tuple(ResourceDiff(kind, "kubernetes:core/v1:Service", f"svc-{kind}", f"k-{kind}")
                      for kind in kinds)
    one_output = StackDiff("dev", resources, (Change("url", "a", "b"),))
    text = diff_render.render_text([one_output])
    lines = [line for line in text.splitlines() if "kubernetes:core/v1:Service" in line]
    assert lines == [
        "  +- REPLACED kubernetes:core/v1:Service svc-replace",
        "  +- RE-PARENTED kubernetes:core/v1:Service svc-reparent",
        "  - DELETED kubernetes:core/v1:Service svc-delete",
        "  + ADDED kubernetes:core/v1:Service svc-add",
        "  ~ CHANGED kubernetes:core/v1:Service svc-change",
        "  > MOVED kubernetes:core/v1:Service svc-move",
    ]
    assert one_output.summary() == ("dev: 1 to add, 1 to change, 1 to replace, 1 to delete, 1 re-parented, "
                                    "1 moved by alias, 1 output changed")
    two_outputs = StackDiff("dev", (), (Change("a", 1, 2), Change("b", 1, 2)), note="new stack")
    assert two_outputs.summary() == ("dev: 0 to add, 0 to change, 0 to replace, 0 to delete, 2 outputs changed "
                                     "(new stack)")
    assert StackDiff("dev", (), ()).summary() == "dev: no changes"


def test_moving_to_an_explicit_provider_is_counted_not_changed() -> None:
    """pulumi-kubernetes replaces only when the active cluster differs, and the default provider names none."""
    old, new = zone(), zone()
    new["provider"] = "urn:pulumi:dev::traffic-edge::pulumi:providers:gcp::edge::p-id"
    adopted = diff.diff_stack("dev", plan(old), plan(new))
    assert (adopted.resources, adopted.note) == (
        (), "1 now through an explicit provider instead of the default one: no replacement")
    elsewhere = {**new, "provider": "urn:pulumi:prod::traffic-edge::pulumi:providers:gcp::edge::p-id"}
    same = diff.diff_stack("dev", plan(new), plan(elsewhere))
    assert (same.resources, same.note) == ((), "")  # one provider, another stack's URN
    back = diff.diff_stack("dev", plan(new), plan(old))
    assert [(c.path, c.new) for c in back.resources[0].changes] == [("(provider)", None)]


def test_a_zone_moved_by_alias_but_replaced_is_called_out_as_replaced() -> None:
    """An alias keeps the URN's history, not the zone: a replacing change still deletes it and its records."""
    moved = {**zone("example.org."), "urn": urn(ZONE, "zone"), "name": "zone",
             "aliases": [{"spec": {"name": "dns-zone"}}]}
    result = diff.diff_stack("dev", plan(zone("example.com.")), plan(moved))
    assert [(r.kind, r.name, r.old_key) for r in result.resources] == [
        ("replace", "zone", f"{PROJECT}::{ZONE}::dns-zone")]
    assert [(loss.what, loss.fate, loss.how) for loss in result.losses] == [
        ("DNS zone example.com. and every record in it", "deleted", "replaced")]
