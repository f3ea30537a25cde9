"""TrafficEdge as a Pulumi component package, so TypeScript, Go and YAML programs can use it.

`component/` is the plugin (`pulumi package add ./component`); its schema is inferred from the annotations
here by the Python SDK's component provider host. Inputs are plain JSON so that any language can pass them:
the same object a stack file holds under `traffic-edge:`, validated by the same model.
"""

from typing import Any, NotRequired, Optional, TypedDict

import pulumi

from traffic_edge import edge
from traffic_edge.plan import Deployment


class TrafficEdgeInputs(TypedDict):
    """What a program in any language passes."""

    config: dict[str, Any]
    """Every key a stack file holds under `traffic-edge:` (platform, domain, gateways, routes, ...), as one object."""
    project: str
    """Who deploys the edge, with `stack`: names its cloud identities and external-dns's TXT owner."""
    stack: str
    """Who deploys the edge, with `project`."""
    tsig_secret: NotRequired[pulumi.Input[str]]
    """The RFC 2136 TSIG key (base64), as a secret, where `config.dns.rfc2136` is set."""
    preflight: NotRequired[bool]
    """Read the cluster first and refuse what it contradicts (default true); false only where no cluster is near."""

class TrafficEdge(edge.TrafficEdge):
    """The whole edge: DNS zone and identities, Gateway API CRDs, cert-manager, external-dns, a Gateway controller,
    Gateways, routes and their guardrails, from one config object."""

    cluster: pulumi.Output[str]
    """Which cluster the edge was deployed to, in words."""
    gateways: pulumi.Output[dict[str, str]]
    """Gateway name → namespace."""
    gateway_class: pulumi.Output[str]
    """The controller's GatewayClass."""
    cluster_issuers: pulumi.Output[list[str]]
    """The cert-manager ClusterIssuers created."""
    dns_zone: pulumi.Output[Optional[dict[str, Any]]]  # noqa: UP045 - the schema analyzer reads Optional
    """The zone's name and name servers; absent where the edge writes no DNS."""

    def __init__(self, name: str, args: TrafficEdgeInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        secrets = {"tsigSecret": args["tsig_secret"]} if "tsig_secret" in args else {}
        deployment = Deployment(args["project"], args["stack"])
        inputs = edge.TrafficEdgeArgs(args["config"], deployment, secrets, preflight=args.get("preflight", True))
        super().__init__(name, inputs, opts)
