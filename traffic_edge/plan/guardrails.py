"""Two ValidatingAdmissionPolicies that judge what anyone writes in the cluster against the stack's config.

- `domain-hostnames` (guardrails.hostnamesInDomain, on by default): every hostname a Gateway or ListenerSet listener,
  an HTTPRoute, GRPCRoute or TLSRoute, or an external-dns name annotation names lies in `domain` or one of
  `guardrails.allowedDomains`; the platform's identities are exempt. A name that is not written (a listener or route
  without hostnames) is not judged here: in a tenant's namespace `gateway-hostnames` and `route-hostnames` do.
  On by default because it cannot break a valid stack: every hostname of the stack lies in `domain` already
  (traffic_edge.config.rules), so only objects made outside it and naming other domains are refused, with the fix.
- `gateway-tenant-namespaces` (where tenants exist): no Gateway or ListenerSet listener admits routes from a
  tenant's namespace unless the tenant was given that gateway. A CEL policy sees the Gateway alone, so the policy
  holds which tenant owns which namespace and which tenants each configured gateway was given; a listener passes
  with `from: Same`, or with a selector that pins its namespaces by name (kubernetes.io/metadata.name In …) or by
  tenant (traffic-edge.io/tenant In the given ones, NotIn every other, or DoesNotExist) — labels only the API server
  and the platform set. `from: All` passes only where no tenant is left out. The same for a Gateway's
  allowedListeners, which let ListenerSets of other namespaces add listeners.

Gateway API v1.6.1 (apis/v1/gateway_types.go): RouteNamespaces `from` is All, Selector or Same (default Same) with
one label selector; AllowedListeners' ListenerNamespaces adds None (the default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from traffic_edge.config.model import StackConfig
from traffic_edge.config.queries import given_tenants, namespace_owners
from traffic_edge.config.tenancy import NAMESPACE_LABEL, TENANT_LABEL
from traffic_edge.plan.objects import GATEWAY_GROUP
from traffic_edge.plan.vap import (
    DNS_NAME_ANNOTATIONS,
    cel_list,
    cel_map,
    cel_string,
    dns_name_validation,
    not_the_platform,
    policy,
    resource_rule,
)


@dataclass(frozen=True)
class Tenancy:
    """What the tenant policies hold from config."""

    owners: Mapping[str, str]  # tenant namespace → its tenant
    given: Mapping[str, Sequence[str]]  # `<namespace>/<gateway>` → the tenants given that gateway
    child_suffixes: Sequence[str] = ()  # the suffixes of tenants that have a parent


def tenancy(config: StackConfig) -> Tenancy | None:
    if not config.tenants:
        return None
    given = {
        f"{gateway.namespace}/{gateway.name}": sorted(
            {tenant for listener in gateway.listeners for tenant in given_tenants(config, gateway, listener)})
        for gateway in config.gateways
    }
    children = sorted(tenant.hostname_suffix for tenant in config.tenants.values() if tenant.parent is not None)
    return Tenancy(dict(sorted(namespace_owners(config.tenants).items())), given, children)


def in_domains(hostname: str) -> str:
    """CEL: `hostname` (possibly `*.x`) is one of the domains or lies under one."""
    return f"variables.domains.exists(d, {hostname} == d || {hostname}.endsWith('.' + d))"


def domain_hostnames_policy(domains: Sequence[str], users: Sequence[str], groups: Sequence[str]) -> dict[str, Any]:
    where = " or ".join(domains)
    listeners = ("!has(object.spec) || !has(object.spec.listeners) || "
                 f"object.spec.listeners.all(l, !has(l.hostname) || {in_domains('l.hostname')})")
    hostnames = f"!has(object.spec) || !has(object.spec.hostnames) || object.spec.hostnames.all(h, {in_domains('h')})"
    routes = ["gateways", "listenersets", "httproutes", "grpcroutes", "tlsroutes", "tcproutes", "udproutes"]
    validations = [
        {"expression": listeners, "message": f"every listener hostname must lie in {where}"},
        {"expression": hostnames, "message": f"every route hostname must lie in {where}"},
        *({"expression": dns_name_validation(annotation, in_domains),
           "message": f"every name in {annotation} must lie in {where}"} for annotation in DNS_NAME_ANNOTATIONS),
    ]
    return policy(
        "domain-hostnames",
        [resource_rule(GATEWAY_GROUP, routes), resource_rule("", ["services"])],
        validations,
        match_conditions=[not_the_platform(users, groups)] if users or groups else (),
        variables=[{"name": "domains", "expression": cel_list(domains)}],
    )


def _pinned(namespaces: str) -> str:
    """CEL: a listener's (or allowedListeners') `namespaces` admit no tenant but the given ones."""
    name, tenant = cel_string(NAMESPACE_LABEL), cel_string(TENANT_LABEL)
    selector = f"{namespaces}.selector"
    labels = f"{selector}.matchLabels"

    def given_or_no_tenants(namespace: str) -> str:
        return f"(!({namespace} in variables.owners) || variables.owners[{namespace}] in variables.given)"

    by_labels = (f"(has({labels}) && (({name} in {labels} && {given_or_no_tenants(f'{labels}[{name}]')}) || "
                 f"({tenant} in {labels} && {labels}[{tenant}] in variables.given)))")
    requirement = (
        f"(e.key == {name} && e.operator == 'In' && has(e.values) && e.values.all(v, {given_or_no_tenants('v')})) || "
        f"(e.key == {tenant} && (e.operator == 'DoesNotExist' || "
        "(e.operator == 'In' && has(e.values) && e.values.all(v, v in variables.given)) || "
        "(e.operator == 'NotIn' && has(e.values) && variables.others.all(t, t in e.values))))"
    )
    by_expressions = f"(has({selector}.matchExpressions) && {selector}.matchExpressions.exists(e, {requirement}))"
    return (f"(size(variables.others) == 0 || !has({namespaces}.from) || {namespaces}.from in ['Same', 'None'] || "
            f"({namespaces}.from == 'Selector' && has({selector}) && ({by_labels} || {by_expressions})))")


def gateway_tenant_namespaces_policy(tenants: Tenancy) -> dict[str, Any]:
    listeners = ("object.spec.listeners.all(l, !has(l.allowedRoutes) || !has(l.allowedRoutes.namespaces) || "
                 f"{_pinned('l.allowedRoutes.namespaces')})")
    listener_sets = ("!has(object.spec.allowedListeners) || !has(object.spec.allowedListeners.namespaces) || "
                     f"{_pinned('object.spec.allowedListeners.namespaces')}")
    owner = "(request.namespace in variables.owners ? [variables.owners[request.namespace]] : [])"
    key = "request.namespace + '/' + object.metadata.name"
    given = f"(request.resource.resource == 'gateways' && {key} in variables.gateways ? variables.gateways[{key}] : " \
            f"[]) + {owner}"
    every = sorted(set(tenants.owners.values()))
    fix = (f"admit by name ({NAMESPACE_LABEL} In [...]) or by tenant ({TENANT_LABEL} In the given ones, or NotIn "
           "every other)")
    return policy(
        "gateway-tenant-namespaces",
        [resource_rule(GATEWAY_GROUP, ["gateways", "listenersets"])],
        [{"expression": listeners, "message": f"a listener admits routes from namespaces of tenants this gateway "
          f"was not given: {fix}"},
         {"expression": listener_sets, "message": "allowedListeners admits ListenerSets from namespaces of tenants "
          f"this gateway was not given: {fix}"}],
        variables=[
            {"name": "owners", "expression": cel_map(tenants.owners)},
            {"name": "gateways", "expression": cel_map(tenants.given)},
            {"name": "given", "expression": given},
            {"name": "others", "expression": f"{cel_list(every)}.filter(t, !(t in variables.given))"},
        ],
    )
