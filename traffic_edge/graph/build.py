"""plan.json → the graph of its edge, a pure function: the picture shows what the plan declares and nothing else."""

from __future__ import annotations

from traffic_edge.graph.cloud import add_dns
from traffic_edge.graph.grants import REFERENCE_GRANT, grant_node
from traffic_edge.graph.guards import add_policies
from traffic_edge.graph.listeners import add_gateways
from traffic_edge.graph.model import Graph, GraphBuilder
from traffic_edge.graph.routes import add_routes
from traffic_edge.graph.source import Plan, PlanView
from traffic_edge.plan.objects import GATEWAY_GROUP


def graph_of(plan: Plan) -> Graph:
    view = PlanView(plan)
    builder = GraphBuilder()
    zone = add_dns(view, builder)
    add_gateways(view, builder, zone)
    add_routes(view, builder)
    for grant in view.of_kind(GATEWAY_GROUP, REFERENCE_GRANT):  # also those no drawn reference uses
        builder.node(grant_node(grant))
    add_policies(view, builder)
    return builder.graph()
