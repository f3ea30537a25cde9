"""One module per platform behind providers.base.Platform; `platform_for` picks by config."""

from __future__ import annotations

from providers.aws import Eks
from providers.azure import Aks
from providers.base import Platform
from providers.gcp import Gke
from providers.onprem import OnPrem
from stackconfig import StackConfig

PLATFORMS: dict[str, type[Platform]] = {
    "onprem": OnPrem,
    "gke": Gke,
    "eks": Eks,
    "aks": Aks,
}


def platform_for(config: StackConfig) -> Platform:
    return PLATFORMS[config.platform.kind](config)
