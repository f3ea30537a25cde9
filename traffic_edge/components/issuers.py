"""cert-manager issuers: ACME issuers (Let's Encrypt staging and production, or the user's) and an internal CA chain.

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
    ISSUER_VERSION,
    AcmeIssuer,
    AcmeSolver,
    CaChain,
    IssuerSet,
    ca_certificate,
)
from traffic_edge.plan.objects import GATEWAY_GROUP, KubeObject


@dataclass(frozen=True)
class IssuersArgs:
    issuers: IssuerSet
    dns01: Dns01Solver | None  # the platform's, for ACME issuers that solve DNS-01
    depends_on: Sequence[pulumi.Resource]  # cert-manager (its CRDs and webhook)


def issuer_metadata(issuers: IssuerSet, name: str) -> dict[str, str]:
    return {"name": name, "namespace": issuers.namespace} if issuers.kind == "Issuer" else {"name": name}


def acme_solver(solver: AcmeSolver, dns01: Dns01Solver | None) -> dict[str, Any]:
    """An ACMEChallengeSolver: its selector (if any), then DNS-01 through the platform or HTTP-01 through a gateway."""
    body: dict[str, Any] = {} if solver.selector is None else {"selector": dict(solver.selector)}
    if solver.http01 is None:
        assert dns01 is not None  # the issuer rules refuse dns01 without a platform solver
        return {**body, "dns01": dict(dns01.solver)}
    gateway = solver.http01
    parent_ref = {
        "group": GATEWAY_GROUP,
        "kind": "Gateway",
        "name": gateway.name,
        "namespace": gateway.namespace,
        "sectionName": gateway.listener,
    }
    return {**body, "http01": {"gatewayHTTPRoute": {"parentRefs": [parent_ref]}}}


def acme_issuer_spec(issuer: AcmeIssuer, dns01: Dns01Solver | None) -> dict[str, Any]:
    acme: dict[str, Any] = {"server": issuer.server}
    if issuer.email is not None:
        acme["email"] = issuer.email
    acme["privateKeySecretRef"] = {"name": issuer.account_key_secret}
    acme["solvers"] = [acme_solver(solver, dns01) for solver in issuer.solvers]
    return {"acme": acme}


class Issuers(pulumi.ComponentResource):
    def __init__(self, name: str, args: IssuersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:issuers:Issuers", name, None, opts)
        issuers = args.issuers
        after_cert_manager = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        self.names: list[str] = []
        solver_secrets = secrets(
            name,
            args.dns01.secrets if args.dns01 and issuers.solves_dns01 else (),
            issuers.namespace,
            after_cert_manager,
        )
        for issuer in issuers.acme:
            kube_object(
                f"{name}-{issuer.name}",
                KubeObject(ISSUER_VERSION, issuers.kind, issuer_metadata(issuers, issuer.name),
                           acme_issuer_spec(issuer, args.dns01)),
                pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, *solver_secrets]),
            )
            self.names.append(issuer.name)
        if issuers.internal_ca is not None:
            self._internal_ca(name, args, issuers.internal_ca, after_cert_manager)
        self.register_outputs({"names": self.names})

    def _internal_ca(self, name: str, args: IssuersArgs, ca: CaChain, opts: pulumi.ResourceOptions) -> None:
        """Self-signed root → CA Certificate → CA issuer, for labs and internal names."""
        issuers = args.issuers
        root = kube_object(
            f"{name}-{ca.root_issuer}",
            KubeObject(ISSUER_VERSION, issuers.kind, issuer_metadata(issuers, ca.root_issuer), {"selfSigned": {}}),
            opts,
        )
        certificate = kube_object(
            f"{name}-{ca.issuer}-certificate",
            ca_certificate(issuers, ca),
            pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, root]),
        )
        kube_object(
            f"{name}-{ca.issuer}",
            KubeObject(ISSUER_VERSION, issuers.kind, issuer_metadata(issuers, ca.issuer),
                       {"ca": {"secretName": ca.secret}}),
            pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, certificate]),
        )
        self.names += [ca.root_issuer, ca.issuer]
