"""Pinned versions of what every stack installs: the Gateway API bundle, cert-manager, external-dns.

Each Gateway controller pins its own chart in its module (traffic_edge.controllers). A stack may override a
chart pin under `versions`; the defaults here are the combination the tests validate against ../shared/refdata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class ChartPin:
    """Where a Helm chart comes from and the version installed by default."""

    name: str  # the key a stack overrides its version under (`versions.charts`)
    chart: str
    version: str
    repo: str | None  # None for OCI charts, whose `chart` is the full oci:// reference
    source: str


CHARTS: dict[str, ChartPin] = {
    "cert-manager": ChartPin(
        name="cert-manager",
        chart="cert-manager",
        version="v1.21.1",
        repo="https://charts.jetstack.io",
        source="https://cert-manager.io/docs/installation/helm/",
    ),
    "external-dns": ChartPin(
        name="external-dns",
        chart="external-dns",
        version="1.21.1",
        repo="https://kubernetes-sigs.github.io/external-dns/",
        source="https://github.com/kubernetes-sigs/external-dns/tree/master/charts/external-dns",
    ),
}


@dataclass(frozen=True)
class ImagePin:
    """An application image and the apiVersion at which it reads each Gateway API route kind."""

    tag: str
    reads: dict[str, str]
    source: str


# external-dns images, newest first; v0.21.0 (the chart's default app) still reads TLSRoute at v1alpha2.
EXTERNAL_DNS_IMAGES: tuple[ImagePin, ...] = (
    ImagePin(
        tag="v0.22.0",
        reads={"HTTPRoute": "v1", "GRPCRoute": "v1", "TLSRoute": "v1", "TCPRoute": "v1alpha2", "UDPRoute": "v1alpha2"},
        source="https://github.com/kubernetes-sigs/external-dns/issues/6247",
    ),
    ImagePin(
        tag="v0.21.0",
        reads={"HTTPRoute": "v1", "GRPCRoute": "v1", "TLSRoute": "v1alpha2", "TCPRoute": "v1alpha2",
               "UDPRoute": "v1alpha2"},
        source="https://github.com/kubernetes-sigs/external-dns/blob/master/docs/sources/gateway-api.md",
    ),
)
EXTERNAL_DNS_IMAGE_REPOSITORY = "registry.k8s.io/external-dns/external-dns"
# The annotation prefix external-dns reads, set explicitly (chart 1.21.1 value `annotationPrefix`, flag
# --annotation-prefix in both images) so the key does not depend on the image: v0.22.0's default
# (kubernetes-sigs/external-dns @ v0.22.0 : source/annotations/annotations.go L21-22); v0.21.0 defaulted to the
# alpha prefix, which v0.22.0 no longer reads at all.
EXTERNAL_DNS_ANNOTATION_PREFIX = "external-dns.kubernetes.io/"
EXTERNAL_DNS_ANNOTATION_PREFIXES = (EXTERNAL_DNS_ANNOTATION_PREFIX, "external-dns.alpha.kubernetes.io/")

GATEWAY_API_VERSION: Final = "v1.6.1"
GATEWAY_API_CHANNEL: Final = "standard"
GATEWAY_API_BUNDLE_URL = "https://github.com/kubernetes-sigs/gateway-api/releases/download/{version}/{channel}-install.yaml"


def gateway_api_bundle_url(version: str, channel: str) -> str:
    """The upstream release asset: the concatenation of config/crd/<channel>/*.yaml at that tag."""
    return GATEWAY_API_BUNDLE_URL.format(version=version, channel=channel)

# apiVersion each route kind (and ReferenceGrant) is served at, per Gateway API release and channel; a kind absent
# from a channel is absent from the map. Source: config/crd/<channel>/ at each tag (../shared/refdata).
_V1_ALL = {
    "HTTPRoute": "v1", "GRPCRoute": "v1", "TLSRoute": "v1", "TCPRoute": "v1", "UDPRoute": "v1", "ReferenceGrant": "v1",
}
ROUTE_API_VERSIONS: dict[tuple[str, str], dict[str, str]] = {
    ("v1.4.1", "standard"): {"HTTPRoute": "v1", "GRPCRoute": "v1", "ReferenceGrant": "v1beta1"},
    ("v1.4.1", "experimental"): {
        "HTTPRoute": "v1", "GRPCRoute": "v1", "TLSRoute": "v1alpha2", "TCPRoute": "v1alpha2", "UDPRoute": "v1alpha2",
        "ReferenceGrant": "v1beta1",
    },
    ("v1.6.0", "standard"): _V1_ALL,
    ("v1.6.0", "experimental"): _V1_ALL,
    ("v1.6.1", "standard"): _V1_ALL,
    ("v1.6.1", "experimental"): _V1_ALL,
}

# Every apiVersion each route kind is served at (`served: true`), per release and channel: what a controller or
# external-dns may watch. Source: config/crd/<channel>/ at each tag (../shared/refdata); tests compare with it.
_STANDARD_V1_6 = {
    "HTTPRoute": frozenset({"v1", "v1beta1"}), "GRPCRoute": frozenset({"v1"}), "TLSRoute": frozenset({"v1"}),
    "TCPRoute": frozenset({"v1"}), "UDPRoute": frozenset({"v1"}),
}
_EXPERIMENTAL_V1_6 = {
    **_STANDARD_V1_6, "TLSRoute": frozenset({"v1", "v1alpha2", "v1alpha3"}), "TCPRoute": frozenset({"v1", "v1alpha2"}),
    "UDPRoute": frozenset({"v1", "v1alpha2"}),
}
SERVED_ROUTE_VERSIONS: dict[tuple[str, str], dict[str, frozenset[str]]] = {
    ("v1.4.1", "standard"): {"HTTPRoute": frozenset({"v1", "v1beta1"}), "GRPCRoute": frozenset({"v1"})},
    ("v1.4.1", "experimental"): {
        "HTTPRoute": frozenset({"v1", "v1beta1"}), "GRPCRoute": frozenset({"v1"}),
        "TLSRoute": frozenset({"v1alpha2", "v1alpha3"}), "TCPRoute": frozenset({"v1alpha2"}),
        "UDPRoute": frozenset({"v1alpha2"}),
    },
    ("v1.6.0", "standard"): _STANDARD_V1_6,
    ("v1.6.0", "experimental"): _EXPERIMENTAL_V1_6,
    ("v1.6.1", "standard"): _STANDARD_V1_6,
    ("v1.6.1", "experimental"): _EXPERIMENTAL_V1_6,
}


# apiVersions a route kind's CRD lists but does not serve (`served: false`), per release and channel: a controller
# that checks the versions a CRD lists instead of those it serves (Cilium ≤ 1.19's operator) takes them as installed,
# then fails to watch them. Source: config/crd/<channel>/ at each tag (v1.6.0: kubernetes-sigs/gateway-api @ v1.6.0;
# the others ../shared/refdata, which the tests compare with).
_UNSERVED_STANDARD_V1_6 = {
    "TLSRoute": frozenset({"v1alpha2", "v1alpha3"}), "TCPRoute": frozenset({"v1alpha2"}),
    "UDPRoute": frozenset({"v1alpha2"}),
}
UNSERVED_ROUTE_VERSIONS: dict[tuple[str, str], dict[str, frozenset[str]]] = {
    ("v1.4.1", "standard"): {},
    ("v1.4.1", "experimental"): {},
    ("v1.6.0", "standard"): _UNSERVED_STANDARD_V1_6,
    ("v1.6.0", "experimental"): {},
    ("v1.6.1", "standard"): _UNSERVED_STANDARD_V1_6,
    ("v1.6.1", "experimental"): {},
}


def external_dns_image(gateway_api: str, channel: str, kinds: frozenset[str]) -> ImagePin:
    """The newest external-dns image that reads every route kind in `kinds` at a version the CRDs serve.

    Falls back to the newest pin; the config rules (compat) refuse the combination before that image is ever used.
    """
    served = SERVED_ROUTE_VERSIONS[(gateway_api, channel)]
    readable = (
        image for image in EXTERNAL_DNS_IMAGES if all(image.reads[kind] in served.get(kind, ()) for kind in kinds)
    )
    return next(readable, EXTERNAL_DNS_IMAGES[0])


# sha256 of each release bundle (<channel>-install.yaml), the only bytes the program installs as Gateway API CRDs.
# Upstream builds the release asset from the tagged sources with hack/build-install-yaml.sh, and its workflow
# verify-release-artifacts.yml checks the published asset equals that build; these digests are of that build
# (traffic_edge.data.gateway_api.build_bundle), v1.6.1 standard also equal to the digest GitHub publishes for the
# asset. v1.6.0 from kubernetes-sigs/gateway-api@89b3b0c3 (tag v1.6.0); the others from ../shared/refdata.
GATEWAY_API_BUNDLE_SHA256: dict[tuple[str, str], str] = {
    ("v1.4.1", "standard"): "73b91b77f6be023a8c92c969fc664e5bd3b1a28aea59eac9ebc904607354dad2",
    ("v1.4.1", "experimental"): "553327e0ff32a1a2be446bf93823c8413cf9253ac6a6d5407eebd1e8d269f69e",
    ("v1.6.0", "standard"): "a557172e8348f758479e9ee4000bbbb4b4aa48302a6b73461823ea5349bad56d",
    ("v1.6.0", "experimental"): "f0d5c2b0bef2b9d80ba6ba909e5e5dbde0800638437608353f41a6ebd3afcd9f",
    ("v1.6.1", "standard"): "24d931f22abd8e40c973264319ead7cfa09d0fb7716b7ab1ee2ff174cb063a73",
    ("v1.6.1", "experimental"): "d7fa77650e4ef28fca0411536fcb5e237deb4d50301cfded3be49d9a1b7bbd02",
}
