"""Which issuers exist where: ClusterIssuers for the platform, and Issuers in each tenant gateway's namespace."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traffic_edge.config.acme import (
    Solver,
    account_key_secret,
    acme_settings,
    ca_settings,
    tenant_acme_issuers,
    tenant_issuer_source,
)
from traffic_edge.config.issuers import (
    LETSENCRYPT_ISSUERS,
    LETSENCRYPT_SERVERS,
    SELF_SIGNED_ISSUER,
    InternalCa,
    SolverSelector,
)
from traffic_edge.config.model import IssuerKind, StackConfig
from traffic_edge.config.queries import http01_listener, namespace_owners
from traffic_edge.data.workloads import CERT_MANAGER
from traffic_edge.plan.objects import CERT_MANAGER_GROUP, KubeObject

ISSUER_VERSION = f"{CERT_MANAGER_GROUP}/v1"


@dataclass(frozen=True)
class Http01Gateway:
    """Where HTTP-01 challenge routes attach: the gateway's HTTP listener on port 80."""

    name: str
    namespace: str
    listener: str


@dataclass(frozen=True)
class AcmeSolver:
    """DNS-01 through the platform's DNS (no `http01`), or HTTP-01 through a gateway; the names it takes as
    cert-manager's `selector` (None: the default solver)."""

    http01: Http01Gateway | None
    selector: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class AcmeIssuer:
    name: str
    server: str  # the ACME directory URL
    email: str | None
    account_key_secret: str
    solvers: tuple[AcmeSolver, ...]


@dataclass(frozen=True)
class CaChain:
    """A self-signed root (through `root_issuer`) whose key pair in `secret` backs the CA issuer `issuer`; the root's
    Certificate carries the issuer's name."""

    issuer: str
    secret: str
    common_name: str
    duration: str
    root_issuer: str = SELF_SIGNED_ISSUER


@dataclass(frozen=True)
class IssuerSet:
    """One set of issuers: ACME issuers and an internal CA chain, as ClusterIssuers or in one namespace."""

    key: str  # names the component: the issuers of a tenant are keyed by its gateway's namespace
    namespace: str  # where the issuers' Secrets live: cert-manager's for ClusterIssuers, the Issuers' own otherwise
    kind: IssuerKind
    acme: tuple[AcmeIssuer, ...]
    internal_ca: CaChain | None

    @property
    def names(self) -> list[str]:
        """Every issuer of the set, in the order they are created."""
        ca = self.internal_ca
        return [*(issuer.name for issuer in self.acme), *([ca.root_issuer, ca.issuer] if ca else [])]

    @property
    def solves_dns01(self) -> bool:
        return any(solver.http01 is None for issuer in self.acme for solver in issuer.solvers)


def selector_spec(selector: SolverSelector | None) -> dict[str, Any] | None:
    """cert-manager's CertificateDNSNameSelector, with the keys the config sets."""
    if selector is None:
        return None
    spec = {"dnsNames": list(selector.dns_names), "dnsZones": list(selector.dns_zones),
            "matchLabels": dict(selector.match_labels)}
    return {key: value for key, value in spec.items() if value}


def http01_gateway(config: StackConfig, name: str | None) -> Http01Gateway:
    gateway = next(item for item in config.gateways if item.name == name)
    listener = http01_listener(gateway)
    assert listener is not None, "the issuer rules refuse an HTTP-01 gateway without one"
    return Http01Gateway(gateway.name, gateway.namespace, listener.name)


def solver_plan(config: StackConfig, solver: Solver) -> AcmeSolver:
    http01 = http01_gateway(config, solver.gateway) if solver.type == "http01" else None
    return AcmeSolver(http01, selector_spec(solver.selector))


def ca_chain(ca: InternalCa) -> CaChain:
    return CaChain(ca.name, ca.secret_name, ca.common_name, ca.duration)


def cluster_issuers(config: StackConfig) -> IssuerSet:
    acme = tuple(
        AcmeIssuer(item.name, item.server, item.email, item.account_key_secret,
                   tuple(solver_plan(config, solver) for solver in item.solvers))
        for item in acme_settings(config)
    )
    ca = config.issuers.internal_ca
    return IssuerSet(key="", namespace=CERT_MANAGER.namespace, kind="ClusterIssuer", acme=acme,
                     internal_ca=ca_chain(ca) if ca else None)


def tenant_issuers(config: StackConfig) -> list[IssuerSet]:
    """One set per tenant-owned gateway with certificates, holding only the issuers they name: its own ACME
    account (HTTP-01 through the gateway's port-80 listener) and/or its own CA, named as the platform's are."""
    owners = namespace_owners(config.tenants)
    found = []
    for gateway in config.gateways:
        owner = owners.get(gateway.namespace)
        if owner is None or not gateway.certificates:
            continue
        sources = {tenant_issuer_source(config, certificate.issuer) for certificate in gateway.certificates}
        email = config.tenants[owner].acme_email or (config.issuers.acme.email if config.issuers.acme else None)
        listener = http01_listener(gateway)
        acme: tuple[AcmeIssuer, ...] = ()
        if "acme" in sources and email and listener:
            solver = AcmeSolver(Http01Gateway(gateway.name, gateway.namespace, listener.name))
            acme = tuple(AcmeIssuer(name, LETSENCRYPT_SERVERS[LETSENCRYPT_ISSUERS[name]], email,
                                    account_key_secret(name), (solver,)) for name in tenant_acme_issuers(config))
        ca = None
        if "ca" in sources:
            names = ca_settings(config)
            ca = ca_chain(InternalCa(name=names.name, secret_name=names.secret_name,
                                     common_name=f"traffic-edge tenant {owner} CA"))
        found.append(IssuerSet(gateway.namespace, gateway.namespace, "Issuer", acme, ca))
    return found


def ca_certificate(issuers: IssuerSet, ca: CaChain) -> KubeObject:
    return KubeObject(
        ISSUER_VERSION,
        "Certificate",
        {"name": ca.issuer, "namespace": issuers.namespace},
        {
            "isCA": True,
            "commonName": ca.common_name,
            "secretName": ca.secret,
            "duration": ca.duration,
            "privateKey": {"algorithm": "ECDSA", "size": 256},
            "issuerRef": {"name": ca.root_issuer, "kind": issuers.kind, "group": CERT_MANAGER_GROUP},
        },
    )
