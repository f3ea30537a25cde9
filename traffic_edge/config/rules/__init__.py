"""Rules that relate several config keys, one module per family; each issue names its key path and the fix."""

from __future__ import annotations

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.rules import (
    allowed_routes,
    api_server,
    claims,
    clouds,
    compat,
    controllers,
    data_plane,
    dns,
    egress,
    external_dns,
    gateways,
    guardrails,
    issuers,
    listeners,
    names,
    namespaces,
    nested_tenants,
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
        *egress.check(config),
        *routes.check(config),
        *claims.check(config),
        *api_server.check(config),
        *routes.namespaces(config),
        *allowed_routes.check(config),
        *tenants.check(config),
        *nested_tenants.check(config),
        *guardrails.check(config),
        *compat.check(config),
        *controllers.check(config),
        *data_plane.check(config),
        *sources.check(config),
        *external_dns.check(config),
    ]
