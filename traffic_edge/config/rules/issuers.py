"""Issuers the certificates name exist, and HTTP-01 has a gateway with a port-80 listener."""

from __future__ import annotations

from collections.abc import Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.queries import ISSUER_SOURCE, http01_listener, namespace_owners


def check(config: StackConfig) -> Iterator[Issue]:
    acme = config.issuers.acme
    if acme is not None and acme.solver == "dns01" and config.platform.kind == "onprem" and config.dns.rfc2136 is None:
        yield Issue(
            "issuers.acme.solver",
            "dns01 on-prem needs an RFC 2136 server",
            "configure dns.rfc2136 or use solver: http01",
        )
    if acme is not None and acme.solver == "http01":
        name = acme.gateway or (config.gateways[0].name if config.gateways else None)
        gateway = next((g for g in config.gateways if g.name == name), None)
        if gateway is None:
            yield Issue(
                "issuers.acme.gateway",
                f"http01 needs a gateway to serve challenges; {name or 'none'} is not one",
                "name one of `gateways`",
            )
        elif http01_listener(gateway) is None:
            yield Issue(
                "issuers.acme.gateway",
                f"gateway {gateway.name} has no HTTP listener on port 80 for HTTP-01",
                "add a listener {protocol: HTTP, port: 80} or use solver: dns01",
            )
    owners = namespace_owners(config.tenants)
    for g_index, gateway in enumerate(config.gateways):
        for c_index, certificate in enumerate(gateway.certificates):
            if certificate.issuer == "letsencrypt-production" and not config.production:
                yield Issue(
                    f"gateways[{g_index}].certificates[{c_index}].issuer",
                    "letsencrypt-production is for production stacks and this one is not marked as such",
                    "use letsencrypt-staging, or set `production: true`",
                )
            source = ISSUER_SOURCE[certificate.issuer]
            configured = config.issuers.acme if source == "issuers.acme" else config.issuers.internal_ca
            if configured is None and gateway.namespace not in owners:  # tenants' issuers: rules.tenants
                yield Issue(
                    f"gateways[{g_index}].certificates[{c_index}].issuer",
                    f"{certificate.issuer} is not configured",
                    f"configure {source}",
                )


def expiry_alerts(config: StackConfig) -> Iterator[Issue]:
    alerts = config.cert_manager.expiry_alerts
    if not alerts.enabled:
        return
    at = "certManager.expiryAlerts"
    if alerts.critical_days >= alerts.warning_days:
        yield Issue(f"{at}.criticalDays", f"{alerts.critical_days} days is not inside the warning window of "
                    f"{alerts.warning_days}", "make criticalDays smaller than warningDays")
    if not any(gateway.certificates for gateway in config.gateways) and config.issuers.internal_ca is None:
        yield Issue(f"{at}.enabled", "the stack declares no Certificate to alert on",
                    "declare certificates under gateways[].certificates, or turn the alerts off")
