"""Where the edge is deployed to and where its artifacts come from: the cluster connection, charts, CRD bundle.

The cluster is named explicitly so that `pulumi up --stack prod` from a shell pointed at a dev cluster cannot
install the production edge there. Artifacts can come from mirrors or local files for air-gapped clusters; the
Gateway API bundle is always verified against the digest pinned for its release and channel.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from traffic_edge.config.platforms import HttpsUrl, StackName
from traffic_edge.config.types import Model, Shape

AbsolutePath = Annotated[str, Shape(r"^(/|~/)", "an absolute path (or one starting with ~/)")]
OciReference = Annotated[
    str, Shape(r"^oci://[^\s/]+(/[^\s]*)?$", "an oci:// registry path, e.g. oci://registry/charts")
]


class Cluster(Model):
    """The Kubernetes cluster every object of the edge is created in.

    Set `kubeconfig` and/or `context`, or `stack`, or `ambient: true` (the kube context that is current when Pulumi
    runs; the default on-prem only).
    """

    kubeconfig: AbsolutePath | None = Field(
        None, description="a kubeconfig file; defaults to $KUBECONFIG or ~/.kube/config"
    )
    context: str | None = Field(None, description="a context of that kubeconfig; defaults to its current context")
    stack: StackName | None = Field(None, description="a stack whose `kubeconfig` output connects to the cluster")
    ambient: bool = Field(False, description="accept whatever kube context is current when Pulumi runs")
    identifier: str | None = Field(
        None,
        description="a stable name for the cluster: changing it replaces every object, changing credentials does not",
    )

    @model_validator(mode="after")
    def _one_way(self) -> Cluster:
        ways = [name for name, given in (("kubeconfig/context", bool(self.kubeconfig or self.context)),
                                         ("stack", self.stack is not None), ("ambient", self.ambient)) if given]
        if len(ways) > 1:
            raise ValueError(f"names the cluster {len(ways)} ways ({', '.join(ways)}); keep one")
        return self


class ChartSource(Model):
    """Where charts come from instead of their upstream repositories: exactly one of the three."""

    repository: HttpsUrl | None = Field(None, description="a Helm repository mirroring the upstream charts")
    oci: OciReference | None = Field(None, description="an OCI registry path holding <chart> images")
    path: AbsolutePath | None = Field(
        None, description="a directory holding <chart>/ directories or <chart>-<version>.tgz archives"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> ChartSource:
        given = [name for name in ("repository", "oci", "path") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"set exactly one of repository, oci, path (got {', '.join(given) or 'none'})")
        return self


class BundleSource(Model):
    """Where the Gateway API CRD bundle comes from instead of the upstream release: a mirror or a local file."""

    url: HttpsUrl | None = Field(None, description="a mirror of <channel>-install.yaml")
    file: AbsolutePath | None = Field(None, description="a local copy of <channel>-install.yaml")

    @model_validator(mode="after")
    def _exactly_one(self) -> BundleSource:
        if (self.url is None) == (self.file is None):
            raise ValueError("set exactly one of url, file")
        return self


class Artifacts(Model):
    """Mirrors and local copies, for clusters that cannot reach the upstream repositories."""

    charts: ChartSource | None = Field(None, description="every chart from here")
    chart: dict[str, ChartSource] = Field(
        default_factory=dict, description="chart name (as in versions.charts) → where that chart comes from"
    )
    gateway_api: BundleSource | None = Field(None, description="the Gateway API CRD bundle from here, verified")
