"""The policies of the traffic-edge pack, importable without starting the analyzer server (`__main__.py` does).

Each check is a plain function over what the engine hands a policy: the resource's type, its properties and
options (`ResourceValidationArgs`), or every resource of the stack (`StackValidationArgs`). Facts about the
stack, its domain and whether it is production, come from the policy's own config where set, else from the
stack config the engine passes policy packs in PULUMI_CONFIG.

The tables here are the pack's own on purpose: a policy guards the program, so it does not take the program's word
for what is safe. The one exception is the grants beyond a DNS zone that the program documents row by row (an
Azure controller's roles on the cluster's node resource group): those are read from the rows, so that the pack and
the program cannot disagree about them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pulumi.runtime import get_config
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from traffic_edge.controllers import CONTROLLERS
from traffic_edge.data.permissions.azure import AZURE, AZURE_ROLES, AzureRow

PROJECT = "traffic-edge"
GATEWAY_GROUP = "gateway.networking.k8s.io"
CERT_MANAGER_GROUP = "cert-manager.io"
# external-dns publishes TCP/UDP route names from this annotation (source/annotations/annotations.go), under the
# prefix the program sets (v0.22.0's default) or the alpha one v0.21.0 defaulted to: both are judged.
HOSTNAME_ANNOTATIONS = ("external-dns.kubernetes.io/hostname", "external-dns.alpha.kubernetes.io/hostname")
LETSENCRYPT_PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory"


class Options(Protocol):
    @property
    def protect(self) -> bool: ...


class StackResource(Protocol):
    """What a check reads of `pulumi_policy.PolicyResource` (and of ResourceValidationArgs)."""

    @property
    def resource_type(self) -> str: ...
    @property
    def props(self) -> Mapping[str, Any]: ...
    @property
    def urn(self) -> str: ...


class ResourceArgs(StackResource, Protocol):
    """What a resource check reads of `pulumi_policy.ResourceValidationArgs`."""

    @property
    def opts(self) -> Options: ...

    def get_config(self) -> Mapping[str, Any]: ...


class StackArgs(Protocol):
    """What a stack check reads of `pulumi_policy.StackValidationArgs`."""

    @property
    def resources(self) -> Sequence[StackResource]: ...


@dataclass(frozen=True)
class StackFacts:
    domain: str | None
    production: bool
    zones_protected: bool = True  # false where the stack says `dns.protect: false`: the pack agrees with it


def stack_facts(policy_config: Mapping[str, Any]) -> StackFacts:
    """The policy's config where it sets `domain`/`production`, else the stack's `traffic-edge:` config."""
    domain = policy_config.get("domain") or get_config(f"{PROJECT}:domain")
    production = policy_config.get("production")
    if production is None:
        production = str(get_config(f"{PROJECT}:production") or "false").lower() == "true"
    dns = str(get_config(f"{PROJECT}:dns") or "{}")  # the engine hands an object over as JSON
    protect = json.loads(dns).get("protect", True) if dns.startswith("{") else True
    return StackFacts(str(domain) if domain else None, bool(production), protect is not False)


def kube_kind(resource_type: str) -> tuple[str, str] | None:
    """`kubernetes:gateway.networking.k8s.io/v1:Gateway` → (group, kind); None for anything else."""
    match = re.fullmatch(r"kubernetes:(?:([^/:]+)/)?[^/:]+:([A-Za-z]+)", resource_type)
    return (match.group(1) or "", match.group(2)) if match else None


def in_domain(hostname: str, domain: str) -> bool:
    bare = hostname[2:] if hostname.startswith("*.") else hostname
    return bare == domain or bare.endswith("." + domain)


def _items(value: Any) -> Sequence[Any]:
    """A list property; under the analyzer it is a read-only Sequence proxy, not a list."""
    return value if isinstance(value, Sequence) and not isinstance(value, str) else []


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def kube_hostnames(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, hostname) for every name a Gateway API object or cert-manager Certificate claims."""
    kind = kube_kind(resource_type)
    if kind is None:
        return
    group, name = kind
    spec = _map(props.get("spec"))
    if group == GATEWAY_GROUP:
        for index, listener in enumerate(_items(spec.get("listeners"))):
            if isinstance(_map(listener).get("hostname"), str):
                yield f"spec.listeners[{index}].hostname", listener["hostname"]
        for index, hostname in enumerate(_items(spec.get("hostnames"))):
            yield f"spec.hostnames[{index}]", str(hostname)
        annotations = _map(_map(props.get("metadata")).get("annotations"))
        for key in HOSTNAME_ANNOTATIONS:
            annotation = annotations.get(key)
            if isinstance(annotation, str):
                for hostname in annotation.split(","):
                    yield f"metadata.annotations[{key}]", hostname.strip().lower()
    elif (group, name) == (CERT_MANAGER_GROUP, "Certificate"):
        for index, hostname in enumerate(_items(spec.get("dnsNames"))):
            yield f"spec.dnsNames[{index}]", str(hostname)


def hostnames_in_domain(args: ResourceArgs, report: ReportViolation) -> None:
    facts = stack_facts(args.get_config())
    if facts.domain is None:
        return
    for where, hostname in kube_hostnames(args.resource_type, args.props):
        if not in_domain(hostname, facts.domain):
            report(f"{where}: {hostname} is outside the environment's domain {facts.domain}", None)


def production_issuers_allowed() -> frozenset[str]:
    """The issuers the stack config puts on Let's Encrypt production outside production on purpose: `acme`'s
    letsencrypt-production with issuers.acme.allowOutsideProduction, an issuers.acmeIssuers entry with its own."""
    raw = get_config(f"{PROJECT}:issuers")
    try:
        issuers = _map(json.loads(raw) if isinstance(raw, str) else raw)
    except json.JSONDecodeError:
        return frozenset()
    allowed = {name for name, issuer in _map(issuers.get("acmeIssuers")).items()
               if _map(issuer).get("allowOutsideProduction") is True}
    if _map(issuers.get("acme")).get("allowOutsideProduction") is True:
        allowed.add("letsencrypt-production")
    return frozenset(allowed)


def no_production_issuer_outside_production(args: ResourceArgs, report: ReportViolation) -> None:
    kind = kube_kind(args.resource_type)
    if kind not in ((CERT_MANAGER_GROUP, "Issuer"), (CERT_MANAGER_GROUP, "ClusterIssuer")):
        return
    server = _map(_map(args.props.get("spec")).get("acme")).get("server")
    if server != LETSENCRYPT_PRODUCTION or stack_facts(args.get_config()).production:
        return
    name = _map(args.props.get("metadata")).get("name")
    if name not in production_issuers_allowed():
        report("a Let's Encrypt production issuer in a stack not marked production (traffic-edge:production); "
               "its rate limits and real certificates belong to production only, unless the stack says so "
               f"(traffic-edge:issuers: acmeIssuers.{name}.allowOutsideProduction, or "
               "acme.allowOutsideProduction for letsencrypt-production)", None)


# Deleting one of these takes down every name in it, or every object of a kind: they must be protected.
PROTECTED_TYPES: dict[str, str] = {
    "gcp:dns/managedZone:ManagedZone": "a Cloud DNS zone",
    "aws:route53/zone:Zone": "a Route 53 hosted zone",
    "azure-native:dns:Zone": "an Azure DNS zone",
    "azure-native:privatedns:PrivateZone": "an Azure private DNS zone",
    "azure-native:network:PrivateZone": "an Azure private DNS zone",
    "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition": "a CRD (deleting it deletes all its objects)",
}
GATEWAY_API_BUNDLE = re.compile(r"/kubernetes-sigs/gateway-api/releases/download/[^/]+/[a-z-]*install\.yaml$")
# The header of a release bundle's text (hack/build-install-yaml.sh), as the program applies it verified, inline.
GATEWAY_API_BUNDLE_TEXT = re.compile(r"^# Gateway API [A-Za-z]+ channel install$", re.MULTILINE)


def zones_and_crds_protected(args: ResourceArgs, report: ReportViolation) -> None:
    what = PROTECTED_TYPES.get(args.resource_type)
    if what is not None and "Zone" in args.resource_type and not stack_facts(args.get_config()).zones_protected:
        return
    if args.resource_type == "kubernetes:yaml/v2:ConfigFile" and GATEWAY_API_BUNDLE.search(str(args.props.get("file"))):
        what = "the Gateway API CRD bundle"
    bundle_text = str(args.props.get("yaml"))
    if args.resource_type == "kubernetes:yaml/v2:ConfigGroup" and GATEWAY_API_BUNDLE_TEXT.search(bundle_text):
        what = "the Gateway API CRD bundle"
    if what is not None and not args.opts.protect:
        report(f"{what} must be created with protect=True", None)


# Route 53 actions that may name more than one zone: listing zones and records, reading tags and waiting for
# changes. https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/aws/ (IAM policy),
# https://cert-manager.io/docs/configuration/acme/dns01/route53/ (IAM policy)
ROUTE53_LISTING = frozenset({
    "route53:listhostedzones", "route53:listhostedzonesbyname", "route53:listresourcerecordsets",
    "route53:listtagsforresource", "route53:listtagsforresources", "route53:getchange",
})
ONE_ZONE_ARN = re.compile(r"^arn:aws[a-z-]*:route53:::hostedzone/[A-Z0-9]+$")
# AWS managed policies that grant Route 53 writes on every zone.
WIDE_MANAGED_POLICIES = ("AmazonRoute53FullAccess",)
# GCP roles that write every zone of the project (or more) they are granted on.
# https://cloud.google.com/dns/docs/access-control#roles
WIDE_GCP_ROLES = frozenset({"roles/dns.admin", "roles/editor", "roles/owner"})
WIDE_GCP_GRANTS = frozenset({
    "gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding",
    "gcp:folder/iAMMember:IAMMember", "gcp:folder/iAMBinding:IAMBinding",
    "gcp:organizations/iAMMember:IAMMember", "gcp:organizations/iAMBinding:IAMBinding",
})
GCP_ZONE_GRANT = "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember"
GCP_CUSTOM_ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
# A custom role's name; on a whole project it reaches every zone there, whatever it grants.
GCP_CUSTOM_ROLE_NAME = re.compile(r"^(projects|organizations)/[^/]+/roles/[^/]+$")
# What a DNS role may do: records and changes of the zone it is bound on, and listing; never the zone itself
# (dns.managedZones.update/delete) or the project's policies. https://cloud.google.com/dns/docs/access-control
GCP_DNS_RECORD_PERMISSIONS = ("dns.resourceRecordSets.", "dns.changes.")
GCP_DNS_LISTING = frozenset({"dns.managedZones.list", "dns.managedZones.get", "dns.projects.get"})
AZURE_ZONE_SCOPE = re.compile(r"/providers/Microsoft\.Network/(dnszones|privateDnsZones)/[^/]+(/.*)?$", re.IGNORECASE)
AZURE_RESOURCE_GROUP = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+$", re.IGNORECASE)
AZURE_SUBNET = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+/subnets/[^/]+$",
    re.IGNORECASE,
)
# The ARM ID each symbolic scope of a row (traffic_edge.data.permissions.azure.AzureScope) resolves to.
AZURE_SCOPE_SHAPES: dict[str, re.Pattern[str]] = {
    "zone": AZURE_ZONE_SCOPE,
    "zone_resource_group": AZURE_RESOURCE_GROUP,
    "node_resource_group": AZURE_RESOURCE_GROUP,
    "alb_resource_group": AZURE_RESOURCE_GROUP,
    "alb_subnet": AZURE_SUBNET,
}


def documented_azure_grants(rows: Sequence[AzureRow]) -> frozenset[tuple[str, str]]:
    """(role name, symbolic scope) of every grant beyond a DNS zone the rows document."""
    return frozenset((grant.role, grant.scope) for row in rows for grant in row.grants if grant.scope != "zone")


# cert-manager's and external-dns's rows, and every controller's: what the program itself may grant.
AZURE_DOCUMENTED = documented_azure_grants([*AZURE.values(), *(row.azure for row in CONTROLLERS.values() if row.azure)])


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(item) for item in _items(value)]


def route53_violations(document: Any) -> Iterator[str]:
    """Why an IAM policy document grants Route 53 changes wider than one hosted zone."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return  # not a policy document (the offline preview masks secrets): nothing to judge
    statements = _items(_map(document).get("Statement")) or [_map(document).get("Statement")]
    for index, statement in enumerate(map(_map, statements)):
        if statement.get("Effect", "Allow") != "Allow":
            continue
        actions = [item.lower() for item in _listed(statement.get("Action"))]
        zone_actions = [item for item in actions if (item.startswith("route53:") or item == "*")
                        and item not in ROUTE53_LISTING]
        if "NotAction" in statement:
            zone_actions.append("NotAction")
        resources = _listed(statement.get("Resource"))
        one_zone = len(resources) == 1 and ONE_ZONE_ARN.match(resources[0]) and "NotResource" not in statement
        if zone_actions and not one_zone:
            yield (f"Statement[{index}] grants {', '.join(sorted(zone_actions))} on {resources or 'NotResource'}, "
                   "wider than one hosted zone")


def gcp_violations(kind: str, props: Mapping[str, Any]) -> Iterator[str]:
    """Why a Google Cloud grant or role reaches beyond one zone's records."""
    role = props.get("role")
    if kind == GCP_CUSTOM_ROLE:
        beyond = sorted(permission for permission in _listed(props.get("permissions"))
                        if permission.startswith("dns.") and permission not in GCP_DNS_LISTING
                        and not permission.startswith(GCP_DNS_RECORD_PERMISSIONS))
        if beyond:
            yield f"the custom role grants {', '.join(beyond)}: more than a zone's record sets and changes"
    elif kind == GCP_ZONE_GRANT and role == "roles/dns.admin":
        yield ("roles/dns.admin on a managed zone can also update and delete the zone itself; bind a custom role "
               "with only its record-set and change permissions")
    elif kind in WIDE_GCP_GRANTS and (role in WIDE_GCP_ROLES or GCP_CUSTOM_ROLE_NAME.match(str(role))):
        yield (f"{role} on a whole {kind.split(':')[1].split('/', maxsplit=1)[0]} writes every zone in it; bind "
               "record-set permissions on the managed zone (gcp:dns/dnsManagedZoneIamMember) and roles/dns.reader on "
               "the project")


def azure_violations(props: Mapping[str, Any]) -> Iterator[str]:
    """Why an Azure role assignment reaches beyond one DNS zone where no row of the program documents it."""
    scope, role = props.get("scope"), str(props.get("roleDefinitionId", "")).lower()
    if not isinstance(scope, str) or not scope.startswith("/subscriptions/"):
        return  # not an ARM ID (the offline preview masks secrets): nothing to judge
    if AZURE_ZONE_SCOPE.search(scope):
        return
    for name, kind in AZURE_DOCUMENTED:
        shape = AZURE_SCOPE_SHAPES.get(kind)
        if role.endswith(AZURE_ROLES[name]) and shape is not None and shape.match(scope):
            return
    documented = ", ".join(sorted(f"{name} on the {kind.replace('_', ' ')}" for name, kind in AZURE_DOCUMENTED))
    yield f"role assignment on {scope} is wider than one DNS zone (beyond a zone, only: {documented})"


def dns_grants_least_privilege(args: ResourceArgs, report: ReportViolation) -> None:
    props, kind = args.props, args.resource_type
    if kind in ("aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy"):
        for reason in route53_violations(props.get("policy")):
            report(reason, None)
    elif kind == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
        arn = str(props.get("policyArn", ""))
        if any(arn.endswith(f":policy/{name}") for name in WIDE_MANAGED_POLICIES):
            report(f"{arn} grants Route 53 changes on every zone; grant one hosted zone instead", None)
    elif kind.startswith("gcp:"):
        for reason in gcp_violations(kind, props):
            report(reason, None)
    elif kind == "azure-native:authorization:RoleAssignment":
        for reason in azure_violations(props):
            report(reason, None)


def _terminates_tls(listener: Mapping[str, Any]) -> bool:
    mode = _map(listener.get("tls")).get("mode", "Terminate")
    return listener.get("protocol") == "HTTPS" or (listener.get("protocol") == "TLS" and mode == "Terminate")


def tls_listeners_have_certificates(args: StackArgs, report: ReportViolation) -> None:
    """A listener's certificate is a Secret some Certificate of the stack issues, an implementation's own
    `tls.options`, or (AWS load balancers) an ACM ARN in the LoadBalancerConfiguration the Gateway references."""
    issued, acm = set(), set()
    for resource in args.resources:
        kind, props = kube_kind(resource.resource_type), resource.props
        meta, spec = _map(props.get("metadata")), _map(props.get("spec"))
        if kind == (CERT_MANAGER_GROUP, "Certificate"):
            issued.add((meta.get("namespace"), spec.get("secretName")))
        elif kind is not None and kind[1] == "LoadBalancerConfiguration":
            for item in _items(spec.get("listenerConfigurations")):
                if _map(item).get("defaultCertificate"):
                    acm.add((meta.get("namespace"), meta.get("name"), item.get("protocolPort")))
    for resource in args.resources:
        if kube_kind(resource.resource_type) != (GATEWAY_GROUP, "Gateway"):
            continue
        meta, spec = _map(resource.props.get("metadata")), _map(resource.props.get("spec"))
        parameters = _map(_map(spec.get("infrastructure")).get("parametersRef")).get("name")
        for listener in map(_map, _items(spec.get("listeners"))):
            if not _terminates_tls(listener):
                continue
            tls = _map(listener.get("tls"))
            at = f"Gateway {meta.get('namespace')}/{meta.get('name')} listener {listener.get('name')}"
            refs = [_map(ref) for ref in _items(tls.get("certificateRefs"))]
            for ref in refs:
                secret = (ref.get("namespace") or meta.get("namespace"), ref.get("name"))
                if ref.get("kind", "Secret") == "Secret" and secret not in issued:
                    report(f"{at}: Secret {secret[0]}/{secret[1]} is issued by no Certificate of this stack",
                           resource.urn)
            port_key = (meta.get("namespace"), parameters, f"{listener.get('protocol')}:{listener.get('port')}")
            if not refs and not tls.get("options") and port_key not in acm:
                report(f"{at} terminates TLS without a certificate", resource.urn)


ResourceCheck = Callable[[ResourceArgs, ReportViolation], None]


def _resource_policy(
    name: str, description: str, validate: ResourceCheck, schema: dict[str, Any] | None = None
) -> ResourceValidationPolicy:
    config = PolicyConfigSchema(properties=schema) if schema else None
    return ResourceValidationPolicy(name=name, description=description, validate=validate,
                                    enforcement_level=EnforcementLevel.MANDATORY, config_schema=config)


DOMAIN_SCHEMA = {"domain": {"type": "string", "description": "defaults to the stack's traffic-edge:domain"}}
PRODUCTION_SCHEMA = {"production": {"type": "boolean", "description": "defaults to traffic-edge:production"}}

POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    _resource_policy("hostnames-in-domain", "Every listener, route and certificate name lies inside the "
                     "environment's domain.", hostnames_in_domain, DOMAIN_SCHEMA),
    StackValidationPolicy(name="tls-listeners-have-certificates", description="Every HTTPS and TLS-terminate "
                          "listener has a certificate.", validate=tls_listeners_have_certificates,
                          enforcement_level=EnforcementLevel.MANDATORY),
    _resource_policy("no-letsencrypt-production-outside-production", "No Let's Encrypt production issuer in a "
                     "stack not marked production.", no_production_issuer_outside_production, PRODUCTION_SCHEMA),
    _resource_policy("zones-and-crds-protected", "DNS zones (unless dns.protect is false) and CRDs are protected.",
                     zones_and_crds_protected),
    _resource_policy("dns-grants-least-privilege", "No IAM grant reaches wider than one DNS zone's records, except "
                     "listing and the grants the program's rows document.", dns_grants_least_privilege),
]
