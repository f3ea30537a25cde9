"""Issuers config: the one Let's Encrypt account of `acme`, ACME issuers the user names, and the internal CA.

`acme` keeps the names it always had (letsencrypt-staging, and letsencrypt-production in production stacks);
`acmeIssuers` declares ClusterIssuers by name, each with its own server, account and solvers. The shapes follow
cert-manager's ACMEIssuer, ACMEChallengeSolver and CertificateDNSNameSelector (cert-manager @ v1.21.1 :
pkg/apis/acme/v1/types_issuer.go); rules that relate them to gateways and certificates live in
traffic_edge.config.rules.issuers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema, field_validator

from traffic_edge.config.types import DNS1123_LABEL, Email, Hostname, Labels, Model, Name

# Let's Encrypt's ACME directories (https://letsencrypt.org/docs/acme-protocol-updates/, /docs/staging-environment/).
LETSENCRYPT_SERVERS = {
    "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "production": "https://acme-v02.api.letsencrypt.org/directory",
}
# The ClusterIssuers `acme` declares, by server; their names are what certificates have always named.
LETSENCRYPT_ISSUERS = {"letsencrypt-staging": "staging", "letsencrypt-production": "production"}
SELF_SIGNED_ISSUER = "selfsigned-root"  # the internal CA's root signs itself through this issuer
# Any issuer's name; the schema offers the names `acme` and a default `internalCa` give first (editor completion).
IssuerName = Annotated[Name, WithJsonSchema({"anyOf": [
    {"enum": [*LETSENCRYPT_ISSUERS, "internal-ca"]},
    {"type": "string", "pattern": DNS1123_LABEL.pattern, "maxLength": 63},
]})]


class Acme(Model):
    """One Let's Encrypt account behind the ClusterIssuers letsencrypt-staging and letsencrypt-production."""

    email: Email
    solver: Literal["http01", "dns01"] = "http01"
    gateway: Name | None = Field(None, description="http01: the Gateway serving challenges; defaults to the first")
    allow_outside_production: bool = Field(
        False, description="create letsencrypt-production in a stack not marked `production` too, on purpose (the "
        "policy pack reads this as well)"
    )


class SolverSelector(Model):
    """Which names a solver solves (cert-manager's CertificateDNSNameSelector): a solver naming the name wins over
    one naming its zone, a longer zone over a shorter one, more matching labels over fewer, then the first."""

    dns_names: list[Hostname] = Field(default_factory=list, description="exactly these names (`*.x` for a wildcard)")
    dns_zones: list[Hostname] = Field(default_factory=list, description="every name in these zones")
    match_labels: Labels = Field(
        default_factory=dict, description="only certificates carrying these labels (gateways[].certificates[].labels)"
    )

    @field_validator("dns_zones")
    @classmethod
    def _zones(cls, zones: list[str]) -> list[str]:
        for zone in zones:
            if zone.startswith("*."):
                raise ValueError(f"{zone}: a zone covers every name under it already; drop the `*.`")
        return zones


class AcmeSolver(Model):
    """How one set of names is proven: DNS-01 through the platform's DNS, or HTTP-01 through a gateway's port 80."""

    type: Literal["http01", "dns01"]
    gateway: Name | None = Field(
        None, description="http01: the Gateway whose port-80 HTTP listener serves challenges; defaults to the first"
    )
    selector: SolverSelector | None = Field(
        None, description="the names this solver takes; unset: every name no other solver selects"
    )


AcmeServer = Annotated[str, Field(pattern=r"^https://[^\s/]+(/\S*)?$", description="an ACME directory URL")]


class AcmeIssuer(Model):
    """A ClusterIssuer on an ACME server, named by its key under `acmeIssuers`."""

    server: Literal["staging", "production"] | AcmeServer = Field(
        description="Let's Encrypt `staging` or `production`, or another ACME server's directory URL"
    )
    email: Email | None = Field(None, description="the account's contact (optional for ACME, recommended)")
    account_key_secret: Name | None = Field(
        None, description="the Secret in cert-manager's namespace holding the account key; default <issuer>-account-key"
    )
    solvers: Annotated[list[AcmeSolver], Field(min_length=1)]
    allow_outside_production: bool = Field(
        False, description="a Let's Encrypt production server in a stack not marked `production`, on purpose (the "
        "policy pack reads this as well)"
    )


class InternalCa(Model):
    """A self-signed root CA and the CA issuer it backs, for labs and internal names."""

    name: Name = Field("internal-ca", description="the CA issuer's (and its CA Certificate's) name")
    common_name: str = "traffic-edge internal CA"
    secret_name: Name = Field("internal-ca-root", description="the Secret holding the CA's key pair")
    duration: str = Field("87600h", pattern=r"^\d+h$")


class Issuers(Model):
    acme: Acme | None = None
    acme_issuers: dict[Name, AcmeIssuer] = Field(
        default_factory=dict, description="ACME ClusterIssuers by the name certificates give in `issuer`"
    )
    internal_ca: InternalCa | None = None
