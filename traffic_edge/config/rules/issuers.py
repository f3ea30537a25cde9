"""Issuers: the ones certificates name exist, names and servers are unambiguous, and every name has a solver.

- cert-manager picks one solver per name of a certificate (traffic_edge.config.acme.pick_solver); a name no solver
  takes fails issuance with "no configured challenge solvers can be used for this challenge" (cert-manager @
  v1.21.1 : pkg/controller/acmeorders/util.go), so it is refused here. HTTP-01 cannot prove a wildcard name.
- HTTP-01 is served by a gateway's port-80 HTTP listener; DNS-01 by the platform's DNS (on-prem: RFC 2136).
- A Let's Encrypt production server outside a production stack is refused unless the config says so, naming the key.
"""

from __future__ import annotations

from collections.abc import Iterator

from traffic_edge.config.acme import (
    AcmeSettings,
    Solver,
    acme_settings,
    ca_settings,
    certificate_solvers,
    cluster_issuer_source,
    configured_solvers,
    production_allowed,
    tenant_issuer_source,
)
from traffic_edge.config.errors import Issue
from traffic_edge.config.issuers import LETSENCRYPT_ISSUERS, SELF_SIGNED_ISSUER
from traffic_edge.config.model import Certificate, StackConfig
from traffic_edge.config.queries import http01_listener, namespace_owners


def check(config: StackConfig) -> Iterator[Issue]:
    for solver in configured_solvers(config):
        yield from _solver(config, solver)
    yield from _names(config)
    for issuer in acme_settings(config):
        decided = config.production or issuer.allow_outside_production
        if issuer.production_server and not decided:  # never `acme`'s: declared only where decided (production_allowed)
            yield Issue(
                f"{issuer.path}.server",
                "is Let's Encrypt production, and this stack is not marked production: its rate limits and real "
                "certificates belong to production",
                f"use server: staging, set `production: true`, or decide so with {issuer.path}.allowOutsideProduction: "
                "true",
            )
    owners = namespace_owners(config.tenants)
    for g_index, gateway in enumerate(config.gateways):
        for c_index, certificate in enumerate(gateway.certificates):
            at = f"gateways[{g_index}].certificates[{c_index}]"
            named = certificate.issuer in config.issuers.acme_issuers
            if certificate.issuer == "letsencrypt-production" and not named and not production_allowed(config):
                yield Issue(f"{at}.issuer", "letsencrypt-production is for production stacks and this one is not "
                            "marked as such", "use letsencrypt-staging, set `production: true`, or decide so with "
                            "issuers.acme.allowOutsideProduction: true")
            elif gateway.namespace in owners:  # the rest of a tenant's own issuers: rules.tenants
                yield from _tenant_issuer(config, certificate, f"{at}.issuer")
            else:
                yield from _certificate(config, certificate, at)


def _solver(config: StackConfig, solver: Solver) -> Iterator[Issue]:
    if solver.type == "dns01" and config.platform.kind == "onprem" and config.dns.rfc2136 is None:
        yield Issue(solver.key("type"), "dns01 on-prem needs an RFC 2136 server",
                    f"configure dns.rfc2136 or use {solver.key('type').rsplit('.', 1)[1]}: http01")
    if solver.type != "http01":
        return
    gateway = next((item for item in config.gateways if item.name == solver.gateway), None)
    if gateway is None:
        yield Issue(solver.key("gateway"),
                    f"http01 needs a gateway to serve challenges; {solver.gateway or 'none'} is not one",
                    "name one of `gateways`")
    elif http01_listener(gateway) is None:
        yield Issue(solver.key("gateway"), f"gateway {gateway.name} has no HTTP listener on port 80 for HTTP-01",
                    f"add a listener {{protocol: HTTP, port: 80}} or use {solver.key('type').rsplit('.', 1)[1]}: dns01")


def _names(config: StackConfig) -> Iterator[Issue]:
    """One ClusterIssuer per name: `acmeIssuers` may not take a name `acme` or the internal CA has."""
    taken = dict.fromkeys(LETSENCRYPT_ISSUERS, "issuers.acme") if config.issuers.acme else {}
    ca = config.issuers.internal_ca
    if ca is not None:
        taken |= {SELF_SIGNED_ISSUER: "issuers.internalCa (its self-signed root)", ca.name: "issuers.internalCa.name"}
    for name in config.issuers.acme_issuers:
        if name in taken:
            yield Issue(f"issuers.acmeIssuers.{name}", f"the ClusterIssuer {name} is declared by {taken[name]} too",
                        "give this issuer another name")


def _certificate(config: StackConfig, certificate: Certificate, at: str) -> Iterator[Issue]:
    """The ClusterIssuer exists, and each name has a solver."""
    if cluster_issuer_source(config, certificate.issuer) is None:
        yield _unknown_issuer(config, certificate.issuer, f"{at}.issuer")
        return
    for index, name, issuer, solver in certificate_solvers(config, certificate):
        if solver is None:
            yield _no_solver(issuer, name, f"{at}.dnsNames[{index}]")


def _tenant_issuer(config: StackConfig, certificate: Certificate, at: str) -> Iterator[Issue]:
    """A tenant's gateway takes certificates from its own namespaced Issuers, never a platform ClusterIssuer."""
    if tenant_issuer_source(config, certificate.issuer) is None:
        own = [*LETSENCRYPT_ISSUERS, ca_settings(config).name]
        yield Issue(at, f"{certificate.issuer} is no Issuer of the tenant's own: a tenant's gateway takes certificates "
                    "from Issuers in its namespace", f"use one of {', '.join(own)}")


def _unknown_issuer(config: StackConfig, name: str, at: str) -> Issue:
    if name in LETSENCRYPT_ISSUERS:
        return Issue(at, f"{name} is not configured", "configure issuers.acme")
    if name == "internal-ca" and config.issuers.internal_ca is None:
        return Issue(at, f"{name} is not configured", "configure issuers.internalCa")
    declared = [item.name for item in acme_settings(config)]
    declared += [config.issuers.internal_ca.name] if config.issuers.internal_ca else []
    return Issue(at, f"{name} is no issuer of this stack",
                 f"use one of {', '.join(declared) or '(none configured)'}, or declare it under issuers.acmeIssuers")


def _no_solver(issuer: AcmeSettings, name: str, at: str) -> Issue:
    if issuer.path == "issuers.acme":  # one HTTP-01 solver: only a wildcard name lacks one
        return Issue(at, f"{issuer.name} solves HTTP-01 here (issuers.acme.solver), and Let's Encrypt issues wildcard "
                     "names through DNS-01 only",
                     "list the names, use issuers.acme.solver: dns01, or issuer: internal-ca")
    if name.startswith("*."):
        return Issue(at, f"no DNS-01 solver of issuer {issuer.name} takes {name}, and HTTP-01 cannot prove a wildcard "
                     "name", f"add a dns01 solver to {issuer.path}.solvers (selector dnsNames: ['{name}'] for only it)")
    return Issue(at, f"no solver of issuer {issuer.name} selects {name}",
                 f"add {name} (or its zone) to a selector of {issuer.path}.solvers, or a solver without selector")


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
