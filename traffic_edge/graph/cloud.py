"""The DNS zone beside the edge, and who may change it: the cloud identities cert-manager and external-dns act as."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from traffic_edge.data.permissions.azure import AZURE_ROLES
from traffic_edge.graph.model import GraphBuilder, Node, fingerprint, object_key
from traffic_edge.graph.source import PlanView, Resource

# Zone resource type → (the DNS service, the input holding the zone's DNS name).
ZONE_TYPES: Final = {
    "gcp:dns/managedZone:ManagedZone": ("Cloud DNS", "dnsName"),
    "aws:route53/zone:Zone": ("Route 53", "name"),
    "azure-native:dns:Zone": ("Azure DNS", "zoneName"),
    "azure-native:privatedns:PrivateZone": ("Azure Private DNS", "privateZoneName"),
}
# Identity resource type → (what it is called, the input holding its name).
IDENTITY_TYPES: Final = {
    "gcp:serviceaccount/account:Account": ("Google service account", "accountId"),
    "aws:iam/role:Role": ("IAM role", "name"),
    "azure-native:managedidentity:UserAssignedIdentity": ("managed identity", "resourceName"),
}
# Resources that let a Kubernetes service account act as an identity, by the mechanism's name.
BINDING_TYPES: Final = {
    "gcp:serviceaccount/iAMMember:IAMMember": "Workload Identity",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": "EKS Pod Identity",
    "azure-native:managedidentity:FederatedIdentityCredential": "workload identity federation",
    "aws:iam/role:Role": "IRSA",  # the role's own trust policy names the service account
}
GCP_GRANTS: Final = ("gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember", "gcp:projects/iAMMember:IAMMember")
AZURE_ROLE_NAMES: Final = {guid: name for name, guid in AZURE_ROLES.items()}
# How a Kubernetes service account is written in trust policies, subjects and principals.
SERVICE_ACCOUNT_PATTERNS: Final = (
    re.compile(r"system:serviceaccount:([a-z0-9.-]+):([a-z0-9.-]+)"),
    re.compile(r"\.svc\.id\.goog\[([a-z0-9.-]+)/([a-z0-9.-]+)\]"),
    re.compile(r"/subject/ns/([a-z0-9.-]+)/sa/([a-z0-9.-]+)"),
)
# (what is allowed, where, whether that is the zone)
Grant = tuple[str, str, bool]


def add_dns(view: PlanView, builder: GraphBuilder) -> str | None:
    """The zone, the identities granted on it and who acts as them; returns the zone's key, if there is a zone."""
    zone = _add_zone(view, builder)
    for identity in (r for r in view.cloud if r["type"] in IDENTITY_TYPES):
        service, field = IDENTITY_TYPES[identity["type"]]
        name = str(_inputs(identity).get(field))
        dependents = [r for r in view.cloud if identity["urn"] in (r.get("dependencies") or [])]
        key = object_key("Identity", str(identity["type"]).rpartition(":")[2], name)
        _add_identity(view, builder, key, f"{service} {name}", [identity, *dependents], zone)
    for member, grants in _principal_grants(view).items():
        account = _service_account({"inputs": {"member": member}})
        key = object_key("Identity", "principal", member)
        _add_identity(view, builder, key, f"IAM principal {'/'.join(account)}" if account else member, grants, zone)
        if account is not None:  # the principal is the service account itself
            builder.edge(_workload(view, builder, *account), key, f"Workload Identity as {'/'.join(account)}")
    for release in view.releases:
        if _chart(release) == "external-dns" and zone is not None:
            builder.edge(_controller(builder, release), zone, "publishes route hostnames")
    return zone


def _inputs(resource: Resource) -> Mapping[str, Any]:
    return resource.get("inputs") or {}


def _add_zone(view: PlanView, builder: GraphBuilder) -> str | None:
    for zone in (r for r in view.cloud if r["type"] in ZONE_TYPES):
        service, field = ZONE_TYPES[zone["type"]]
        inputs = _inputs(zone)
        name = str(inputs.get(field, "")).rstrip(".")
        private = inputs.get("visibility") == "private" or inputs.get("zoneType") == "Private" or inputs.get("vpcs")
        notes = [service] + ["private"] * bool(private) + ["protected"] * bool(zone.get("protect"))
        return builder.node(Node(object_key("Zone", "", name), "zone", (f"DNS zone {name}", " · ".join(notes)),
                                 fingerprint(inputs, zone.get("protect")), group="dns"))
    declared = view.outputs.get("dnsZone")
    if isinstance(declared, Mapping) and declared.get("name"):
        name = str(declared["name"]).rstrip(".")
        lines = (f"DNS zone {name}", "not created by this stack")
        return builder.node(Node(object_key("Zone", "", name), "zone", lines, fingerprint(name), group="dns"))
    return None


def _add_identity(
    view: PlanView, builder: GraphBuilder, key: str, title: str, resources: list[Resource], zone: str | None
) -> None:
    """One identity: the service accounts that act as it, and its grants (those on the zone as an edge to it)."""
    grants = [grant for resource in resources for grant in _grants(resource)]
    elsewhere = [f"{what} on {where}" for what, where, on_zone in grants if not (on_zone and zone)]
    builder.node(Node(key, "identity", (title, *elsewhere), fingerprint([_inputs(r) for r in resources]), group="dns"))
    for resource in resources:
        account = _service_account(resource) if resource["type"] in BINDING_TYPES else None
        if account is not None:
            mechanism = BINDING_TYPES[resource["type"]]
            builder.edge(_workload(view, builder, *account), key, f"{mechanism} as {'/'.join(account)}")
    on_zone = [what for what, _, zone_grant in grants if zone_grant]
    if zone is not None and on_zone:
        builder.edge(key, zone, "; ".join(on_zone))


def _principal_grants(view: PlanView) -> dict[str, list[Resource]]:
    """GCP roles bound straight to a Kubernetes service account's principal, with no identity resource between."""
    identities = {r["urn"] for r in view.cloud if r["type"] in IDENTITY_TYPES}
    found: dict[str, list[Resource]] = {}
    for grant in (r for r in view.cloud if r["type"] in GCP_GRANTS):
        if not identities & set(grant.get("dependencies") or []):
            found.setdefault(str(_inputs(grant).get("member")), []).append(grant)
    return found


def _service_account(resource: Resource) -> tuple[str, str] | None:
    inputs = _inputs(resource)
    if "serviceAccount" in inputs and "namespace" in inputs:  # an EKS Pod Identity association
        return str(inputs["namespace"]), str(inputs["serviceAccount"])
    text = json.dumps(inputs)
    for pattern in SERVICE_ACCOUNT_PATTERNS:
        match = pattern.search(text)
        if match:
            return match.group(1), match.group(2)
    return None


def _grants(resource: Resource) -> list[Grant]:
    inputs, type_ = _inputs(resource), resource["type"]
    if type_ == GCP_GRANTS[0]:
        return [(str(inputs.get("role")), f"zone {inputs.get('managedZone')}", True)]
    if type_ == GCP_GRANTS[1]:
        return [(str(inputs.get("role")), f"project {inputs.get('project')}", False)]
    if type_ == "aws:iam/rolePolicy:RolePolicy":
        return _aws_grants(inputs.get("policy"))
    if type_ == "azure-native:authorization:RoleAssignment":
        guid = str(inputs.get("roleDefinitionId", "")).rpartition("/")[2]
        scope = str(inputs.get("scope", ""))
        return [(AZURE_ROLE_NAMES.get(guid, guid), _azure_scope(scope), "/dnszones/" in scope.lower())]
    return []


def _azure_scope(scope: str) -> str:
    """`/subscriptions/…/resourceGroups/dns` → `resource group dns`: the last segment pair, in words."""
    parts = scope.strip("/").split("/")
    if len(parts) < 2:
        return scope
    kind = {"resourcegroups": "resource group", "subscriptions": "subscription", "dnszones": "zone"}
    return f"{kind.get(parts[-2].lower(), parts[-2])} {parts[-1]}"


def _aws_grants(policy: Any) -> list[Grant]:
    try:
        document = json.loads(policy) if isinstance(policy, str) else {}
    except ValueError:
        return []
    grants = []
    for statement in document.get("Statement") or []:
        actions, targets = _listed(statement.get("Action")), _listed(statement.get("Resource"))
        what = ", ".join(action.removeprefix("route53:") for action in actions)
        on_zone = any("hostedzone/" in target for target in targets)
        grants.append((what, "the zone" if on_zone else ", ".join(targets), on_zone))
    return grants


def _listed(value: Any) -> list[str]:
    """IAM writes one value as a string and several as a list."""
    return [value] if isinstance(value, str) else [str(item) for item in value or []]


def _chart(release: Resource) -> str:
    return str(_inputs(release).get("chart", "")).rstrip("/").rpartition("/")[2]


def _controller(builder: GraphBuilder, release: Resource) -> str:
    inputs = _inputs(release)
    values = inputs.get("values") or {}
    lines = [f"{_chart(release)} · Helm release {inputs.get('namespace')}/{inputs.get('name')}"]
    if _chart(release) == "external-dns":
        provider = (values.get("provider") or {}).get("name", "?")
        lines.append(f"provider {provider} · policy {values.get('policy', '?')}")
        lines.append(f"sources {', '.join(values.get('sources') or [])}")
    key = object_key("HelmRelease", str(inputs.get("namespace")), str(inputs.get("name")))
    return builder.node(Node(key, "controller", tuple(lines), fingerprint(inputs), group="dns"))


def _workload(view: PlanView, builder: GraphBuilder, namespace: str, service_account: str) -> str:
    """The Helm release running in the service account's namespace, or the bare service account."""
    release = next((r for r in view.releases if _inputs(r).get("namespace") == namespace), None)
    if release is not None:
        return _controller(builder, release)
    key = object_key("ServiceAccount", namespace, service_account)
    return builder.node(Node(key, "workload", (f"ServiceAccount {namespace}/{service_account}",), group="dns"))
