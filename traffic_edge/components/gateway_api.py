"""Gateway API CRDs from the upstream release bundle, kept when the stack is destroyed."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from traffic_edge.data.versions import gateway_api_bundle_url


@dataclass(frozen=True)
class GatewayApiCrdsArgs:
    version: str  # a release tag, e.g. v1.6.1
    channel: str  # standard or experimental


class GatewayApiCrds(pulumi.ComponentResource):
    """Installs `<channel>-install.yaml` of one Gateway API release.

    Protected and retained on delete: deleting a CRD deletes every Gateway and route in the
    cluster, which no `pulumi destroy` of the edge should ever do.
    """

    def __init__(self, name: str, args: GatewayApiCrdsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:gateway_api:GatewayApiCrds", name, None, opts)
        self.bundle_url = gateway_api_bundle_url(args.version, args.channel)
        self.bundle = k8s.yaml.v2.ConfigFile(
            f"{name}-bundle",
            file=self.bundle_url,
            opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True),
        )
        self.register_outputs({"bundle_url": self.bundle_url})
