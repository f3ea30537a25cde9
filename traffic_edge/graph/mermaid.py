"""Mermaid flowchart text of a graph, for GitHub (README, PR comments) to draw; marks become colours."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

from traffic_edge.graph.model import GROUPS, Graph, Marks, Node, NodeKind

# kind → the brackets of its Mermaid shape, around a quoted label.
SHAPES: Final[Mapping[NodeKind, tuple[str, str]]] = {
    "gateway": ('[["', '"]]'),
    "listener": ('["', '"]'),
    "route": ('("', '")'),
    "backend": ('(["', '"])'),
    "grant": ('>"', '"]'),
    "certificate": ('{{"', '"}}'),
    "secret": ('{{"', '"}}'),
    "issuer": ('[/"', '"/]'),
    "zone": ('[("', '")]'),
    "controller": ('["', '"]'),
    "identity": ('[\\"', '"\\]'),
    "workload": ('["', '"]'),
    "policy": ('["', '"]'),
}
ARROWS: Final = {"solid": "-->", "thick": "==>", "dotted": "-.->"}
# GitHub's palette: green added, red dashed removed, amber changed.
NODE_STYLES: Final = {
    "added": "fill:#dafbe1,stroke:#1a7f37,stroke-width:2px,color:#0f5323",
    "removed": "fill:#ffebe9,stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5,color:#82071e",
    "changed": "fill:#fff8c5,stroke:#9a6700,stroke-width:2px,color:#4d2d00",
}
EDGE_STYLES: Final = {
    "added": "stroke:#1a7f37,stroke-width:3px",
    "removed": "stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5",
    "changed": "stroke:#9a6700,stroke-width:3px",
}
# Characters Mermaid reads as syntax inside a quoted label, written as its entity codes.
ENTITIES: Final = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "`": "#96;"}


def node_ids(nodes: Iterable[Node]) -> dict[str, str]:
    """Key → a Mermaid id readable in the source (`Listener/gateway/edge/https` → `Listener_gateway_edge_https`)."""
    ids: dict[str, str] = {}
    for node in nodes:
        base = re.sub(r"[^A-Za-z0-9]+", "_", node.key).strip("_")
        ident, n = base, 1
        while ident in ids.values():
            n += 1
            ident = f"{base}_{n}"
        ids[node.key] = ident
    return ids


def text(value: str) -> str:
    return "".join(ENTITIES.get(char, char) for char in value)


def mermaid(graph: Graph, marks: Marks | None = None) -> str:
    """A `flowchart LR`: the traffic path left to right, DNS and admission in boxes beside it."""
    ids = node_ids(graph.nodes)
    lines = ["flowchart LR"]
    for group in ("", *GROUPS):
        members = [node for node in graph.nodes if node.group == group]
        indent = "  " if not group else "    "
        if group and members:
            lines.append(f'  subgraph {group} ["{text(GROUPS[group])}"]')
        for node in members:
            opening, closing = SHAPES[node.kind]
            lines.append(f"{indent}{ids[node.key]}{opening}{'<br/>'.join(text(line) for line in node.lines)}{closing}")
        if group and members:
            lines.append("  end")
    for edge in graph.edges:
        label = f'|"{text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {ids[edge.source]} {ARROWS[edge.style]}{label} {ids[edge.target]}")
    if marks is not None:
        lines += _marks(graph, marks, ids)
    return "\n".join(lines) + "\n"


def _marks(graph: Graph, marks: Marks, ids: dict[str, str]) -> list[str]:
    lines = []
    for mark, style in NODE_STYLES.items():
        marked = [ids[node.key] for node in graph.nodes if marks.nodes.get(node.key) == mark]
        if marked:
            lines += [f"  classDef {mark} {style}", f"  class {','.join(marked)} {mark}"]
    for mark, style in EDGE_STYLES.items():
        indexes = [str(i) for i, edge in enumerate(graph.edges) if marks.edges.get(edge.key) == mark]
        if indexes:
            lines.append(f"  linkStyle {','.join(indexes)} {style}")
    return lines
