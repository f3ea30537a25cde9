"""The NetworkPolicies (built in traffic_edge.plan.network_policies), each after its namespace."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi

from traffic_edge.components.kube import kube_object
from traffic_edge.plan.objects import KubeObject


@dataclass(frozen=True)
class NetworkPoliciesArgs:
    objects: Sequence[KubeObject]
    namespaces: Callable[..., list[pulumi.Resource]]  # namespace names → the Namespace resources managed here


class NetworkPolicies(pulumi.ComponentResource):
    """Children are named `<component>-<namespace>.<policy name>`."""

    def __init__(self, name: str, args: NetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:network_policies:NetworkPolicies", name, None, opts)
        for obj in args.objects:
            kube_object(
                f"{name}-{obj.namespace}.{obj.name}",
                obj,
                pulumi.ResourceOptions(parent=self, depends_on=args.namespaces(obj.namespace)),
            )
        self.count = len(args.objects)
        self.register_outputs({"count": self.count})
