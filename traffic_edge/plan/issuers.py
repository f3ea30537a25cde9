"""Which issuers exist where: ClusterIssuers for the platform, and Issuers in each tenant gateway's namespace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from traffic_edge.config.model import InternalCa, IssuerKind, StackConfig
from traffic_edge.config.queries import ISSUER_SOURCE, http01_listener, namespace_owners
from traffic_edge.data.workloads import CERT_MANAGER
from traffic_edge.plan.objects import CERT_MANAGER_GROUP, KubeObject

SELF_SIGNED_ISSUER = "selfsigned-root"
INTERNAL_CA_ISSUER = "internal-ca"
INTERNAL_CA_SECRET = "internal-ca-root"
ISSUER_VERSION = f"{CERT_MANAGER_GROUP}/v1"


@dataclass(frozen=True)
class Http01Gateway:
    """Where HTTP-01 challenge routes attach: the gateway's HTTP listener on port 80."""

    name: str
    namespace: str
    listener: str


@dataclass(frozen=True)
class AcmeAccount:
    email: str
    solver: Literal["http01", "dns01"]
    http01: Http01Gateway | None  # set for http01


@dataclass(frozen=True)
class CaSettings:
    common_name: str
    duration: str


@dataclass(frozen=True)
class IssuerSet:
    """One set of issuers: ACME staging (and production in production stacks) and an internal CA chain."""

    key: str  # names the component: the issuers of a tenant are keyed by its gateway's namespace
    namespace: str  # where the issuers' Secrets live: cert-manager's for ClusterIssuers, the Issuers' own otherwise
    kind: IssuerKind
    acme: AcmeAccount | None
    internal_ca: CaSettings | None
    production: bool


def cluster_issuers(config: StackConfig) -> IssuerSet:
    acme = config.issuers.acme
    account = None
    if acme is not None:
        http01 = None
        if acme.solver == "http01":
            name = acme.gateway or config.gateways[0].name
            gateway = next(g for g in config.gateways if g.name == name)
            listener = http01_listener(gateway)
            assert listener is not None, "the issuer rules refuse an HTTP-01 gateway without one"
            http01 = Http01Gateway(gateway.name, gateway.namespace, listener.name)
        account = AcmeAccount(acme.email, acme.solver, http01)
    ca = config.issuers.internal_ca
    return IssuerSet(
        key="",
        namespace=CERT_MANAGER.namespace,
        kind="ClusterIssuer",
        acme=account,
        internal_ca=CaSettings(ca.common_name, ca.duration) if ca else None,
        production=config.production,
    )


def tenant_issuers(config: StackConfig) -> list[IssuerSet]:
    """One set per tenant-owned gateway with certificates, holding only the issuers they name: its own ACME
    account (HTTP-01 through the gateway's port-80 listener) and/or its own CA."""
    owners = namespace_owners(config.tenants)
    found = []
    for gateway in config.gateways:
        owner = owners.get(gateway.namespace)
        if owner is None or not gateway.certificates:
            continue
        sources = {ISSUER_SOURCE[certificate.issuer] for certificate in gateway.certificates}
        email = config.tenants[owner].acme_email or (config.issuers.acme.email if config.issuers.acme else None)
        listener = http01_listener(gateway)
        http01 = Http01Gateway(gateway.name, gateway.namespace, listener.name) if listener else None
        acme = AcmeAccount(email, "http01", http01) if "issuers.acme" in sources and email else None
        ca = None
        if "issuers.internalCa" in sources:
            settings = InternalCa(common_name=f"traffic-edge tenant {owner} CA")
            ca = CaSettings(settings.common_name, settings.duration)
        found.append(IssuerSet(gateway.namespace, gateway.namespace, "Issuer", acme, ca, config.production))
    return found


def ca_certificate(issuers: IssuerSet, ca: CaSettings) -> KubeObject:
    return KubeObject(
        ISSUER_VERSION,
        "Certificate",
        {"name": INTERNAL_CA_ISSUER, "namespace": issuers.namespace},
        {
            "isCA": True,
            "commonName": ca.common_name,
            "secretName": INTERNAL_CA_SECRET,
            "duration": ca.duration,
            "privateKey": {"algorithm": "ECDSA", "size": 256},
            "issuerRef": {"name": SELF_SIGNED_ISSUER, "kind": issuers.kind, "group": CERT_MANAGER_GROUP},
        },
    )
