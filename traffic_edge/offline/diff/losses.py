"""Deletions that take data with them, said so that a reviewer cannot miss them.

A deploy that deletes (or replaces, or re-parents without an alias: a delete and a create) a Namespace deletes
every object in it; a DNS zone, every record; a CRD or the bundle that applied it, every object of its kind; a
Secret, the keys or certificate it holds. A deleted cert-manager Certificate leaves its Secret in the cluster,
unrenewed, unless cert-manager sets owner references (`enableCertificateOwnerRef`, off by default: cert-manager @
v1.21.1 : internal/apis/config/controller/v1alpha1/defaults.go `defaultEnableCertificateOwnerRef = false`); then
the Secret goes with it. What the old side retained on delete stays in the cluster; what it protected stops the
deploy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

Resource = Mapping[str, Any]

NAMESPACE: Final = "kubernetes:core/v1:Namespace"
SECRET_TYPE: Final = "kubernetes:core/v1:Secret"
CERTIFICATE: Final = "kubernetes:cert-manager.io/v1:Certificate"
CRD: Final = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
BUNDLES: Final = ("kubernetes:yaml/v2:ConfigGroup", "kubernetes:yaml/v2:ConfigFile")
ZONES: Final = (
    "gcp:dns/managedZone:ManagedZone",
    "aws:route53/zone:Zone",
    "azure-native:dns:Zone",
    "azure-native:privatedns:PrivateZone",
    "azure-native:network:PrivateZone",
)
RELEASE: Final = "kubernetes:helm.sh/v3:Release"


@dataclass(frozen=True)
class Loss:
    """`what` goes (or would go) with the resource `name`; `fate` says whether it does."""

    name: str
    type: str
    what: str
    fate: str  # one of FATES
    how: str  # "deleted", "replaced" or "re-parented"


FATES: Final = ("deleted", "left in the cluster", "protected")


def _metadata(resource: Resource) -> Mapping[str, Any]:
    metadata = (resource.get("inputs") or {}).get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def _object(resource: Resource) -> str:
    metadata = _metadata(resource)
    name = str(metadata.get("name") or resource["name"])
    return f"{metadata['namespace']}/{name}" if metadata.get("namespace") else name


def owner_refs(resources: Iterable[Resource]) -> bool:
    """Whether cert-manager, as a Release of this plan installs it, deletes a Certificate's Secret with it."""
    for resource in resources:
        inputs = resource.get("inputs") or {}
        if resource["type"] == RELEASE and inputs.get("chart") == "cert-manager":
            values = inputs.get("values") or {}
            config = values.get("config")
            nested = isinstance(config, Mapping) and config.get("enableCertificateOwnerRef") is True
            return values.get("enableCertificateOwnerRef") is True or nested
    return False


def what_goes(resource: Resource, secrets_follow: bool) -> tuple[str, bool] | None:
    """What data goes with the resource, and whether it really goes (False: it is left behind); None: no data."""
    type_, inputs = resource["type"], resource.get("inputs") or {}
    if type_ == NAMESPACE:
        return f"Namespace {_object(resource)} and every object in it", True
    if type_ in ZONES:
        name = inputs.get("dnsName") or inputs.get("name") or inputs.get("zoneName") or resource["name"]
        return f"DNS zone {name} and every record in it", True
    if type_ == CRD:
        return f"CustomResourceDefinition {_object(resource)} and every object of its kind", True
    if type_ in BUNDLES:
        return f"every object {resource['name']} applied: with a CRD, every object of its kind", True
    if type_ == SECRET_TYPE:
        return f"Secret {_object(resource)} and the keys or certificate it holds", True
    if type_ == CERTIFICATE:
        namespace = _metadata(resource).get("namespace")
        secret = (inputs.get("spec") or {}).get("secretName")
        held = f"Secret {namespace}/{secret}" if namespace else f"Secret {secret}"
        renewal = "" if secrets_follow else " (no longer renewed)"
        return f"{held}: certificate {_object(resource)} and its private key{renewal}", secrets_follow
    return None


def data_losses(olds: Mapping[str, Resource], removed: Iterable[tuple[str, str]]) -> tuple[Loss, ...]:
    """`removed`: (how, old key) of every resource the deploy deletes, replaces or re-parents."""
    secrets_follow = owner_refs(olds.values())
    found = []
    for how, key in removed:
        resource = olds[key]
        goes = what_goes(resource, secrets_follow)
        if goes is None:
            continue
        what, really = goes
        if resource.get("protect"):
            fate = "protected"
        elif resource.get("retainOnDelete") or not really:
            fate = "left in the cluster"
        else:
            fate = "deleted"
        found.append(Loss(resource["name"], resource["type"], what, fate, how))
    return tuple(sorted(found, key=lambda loss: (FATES.index(loss.fate), loss.type, loss.name)))
