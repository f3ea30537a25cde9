"""Admission policies beside the edge: what each refuses, and the Gateways a binding takes as its parameters."""

from __future__ import annotations

from traffic_edge.graph.model import GraphBuilder, Node, fingerprint, object_key
from traffic_edge.graph.source import PlanView

ADMISSION_GROUP = "admissionregistration.k8s.io"


def add_policies(view: PlanView, builder: GraphBuilder) -> None:
    bindings = view.of_kind(ADMISSION_GROUP, "ValidatingAdmissionPolicyBinding")
    for policy in view.of_kind(ADMISSION_GROUP, "ValidatingAdmissionPolicy"):
        own = [binding for binding in bindings if binding.spec.get("policyName") == policy.name]
        rules = (policy.spec.get("matchConstraints") or {}).get("resourceRules") or []
        resources = sorted({str(resource) for rule in rules for resource in rule.get("resources") or []})
        actions = sorted({str(action) for binding in own for action in binding.spec.get("validationActions") or []})
        param_kind = (policy.spec.get("paramKind") or {}).get("kind")
        lines = [
            f"ValidatingAdmissionPolicy {policy.name}",
            f"checks {', '.join(resources) or 'nothing'}",
            f"{'/'.join(actions) or 'unbound'}" + (f" · once per {param_kind}" if param_kind else " · cluster-wide"),
        ]
        key = builder.node(Node(
            object_key("ValidatingAdmissionPolicy", "", policy.name),
            "policy",
            tuple(lines),
            fingerprint(policy.spec, [binding.spec for binding in own]),
            group="admission",
        ))
        for binding in own:
            param = binding.spec.get("paramRef") or {}
            target = object_key(str(param_kind), str(param.get("namespace", "")), str(param.get("name", "")))
            if param and builder.has(target):
                builder.edge(key, target, "guards", "dotted")
