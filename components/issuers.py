"""cert-manager issuers: Let's Encrypt staging (and production, in production stacks) and an internal CA chain.

ClusterIssuers for the platform; for a tenant's own gateway the same set as namespaced Issuers in its
namespace, so the tenant's ACME account key and CA live with the tenant and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.kube import CERT_MANAGER_GROUP, GATEWAY_GROUP, custom_object, secrets
from providers.base import Dns01Solver
from stackconfig.model import Acme, InternalCa, IssuerKind

ACME_SERVERS = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-production": "https://acme-v02.api.letsencrypt.org/directory",
}
SELF_SIGNED_ISSUER = "selfsigned-root"
INTERNAL_CA_ISSUER = "internal-ca"
INTERNAL_CA_SECRET = "internal-ca-root"


@dataclass(frozen=True)
class Http01Gateway:
    """Where HTTP-01 challenge routes attach: the gateway's HTTP listener on port 80."""

    name: str
    namespace: str
    listener: str


@dataclass(frozen=True)
class IssuersArgs:
    namespace: str  # where the issuers' Secrets live: cert-manager's for ClusterIssuers, the Issuers' own otherwise
    acme: Acme | None
    internal_ca: InternalCa | None
    http01_gateway: Http01Gateway | None
    dns01: Dns01Solver | None
    depends_on: Sequence[pulumi.Resource]  # cert-manager (its CRDs and webhook)
    production: bool = False  # the Let's Encrypt production issuer exists only in production stacks
    kind: IssuerKind = "ClusterIssuer"


def acme_issuers(production: bool) -> list[str]:
    """Staging always; production only where the stack is marked production (the policy pack checks it too)."""
    return [name for name in ACME_SERVERS if production or name != "letsencrypt-production"]


def issuer_metadata(args: IssuersArgs, name: str) -> dict[str, str]:
    return {"name": name, "namespace": args.namespace} if args.kind == "Issuer" else {"name": name}


def acme_solver(acme: Acme, args: IssuersArgs) -> dict[str, Any]:
    if acme.solver == "dns01":
        assert args.dns01 is not None  # stackconfig.checks refuses dns01 without a platform solver
        return {"dns01": dict(args.dns01.solver)}
    assert args.http01_gateway is not None
    gateway = args.http01_gateway
    parent_ref = {
        "group": GATEWAY_GROUP,
        "kind": "Gateway",
        "name": gateway.name,
        "namespace": gateway.namespace,
        "sectionName": gateway.listener,
    }
    return {"http01": {"gatewayHTTPRoute": {"parentRefs": [parent_ref]}}}


def acme_issuer_spec(issuer: str, acme: Acme, args: IssuersArgs) -> dict[str, Any]:
    return {
        "acme": {
            "server": ACME_SERVERS[issuer],
            "email": acme.email,
            "privateKeySecretRef": {"name": f"{issuer}-account-key"},
            "solvers": [acme_solver(acme, args)],
        }
    }


class Issuers(pulumi.ComponentResource):
    def __init__(self, name: str, args: IssuersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:issuers:Issuers", name, None, opts)
        after_cert_manager = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        self.names: list[str] = []
        solver_secrets = secrets(
            name,
            args.dns01.secrets if args.dns01 and args.acme and args.acme.solver == "dns01" else (),
            args.namespace,
            after_cert_manager,
        )
        if args.acme is not None:
            for issuer in acme_issuers(args.production):
                custom_object(
                    f"{name}-{issuer}",
                    f"{CERT_MANAGER_GROUP}/v1",
                    args.kind,
                    issuer_metadata(args, issuer),
                    acme_issuer_spec(issuer, args.acme, args),
                    pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, *solver_secrets]),
                )
                self.names.append(issuer)
        if args.internal_ca is not None:
            self._internal_ca(name, args, args.internal_ca, after_cert_manager)
        self.register_outputs({"names": self.names})

    def _internal_ca(self, name: str, args: IssuersArgs, ca: InternalCa, opts: pulumi.ResourceOptions) -> None:
        """Self-signed root → CA Certificate → CA issuer, for labs and internal names."""
        root = custom_object(
            f"{name}-{SELF_SIGNED_ISSUER}", f"{CERT_MANAGER_GROUP}/v1", args.kind,
            issuer_metadata(args, SELF_SIGNED_ISSUER), {"selfSigned": {}}, opts,
        )
        certificate = custom_object(
            f"{name}-{INTERNAL_CA_ISSUER}-certificate",
            f"{CERT_MANAGER_GROUP}/v1",
            "Certificate",
            {"name": INTERNAL_CA_ISSUER, "namespace": args.namespace},
            {
                "isCA": True,
                "commonName": ca.common_name,
                "secretName": INTERNAL_CA_SECRET,
                "duration": ca.duration,
                "privateKey": {"algorithm": "ECDSA", "size": 256},
                "issuerRef": {"name": SELF_SIGNED_ISSUER, "kind": args.kind, "group": CERT_MANAGER_GROUP},
            },
            pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, root]),
        )
        custom_object(
            f"{name}-{INTERNAL_CA_ISSUER}", f"{CERT_MANAGER_GROUP}/v1", args.kind,
            issuer_metadata(args, INTERNAL_CA_ISSUER), {"ca": {"secretName": INTERNAL_CA_SECRET}},
            pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, certificate]),
        )
        self.names += [SELF_SIGNED_ISSUER, INTERNAL_CA_ISSUER]
