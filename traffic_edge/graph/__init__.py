"""A picture of the edge as traffic sees it, drawn from a plan: plan → graph (nodes, edges) → Mermaid or SVG.

Per Gateway its listeners with their TLS and the certificate and issuer behind it, the routes each listener takes,
their backends and the ReferenceGrants that let them cross namespaces; beside that the DNS zone, the cloud
identities that may change it, and the admission policies. Everything comes from the plan's Kubernetes objects
and cloud resources, so the picture can be compared between two plans (traffic_edge.graph.marks).
"""

from traffic_edge.graph.build import graph_of
from traffic_edge.graph.marks import compare
from traffic_edge.graph.mermaid import mermaid
from traffic_edge.graph.model import Edge, Graph, Marks, Node
from traffic_edge.graph.pictures import diff_picture

__all__ = ["Edge", "Graph", "Marks", "Node", "compare", "diff_picture", "graph_of", "mermaid"]
