"""One module per platform behind providers.base.Platform; `platform_for` picks by config."""

from __future__ import annotations

from providers.base import Platform
from providers.onprem import OnPrem
from stackconfig import StackConfig

PLATFORMS: dict[str, type[Platform]] = {
    "onprem": OnPrem,
}


def platform_for(config: StackConfig) -> Platform:
    return PLATFORMS[config.platform.kind](config)
