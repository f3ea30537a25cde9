"""Where each artifact comes from and which cluster the edge goes to, decided once from config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from traffic_edge.config.model import StackConfig
from traffic_edge.config.sources import ChartSource
from traffic_edge.controllers import chart_pins
from traffic_edge.data.versions import GATEWAY_API_BUNDLE_SHA256, gateway_api_bundle_url


@dataclass(frozen=True)
class ChartLocation:
    """What a Helm release is given: a chart reference, the repository it is looked up in, the version."""

    chart: str  # a name in `repo`, an oci:// reference, or a local directory or archive
    version: str
    repo: str | None = None
    local: bool = False  # a local chart: Helm takes it as it is, so its version is checked before install


@dataclass(frozen=True)
class BundleLocation:
    """The Gateway API CRD bundle: where to read it and the digest it must have."""

    version: str
    channel: str
    sha256: str
    url: str | None = None
    file: str | None = None


@dataclass(frozen=True)
class ClusterConnection:
    """How the Kubernetes provider reaches the cluster, and how to say so to a person."""

    via: Literal["kubeconfig", "stack", "ambient"]
    kubeconfig: str | None = None  # a path (via kubeconfig)
    context: str | None = None
    stack: str | None = None  # the stack whose `kubeconfig` output is used (via stack)
    identifier: str | None = None

    def describe(self) -> str:
        if self.via == "stack":
            return f"the `kubeconfig` output of stack {self.stack}"
        if self.via == "ambient":
            return "the current kube context (ambient)"
        context = f"context {self.context}" if self.context else "the current context"
        return f"{context} of {self.kubeconfig or '$KUBECONFIG or ~/.kube/config'}"


def chart_name(reference: str) -> str:
    """The chart's own name: `oci://docker.io/envoyproxy/gateway-helm` → `gateway-helm`."""
    return reference.rstrip("/").rsplit("/", 1)[-1]


def chart_location(config: StackConfig, name: str) -> ChartLocation:
    """The pinned chart from its upstream repository, or from the mirror or directory the artifacts name."""
    pin = chart_pins()[name]
    version = config.chart_version(name)
    source: ChartSource | None = config.artifacts.chart.get(name) or config.artifacts.charts
    if source is None:
        return ChartLocation(pin.chart, version, pin.repo)
    own = chart_name(pin.chart)
    if source.repository is not None:
        return ChartLocation(own, version, source.repository)
    if source.oci is not None:
        return ChartLocation(f"{source.oci.rstrip('/')}/{own}", version)
    assert source.path is not None  # ChartSource holds exactly one
    return ChartLocation(f"{source.path.rstrip('/')}/{own}", version, local=True)


def bundle_location(config: StackConfig) -> BundleLocation:
    versions = config.versions
    key = (versions.gateway_api, versions.gateway_api_channel)
    source = config.artifacts.gateway_api
    if source is not None and source.file is not None:
        return BundleLocation(*key, GATEWAY_API_BUNDLE_SHA256[key], file=source.file)
    url = source.url if source is not None and source.url else gateway_api_bundle_url(*key)
    return BundleLocation(*key, GATEWAY_API_BUNDLE_SHA256[key], url=url)


def cluster_connection(config: StackConfig) -> ClusterConnection:
    cluster = config.cluster
    if cluster.stack is not None:
        return ClusterConnection("stack", stack=cluster.stack, identifier=cluster.identifier)
    if cluster.kubeconfig or cluster.context:
        return ClusterConnection("kubeconfig", cluster.kubeconfig, cluster.context, identifier=cluster.identifier)
    return ClusterConnection("ambient", identifier=cluster.identifier)  # explicit, or on-prem's default
