"""cert-manager issuers: Let's Encrypt staging (and production, in production stacks) and an internal CA chain.

ClusterIssuers for the platform; for a tenant's own gateway the same set as namespaced Issuers in its
namespace, so the tenant's ACME account key and CA live with the tenant and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from traffic_edge.components.kube import kube_object, secrets
from traffic_edge.plan.contracts import Dns01Solver
from traffic_edge.plan.issuers import (
    INTERNAL_CA_ISSUER,
    INTERNAL_CA_SECRET,
    ISSUER_VERSION,
    SELF_SIGNED_ISSUER,
    AcmeAccount,
    CaSettings,
    IssuerSet,
    ca_certificate,
)
from traffic_edge.plan.objects import GATEWAY_GROUP, KubeObject

ACME_SERVERS = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-production": "https://acme-v02.api.letsencrypt.org/directory",
}


@dataclass(frozen=True)
class IssuersArgs:
    issuers: IssuerSet
    dns01: Dns01Solver | None  # the platform's, for an ACME account that solves DNS-01
    depends_on: Sequence[pulumi.Resource]  # cert-manager (its CRDs and webhook)


def acme_issuers(production: bool) -> list[str]:
    """Staging always; production only where the stack is marked production (the policy pack checks it too)."""
    return [name for name in ACME_SERVERS if production or name != "letsencrypt-production"]


def issuer_metadata(issuers: IssuerSet, name: str) -> dict[str, str]:
    return {"name": name, "namespace": issuers.namespace} if issuers.kind == "Issuer" else {"name": name}


def acme_solver(acme: AcmeAccount, dns01: Dns01Solver | None) -> dict[str, Any]:
    if acme.solver == "dns01":
        assert dns01 is not None  # the issuer rules refuse dns01 without a platform solver
        return {"dns01": dict(dns01.solver)}
    assert acme.http01 is not None
    gateway = acme.http01
    parent_ref = {
        "group": GATEWAY_GROUP,
        "kind": "Gateway",
        "name": gateway.name,
        "namespace": gateway.namespace,
        "sectionName": gateway.listener,
    }
    return {"http01": {"gatewayHTTPRoute": {"parentRefs": [parent_ref]}}}


def acme_issuer_spec(issuer: str, acme: AcmeAccount, dns01: Dns01Solver | None) -> dict[str, Any]:
    return {
        "acme": {
            "server": ACME_SERVERS[issuer],
            "email": acme.email,
            "privateKeySecretRef": {"name": f"{issuer}-account-key"},
            "solvers": [acme_solver(acme, dns01)],
        }
    }


class Issuers(pulumi.ComponentResource):
    def __init__(self, name: str, args: IssuersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:issuers:Issuers", name, None, opts)
        issuers = args.issuers
        after_cert_manager = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        self.names: list[str] = []
        acme = issuers.acme
        solver_secrets = secrets(
            name,
            args.dns01.secrets if args.dns01 and acme and acme.solver == "dns01" else (),
            issuers.namespace,
            after_cert_manager,
        )
        if acme is not None:
            for issuer in acme_issuers(issuers.production):
                kube_object(
                    f"{name}-{issuer}",
                    KubeObject(ISSUER_VERSION, issuers.kind, issuer_metadata(issuers, issuer),
                               acme_issuer_spec(issuer, acme, args.dns01)),
                    pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, *solver_secrets]),
                )
                self.names.append(issuer)
        if issuers.internal_ca is not None:
            self._internal_ca(name, args, issuers.internal_ca, after_cert_manager)
        self.register_outputs({"names": self.names})

    def _internal_ca(self, name: str, args: IssuersArgs, ca: CaSettings, opts: pulumi.ResourceOptions) -> None:
        """Self-signed root → CA Certificate → CA issuer, for labs and internal names."""
        issuers = args.issuers
        root = kube_object(
            f"{name}-{SELF_SIGNED_ISSUER}",
            KubeObject(ISSUER_VERSION, issuers.kind, issuer_metadata(issuers, SELF_SIGNED_ISSUER), {"selfSigned": {}}),
            opts,
        )
        certificate = kube_object(
            f"{name}-{INTERNAL_CA_ISSUER}-certificate",
            ca_certificate(issuers, ca),
            pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, root]),
        )
        kube_object(
            f"{name}-{INTERNAL_CA_ISSUER}",
            KubeObject(ISSUER_VERSION, issuers.kind, issuer_metadata(issuers, INTERNAL_CA_ISSUER),
                       {"ca": {"secretName": INTERNAL_CA_SECRET}}),
            pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, certificate]),
        )
        self.names += [SELF_SIGNED_ISSUER, INTERNAL_CA_ISSUER]
