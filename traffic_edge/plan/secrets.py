"""Which parts of the edge carry a secret: every part that reads a config key the stack stores as a secret.

The Pulumi CLI says only which top-level keys hold a secret (`pulumi config set --secret --path a.b.c` marks all
of `a`), so a part that reads any value of such a key takes all its inputs as secrets. Each part lists the keys it
reads; tests/test_secrets.py renders every key as a secret and finds none of its values in clear.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# Part of the edge (its child's role) → the top-level config keys its objects are built from.
_EVERYWHERE = frozenset({"domain"})
READS: Mapping[str, frozenset[str]] = {
    "platform": frozenset({"platform", "dns", "issuers", "externalDns", "controller", "cluster", "gateways"}),
    "namespaces": frozenset({"namespaces", "tenants", "gateways", "controller", "externalDns", "dns", "platform"}),
    "gateway-api": frozenset({"versions", "artifacts", "controller", "platform"}),
    "cert-manager": frozenset({"certManager", "versions", "artifacts", "issuers", "dns", "platform", "cluster"}),
    "controller": frozenset(
        {"controller", "versions", "artifacts", "routes", "gateways", "platform", "cluster", "tenants", "namespaces"}
    ),
    "issuers": frozenset({"issuers", "gateways", "tenants", "production", "dns", "platform", "cluster"}),
    "gateways": frozenset(
        {"gateways", "controller", "tenants", "namespaces", "issuers", "versions", "routes", "platform", "cluster"}
    ),
    "routes": frozenset({"routes", "gateways", "versions", "cluster"}),
    "external-dns": frozenset(
        {"externalDns", "dns", "routes", "versions", "artifacts", "platform", "cluster", "gateways"}
    ),
    "admission": frozenset({"tenants", "guardrails", "gateways", "cluster"}),
    "network-policies": frozenset(
        {"guardrails", "namespaces", "gateways", "controller", "externalDns", "dns", "platform", "cluster"}
    ),
    "kubernetes": frozenset({"cluster"}),
}
# Stack output → the keys it shows.
OUTPUTS: Mapping[str, frozenset[str]] = {
    "platform": frozenset({"platform"}),
    "domain": frozenset({"domain"}),
    "cluster": frozenset({"cluster"}),
    "gateways": frozenset({"gateways"}),
    "gatewayClass": frozenset({"controller", "gateways"}),
    "clusterIssuers": frozenset({"issuers", "production", "tenants"}),
    "dnsZone": frozenset({"dns", "domain", "platform"}),
}


def secret_parts(secret_keys: Iterable[str]) -> frozenset[str]:
    """The parts whose inputs must all be secrets; the TSIG key is a secret Output of its own and taints nothing."""
    keys = set(secret_keys) - {"tsigSecret"}
    return frozenset(part for part, reads in READS.items() if keys & (reads | _EVERYWHERE))


def secret_outputs(secret_keys: Iterable[str]) -> frozenset[str]:
    keys = set(secret_keys) - {"tsigSecret"}
    return frozenset(output for output, shows in OUTPUTS.items() if keys & (shows | _EVERYWHERE))
