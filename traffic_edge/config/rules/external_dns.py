"""external-dns can own every name it publishes: a zone apex needs a TXT prefix that stays inside the zone."""

from __future__ import annotations

from collections.abc import Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.queries import external_dns_runs, route_hostnames

RECORD_TYPE = "%{record_type}"


def apex_safe(prefix: str) -> bool:
    """kubernetes-sigs/external-dns @ v0.22.0 : docs/registry/txt.md: for apex domains the prefix must hold
    `%{record_type}` and end in `.`, else the TXT name (`<prefix>a-<zone>`) falls outside the zone and the
    apex record is created without its ownership record (registry/mapper/mapper.go `ToTXTName`)."""
    return RECORD_TYPE in prefix and prefix.endswith(".")


def check(config: StackConfig) -> Iterator[Issue]:
    prefix = config.external_dns.txt_prefix
    if not external_dns_runs(config) or apex_safe(prefix):
        return
    for index, route in enumerate(config.routes):
        for path, hostname in route_hostnames(route):
            if hostname == config.zone_name:
                yield Issue(
                    "externalDns.txtPrefix",
                    f"routes[{index}].{path} publishes the zone apex {hostname}, whose ownership record the prefix "
                    f"{prefix!r} would put outside the zone",
                    f"use a prefix with {RECORD_TYPE} and a trailing dot, e.g. edns-{RECORD_TYPE}.",
                )
