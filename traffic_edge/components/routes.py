"""All routes of the stack and the ReferenceGrants their cross-namespace backends need.

Children are named `<component>-<key>` with the plan's keys (`<namespace>.<route>`, grants
`grant-<to namespace>.<from namespace>`): stable when other routes come and go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi

from traffic_edge.components.kube import kube_object
from traffic_edge.plan.routes import RoutesPlan


@dataclass(frozen=True)
class RoutesArgs:
    plan: RoutesPlan
    crds: Sequence[pulumi.Resource]
    namespaces: Callable[..., list[pulumi.Resource]]  # namespace names → the Namespace resources managed here


class Routes(pulumi.ComponentResource):
    def __init__(self, name: str, args: RoutesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:routes:Routes", name, None, opts)
        for key, route in args.plan.routes.items():
            kube_object(
                f"{name}-{key}",
                route,
                pulumi.ResourceOptions(parent=self, depends_on=[*args.crds, *args.namespaces(route.namespace)]),
            )
        for key, grant in args.plan.grants.items():
            kube_object(
                f"{name}-grant-{key}",
                grant,
                pulumi.ResourceOptions(parent=self, depends_on=[*args.crds, *args.namespaces(grant.namespace)]),
            )
        self.count = len(args.plan.routes)
        self.register_outputs({"count": self.count})
