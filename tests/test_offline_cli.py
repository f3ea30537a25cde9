"""`python -m traffic_edge preview`: the tree, plan.json and manifests it writes, and how it refuses bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RenderStack, write_stack
from traffic_edge.cli import main
from traffic_edge.offline.plan import manifests, plan_document
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.offline.stackfile import StackFileError, read_project, read_stack_config
from traffic_edge.offline.tree import render_tree

DEV = PROJECT_DIR / "Pulumi.dev.yaml"
RESOURCE_KEYS = {
    "urn", "type", "name", "parent", "custom", "inputs", "dependencies", "provider", "protect", "retainOnDelete",
    "aliases",
}


def preview(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["preview", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def warnings_then_tree(out: str) -> tuple[list[str], str]:
    """The warnings the preview prints before the tree, and the rest of its output."""
    lines = out.splitlines(keepends=True)
    warnings = [line.rstrip("\n") for line in lines if line.startswith("warning: ")]
    return warnings, "".join(lines[len(warnings):])


def read_plan(out: Path) -> Any:
    return json.loads((out / "plan.json").read_text())


def test_preview_prints_the_tree_and_writes_plan_and_manifests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], render_stack: RenderStack
) -> None:
    expected = render_stack(DEV)
    code, out, err = preview(capsys, "--stack", "dev", "--out", str(tmp_path))
    assert (code, err) == (0, "")
    components = sum(1 for r in expected.resources.values() if not r.custom)
    total = len(expected.resources)
    count = len(manifests(expected))
    warnings = [f"warning: {warning}" for warning in expected.warnings]
    assert warnings_then_tree(out)[0] == warnings == [
        "warning: edge: preflight not run: Kubernetes ≥1.30 and the Gateway API CRDs on the cluster were not checked"
    ]
    assert out == "".join(f"{line}\n" for line in warnings) + (
        f"{render_tree(expected)}\n\nplan: {tmp_path / 'plan.json'}\nmanifests: {count} in {tmp_path / 'manifests'}\n"
    )
    assert f"\n{total} resources: {components} components, {total - components} custom resources\n" in out
    assert "\n└─ edge (traffic-edge:index:TrafficEdge)\n" in out
    assert "├─ edge-gateway-api (traffic-edge:gateway_api:GatewayApiCrds)" in out
    assert sorted(path.name for path in (tmp_path / "manifests").iterdir()) == sorted(manifests(expected))
    assert read_plan(tmp_path) == json.loads(json.dumps(plan_document(expected)))


def test_plan_json_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert preview(capsys, "--stack", "dev", "--out", str(tmp_path))[0] == 0
    plan = read_plan(tmp_path)
    assert set(plan) == {"project", "stack", "outputs", "resources"}
    assert (plan["project"], plan["stack"]) == ("traffic-edge", "dev")
    urns = [resource["urn"] for resource in plan["resources"]]
    assert urns == sorted(urns)
    assert len(set(urns)) == len(urns)
    assert all(set(resource) == RESOURCE_KEYS for resource in plan["resources"])
    assert all(urn.startswith("urn:pulumi:dev::traffic-edge::") for urn in urns)
    assert (tmp_path / "manifests" / "gateway_gateway_edge.yaml").is_file()


def test_config_file_names_the_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack_file = tmp_path / "Pulumi.lab.yaml"
    shutil.copy(DEV, stack_file)
    code, out, _ = preview(capsys, "--config", str(stack_file), "--out", str(tmp_path / "out"))
    assert code == 0
    assert warnings_then_tree(out)[1].startswith("traffic-edge-lab (pulumi:pulumi:Stack)\n")
    plan = read_plan(tmp_path / "out")
    assert plan["stack"] == "lab"
    assert all(resource["urn"].startswith("urn:pulumi:lab::traffic-edge::") for resource in plan["resources"])


def test_invalid_stack_exits_2_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    https = {"name": "https", "protocol": "HTTPS", "port": 443}
    gateways = [{"name": "edge", "listeners": [https]}]
    config = {"platform": {"kind": "onprem"}, "domain": "example.test", "gateways": gateways}
    stack_file = write_stack(tmp_path, config)
    code, out, err = preview(capsys, "--config", str(stack_file), "--out", str(tmp_path / "out"))
    assert (code, out) == (2, "")
    assert err == (
        "error: Pulumi.lab.yaml is not valid:\n1 config error under `traffic-edge:`:\n"
        "  - gateways[0].listeners[0].certificate: a HTTPS listener that terminates TLS needs a certificate "
        "(fix: name one of gateways[0].certificates)\n"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("Pulumi.gone.yaml", None, "Pulumi.gone.yaml: No such file or directory"),
        ("lab.yaml", "config: {}\n", "lab.yaml: a stack file is named Pulumi.<stack>.yaml"),
        ("Pulumi.lab.yaml", "config: [unclosed\n", "Pulumi.lab.yaml: not valid YAML"),
        ("Pulumi.lab.yaml", "- a list\n", "Pulumi.lab.yaml: expected a mapping at the top level"),
        ("Pulumi.lab.yaml", "config: [1, 2]\n", "Pulumi.lab.yaml: `config` must be a mapping"),
        ("Pulumi.lab.yaml", "config: {1: 2}\n", "Pulumi.lab.yaml: config key 1 must be a name like `<project>:<key>`"),
    ],
    ids=["missing", "misnamed", "not-yaml", "not-a-mapping", "config-not-a-mapping", "key-not-a-name"],
)
def test_unreadable_stack_file_exits_2_without_traceback(
    name: str, content: str | None, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_file = tmp_path / name
    if content is not None:
        stack_file.write_text(content)
    code, out, err = preview(capsys, "--config", str(stack_file), "--out", str(tmp_path / "out"))
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {tmp_path}/{message}")
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_an_out_path_that_is_a_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "taken").write_text("")
    code, out, err = preview(capsys, "--stack", "dev", "--out", str(tmp_path / "taken"))
    assert (code, out) == (2, "")
    assert err == f"error: cannot write --out {tmp_path / 'taken'}: File exists: {tmp_path / 'taken'}\n"


def test_timestamps_reach_the_program_as_written_or_are_refused(tmp_path: Path) -> None:
    """The Pulumi CLI passes an unquoted date on reformatted, so one is refused with its key; quoted, it reaches the
    program as written."""
    stack_file = tmp_path / "Pulumi.lab.yaml"
    stack_file.write_text("config:\n  traffic-edge:on: 2024-01-31\n")
    with pytest.raises(StackFileError, match=r"config\.traffic-edge:on: `2024-01-31` is a date to Pulumi"):
        read_stack_config(stack_file, read_project(PROJECT_DIR), environ={})
    stack_file.write_text(
        "config:\n  traffic-edge:on: '2024-01-31'\n  traffic-edge:at: '2001-12-14t21:59:43.10-05:00'\n"
    )
    values = read_stack_config(stack_file, read_project(PROJECT_DIR), environ={}).values
    expected = {"traffic-edge:on": "2024-01-31", "traffic-edge:at": "2001-12-14t21:59:43.10-05:00"}
    assert {key: values[key] for key in expected} == expected


def test_the_module_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The real `python -m traffic_edge` in a fresh interpreter writes the same plan as an in-process run."""
    done = subprocess.run(
        [sys.executable, "-m", "traffic_edge", "preview", "--stack", "dev", "--out", str(tmp_path / "cli")],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120, check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert warnings_then_tree(done.stdout)[1].startswith("traffic-edge-dev (pulumi:pulumi:Stack)\n")
    assert preview(capsys, "--stack", "dev", "--out", str(tmp_path / "in-process"))[0] == 0
    assert (tmp_path / "cli" / "plan.json").read_bytes() == (tmp_path / "in-process" / "plan.json").read_bytes()
