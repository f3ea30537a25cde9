"""The hostname guardrail: the domains it admits besides `domain` are whole domains, and only where it runs."""

from __future__ import annotations

from collections.abc import Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig


def check(config: StackConfig) -> Iterator[Issue]:
    guardrails = config.guardrails
    if guardrails.allowed_domains and not guardrails.hostnames_in_domain:
        yield Issue("guardrails.allowedDomains", "widens the hostname guardrail, and hostnamesInDomain turns it off",
                    "remove allowedDomains, or set hostnamesInDomain: true")
    for index, domain in enumerate(guardrails.allowed_domains):
        if domain.startswith("*."):
            yield Issue(f"guardrails.allowedDomains[{index}]", "a domain admits every name under it already",
                        f"write {domain.removeprefix('*.')}")
