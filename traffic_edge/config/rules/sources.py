"""The cluster is named where a wrong context would be costly; artifact sources name charts and bundles that exist."""

from __future__ import annotations

from collections.abc import Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.queries import controller, crds_owner
from traffic_edge.controllers import chart_pins
from traffic_edge.data.versions import GATEWAY_API_BUNDLE_SHA256


def check(config: StackConfig) -> Iterator[Issue]:
    cluster = config.cluster
    named = bool(cluster.kubeconfig or cluster.context or cluster.stack or cluster.ambient)
    if config.platform.kind != "onprem" and not named:
        yield Issue(
            "cluster",
            f"a {config.platform.kind} stack must name its cluster, or the current kube context decides where the "
            "edge goes",
            "set cluster.context (and cluster.kubeconfig), cluster.stack, or cluster.ambient: true",
        )
    known = chart_pins()
    for name in sorted(set(config.artifacts.chart) - set(known)):
        yield Issue(f"artifacts.chart.{name}", "is not a chart this program installs",
                    f"use one of {', '.join(sorted(known))}")
    versions = config.versions
    owner = crds_owner(config)
    if config.artifacts.gateway_api is not None and owner == "platform":
        yield Issue("artifacts.gatewayApi", "this stack leaves the Gateway API CRDs to the platform", "remove it")
    if owner != "platform" and controller(config).platform_manages_crds:
        yield Issue("versions.gatewayApiCrds", f"{controller(config).name} runs on {config.platform.kind}'s own "
                    "Gateway API CRDs, which the platform reconciles", "use platform")
    if (versions.gateway_api, versions.gateway_api_channel) not in GATEWAY_API_BUNDLE_SHA256:
        yield Issue(
            "versions.gatewayApi",
            f"no digest is pinned for the {versions.gateway_api} {versions.gateway_api_channel} bundle, so it cannot "
            "be verified",
            f"use one of {', '.join(sorted({release for release, _ in GATEWAY_API_BUNDLE_SHA256}))}",
        )
