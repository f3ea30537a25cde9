"""Building blocks of the ValidatingAdmissionPolicies (traffic_edge.plan.admission, traffic_edge.plan.guardrails):
CEL literals, resource rules, policies that fail closed, their bindings, and the platform's exemption.

A matchCondition never reads `namespaceObject`: the API server evaluates matchConditions without it
(k8s.io/apiserver v0.37.2 : pkg/admission/plugin/webhook/matchconditions/matcher.go L82-85 passes no namespace),
so a condition reading it errors and, failing closed, refuses every request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from traffic_edge.data.versions import EXTERNAL_DNS_ANNOTATION_PREFIXES
from traffic_edge.plan.objects import OBJECT_PREFIX

API_VERSION = "admissionregistration.k8s.io/v1"
WRITES = ["CREATE", "UPDATE"]
# The external-dns annotations that name records to publish, under every prefix an external-dns image reads.
DNS_NAME_ANNOTATIONS = tuple(
    f"{prefix}{key}" for prefix in EXTERNAL_DNS_ANNOTATION_PREFIXES for key in ("hostname", "internal-hostname")
)


def cel_string(value: str) -> str:
    """A CEL string literal (CEL accepts JSON's escapes in double-quoted strings)."""
    return json.dumps(value)


def cel_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(cel_string(value) for value in values) + "]"


def cel_map(values: Mapping[str, str | Sequence[str]]) -> str:
    """A CEL map literal of strings, or of lists of strings."""
    def literal(value: str | Sequence[str]) -> str:
        return cel_string(value) if isinstance(value, str) else cel_list(value)

    return "{" + ", ".join(f"{cel_string(key)}: {literal(value)}" for key, value in values.items()) + "}"


def resource_rule(group: str, resources: Sequence[str]) -> dict[str, Any]:
    return {"apiGroups": [group], "apiVersions": ["*"], "operations": WRITES, "resources": list(resources)}


def policy(
    name: str,
    rules: Sequence[dict[str, Any]],
    validations: Sequence[dict[str, str]],
    *,
    match_conditions: Sequence[dict[str, str]] = (),
    namespace_selector: dict[str, Any] | None = None,
    variables: Sequence[dict[str, str]] = (),
    param_kind: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A ValidatingAdmissionPolicy that fails closed: a CEL error refuses the request."""
    constraints: dict[str, Any] = {"resourceRules": list(rules)}
    if namespace_selector is not None:
        constraints["namespaceSelector"] = namespace_selector
    spec: dict[str, Any] = {"failurePolicy": "Fail", "matchConstraints": constraints}
    if param_kind is not None:
        spec["paramKind"] = param_kind
    if match_conditions:
        spec["matchConditions"] = list(match_conditions)
    if variables:
        spec["variables"] = list(variables)
    spec["validations"] = [{**validation, "reason": "Forbidden"} for validation in validations]
    return {"apiVersion": API_VERSION, "kind": "ValidatingAdmissionPolicy", "metadata": {"name": OBJECT_PREFIX + name},
            "spec": spec}


def binding(policy_manifest: dict[str, Any], name: str, param_ref: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"policyName": policy_manifest["metadata"]["name"], "validationActions": ["Deny"]}
    if param_ref is not None:
        spec["paramRef"] = param_ref
    return {"apiVersion": API_VERSION, "kind": "ValidatingAdmissionPolicyBinding", "metadata": {"name": name},
            "spec": spec}


def not_the_platform(users: Sequence[str], groups: Sequence[str]) -> dict[str, str]:
    """A matchCondition that skips the platform's own identities (guardrails.platformUsers, platformGroups)."""
    expression = (
        f"!(request.userInfo.username in {cel_list(users)}) && !(has(request.userInfo.groups) && "
        f"request.userInfo.groups.exists(g, g in {cel_list(groups)}))"
    )
    return {"name": "not-the-platform", "expression": expression}


def dns_name_validation(annotation: str, inside: Callable[[str], str]) -> str:
    """CEL: every name in one external-dns name annotation, trimmed and lowercased, passes `inside` (CEL of a
    hostname expression); an object without the annotation passes."""
    key = cel_string(annotation)
    names = f"object.metadata.annotations[{key}].split(',').all(h, {inside('h.trim().lowerAscii()')})"
    return f"!has(object.metadata.annotations) || !({key} in object.metadata.annotations) || {names}"
