"""Synthetic stacks for the benchmark (`python -m bench`), and the critical path of a plan.

The synthetic stack is the dev lab's shape scaled up: one on-prem Gateway, N HTTPRoutes spread over
ten team namespaces (every tenth with a backend in a shared namespace, so ReferenceGrants are made),
or over T tenants' namespaces with hostnames under each tenant's suffix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PROJECT = "traffic-edge"
DOMAIN = "bench.example.test"
TEAMS = 10


def synthetic_config(routes: int, tenants: int = 0) -> dict[str, Any]:
    """Stack config (keys without the project prefix) with `routes` routes, over `tenants` tenants if any."""
    if tenants:
        namespaces = [f"tenant-{index}" for index in range(tenants)]
        suffixes = [f"tenant-{index}.{DOMAIN}" for index in range(tenants)]
    else:
        namespaces = [f"team-{index}" for index in range(TEAMS)]
        suffixes = [DOMAIN] * TEAMS
    config: dict[str, Any] = {
        "platform": {"kind": "onprem"},
        "domain": DOMAIN,
        "issuers": {"internalCa": {}},
        "namespaces": {"shared": {}},
        "gateways": [
            {
                "name": "edge",
                "certificates": [{"name": "wildcard", "issuer": "internal-ca", "dnsNames": [f"*.{DOMAIN}"]}],
                "listeners": [
                    {"name": "http", "protocol": "HTTP", "port": 80},
                    {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": f"*.{DOMAIN}",
                     "certificate": "wildcard"},
                ],
            }
        ],
        "routes": [_route(index, namespaces, suffixes) for index in range(routes)],
    }
    if tenants:  # the certificate covers every tenant's names: a wildcard covers one label only
        config["gateways"][0]["certificates"][0]["dnsNames"] += [f"*.{suffix}" for suffix in suffixes]
        config["tenants"] = {
            namespace: {"namespaces": [namespace], "hostnameSuffix": suffix, "gateway": "edge"}
            for namespace, suffix in zip(namespaces, suffixes, strict=True)
        }
        config["guardrails"] = {"platformGroups": ["system:masters"]}
    else:
        config["namespaces"].update({namespace: {"gateways": ["edge"]} for namespace in namespaces})
    return config


def _route(index: int, namespaces: Sequence[str], suffixes: Sequence[str]) -> dict[str, Any]:
    slot = index % len(namespaces)
    backend: dict[str, Any] = {"service": f"svc-{index}", "port": 8080}
    if index % 10 == 0:
        backend["namespace"] = "shared"
    return {
        "name": f"route-{index}",
        "namespace": namespaces[slot],
        "gateway": "edge",
        "hostnames": [f"r{index}.{suffixes[slot]}"],
        "rules": [{"matches": [{"path": f"/v{index % 3}"}], "backends": [backend]}],
    }


def write_stack(directory: Path, name: str, config: Mapping[str, Any]) -> Path:
    """`Pulumi.<name>.yaml` with every key under the project's namespace."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": {f"{PROJECT}:{key}": value for key, value in config.items()}}))
    return path


def critical_path(resources: Sequence[Mapping[str, Any]]) -> list[str]:
    """The longest chain of resources that wait on each other, by `dependencies` (parents do not make
    Pulumi wait), first to last; its length is the number of registration rounds a deploy needs."""
    by_urn = {resource["urn"]: resource for resource in resources}

    @cache
    def longest(urn: str) -> tuple[str, ...]:
        waits_on = [longest(dependency) for dependency in by_urn[urn]["dependencies"] if dependency in by_urn]
        return (*_longest_of(waits_on), urn)

    return list(_longest_of([longest(urn) for urn in sorted(by_urn)]))


def _longest_of(chains: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """The first of the longest chains, so the answer is stable across runs."""
    best: tuple[str, ...] = ()
    for chain in chains:
        if len(chain) > len(best):
            best = chain
    return best
