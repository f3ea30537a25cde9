"""external-dns by Helm: publishes the hostnames of the routes in use, in the platform's zone.

Sources are exactly the route kinds that carry a hostname to publish; the image is the newest one that reads
those kinds at an apiVersion the installed CRDs serve (traffic_edge.data.versions.external_dns_image).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from traffic_edge.components.kube import deep_merge, helm_release, merged, secrets
from traffic_edge.data.versions import EXTERNAL_DNS_ANNOTATION_PREFIX, EXTERNAL_DNS_IMAGE_REPOSITORY, ImagePin
from traffic_edge.data.workloads import EXTERNAL_DNS, identity_values
from traffic_edge.plan.contracts import ExternalDnsProvider, WorkloadIdentity
from traffic_edge.plan.sources import ChartLocation

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
    chart: ChartLocation
    identity: WorkloadIdentity = field(default_factory=WorkloadIdentity)
    extra_values: Mapping[str, Any] = field(default_factory=dict)
    depends_on: Sequence[pulumi.Resource] = ()  # the namespace and the Gateway API CRDs


def external_dns_values(args: ExternalDnsArgs) -> dict[str, Any]:
    """Chart values: ours, the identity's, the provider's, then the escape hatch. `extraArgs` lists are
    concatenated."""
    provider = dict(args.provider.values)
    provider_args: Sequence[str] = provider.pop("extraArgs", [])
    values: dict[str, Any] = {
        "image": {"repository": EXTERNAL_DNS_IMAGE_REPOSITORY, "tag": args.image.tag},
        "serviceAccount": {"name": EXTERNAL_DNS.service_account},
        "sources": list(args.sources),
        "domainFilters": [args.zone],
        "policy": args.policy,
        "registry": "txt",
        "txtOwnerId": args.txt_owner_id,
        "txtPrefix": args.txt_prefix,
        "annotationPrefix": EXTERNAL_DNS_ANNOTATION_PREFIX,
    }
    identity = args.identity
    wiring = identity_values(
        EXTERNAL_DNS.identity_paths, identity.service_account_annotations, identity.pod_labels, identity.client_id
    )
    result = merged(values, *wiring, provider)
    result["extraArgs"] = [*provider_args, f"--txt-wildcard-replacement={TXT_WILDCARD_REPLACEMENT}"]
    return deep_merge(result, args.extra_values)


class ExternalDns(pulumi.ComponentResource):
    def __init__(self, name: str, args: ExternalDnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:external_dns:ExternalDns", name, None, opts)
        self.namespace = EXTERNAL_DNS.namespace
        provider_secrets = secrets(
            name,
            args.provider.secrets,
            self.namespace,
            pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.release = helm_release(
            name,
            "external-dns",
            args.chart,
            self.namespace,
            external_dns_values(args),
            pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, *provider_secrets, *args.identity.ready]),
        )
        self.sources = list(args.sources)
        self.register_outputs({"namespace": self.namespace, "sources": self.sources})
