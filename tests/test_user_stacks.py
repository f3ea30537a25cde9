"""Stack files as users write them (tests/stacks/<class>/Pulumi.<case>.yaml), each refused before any resource is
registered, with exit 2, its key path and the fix, or accepted and rendered as written.

Each file says what it expects in its leading comments: `# expect: refused` with `# issue: <key path>: <message>`
(the start of the line the user must see) and `# fix: <words of the fix>`, or `# expect: accepted`. An accepted
stack renders through the command line, and every manifest it renders passes the API server's schemas and CEL
rules at the Gateway API release it pins (../shared/refdata).
"""

from __future__ import annotations

import copy
import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from tests.conftest import PROJECT, Rejection, RenderStack
from traffic_edge.cli import main
from traffic_edge.config.queries import SYSTEM_NAMESPACES
from traffic_edge.conformance.validator import ManifestValidator, require_refdata
from traffic_edge.data.versions import GATEWAY_API_CHANNEL, GATEWAY_API_VERSION
from traffic_edge.offline.diff import diff_stack, render_text
from traffic_edge.offline.engine import Recording, record
from traffic_edge.offline.plan import manifests, plan_document
from traffic_edge.offline.render import PROJECT_DIR, render
from traffic_edge.offline.stackfile import read_project, read_stack_config
from traffic_edge.policy.plan import check_plan

STACKS = Path(__file__).parent / "stacks"
STACK_FILES = sorted(STACKS.glob("*/Pulumi.*.yaml"))
NO_REFERENCE_DATA = "in the reference data"
NAMESPACE = "kubernetes:core/v1:Namespace"
RELEASE = "kubernetes:helm.sh/v3:Release"
Plan = dict[str, Any]


@dataclass(frozen=True)
class Expectation:
    refused: bool
    issue: str  # the start of the issue line, `<key path>: <message>`
    fix: str


def expectation(stack_file: Path) -> Expectation:
    found: dict[str, str] = {}
    for line in stack_file.read_text().splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].strip().partition(": ")
        if key in ("expect", "issue", "fix"):
            found[key] = value
    assert found.get("expect") in ("refused", "accepted"), f"{stack_file}: no `# expect:` line"
    return Expectation(found["expect"] == "refused", found.get("issue", ""), found.get("fix", ""))


def case_id(stack_file: Path) -> str:
    return f"{stack_file.parent.name}/{stack_file.name.split('.')[1]}"


REFUSED = [path for path in STACK_FILES if expectation(path).refused]
ACCEPTED = [path for path in STACK_FILES if not expectation(path).refused]


def issue_lines(error: str) -> list[str]:
    return [line.removeprefix("  - ") for line in error.splitlines() if line.startswith("  - ")]


@pytest.mark.parametrize("stack_file", REFUSED, ids=[case_id(path) for path in REFUSED])
def test_a_mistake_is_refused_with_its_key_and_fix(
    stack_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    render_rejected: Callable[[Path], Rejection],
) -> None:
    expected = expectation(stack_file)
    out = tmp_path / "out"
    assert main(["preview", "--config", str(stack_file), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error
    assert not out.exists()
    lines = [line for line in issue_lines(error) if line.startswith(expected.issue)]
    assert lines, error
    if expected.fix:
        assert f"(fix: {expected.fix}" in lines[0], lines[0]
    rejection = render_rejected(stack_file)
    assert rejection.stack_urn, "the program never ran"
    assert rejection.registered == {}


def gateway_api_pin(stack_file: Path) -> tuple[str, str]:
    config = yaml.safe_load(stack_file.read_text())["config"]
    versions = config.get(f"{PROJECT}:versions") or {}
    return versions.get("gatewayApi", GATEWAY_API_VERSION), versions.get("gatewayApiChannel", GATEWAY_API_CHANNEL)


def rendered_manifests(out: Path) -> list[dict[str, object]]:
    return [yaml.safe_load(path.read_text()) for path in sorted((out / "manifests").glob("*.yaml"))]


@pytest.mark.parametrize("stack_file", ACCEPTED, ids=[case_id(path) for path in ACCEPTED])
def test_legitimate_input_renders_and_the_api_server_takes_it(
    stack_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["preview", "--config", str(stack_file), "--out", str(out)]) == 0, capsys.readouterr().err
    require_refdata()
    validator = ManifestValidator(*gateway_api_pin(stack_file))
    errors = [error for manifest in rendered_manifests(out) for error in validator.validate(manifest)
              if not error.endswith(NO_REFERENCE_DATA)]
    assert errors == []


def test_every_class_of_the_issue_has_mistakes_and_legitimate_stacks() -> None:
    """Each class tries mistakes (refused) and the legitimate input next to them (accepted)."""
    refused = Counter(path.parent.name for path in REFUSED)
    accepted = Counter(path.parent.name for path in ACCEPTED)
    classes = {"system-namespaces", "tenant-escape", "listeners", "names", "api-server", "rendered-as-written",
               "legitimate-input", "messages"}
    assert {path.parent.name for path in STACK_FILES} == classes
    assert all(refused[name] >= 3 for name in classes), refused
    assert all(accepted[name] >= 1 for name in classes - {"messages"}), accepted


# ---------------------------------------------------------------------------------- rendered as written


def objects(recording: Recording, kind: str) -> dict[tuple[str | None, str], dict[str, Any]]:
    """(namespace, name) → manifest of every object of one kind."""
    return {(m["metadata"].get("namespace"), m["metadata"]["name"]): m for m in manifests(recording).values()
            if m["kind"] == kind}


def test_a_backend_at_weight_0_renders_at_weight_0(render_stack: RenderStack) -> None:
    canary = objects(render_stack(STACKS / "rendered-as-written/Pulumi.canary-off.yaml"), "HTTPRoute")
    refs = canary[("apps", "web")]["spec"]["rules"][0]["backendRefs"]
    assert [(ref["name"], ref["weight"]) for ref in refs] == [("web", 1), ("web-next", 0)]
    single = objects(render_stack(STACKS / "rendered-as-written/Pulumi.single-backend-weight-3.yaml"), "HTTPRoute")
    assert single[("apps", "web")]["spec"]["rules"][0]["backendRefs"][0]["weight"] == 3


def test_more_services_than_one_grant_takes_continue_in_a_second_grant(render_stack: RenderStack) -> None:
    recording = render_stack(STACKS / "api-server/Pulumi.twenty-services-in-one-namespace.yaml")
    grants = objects(recording, "ReferenceGrant")
    assert sorted(grants) == [("shared", "traffic-edge-from-apps"), ("shared", "traffic-edge-from-apps.2")]
    names = [[ref["name"] for ref in grant["spec"]["to"]] for _, grant in sorted(grants.items())]
    assert [len(part) for part in names] == [16, 4]
    assert sorted(name for part in names for name in part) == sorted(f"svc-{index}" for index in range(20))


def test_an_ipv6_nameserver_reaches_both_controllers_as_each_reads_it(render_stack: RenderStack) -> None:
    recording = render_stack(STACKS / "legitimate-input/Pulumi.ipv6-nameserver.yaml")
    [issuer] = [m for m in manifests(recording).values() if m["kind"] == "ClusterIssuer" and "acme" in m["spec"]]
    [solver] = issuer["spec"]["acme"]["solvers"]
    assert solver["dns01"]["rfc2136"]["nameserver"] == "[2001:db8::53]:53"  # cert-manager splits host and port
    [release] = [r for r in recording.of_type(RELEASE) if r.inputs["chart"] == "external-dns"]
    arguments = release.inputs["values"]["extraArgs"]
    assert "--rfc2136-host=2001:db8::53" in arguments  # external-dns joins host and port itself
    assert "--rfc2136-port=53" in arguments


def test_system_namespaces_hold_objects_but_are_never_created(render_stack: RenderStack) -> None:
    for case in ("kube-system-not-created", "gateway-in-default", "routes-in-default"):
        recording = render_stack(STACKS / f"system-namespaces/Pulumi.{case}.yaml")
        created = {r.inputs["metadata"]["name"] for r in recording.of_type(NAMESPACE)}
        assert not created & set(SYSTEM_NAMESPACES), case
    gateway = objects(render_stack(STACKS / "system-namespaces/Pulumi.gateway-in-default.yaml"), "Gateway")
    assert list(gateway) == [("default", "edge")]
    route = objects(render_stack(STACKS / "system-namespaces/Pulumi.kube-system-not-created.yaml"), "HTTPRoute")
    assert ("kube-system", "dashboard") in route


def test_a_tenant_is_admitted_to_a_shared_tcp_listener_only_by_name(render_stack: RenderStack) -> None:
    def admitted(case: str) -> list[str]:
        [gateway] = objects(render_stack(STACKS / f"tenant-escape/Pulumi.{case}.yaml"), "Gateway").values()
        [db] = [item for item in gateway["spec"]["listeners"] if item["name"] == "db"]
        return list(db["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]["values"])

    assert admitted("tenants-base") == ["apps", "gateway"]  # the tenants attached to the gateway: HTTPS only
    assert admitted("tenant-admitted-to-tcp-by-name") == ["apps", "gateway", "team-a"]


# ---------------------------------------------------------------------------------- no data lost


def test_namespaces_that_hold_users_workloads_are_retained_on_delete(render_stack: RenderStack) -> None:
    retained = {r.inputs["metadata"]["name"]: r.retain_on_delete
                for r in render_stack(PROJECT_DIR / "Pulumi.multitenant.yaml").of_type(NAMESPACE)}
    assert retained == {
        "cert-manager": False, "envoy-gateway-system": False,  # the edge's own workloads: they go with them
        "gateway": True, "team-a": True, "team-a-jobs": True, "team-b": True, "team-c": True, "team-c-api": True,
    }


def test_retaining_an_existing_namespace_is_an_option_change(render_stack: RenderStack) -> None:
    new = plan_document(render_stack(PROJECT_DIR / "Pulumi.dev.yaml"))
    old = copy.deepcopy(new)
    for resource in old["resources"]:
        resource["retainOnDelete"] = False
    changes = {d.name: d for d in diff_stack("dev", old, new).resources}
    apps = changes["edge-namespaces-apps"]
    assert (apps.kind, [(c.path, c.old, c.new) for c in apps.changes]) == (
        "change", [("(retainOnDelete)", False, True)])


def test_removing_a_namespace_entry_leaves_the_namespace(render_stack: RenderStack, tmp_path: Path) -> None:
    old = plan_document(render_stack(PROJECT_DIR / "Pulumi.dev.yaml"))
    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    edited = text.replace("    governance: {}\n", "").replace("namespace: governance", "namespace: apps")
    assert edited != text
    (tmp_path / "Pulumi.dev.yaml").write_text(edited)
    new = plan_document(render(tmp_path / "Pulumi.dev.yaml"))
    result = diff_stack("dev", old, new)
    [loss] = [loss for loss in result.losses if loss.type == NAMESPACE]
    assert (loss.what, loss.fate, loss.how) == (
        "Namespace governance and every object in it", "left in the cluster", "deleted")
    assert "! keeps Namespace governance and every object in it in the cluster" in render_text([result])


# ---------------------------------------------------------------------------------- the policy pack agrees


def gke_plan(render_stack: RenderStack, tmp_path: Path, protect: bool, monkeypatch: pytest.MonkeyPatch) -> Plan:
    document = yaml.safe_load((PROJECT_DIR / "Pulumi.gke.yaml").read_text())
    document["config"][f"{PROJECT}:dns"] = {**(document["config"].get(f"{PROJECT}:dns") or {}), "protect": protect}
    stack_file = tmp_path / "Pulumi.gke.yaml"
    stack_file.write_text(yaml.safe_dump(document))
    plan = plan_document(render(stack_file))
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(read_stack_config(stack_file, read_project(PROJECT_DIR)).values))
    return plan


def test_an_unprotected_zone_passes_the_pack_where_the_stack_says_so(
    render_stack: RenderStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = gke_plan(render_stack, tmp_path, protect=False, monkeypatch=monkeypatch)
    [zone] = [r for r in plan["resources"] if r["type"] == "gcp:dns/managedZone:ManagedZone"]
    assert zone["protect"] is False
    assert [v for v in check_plan(plan) if v.policy == "zones-and-crds-protected"] == []
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({**json.loads(os.environ["PULUMI_CONFIG"]),
                                                    f"{PROJECT}:dns": json.dumps({"protect": True})}))
    assert [v.message for v in check_plan(plan) if v.policy == "zones-and-crds-protected"] == [
        "a Cloud DNS zone must be created with protect=True"]


# ---------------------------------------------------------------------------------- one name, one resource


def test_the_offline_engine_refuses_a_second_resource_of_one_urn() -> None:
    def program() -> None:
        for _ in range(2):
            pulumi.ComponentResource("traffic-edge:test:Twice", "same")

    with pytest.raises(pulumi.RunError, match="duplicate resource URN"):
        record(program, project=PROJECT, stack="test")
