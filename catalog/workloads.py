"""The in-cluster workloads that receive a platform identity, and where they run.

The namespace and service account are fixed here because the cloud side (IRSA trust subjects,
GCP workload identity members, Azure federated credentials) must name them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Workload:
    namespace: str
    service_account: str
    identity_name: str | None = None  # the cloud identity's name where upstream docs fix it


WORKLOADS: dict[str, Workload] = {
    "cert-manager": Workload(namespace="cert-manager", service_account="cert-manager"),
    "external-dns": Workload(namespace="external-dns", service_account="external-dns"),
    # https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/installation/
    "aws-load-balancer-controller": Workload(
        namespace="aws-load-balancer-controller", service_account="aws-load-balancer-controller"
    ),
    # https://learn.microsoft.com/azure/application-gateway/for-containers/quickstart-deploy-application-gateway-for-containers-alb-controller
    "alb-controller": Workload(
        namespace="azure-alb-system", service_account="alb-controller-sa", identity_name="azure-alb-identity"
    ),
}
