"""The running stack as TrafficEdge args and outputs: the only module that reads program state."""

from __future__ import annotations

import os

import pulumi

from traffic_edge.config import load_stack_config
from traffic_edge.config.load import stack_secrets
from traffic_edge.edge import TrafficEdge, TrafficEdgeArgs
from traffic_edge.plan import Deployment


def stack_args() -> TrafficEdgeArgs:
    """This stack's config (validated), its secrets and its project and stack names."""
    config = load_stack_config()
    deployment = Deployment(pulumi.get_project(), pulumi.get_stack())
    preflight = os.environ.get("TRAFFIC_EDGE_PREFLIGHT", "on") != "off"  # the offline preview turns it off
    return TrafficEdgeArgs(config, deployment, stack_secrets(config), preflight=preflight)


def export_outputs(edge: TrafficEdge) -> None:
    """The stack outputs, as they have always been named."""
    pulumi.export("platform", edge.config.platform.kind)
    pulumi.export("domain", edge.config.domain)
    pulumi.export("cluster", edge.cluster)
    pulumi.export("gatewayClass", edge.gateway_class)
    pulumi.export("gateways", edge.gateways)
    pulumi.export("clusterIssuers", edge.cluster_issuers)
    pulumi.export("dnsZone", edge.dns_zone)
