"""The e2e harness judges what it claims to judge: its pure parts, without a control plane or the Pulumi CLI.

The e2e tier itself (`python3 tasks.py e2e`) runs the real engine and API server; these tests keep its verdicts
honest: the overlay names the cluster and the artifacts, the step-list judges let nothing destructive through,
and the corpus comparisons count a difference as a difference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from e2e.__main__ import by_platform
from e2e.admission import admitted_namespace
from e2e.charts import RefdataError
from e2e.cloud_objects import CHART_CRDS, chart_crds
from e2e.differential import ANY_KIND, BY_KIND, Broken, Verdicts, corpus, exemplars
from e2e.gaps import KNOWN_GAPS
from e2e.lifecycle import _paths, backend_services, referenced_namespaces
from e2e.parity import CorpusFile, EngineConfig, case_failures, differences
from e2e.program import overlay
from e2e.steps import Step, destructive, unexpected_for_added_route
from e2e.upgrade import INTENDED
from traffic_edge.controllers import chart_pins
from traffic_edge.offline.stackfile import StackConfig

CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"


# ---------------------------------------------------------------------------------- which stacks run


def test_every_on_prem_stack_file_runs_whole_and_every_cloud_one_as_objects(tmp_path: Path) -> None:
    """A new example runs in CI without anyone listing it: on-prem through the engine, a cloud one's objects only."""
    for name, kind in (("lab", "onprem"), ("prod", "gke"), ("other", "onprem"), ("aws", "eks")):
        (tmp_path / f"Pulumi.{name}.yaml").write_text(f"config:\n  traffic-edge:platform:\n    kind: {kind}\n")
    (tmp_path / "Pulumi.empty.yaml").write_text("")
    on_prem, cloud = by_platform(sorted(tmp_path.glob("Pulumi.*.yaml")))
    assert [path.name for path in on_prem] == ["Pulumi.lab.yaml", "Pulumi.other.yaml"]
    assert [path.name for path in cloud] == ["Pulumi.aws.yaml", "Pulumi.prod.yaml"]


def test_a_cloud_stack_s_chart_crds_come_from_refdata_at_the_program_s_pins() -> None:
    """The cloud rows create each release's CRDs as its chart would: the table holds the program's own pins, and a
    chart refdata lacks fails the row by name."""
    pins = chart_pins()
    for name in ("cert-manager", "envoy-gateway", "external-dns"):
        assert (pins[name].chart.rsplit("/", 1)[-1], pins[name].version) in CHART_CRDS
    istiod = {"type": "kubernetes:helm.sh/v3:Release", "inputs": {"chart": "istiod", "version": "1.30.6"}}
    with pytest.raises(RefdataError, match=r"no CRDs of chart istiod 1\.30\.6"):
        chart_crds([istiod])


# ---------------------------------------------------------------------------------- the overlay


def test_the_overlay_names_the_control_plane_and_the_local_artifacts_and_nothing_else() -> None:
    layer = overlay("traffic-edge", Path("/run/kubeconfig"), Path("/run/charts"), Path("/run/bundle.yaml"))
    assert layer.remove == ("traffic-edge:cluster", "traffic-edge:artifacts")  # a user's own cluster or mirrors go
    assert layer.values == {
        "traffic-edge:cluster.kubeconfig": "/run/kubeconfig",
        "traffic-edge:artifacts.charts.path": "/run/charts",
        "traffic-edge:artifacts.gatewayApi.file": "/run/bundle.yaml",
    }


def test_an_added_route_is_set_key_by_key_as_pulumi_config_set_path_takes_it() -> None:
    route = {"name": "r", "rules": [{"backends": [{"service": "s", "port": 8080}]}], "tls": True}
    assert list(_paths(route)) == [("name", "r"), ("rules[0].backends[0].service", "s"),
                                   ("rules[0].backends[0].port", "8080"), ("tls", "true")]


# ---------------------------------------------------------------------------------- step lists


def step(op: str, type_: str, name: str, inputs: dict[str, Any] | None = None) -> Step:
    return Step(op, f"urn:pulumi:dev::traffic-edge::traffic-edge:index:TrafficEdge${type_}::{name}", type_,
                inputs or {})


def test_a_replaced_or_deleted_crd_namespace_or_route_fails_the_upgrade_even_when_listed_as_intended() -> None:
    steps = [step("same", CRD, "edge-gateway-api-bundle:gateways"), step("update", ROUTE, "edge-routes-apps.web"),
             step("delete", CRD, "gateway-api-bundle:gateways"),
             step("replace", "kubernetes:core/v1:Namespace", "edge-namespaces-apps"),
             step("delete-replaced", ROUTE, "edge-routes-apps.api")]
    found = destructive(steps, {"gateway-api-bundle": "an excuse a CRD never gets"})
    assert [line.split()[0] for line in found] == ["delete", "replace", "delete-replaced"]


def test_only_the_intended_deletions_pass_the_upgrade() -> None:
    provider = Step("delete", "urn:pulumi:dev::traffic-edge::pulumi:providers:kubernetes::default_4_34_2",
                    "pulumi:providers:kubernetes")
    stray = step("delete", "kubernetes:networking.k8s.io/v1:NetworkPolicy", "edge-network-policies-x")
    assert destructive([provider, stray], INTENDED) == [stray.line()]


def grant(namespace: str, admitted: str) -> dict[str, Any]:
    return {"kind": "ReferenceGrant", "metadata": {"namespace": namespace, "name": "traffic-edge-from-x"},
            "spec": {"from": [{"namespace": admitted}]}}


def test_adding_a_route_creates_exactly_it_and_its_grant() -> None:
    route = {"kind": "HTTPRoute", "metadata": {"namespace": "apps", "name": "e2e-added"}}
    created = [step("create", ROUTE, "r", route), step("create", "grant", "g", grant("e2e-backends", "apps")),
               step("same", CRD, "c")]
    assert unexpected_for_added_route(created, "apps", "e2e-added", "e2e-backends") == []
    assert unexpected_for_added_route(created[:1], "apps", "e2e-added", "e2e-backends") == [
        "not created: ReferenceGrant e2e-backends from apps"]
    renamed = [*created, step("update", ROUTE, "edge-routes-apps.web")]
    assert unexpected_for_added_route(renamed, "apps", "e2e-added", "e2e-backends")[0].startswith(
        "other step: update")


# ---------------------------------------------------------------------------------- config parity


def test_a_value_that_reaches_the_program_as_another_number_is_a_difference() -> None:
    engine = EngineConfig({"p:big": '{"n":12345678901234567000}', "p:html": '{"s":"\\u003c"}', "p:port": "443"},
                          {"p:tsig"})
    offline = StackConfig({"p:big": '{"n":12345678901234567168}', "p:html": '{"s":"<"}', "p:port": "443.0",
                           "p:tsig": "x"}, ["p:tsig"])
    assert differences(engine, offline) == [
        "p:big: engine '{\"n\":12345678901234567000}', offline '{\"n\":12345678901234567168}'",
        "p:port: engine '443', offline '443.0'",
        "p:tsig: the offline reader hands 'x', the engine nothing",
    ]


def test_a_refusal_counts_only_where_the_cli_reads_the_file_otherwise() -> None:
    refused = CorpusFile("octal", "  p:port: 0443\n", cli_reads={"p:port": "291"})
    assert case_failures(refused, EngineConfig({"p:port": "291"}), "refused") == []
    assert case_failures(refused, EngineConfig({"p:port": "0443"}), "refused") == [
        "octal: p:port: the CLI hands '0443', not '291' as the refusal says"]
    plain = CorpusFile("plain", "  p:port: 443\n")
    assert case_failures(plain, EngineConfig({"p:port": "443"}), "refused") == [
        "plain: refused (refused), though the CLI reads it as written"]
    both = CorpusFile("duplicate", "  p:a: 1\n  p:a: 2\n", cli_refuses="unmarshal errors")
    assert case_failures(both, "error: yaml: unmarshal errors:", "refused too") == []
    assert case_failures(both, "error: yaml: unmarshal errors:", StackConfig()) != []


# ---------------------------------------------------------------------------------- differential and admission


def test_the_corpus_breaks_each_kind_the_stack_renders_and_renames_it_away_from_the_live_object() -> None:
    gateway = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
               "metadata": {"name": "edge", "namespace": "gateway", "uid": "x"},
               "spec": {"gatewayClassName": "c", "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}}
    registrations = [{"type": "t", "inputs": gateway}, {"type": "t", "inputs": {"kind": "Secret", "data": "[secret]"}}]
    cases = list(corpus(exemplars(registrations)))
    assert {case.id.split("/")[0] for case in cases} == {"Gateway", "Secret"}  # a stand-in for the masked Secret
    assert len([c for c in cases if c.id.startswith("Gateway/")]) == len(ANY_KIND) + len(BY_KIND["Gateway"])
    assert {c.obj["metadata"].get("name") for c in cases if "capitals" not in c.id} == {"e2e-diff-edge", "e2e-diff-e2e"}
    assert all("uid" not in c.obj["metadata"] for c in cases)


def test_a_disagreement_is_a_bug_unless_listed_as_a_known_gap_with_its_reason() -> None:
    case = Broken("Gateway/port 0", {})
    assert not Verdicts(case, server=False, offline=True, detail="").agree
    assert Verdicts(case, server=False, offline=False, detail="").agree
    assert all(reason.strip() for reason in KNOWN_GAPS.values())
    assert "Gateway/port 0" not in KNOWN_GAPS


def test_a_hijack_comes_from_a_namespace_the_port_80_listener_admits() -> None:
    def gateway_with(allowed: dict[str, Any]) -> dict[str, Any]:
        listeners = [{"name": "http", "port": 80, "allowedRoutes": allowed}, {"name": "https", "port": 443}]
        return {"metadata": {"namespace": "gateway", "name": "edge"}, "spec": {"listeners": listeners}}

    by_name = {"namespaces": {"from": "Selector", "selector": {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["team-b", "team-a"]}]}}}
    assert admitted_namespace(gateway_with({}), "apps") == "gateway"  # Same, by default
    assert admitted_namespace(gateway_with({"namespaces": {"from": "All"}}), "apps") == "apps"
    assert admitted_namespace(gateway_with(by_name), "apps") == "team-a"


def test_the_users_namespaces_and_workloads_come_from_the_offline_plan() -> None:
    route = {"kind": "HTTPRoute", "metadata": {"namespace": "apps", "name": "api"},
             "spec": {"rules": [{"backendRefs": [{"name": "api", "port": 8080},
                                                 {"name": "gov", "namespace": "governance", "port": 80}]}]}}
    registrations = [{"type": ROUTE, "inputs": route},
                     {"type": "kubernetes:core/v1:Namespace", "inputs": {"metadata": {"name": "apps"}}},
                     {"type": "kubernetes:helm.sh/v3:Release", "inputs": {"namespace": "cert-manager"}}]
    assert referenced_namespaces(registrations) == ({"apps", "cert-manager"}, {"apps"})
    assert backend_services(registrations) == {("apps", "api", 8080), ("governance", "gov", 80)}
