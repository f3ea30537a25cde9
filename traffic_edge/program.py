"""The running stack as TrafficEdge args and outputs: the only module that reads program state."""

from __future__ import annotations

import os
from typing import Any

import pulumi

from traffic_edge.config import load_stack_config
from traffic_edge.config.load import secret_config_keys, stack_secrets
from traffic_edge.edge import TrafficEdge, TrafficEdgeArgs
from traffic_edge.plan import Deployment
from traffic_edge.plan.secrets import secret_outputs


def stack_args() -> TrafficEdgeArgs:
    """This stack's config (validated), its secrets and its project and stack names."""
    config = load_stack_config()
    deployment = Deployment(pulumi.get_project(), pulumi.get_stack())
    preflight = os.environ.get("TRAFFIC_EDGE_PREFLIGHT", "on") != "off"  # the offline preview turns it off
    return TrafficEdgeArgs(
        config, deployment, stack_secrets(config), preflight=preflight, secret_keys=secret_config_keys()
    )


def export_outputs(edge: TrafficEdge) -> None:
    """The stack outputs, as they have always been named; secret where they show a key stored as a secret."""
    outputs: dict[str, pulumi.Input[Any]] = {
        "platform": edge.config.platform.kind,
        "domain": edge.config.domain,
        "cluster": edge.cluster,
        "gatewayClass": edge.gateway_class,
        "gateways": edge.gateways,
        "clusterIssuers": edge.cluster_issuers,
        "dnsZone": edge.dns_zone,
    }
    secret = secret_outputs(secret_config_keys())
    for name, value in outputs.items():
        pulumi.export(name, pulumi.Output.secret(value) if name in secret else value)
