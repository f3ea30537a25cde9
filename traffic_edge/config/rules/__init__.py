"""Rules that relate several config keys, one module per family; each issue names its key path and the fix."""

from __future__ import annotations

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.rules import (
    api_server,
    claims,
    clouds,
    compat,
    controllers,
    data_plane,
    dns,
    external_dns,
    gateways,
    issuers,
    listeners,
    names,
    namespaces,
    routes,
    sources,
    tenants,
)


def check(config: StackConfig) -> list[Issue]:
    return [
        *clouds.check(config),
        *dns.check(config),
        *issuers.check(config),
        *issuers.expiry_alerts(config),
        *gateways.check(config),
        *listeners.check(config),
        *names.check(config),
        *namespaces.check(config),
        *routes.check(config),
        *claims.check(config),
        *api_server.check(config),
        *routes.namespaces(config),
        *tenants.check(config),
        *compat.check(config),
        *controllers.check(config),
        *data_plane.check(config),
        *sources.check(config),
        *external_dns.check(config),
    ]
