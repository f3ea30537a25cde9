"""The pictures of a change (the offline-diff comment's), and Mermaid's own parse of every picture written.

Mermaid is parsed by Mermaid itself (tools/mermaid: `npm ci --prefix tools/mermaid`), and by a grammar of the
flowchart subset written here, which is the check where node is absent.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import RenderStack
from tests.test_graph import DEV_DOMAIN, STACKS, Pair, plan_of
from traffic_edge.cli import main
from traffic_edge.graph import compare, diff_picture, graph_of, mermaid
from traffic_edge.offline.diff import diff_stack
from traffic_edge.offline.diff import render as diff_render
from traffic_edge.offline.plan import plan_document
from traffic_edge.offline.render import PROJECT_DIR, render

MERMAID_TOOL = PROJECT_DIR / "tools" / "mermaid"


# --- changes marked on the picture ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_and_one_more_route(tmp_path_factory: pytest.TempPathFactory, render_stack: RenderStack) -> Pair:
    """The dev stack, and the dev stack with a route `docs` to a Service in a namespace of its own."""
    config = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    values = config["config"]
    values["traffic-edge:namespaces"]["docs"] = {}
    values["traffic-edge:routes"].append({
        "name": "docs", "namespace": "apps", "gateway": "edge", "hostnames": [f"docs.{DEV_DOMAIN}"],
        "rules": [{"backends": [{"service": "docs", "namespace": "docs", "port": 8080}]}],
    })
    stack_file = tmp_path_factory.mktemp("more") / "Pulumi.dev.yaml"
    stack_file.write_text(yaml.safe_dump(config))
    return plan_of(render_stack, "dev"), json.loads(json.dumps(plan_document(render(stack_file))))


ADDED_ROUTE = "HTTPRoute/apps/docs"
ADDED_BACKEND = "Service/docs/docs:8080"
ADDED_GRANT = "ReferenceGrant/docs/traffic-edge-from-apps"
ADDED_IDS = "HTTPRoute_apps_docs,Service_docs_docs_8080,ReferenceGrant_docs_traffic_edge_from_apps"


def test_adding_a_route_marks_exactly_the_route_its_backend_and_grant(dev_and_one_more_route: Pair) -> None:
    old, new = dev_and_one_more_route

    graph, marks = compare(graph_of(old), graph_of(new))

    assert marks.nodes == {ADDED_ROUTE: "added", ADDED_BACKEND: "added", ADDED_GRANT: "added"}
    assert marks.edges == {
        ("Listener/gateway/edge/https", ADDED_ROUTE, ""): "added",
        (ADDED_ROUTE, ADDED_BACKEND, ""): "added",
        (ADDED_GRANT, ADDED_BACKEND, "permits"): "added",
    }
    assert len(graph.nodes) == len(graph_of(new).nodes)


def test_removed_elements_are_drawn_from_the_old_plan(dev_and_one_more_route: Pair) -> None:
    new, old = dev_and_one_more_route  # the other way round: the route goes

    graph, marks = compare(graph_of(old), graph_of(new))
    text = mermaid(graph, marks)

    assert {key for key, mark in marks.nodes.items() if mark == "removed"} == {ADDED_ROUTE, ADDED_BACKEND, ADDED_GRANT}
    assert graph.node(ADDED_ROUTE).lines[1] == f"docs.{DEV_DOMAIN}"
    assert f"class {ADDED_IDS} removed" in text
    assert re.search(r"^  linkStyle \d+,\d+,\d+ stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5$", text, re.M)


def test_a_changed_weight_marks_the_route_changed_and_swaps_its_edges(render_stack: RenderStack) -> None:
    old = plan_of(render_stack, "dev")
    new = copy.deepcopy(old)
    [api] = [r for r in new["resources"] if r["inputs"].get("kind") == "HTTPRoute" and r["name"].endswith("apps.api")]
    api["inputs"]["spec"]["rules"][1]["backendRefs"][1]["weight"] = 20

    _, marks = compare(graph_of(old), graph_of(new))

    assert marks.nodes == {"HTTPRoute/apps/api": "changed"}
    canary = ("HTTPRoute/apps/api", "Service/apps/api-canary:8080")
    assert marks.edges == {
        (*canary, "x-canary: true · weight 10"): "removed", (*canary, "x-canary: true · weight 20"): "added"
    }


def test_the_diff_comment_holds_the_marked_picture_of_each_changed_stack(
    dev_and_one_more_route: Pair, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = dev_and_one_more_route
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "plan.json").write_text(json.dumps(old))
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "plan.json").write_text(json.dumps(new))

    code = main(["diff", str(tmp_path / "old"), str(tmp_path / "new"), "--format", "markdown"])
    out = capsys.readouterr().out

    assert code == 1
    summary = out.index("**dev: 3 to add")
    picture = out.index("<details><summary>Picture of the edge after this change (6 added;")
    assert summary < picture < out.index("| ➕ added |")
    assert "\n```mermaid\nflowchart LR\n" in out
    assert f"  class {ADDED_IDS} added\n" in out
    assert main(["diff", str(tmp_path / "old"), str(tmp_path / "old"), "--format", "markdown"]) == 0
    assert "<details>" not in capsys.readouterr().out  # an unchanged stack gets no picture


def test_pictures_go_first_when_the_comment_grows_too_long(
    dev_and_one_more_route: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = dev_and_one_more_route
    diffs = [diff_stack("dev", old, new), diff_stack("gke", None, new)]
    picture = diff_render.stack_pictures(diff_picture, {"dev": old}, {"dev": new, "gke": new})
    full = diff_render.render_markdown(diffs, picture)
    text_only = diff_render.render_markdown(diffs)
    monkeypatch.setattr(diff_render, "MARKDOWN_LIMIT", (len(full) + len(text_only)) // 2)

    cut = diff_render.render_markdown(diffs, picture)

    assert len(cut) <= diff_render.MARKDOWN_LIMIT
    assert cut.count("```mermaid") == 1
    assert cut.count(diff_render.PICTURE_LEFT_OUT) == 1
    assert "_Truncated" not in cut  # the text is whole: only a picture went
    assert cut.count("<details>") == cut.count("</details>")


# --- the Mermaid parses ----------------------------------------------------------------------------------------


def mermaid_texts(render_stack: RenderStack, more: Pair) -> dict[str, str]:
    texts = {stack: mermaid(graph_of(plan_of(render_stack, stack))) for stack in STACKS}
    graph, marks = compare(graph_of(more[0]), graph_of(more[1]))
    texts["dev with a route added"] = mermaid(graph, marks)
    graph, marks = compare(graph_of(more[1]), graph_of(more[0]))
    texts["dev with a route removed"] = mermaid(graph, marks)
    return texts


def test_mermaid_itself_parses_every_picture_into_the_same_graph(
    render_stack: RenderStack, dev_and_one_more_route: Pair
) -> None:
    node = shutil.which("node")
    if node is None or not (MERMAID_TOOL / "node_modules" / "mermaid").is_dir():
        pytest.skip("Mermaid's parser is not installed: node and `npm ci --prefix tools/mermaid` bring it")
    texts = mermaid_texts(render_stack, dev_and_one_more_route)
    texts["a broken one, to show errors are caught"] = "flowchart LR\n  a -->"

    result = subprocess.run([node, str(MERMAID_TOOL / "parse.mjs")], input=json.dumps(list(texts.values())),
                            capture_output=True, text=True, check=True, timeout=120)
    parsed = dict(zip(texts, json.loads(result.stdout), strict=True))

    assert not parsed.pop("a broken one, to show errors are caught")["ok"]
    for name, diagram in parsed.items():
        assert diagram["ok"], f"{name}: {diagram.get('error')}"
        assert diagram["type"] == "flowchart-v2"
        assert [(e["start"], e["end"], e["text"]) for e in diagram["edges"]] == written_edges(texts[name]), name
        assert {v["id"]: v["text"].split("<br>") for v in diagram["vertices"]} == written_nodes(texts[name]), name


def written_nodes(text: str) -> dict[str, list[str]]:
    """id → label lines, read back from the Mermaid written (entities decoded as Mermaid decodes them)."""
    found = {}
    for match in re.finditer(r'^\s+(\w+)(?:\[\[|\[\(|\(\[|\{\{|\[/|\[\\|\[|\(|>)"(.*)"', text, re.MULTILINE):
        label = match.group(2).replace("#quot;", '"').replace("#35;", "#").replace("#lt;", "<").replace("#gt;", ">")
        found[match.group(1)] = label.split("<br/>")
    return found


def written_edges(text: str) -> list[tuple[str, str, str]]:
    return [(m.group(1), m.group(4), m.group(3) or "")
            for m in re.finditer(r'^  (\w+) (-->|==>|-\.->)(?:\|"(.*)"\|)? (\w+)$', text, re.MULTILINE)]


# The statements written, one per line: the subset of flowchart syntax the grammar test accepts.
STATEMENT = re.compile(
    r'flowchart LR|  subgraph \w+ \["[^"]*"\]|  end'
    r'|\s+\w+(\[\["[^"]*"\]\]|\["[^"]*"\]|\("[^"]*"\)|\(\["[^"]*"\]\)|>"[^"]*"\]|\{\{"[^"]*"\}\}|\[/"[^"]*"/\]'
    r'|\[\("[^"]*"\)\]|\[\\"[^"]*"\\\])'
    r'|  \w+ (-->|==>|-\.->)(\|"[^"]*"\|)? \w+|  classDef (added|removed|changed) [\w:#,. -]+'
    r'|  class \w+(,\w+)* (added|removed|changed)|  linkStyle \d+(,\d+)* [\w:#,. -]+'
)


def test_every_line_written_is_in_the_flowchart_subset(
    render_stack: RenderStack, dev_and_one_more_route: Pair
) -> None:
    """Where node is absent this is the parse check: every statement a known form, every id defined once."""
    for name, text in mermaid_texts(render_stack, dev_and_one_more_route).items():
        lines = text.splitlines()
        assert [line for line in lines if not STATEMENT.fullmatch(line)] == [], name
        ids = list(written_nodes(text))
        assert len(ids) == len(set(ids)), name
        assert {end for edge in written_edges(text) for end in edge[:2]} <= set(ids), name
        for statement in (line for line in lines if line.startswith("  linkStyle")):
            assert max(int(i) for i in statement.split()[1].split(",")) < len(written_edges(text)), name


def test_two_stacks_compared_across_names_get_one_picture(
    render_stack: RenderStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for stack in ("dev", "gke"):
        (tmp_path / stack).mkdir()
        (tmp_path / stack / "plan.json").write_text(json.dumps(plan_of(render_stack, stack)))

    assert main(["diff", str(tmp_path / "dev"), str(tmp_path / "gke"), "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert "### dev → gke" in out
    assert out.count("```mermaid") == 1
    assert re.search(r"^  class [\w,]*\bZone_gke_example_com\b[\w,]* added$", out, re.M)  # new: drawn from gke
