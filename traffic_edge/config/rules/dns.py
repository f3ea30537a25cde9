"""The zone covers the domain; RFC 2136 is on-prem and needs its TSIG key."""

from __future__ import annotations

from collections.abc import Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.queries import in_domain


def check(config: StackConfig) -> Iterator[Issue]:
    if not in_domain(config.domain, config.zone_name) or config.zone_name.startswith("*."):
        yield Issue(
            "dns.zone",
            f"zone {config.zone_name} does not cover the domain {config.domain}",
            f"use {config.domain} or a parent of it",
        )
    if config.dns.rfc2136 is not None:
        if config.platform.kind != "onprem":
            yield Issue("dns.rfc2136", f"RFC 2136 is for on-prem DNS, not {config.platform.kind}", "remove it")
        if config.tsig_secret is None:
            yield Issue(
                "tsigSecret", "is required with dns.rfc2136", "pulumi config set --secret tsigSecret <base64 TSIG key>"
            )
