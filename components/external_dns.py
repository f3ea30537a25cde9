"""external-dns by Helm: publishes the hostnames of the routes in use, in the platform's zone.

Sources are exactly the route kinds that carry a hostname to publish; the image is the newest one that reads
those kinds at an apiVersion the installed CRDs serve (catalog.versions.external_dns_image).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from catalog.versions import CHARTS, EXTERNAL_DNS_IMAGE_REPOSITORY, ImagePin
from catalog.workloads import WORKLOADS
from components.kube import deep_merge, helm_release, secrets
from providers.base import ExternalDnsProvider, WorkloadIdentity
from stackconfig.compat import published_route_kinds
from stackconfig.model import StackConfig

WORKLOAD = WORKLOADS["external-dns"]

# external-dns --source name of each route kind (docs/sources/gateway-api.md).
ROUTE_SOURCES = {
    "HTTPRoute": "gateway-httproute",
    "GRPCRoute": "gateway-grpcroute",
    "TLSRoute": "gateway-tlsroute",
    "TCPRoute": "gateway-tcproute",
    "UDPRoute": "gateway-udproute",
}
# Wildcard names cannot carry the TXT prefix on every provider (e.g. Azure DNS); the `*` label is spelt this way
# in ownership records instead.
TXT_WILDCARD_REPLACEMENT = "wildcard"


@dataclass(frozen=True)
class ExternalDnsArgs:
    provider: ExternalDnsProvider
    zone: str
    sources: Sequence[str]
    image: ImagePin
    policy: str
    txt_owner_id: str
    txt_prefix: str
    version: str  # chart version
    identity: WorkloadIdentity = field(default_factory=WorkloadIdentity)
    extra_values: Mapping[str, Any] = field(default_factory=dict)
    depends_on: Sequence[pulumi.Resource] = ()  # the namespace and the Gateway API CRDs


def external_dns_sources(config: StackConfig) -> list[str]:
    """The --source list: one per published route kind, then the extra sources asked for, in a stable order."""
    kinds = published_route_kinds(config)
    return [ROUTE_SOURCES[kind] for kind in ROUTE_SOURCES if kind in kinds] + sorted(set(config.external_dns.sources))


def txt_owner_id(config: StackConfig, project: str, stack: str) -> str:
    """Unique per cluster: two stacks writing one zone must never take over each other's records."""
    return config.external_dns.txt_owner_id or f"{project}-{stack}"


def external_dns_values(args: ExternalDnsArgs) -> dict[str, Any]:
    """Chart values: ours, the provider's, then the escape hatch. `extraArgs` lists are concatenated."""
    provider = dict(args.provider.values)
    provider_args: Sequence[str] = provider.pop("extraArgs", [])
    values: dict[str, Any] = {
        "image": {"repository": EXTERNAL_DNS_IMAGE_REPOSITORY, "tag": args.image.tag},
        "serviceAccount": {"name": WORKLOAD.service_account},
        "sources": list(args.sources),
        "domainFilters": [args.zone],
        "policy": args.policy,
        "registry": "txt",
        "txtOwnerId": args.txt_owner_id,
        "txtPrefix": args.txt_prefix,
    }
    if args.identity.service_account_annotations:
        values["serviceAccount"]["annotations"] = dict(args.identity.service_account_annotations)
    if args.identity.pod_labels:
        values["podLabels"] = dict(args.identity.pod_labels)
    merged = deep_merge(values, provider)
    merged["extraArgs"] = [*provider_args, f"--txt-wildcard-replacement={TXT_WILDCARD_REPLACEMENT}"]
    return deep_merge(merged, args.extra_values)


class ExternalDns(pulumi.ComponentResource):
    def __init__(self, name: str, args: ExternalDnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:external_dns:ExternalDns", name, None, opts)
        self.namespace = WORKLOAD.namespace
        provider_secrets = secrets(
            name,
            args.provider.secrets,
            self.namespace,
            pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.release = helm_release(
            name,
            CHARTS["external-dns"],
            args.version,
            self.namespace,
            external_dns_values(args),
            pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, *provider_secrets, *args.identity.ready]),
        )
        self.sources = list(args.sources)
        self.register_outputs({"namespace": self.namespace, "sources": self.sources})
