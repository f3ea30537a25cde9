"""Graphviz DOT text of a graph, and SVG through the `dot` program where it is installed."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from typing import Final

from traffic_edge.graph.mermaid import node_ids
from traffic_edge.graph.model import GROUPS, Graph, Marks, NodeKind

SHAPES: Final[Mapping[NodeKind, str]] = {
    "gateway": "box3d", "listener": "box", "route": "box", "backend": "ellipse", "grant": "cds",
    "certificate": "hexagon", "secret": "hexagon", "issuer": "parallelogram", "zone": "cylinder",
    "controller": "component", "identity": "house", "workload": "box", "policy": "note",
}
STYLES: Final = {"solid": "solid", "thick": "bold", "dotted": "dashed"}
COLOURS: Final = {"added": "#1a7f37", "removed": "#cf222e", "changed": "#9a6700"}
FILLS: Final = {"added": "#dafbe1", "removed": "#ffebe9", "changed": "#fff8c5"}


class GraphvizError(Exception):
    """`dot` is missing or failed: SVG cannot be drawn here, Mermaid still can."""


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: Graph, marks: Marks | None = None) -> str:
    marks = marks or Marks()
    ids = node_ids(graph.nodes)
    lines = [
        "digraph traffic_edge {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=10, style="rounded,filled", fillcolor="#ffffff"];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for group in ("", *GROUPS):
        members = [node for node in graph.nodes if node.group == group]
        if group and members:
            lines += [f"  subgraph cluster_{group} {{", f"    label={_quote(GROUPS[group])};"]
        for node in members:
            mark = marks.nodes.get(node.key)
            attributes = [f"label={_quote(chr(10).join(node.lines))}", f"shape={SHAPES[node.kind]}"]
            if mark:
                style = "rounded,filled,dashed" if mark == "removed" else "rounded,filled"
                attributes += [f"color={_quote(COLOURS[mark])}", f"fillcolor={_quote(FILLS[mark])}", f'style="{style}"']
            lines.append(f"    {ids[node.key]} [{', '.join(attributes)}];")
        if group and members:
            lines.append("  }")
    for edge in graph.edges:
        mark = marks.edges.get(edge.key)
        attributes = [f"label={_quote(edge.label)}", f"style={'dashed' if mark == 'removed' else STYLES[edge.style]}"]
        if mark:
            attributes.append(f"color={_quote(COLOURS[mark])}")
        lines.append(f"  {ids[edge.source]} -> {ids[edge.target]} [{', '.join(attributes)}];")
    return "\n".join([*lines, "}"]) + "\n"


def to_svg(dot_text: str) -> str:
    """Lay the graph out with Graphviz; raises GraphvizError where `dot` is not installed or fails."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizError("SVG needs Graphviz's `dot` on PATH (Debian/Ubuntu: apt-get install graphviz); "
                              "`--format mermaid` needs nothing")
    result = subprocess.run([program, "-Tsvg"], input=dot_text, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise GraphvizError(f"dot failed (exit {result.returncode}): {result.stderr.strip()}")
    return result.stdout
