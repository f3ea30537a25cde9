"""Egress rules: each one NetworkPolicy named by the user, with destinations the API server takes.

A rule restricts the pods it selects to DNS and its destinations; it never opens anything (NetworkPolicies add up,
and the destination's own ingress policies still apply: https://kubernetes.io/docs/concepts/services-networking/
network-policies/). An `except` must be a strict subset of a CIDR of its rule, as the API server's ipBlock
validation requires (kubernetes @ v1.37.2 : pkg/apis/networking/validation/validation.go `ValidateIPBlock`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.tenancy import EgressDestination, EgressRule


def check(config: StackConfig) -> Iterator[Issue]:
    for namespace, settings in config.namespaces.items():
        if settings.egress is None:
            continue
        at = f"namespaces.{namespace}.egress"
        if not settings.egress:
            yield Issue(at, "an empty list restricts nothing", "add a rule; one without `to` lets its pods reach DNS "
                        "alone, or remove `egress`")
        first: dict[str, int] = {}
        for index, rule in enumerate(settings.egress):
            if rule.name in first:
                yield Issue(f"{at}[{index}].name", f"{rule.name} names egress[{first[rule.name]}] too, and each rule "
                            "is a NetworkPolicy of that name", "give each rule its own name")
            first.setdefault(rule.name, index)
            yield from _rule(rule, f"{at}[{index}]")


def _rule(rule: EgressRule, at: str) -> Iterator[Issue]:
    if rule.to is None:
        if rule.ports:
            yield Issue(f"{at}.ports", "ports without destinations allow nothing: the rule lets its pods reach DNS "
                        "alone", "add `to` (cidrs, namespaces or pods), or remove `ports`")
        return
    if not rule.ports:
        yield Issue(f"{at}.ports", "the rule has destinations and no ports", "list the ports the pods may reach")
    if not (rule.to.cidrs or rule.to.namespaces or rule.to.pods):
        yield Issue(f"{at}.to", "names no destination", "give cidrs, namespaces or pods")
    yield from _exceptions(rule.to, f"{at}.to")


def _exceptions(to: EgressDestination, at: str) -> Iterator[Issue]:
    networks = [ipaddress.ip_network(cidr) for cidr in to.cidrs]
    for index, text in enumerate(to.except_):
        excepted = ipaddress.ip_network(text)
        inside = [network for network in networks
                  if network.version == excepted.version and excepted != network
                  and excepted.subnet_of(network)]  # type: ignore[arg-type]  # same version checked first
        if not inside:
            yield Issue(f"{at}.except[{index}]", f"{text} lies strictly inside none of the rule's cidrs",
                        "list only networks inside `cidrs`, each smaller than the CIDR it is cut from")
