"""Two plans' pictures as one: the new picture, what was removed drawn back from the old, every change marked."""

from __future__ import annotations

from traffic_edge.graph.model import EdgeKey, Graph, Mark, Marks

EMPTY = Graph((), ())


def compare(old: Graph | None, new: Graph | None) -> tuple[Graph, Marks]:
    """A node is changed when the plan content it draws differs; an edge when its style does (else it is new)."""
    old, new = old or EMPTY, new or EMPTY
    old_nodes = {node.key: node for node in old.nodes}
    new_keys = {node.key for node in new.nodes}
    node_marks: dict[str, Mark] = {}
    for node in new.nodes:
        before = old_nodes.get(node.key)
        if before is None:
            node_marks[node.key] = "added"
        elif (before.fingerprint, before.lines) != (node.fingerprint, node.lines):
            node_marks[node.key] = "changed"
    removed_nodes = tuple(node for node in old.nodes if node.key not in new_keys)
    node_marks.update((node.key, "removed") for node in removed_nodes)
    old_edges = {edge.key: edge for edge in old.edges}
    new_edge_keys = {edge.key for edge in new.edges}
    edge_marks: dict[EdgeKey, Mark] = {}
    for edge in new.edges:
        before_edge = old_edges.get(edge.key)
        if before_edge is None:
            edge_marks[edge.key] = "added"
        elif before_edge.style != edge.style:
            edge_marks[edge.key] = "changed"
    removed_edges = tuple(edge for edge in old.edges if edge.key not in new_edge_keys)
    edge_marks.update((edge.key, "removed") for edge in removed_edges)
    merged = Graph(new.nodes + removed_nodes, new.edges + removed_edges)
    return merged, Marks(node_marks, edge_marks)
