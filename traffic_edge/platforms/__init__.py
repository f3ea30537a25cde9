"""One module per platform behind traffic_edge.platforms.base.Platform; `platform_for` picks by kind."""

from __future__ import annotations

from traffic_edge.platforms.aks import Aks
from traffic_edge.platforms.base import Platform, PlatformArgs
from traffic_edge.platforms.eks import Eks
from traffic_edge.platforms.gke import Gke
from traffic_edge.platforms.onprem import OnPrem

__all__ = ["PLATFORMS", "Platform", "PlatformArgs", "platform_for"]

PLATFORMS: dict[str, type[Platform]] = {
    "onprem": OnPrem,
    "gke": Gke,
    "eks": Eks,
    "aks": Aks,
}


def platform_for(args: PlatformArgs) -> Platform:
    return PLATFORMS[args.settings.kind](args)
