"""The admission policies and their bindings (built in traffic_edge.plan.admission), each binding after its policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from traffic_edge.components.kube import kube_object
from traffic_edge.plan.objects import KubeObject


@dataclass(frozen=True)
class AdmissionPoliciesArgs:
    objects: Sequence[KubeObject]  # every policy followed by its bindings
    crds: Sequence[pulumi.Resource]  # Gateway API CRDs: a policy whose params are Gateways waits for them


class AdmissionPolicies(pulumi.ComponentResource):
    """Children are named `<component>-<object name>`."""

    def __init__(self, name: str, args: AdmissionPoliciesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:admission:AdmissionPolicies", name, None, opts)
        policies: dict[str, pulumi.Resource] = {}
        for obj in args.objects:
            after = policies.get(obj.spec.get("policyName", ""))
            policy_crds = list(args.crds) if "paramKind" in obj.spec else []
            created = kube_object(
                f"{name}-{obj.name}",
                obj,
                pulumi.ResourceOptions(parent=self, depends_on=[*policy_crds, *([after] if after else [])]),
            )
            if obj.kind == "ValidatingAdmissionPolicy":
                policies[obj.name] = created
        self.policy_names = sorted(policies)
        self.register_outputs({"policy_names": self.policy_names})
