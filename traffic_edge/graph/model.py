"""The edge as nodes and edges with keys that stay the same across plans, so two pictures can be compared."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

# What a node stands for; each kind has its own shape in every renderer.
NodeKind = Literal[
    "gateway", "listener", "route", "backend", "grant", "certificate", "secret", "issuer",
    "zone", "controller", "identity", "workload", "policy",
]
Style = Literal["solid", "thick", "dotted"]  # thick: where traffic flows; dotted: a permission, guard or refusal
Mark = Literal["added", "removed", "changed"]
EdgeKey = tuple[str, str, str]


@dataclass(frozen=True)
class Node:
    key: str  # `<Kind>/<namespace>/<name>` and the like: the same object keeps it from plan to plan
    kind: NodeKind
    lines: tuple[str, ...]  # the label; the first line names the object
    fingerprint: str = ""  # the plan content drawn here; when it differs between two plans the node changed
    group: str = ""  # "" for the traffic path, else the box it is drawn in (see GROUPS)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    style: Style = "solid"

    @property
    def key(self) -> EdgeKey:
        return (self.source, self.target, self.label)


# Boxes beside the traffic path, with their titles.
GROUPS: Final = {"dns": "DNS zone and identities", "admission": "Admission policies"}


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def node(self, key: str) -> Node:
        return next(node for node in self.nodes if node.key == key)

    def edges_from(self, key: str) -> list[Edge]:
        return [edge for edge in self.edges if edge.source == key]

    def edges_to(self, key: str) -> list[Edge]:
        return [edge for edge in self.edges if edge.target == key]


@dataclass(frozen=True)
class Marks:
    """What a change did to each element of a picture; elements not named are unchanged."""

    nodes: Mapping[str, Mark] = field(default_factory=dict)
    edges: Mapping[EdgeKey, Mark] = field(default_factory=dict)


def fingerprint(*parts: Any) -> str:
    return json.dumps(parts, sort_keys=True, separators=(",", ":"))


class GraphBuilder:
    """Collects nodes and edges once each, in the order they are first met, so output is stable."""

    def __init__(self) -> None:
        self._nodes: dict[str, Node] = {}
        self._edges: dict[EdgeKey, Edge] = {}

    def node(self, node: Node) -> str:
        self._nodes.setdefault(node.key, node)
        return node.key

    def has(self, key: str) -> bool:
        return key in self._nodes

    def edge(self, source: str, target: str, label: str = "", style: Style = "solid") -> None:
        edge = Edge(source, target, label, style)
        self._edges.setdefault(edge.key, edge)

    def graph(self) -> Graph:
        dangling = [edge.key for edge in self._edges.values() if not {edge.source, edge.target} <= self._nodes.keys()]
        if dangling:
            raise ValueError(f"edges to nodes never added: {dangling}")
        return Graph(tuple(self._nodes.values()), tuple(self._edges.values()))


def object_key(kind: str, namespace: str, name: str) -> str:
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def listener_key(gateway_namespace: str, gateway: str, listener: str) -> str:
    return f"Listener/{gateway_namespace}/{gateway}/{listener}"


def backend_key(kind: str, namespace: str, name: str, port: Any) -> str:
    return f"{kind}/{namespace}/{name}" + (f":{port}" if port is not None else "")
