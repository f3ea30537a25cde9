"""Run the pack's policies on an offline preview (plan.json of `python -m offline preview`), without the engine.

Each plan resource becomes the real `pulumi_policy` argument objects the analyzer would build from it
(type, URN, name, properties behind the SDK's unknown-checking proxy, protect), so the policies run here
exactly as under `pulumi preview --policy-pack policy`: reading a value not known until deploy raises,
and is reported as the analyzer reports it, advisory. The stack's config reaches the policies the same
way too: through PULUMI_CONFIG.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from traffic_edge.offline.engine import UNKNOWN
from traffic_edge.policy.rules import POLICIES

Resource = Mapping[str, Any]  # one entry of plan.json `resources`


@dataclass(frozen=True, order=True)
class Violation:
    policy: str
    urn: str
    message: str
    advisory: bool = False  # the policy could not run: it read a value not known until deploy


def engine_value(value: Any) -> Any:
    """A plan value as the analyzer receives it: the offline engine's unknowns become the SDK's sentinel."""
    if value == UNKNOWN:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {key: engine_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [engine_value(item) for item in value]
    return value


def properties(resource: Resource) -> Mapping[str, Any]:
    proxied: Mapping[str, Any] = unknown_checking_proxy(engine_value(resource.get("inputs") or {}))
    return proxied


def options(resource: Resource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=bool(resource.get("protect")),
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.get("parent"),
    )


def resource_args(resource: Resource, config: Mapping[str, Any]) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        resource["type"], properties(resource), resource["urn"], resource["name"], options(resource), None, dict(config)
    )


def stack_args(plan: Mapping[str, Any], config: Mapping[str, Any]) -> StackValidationArgs:
    resources = [
        PolicyResource(r["type"], properties(r), r["urn"], r["name"], options(r), None, None, [], {})
        for r in plan["resources"]
    ]
    return StackValidationArgs(resources, dict(config))


def check_plan(
    plan: Mapping[str, Any], policy_config: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Violation]:
    """Every violation of every policy; `policy_config` is what `--policy-pack-config` would hold, by policy name."""
    found: list[Violation] = []
    for policy in POLICIES:
        config = (policy_config or {}).get(policy.name, {})
        runs: list[tuple[str, Any]] = (
            [(r["urn"], resource_args(r, config)) for r in plan["resources"]]
            if isinstance(policy, ResourceValidationPolicy) else [("", stack_args(plan, config))]
        )
        for urn, args in runs:

            def report(message: str, at: str | None = None, name: str = policy.name, default: str = urn) -> None:
                found.append(Violation(name, at or default, message))

            try:
                policy.validate(args, report)
            except UnknownValueError as error:
                found.append(Violation(policy.name, urn, f"can't run during preview: {error.message}", advisory=True))
    return sorted(found)
