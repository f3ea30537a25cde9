"""The issuers a stack declares, one list whichever key declares them, and which ACME solver takes which name.

`issuers.acme` stands for the ClusterIssuers letsencrypt-staging and (where the stack is production, or says so)
letsencrypt-production, sharing one solver; `issuers.acmeIssuers` for one ClusterIssuer each. A tenant's own
gateway takes certificates from namespaced Issuers of the same names (traffic_edge.plan.issuers.tenant_issuers).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from traffic_edge.config.issuers import LETSENCRYPT_ISSUERS, LETSENCRYPT_SERVERS, InternalCa, SolverSelector
from traffic_edge.config.model import Certificate, Gateway, StackConfig


@dataclass(frozen=True)
class Solver:
    type: Literal["http01", "dns01"]
    gateway: str | None  # http01: the gateway serving challenges (the first one unless named)
    selector: SolverSelector | None
    path: str  # the config object that declares it: issuers.acme, or issuers.acmeIssuers.<name>.solvers[<i>]

    def key(self, field: str) -> str:
        """The key path of one of its fields; `acme` calls the type `solver`."""
        return f"{self.path}.{'solver' if field == 'type' and self.path == 'issuers.acme' else field}"


@dataclass(frozen=True)
class AcmeSettings:
    """One ACME ClusterIssuer as configured."""

    name: str
    path: str  # issuers.acme or issuers.acmeIssuers.<name>
    server: str  # the directory URL
    email: str | None
    account_key_secret: str
    solvers: tuple[Solver, ...]
    allow_outside_production: bool

    @property
    def production_server(self) -> bool:
        return self.server == LETSENCRYPT_SERVERS["production"]


def account_key_secret(issuer: str) -> str:
    """The Secret an ACME issuer keeps its account key in, unless configured."""
    return f"{issuer}-account-key"


def first_gateway(config: StackConfig) -> str | None:
    return config.gateways[0].name if config.gateways else None


def production_allowed(config: StackConfig) -> bool:
    """Whether `issuers.acme` declares letsencrypt-production: in production stacks, or where the user says so."""
    acme = config.issuers.acme
    return config.production or (acme is not None and acme.allow_outside_production)


def tenant_acme_issuers(config: StackConfig) -> list[str]:
    """The ACME Issuers a tenant's own account stands for, as `acme`'s do: staging, and production where allowed."""
    return [name for name, server in LETSENCRYPT_ISSUERS.items() if server == "staging" or production_allowed(config)]


def acme_settings(config: StackConfig) -> list[AcmeSettings]:
    """Every ACME ClusterIssuer: `acme`'s (staging, then production where allowed), then `acmeIssuers` as written."""
    found = []
    acme = config.issuers.acme
    if acme is not None:
        gateway = (acme.gateway or first_gateway(config)) if acme.solver == "http01" else None
        solver = Solver(acme.solver, gateway, None, "issuers.acme")
        for name, server in LETSENCRYPT_ISSUERS.items():
            if server == "production" and not production_allowed(config):
                continue
            found.append(AcmeSettings(name, "issuers.acme", LETSENCRYPT_SERVERS[server], acme.email,
                                      account_key_secret(name), (solver,), acme.allow_outside_production))
    for name, issuer in config.issuers.acme_issuers.items():
        path = f"issuers.acmeIssuers.{name}"
        solvers = tuple(
            Solver(item.type, (item.gateway or first_gateway(config)) if item.type == "http01" else None,
                   item.selector, f"{path}.solvers[{index}]")
            for index, item in enumerate(issuer.solvers)
        )
        found.append(AcmeSettings(name, path, LETSENCRYPT_SERVERS.get(issuer.server, issuer.server), issuer.email,
                                  issuer.account_key_secret or account_key_secret(name), solvers,
                                  issuer.allow_outside_production))
    return found


def configured_solvers(config: StackConfig) -> Iterator[Solver]:
    """Each configured solver once (the two issuers of `acme` share theirs)."""
    seen = set()
    for issuer in acme_settings(config):
        for solver in issuer.solvers:
            if solver.path not in seen:
                seen.add(solver.path)
                yield solver


def dns01_solvers(config: StackConfig) -> Iterator[Solver]:
    return (solver for solver in configured_solvers(config) if solver.type == "dns01")


def ca_settings(config: StackConfig) -> InternalCa:
    """The internal CA's names: as configured, else the defaults a tenant's own CA uses too."""
    return config.issuers.internal_ca or InternalCa()


IssuerSource = Literal["acme", "ca"]


def tenant_issuer_source(config: StackConfig, issuer: str) -> IssuerSource | None:
    """What a tenant gateway's certificate names: one of its own ACME Issuers, its own CA, or nothing it has."""
    if issuer in LETSENCRYPT_ISSUERS:
        return "acme"
    return "ca" if issuer == ca_settings(config).name else None


def cluster_issuer_source(config: StackConfig, issuer: str) -> IssuerSource | None:
    """What a platform gateway's certificate names: an ACME ClusterIssuer the config declares (or would, in a
    production stack), the internal CA, or nothing configured."""
    by_acme = config.issuers.acme is not None and issuer in LETSENCRYPT_ISSUERS
    if by_acme or issuer in config.issuers.acme_issuers:
        return "acme"
    return "ca" if config.issuers.internal_ca is not None and issuer == config.issuers.internal_ca.name else None


def _zone_labels(zone: str, name: str) -> int:
    """miekg/dns CompareDomainName as cert-manager's dnsZones selector uses it: the zone's label count when `name`
    lies in it, else 0."""
    zone_labels, name_labels = zone.lower().split("."), name.lower().split(".")
    return len(zone_labels) if name_labels[-len(zone_labels):] == zone_labels else 0


def _match(selector: SolverSelector, dns_name: str, labels: Mapping[str, str]) -> tuple[bool, int, int] | None:
    """(names matched, zone labels matched, labels matched), or None where the selector does not take the name."""
    if any(labels.get(key) != value for key, value in selector.match_labels.items()):
        return None
    if selector.dns_names and dns_name not in selector.dns_names:
        return None
    zone = max((_zone_labels(zone, dns_name) for zone in selector.dns_zones), default=0)
    if selector.dns_zones and zone == 0:
        return None
    return bool(selector.dns_names), zone, len(selector.match_labels)


def pick_solver(solvers: Sequence[Solver], dns_name: str, labels: Mapping[str, str]) -> Solver | None:
    """The solver cert-manager picks for one name of a certificate, or None (cert-manager @ v1.21.1 :
    pkg/util/solverpicker/solverpicker.go, pkg/controller/acmeorders/selectors).

    Only types the authorization offers: Let's Encrypt offers a wildcard name DNS-01 alone (RFC 8555 section 7.1.3,
    https://letsencrypt.org/docs/challenge-types/), and cert-manager looks such a name up as `*.<name>`. A solver
    without selector is taken only while nothing is picked; one with a selector beats the picked one when it names
    the name and that one does not, else with more zone labels, else with more labels; ties keep the earlier.
    """
    picked: Solver | None = None
    score = (False, 0, 0)
    for solver in solvers:
        if dns_name.startswith("*.") and solver.type != "dns01":
            continue
        if solver.selector is None:
            picked = picked or solver
            continue
        match = _match(solver.selector, dns_name, labels)
        if match is not None and (picked is None or match > score):
            picked, score = solver, match
    return picked


def certificate_solvers(
    config: StackConfig, certificate: Certificate
) -> Iterator[tuple[int, str, AcmeSettings, Solver | None]]:
    """(index, name, issuer, the solver taking it) for each name of a certificate of an ACME ClusterIssuer."""
    issuer = next((item for item in acme_settings(config) if item.name == certificate.issuer), None)
    if issuer is None:
        return
    for index, name in enumerate(certificate.dns_names):
        yield index, name, issuer, pick_solver(issuer.solvers, name, certificate.labels)


def http01_certificate_namespaces(config: StackConfig, gateway: Gateway, platform: Sequence[Gateway]) -> set[str]:
    """The namespaces of the platform gateways' certificates with a name solved by HTTP-01 through `gateway`."""
    return {
        certificate.namespace or other.namespace
        for other in platform
        for certificate in other.certificates
        if any(solver is not None and solver.type == "http01" and solver.gateway == gateway.name
               for _, _, _, solver in certificate_solvers(config, certificate))
    }
