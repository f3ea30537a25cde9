"""The zone covers the domain and lies below a public suffix; RFC 2136 is on-prem and needs its TSIG key.

Public suffixes come from the Public Suffix List as the `publicsuffixlist` package ships it (a copy of
https://publicsuffix.org/list/public_suffix_list.dat, versioned by its date, read offline): `com`, `co.uk` or
`github.io` hold other registrants' names, so no zone of this program can be one.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from publicsuffixlist import PublicSuffixList

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.queries import in_domain


@cache
def public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def check(config: StackConfig) -> Iterator[Issue]:
    zone = config.zone_name
    if public_suffixes().is_public(zone.removeprefix("*.")):
        yield Issue(
            "dns.zone" if config.dns.zone else "domain",
            f"{zone} is a public suffix (Public Suffix List): the names under it are other registrants'",
            f"use a name registered under it, e.g. example.{zone}",
        )
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
