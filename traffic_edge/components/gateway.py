"""One Gateway: the Certificates behind its listeners, their ReferenceGrants, the Gateway, its redirects, and the
controller's objects for it (its parameters, the policies that target it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi

from traffic_edge.components.kube import kube_object, parameters_object
from traffic_edge.plan.gateways import GatewayPlan


@dataclass(frozen=True)
class EdgeGatewayArgs:
    plan: GatewayPlan
    crds: Sequence[pulumi.Resource]
    cert_manager: Sequence[pulumi.Resource]
    namespaces: Callable[..., list[pulumi.Resource]]  # namespace names → the Namespace resources managed here
    controller: Sequence[pulumi.Resource] = ()  # the controller release, which serves the parameters' CRD
    cloud: Sequence[pulumi.Resource] = ()  # what the platform made for it: the SSL policy its policy names


class EdgeGateway(pulumi.ComponentResource):
    def __init__(self, name: str, args: EdgeGatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:gateway:EdgeGateway", name, None, opts)
        plan = args.plan
        self.certificates = [
            kube_object(
                f"{name}-{certificate}",
                obj,
                pulumi.ResourceOptions(parent=self, depends_on=[*args.cert_manager, *args.namespaces(obj.namespace)]),
            )
            for certificate, obj in plan.certificates.items()
        ]
        for key, grant in plan.grants.items():
            kube_object(
                f"{name}-grant-{key}",
                grant,
                pulumi.ResourceOptions(parent=self, depends_on=[*args.crds, *args.namespaces(grant.namespace)]),
            )
        if plan.parameters is not None:
            parameters_object(
                f"{name}-parameters",
                plan.parameters,
                pulumi.ResourceOptions(
                    parent=self, depends_on=[*args.controller, *args.namespaces(plan.parameters.namespace)]
                ),
            )
        for policy in plan.policies:
            parameters_object(
                f"{name}-{policy.kind.lower()}",
                policy,
                pulumi.ResourceOptions(
                    parent=self, depends_on=[*args.controller, *args.cloud, *args.namespaces(policy.namespace)]
                ),
            )
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[*args.crds, *args.namespaces(plan.namespace)])
        self.gateway = kube_object(name, plan.gateway, after_crds)
        for listener, route in plan.redirects.items():
            kube_object(f"{name}-{listener}-redirect", route, after_crds)
        self.gateway_name = plan.name
        self.gateway_namespace = plan.namespace
        self.register_outputs({"gateway_name": self.gateway_name, "gateway_namespace": self.gateway_namespace})
