"""Every chart and CRD version the program installs, pinned in this one table.

A stack may override a pin under `versions`; the defaults here are the combination the tests
validate against ../shared/refdata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class ChartPin:
    """Where a Helm chart comes from and the version installed by default."""

    chart: str
    version: str
    repo: str | None  # None for OCI charts, whose `chart` is the full oci:// reference
    source: str


CHARTS: dict[str, ChartPin] = {
    "cert-manager": ChartPin(
        chart="cert-manager",
        version="v1.21.1",
        repo="https://charts.jetstack.io",
        source="https://cert-manager.io/docs/installation/helm/",
    ),
    "envoy-gateway": ChartPin(
        chart="oci://docker.io/envoyproxy/gateway-helm",
        version="v1.9.0",
        repo=None,
        source="https://gateway.envoyproxy.io/docs/install/install-helm/",
    ),
}

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
