"""ValidatingAdmissionPolicies: the API server itself refuses what would let one team take another's traffic.

In a tenant's namespace (one carrying the suffix label, see traffic_edge.config.tenancy):
- `gateway-hostnames`: every HTTP/HTTPS/TLS listener of a Gateway or ListenerSet names a hostname under the suffix;
- `route-hostnames`: an HTTPRoute, GRPCRoute or TLSRoute names hostnames, all under the suffix (a route
  without hostnames takes every name its listener serves);
- `dns-hostname-annotations`: the external-dns hostname annotation on routes, Gateways and Services stays
  under the suffix (external-dns would otherwise publish another team's name).
Where tenants have children, "under the suffix" leaves out the child tenants' suffixes below it: the policies hold
the list of child suffixes, and the namespace's own suffix label says which of them lie below its tenant's.
Everywhere:
- `tenant-labels`: only the platform's identity sets or changes the two tenant labels of a namespace;
- `gateway-tenant-namespaces` and `domain-hostnames` (traffic_edge.plan.guardrails): no Gateway admits a tenant it
  was not given; every hostname lies in the environment's domain;
- `http-listener-routes`: nothing but the HTTP→HTTPS redirect and cert-manager's HTTP-01 challenge routes attaches
  to a Gateway's port-80 listener that only redirects (served in clear text); routes without sectionName are judged
  by the listeners they actually attach to. It reads the live Gateway as its params, so one binding per Gateway that
  has such a listener. Port-80 listeners that carry routes (`httpMode: routes`) are not its business.

The CEL is built here from data and checked with cel-python against allowed and refused objects
(tests/test_admission.py); the components register the objects. It uses standard CEL plus the Kubernetes
strings library (`split`, `trim`, `lowerAscii`): https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-strings-library
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from traffic_edge.config.model import Gateway, StackConfig
from traffic_edge.config.queries import redirects_to_https
from traffic_edge.config.tenancy import SUFFIX_LABEL, TENANT_LABEL
from traffic_edge.plan.guardrails import Tenancy, domain_hostnames_policy, gateway_tenant_namespaces_policy, tenancy
from traffic_edge.plan.objects import GATEWAY_GROUP, KubeObject
from traffic_edge.plan.vap import (
    DNS_NAME_ANNOTATIONS,
    binding,
    cel_list,
    cel_string,
    dns_name_validation,
    not_the_platform,
    policy,
    resource_rule,
)

# cert-manager labels the HTTPRoutes it creates for HTTP-01 challenges with this, in the Challenge's namespace:
# https://github.com/cert-manager/cert-manager/blob/v1.21.1/pkg/apis/acme/v1/types.go (SolverIdentificationLabelKey),
# pkg/issuer/acme/http/httproute.go.
ACME_SOLVER_LABEL = "acme.cert-manager.io/http01-solver"
ACME_CHALLENGE_PATH = "/.well-known/acme-challenge/"
# On a Gateway with port-80 listeners of both kinds: those that carry routes, comma-separated (http-listener-routes).
ROUTE_LISTENERS_ANNOTATION = "traffic-edge.io/http-route-listeners"
HTTP_PORT = 80

SUFFIX = "variables.suffix"
CHILDREN = "variables.children"
# Tenant namespaces, by their suffix label. A namespaceSelector, not a matchCondition: matchConditions see no
# `namespaceObject` (traffic_edge.plan.vap).
IN_TENANT_NAMESPACE = {"matchExpressions": [{"key": SUFFIX_LABEL, "operator": "Exists"}]}
SUFFIX_VARIABLE = {"name": "suffix", "expression": f"namespaceObject.metadata.labels[{cel_string(SUFFIX_LABEL)}]"}
OUTSIDE_CHILDREN = "', outside the suffixes of its child tenants'"


def suffix_variables(child_suffixes: Sequence[str]) -> list[dict[str, str]]:
    """The namespace's suffix, and where tenants have children, the child suffixes below it."""
    if not child_suffixes:
        return [SUFFIX_VARIABLE]
    below = f"{cel_list(child_suffixes)}.filter(s, s.endsWith('.' + {SUFFIX}))"
    return [SUFFIX_VARIABLE, {"name": "children", "expression": below}]


def under_suffix(hostname: str, nested: bool) -> str:
    """CEL: `hostname` (possibly `*.x`) is the suffix or lies under it (and, `nested`, under no child's suffix)."""
    own = f"({hostname} == {SUFFIX} || {hostname}.endsWith('.' + {SUFFIX}))"
    if not nested:
        return own
    return f"({own} && !{CHILDREN}.exists(s, {hostname} == s || {hostname}.endsWith('.' + s)))"


def _message(words: str, nested: bool) -> str:
    """CEL of a refusal: `words` (no quotes in them) and the namespace's suffix (and, `nested`, that its children's
    are not its own)."""
    return f"'{words}' + {SUFFIX}" + (f" + {OUTSIDE_CHILDREN}" if nested else "")


def gateway_hostnames_policy(child_suffixes: Sequence[str] = ()) -> dict[str, Any]:
    nested = bool(child_suffixes)
    hostname = f"has(l.hostname) && {under_suffix('l.hostname', nested)}"
    listeners = f"object.spec.listeners.all(l, l.protocol in ['TCP', 'UDP'] || ({hostname}))"
    return policy(
        "gateway-hostnames",
        [resource_rule(GATEWAY_GROUP, ["gateways", "listenersets"])],
        [{"expression": listeners,
          "messageExpression": _message("every HTTP, HTTPS and TLS listener here needs a hostname under ", nested)}],
        namespace_selector=IN_TENANT_NAMESPACE,
        variables=suffix_variables(child_suffixes),
    )


def route_hostnames_policy(child_suffixes: Sequence[str] = ()) -> dict[str, Any]:
    nested = bool(child_suffixes)
    hostnames = (
        "has(object.spec.hostnames) && size(object.spec.hostnames) > 0 && "
        f"object.spec.hostnames.all(h, {under_suffix('h', nested)})"
    )
    return policy(
        "route-hostnames",
        [resource_rule(GATEWAY_GROUP, ["httproutes", "grpcroutes", "tlsroutes"])],
        [{"expression": hostnames, "messageExpression": _message("routes here must name hostnames under ", nested)}],
        namespace_selector=IN_TENANT_NAMESPACE,
        variables=suffix_variables(child_suffixes),
    )


def dns_annotation_policy(child_suffixes: Sequence[str] = ()) -> dict[str, Any]:
    """Names in any external-dns name annotation stay under the suffix, whichever prefix the annotation uses."""
    nested = bool(child_suffixes)
    routes = ["gateways", "httproutes", "grpcroutes", "tlsroutes", "tcproutes", "udproutes"]
    return policy(
        "dns-hostname-annotations",
        [resource_rule(GATEWAY_GROUP, routes), resource_rule("", ["services"])],
        [{"expression": dns_name_validation(annotation, lambda name: under_suffix(name, nested)),
          "messageExpression": _message(f"every name in {annotation} must lie under ", nested)}
         for annotation in DNS_NAME_ANNOTATIONS],
        namespace_selector=IN_TENANT_NAMESPACE,
        variables=suffix_variables(child_suffixes),
    )


def tenant_labels_policy(users: Sequence[str], groups: Sequence[str]) -> dict[str, Any]:
    """Refuses setting, changing or removing a tenant label unless the platform's identity asks."""

    def value(obj: str) -> str:
        return f"(has({obj}.metadata.labels) && k in {obj}.metadata.labels ? {obj}.metadata.labels[k] : '')"

    unchanged = (
        f"{cel_list([SUFFIX_LABEL, TENANT_LABEL])}.all(k, {value('object')} == "
        f"(request.operation == 'CREATE' ? '' : {value('oldObject')}))"
    )
    return policy(
        "tenant-labels",
        [resource_rule("", ["namespaces", "namespaces/*"])],
        [{"expression": unchanged,
          "message": f"only the platform sets or changes the labels {SUFFIX_LABEL} and {TENANT_LABEL}"}],
        match_conditions=[not_the_platform(users, groups)],
    )


def _namespace_admitted(listener: str) -> str:
    """CEL: `listener` (a listener of params) admits routes from the request's namespace, by its allowedRoutes as
    the Gateway API defines them (apis/v1/gateway_types.go @ v1.6.1, AllowedRoutes and RouteNamespaces): `from`
    defaults to Same, All admits every namespace, Selector those whose labels the selector matches. A Selector
    without selector counts as matching, so that the policy errs towards refusing."""
    namespaces = f"{listener}.allowedRoutes.namespaces"
    same = (f"!has({listener}.allowedRoutes) || !has({namespaces}) || !has({namespaces}.from) || "
            f"{namespaces}.from == 'Same'")
    labels = "namespaceObject.metadata.labels"

    def has_label(key: str) -> str:
        return f"(has({labels}) && {key} in {labels})"

    def value_in(requirement: str) -> str:
        return f"({has_label(f'{requirement}.key')} && has({requirement}.values) && " \
            f"{labels}[{requirement}.key] in {requirement}.values)"

    selector = f"{namespaces}.selector"
    match_labels = (f"(!has({selector}.matchLabels) || {selector}.matchLabels.all(k, {has_label('k')} && "
                    f"{labels}[k] == {selector}.matchLabels[k]))")
    requirement = (f"(e.operator == 'In' ? {value_in('e')} : e.operator == 'NotIn' ? !{value_in('e')} : "
                   f"e.operator == 'Exists' ? {has_label('e.key')} : !{has_label('e.key')})")
    match_expressions = f"(!has({selector}.matchExpressions) || {selector}.matchExpressions.all(e, {requirement}))"
    selected = f"(!has({selector}) || ({match_labels} && {match_expressions}))"
    return (f"(({same}) ? request.namespace == params.metadata.namespace : {namespaces}.from == 'All' || "
            f"({namespaces}.from == 'Selector' && {selected}))")


def _kind_admitted(listener: str) -> str:
    """CEL: `listener` takes the request's route kind: allowedRoutes.kinds lists it, or lists none (the protocol's
    kinds then, which on HTTP include both kinds this policy judges)."""
    kinds = f"{listener}.allowedRoutes.kinds"
    return (f"(!has({listener}.allowedRoutes) || !has({kinds}) || size({kinds}) == 0 || {kinds}.exists(k, "
            "k.kind == request.kind.kind && (!has(k.group) || k.group == request.kind.group)))")


def http_listener_routes_policy() -> dict[str, Any]:
    """Params: the Gateway. Its port-80 listeners are guarded unless its ROUTE_LISTENERS_ANNOTATION names them as
    carrying routes. A route attaches to a guarded listener when a parentRef names it in sectionName, or names
    neither sectionName nor another port and the listener admits the route's namespace and kind.

    That last case is how application charts write routes: without sectionName a parentRef means the whole
    Gateway, and the route attaches to every listener that accepts it ("If 1 of 2 Gateway listeners accept
    attachment from the referencing Route, the Route MUST be considered successfully attached", ParentReference
    sectionName, apis/v1/shared_types.go @ v1.6.1). A listener that only redirects admits its own namespace (and
    the namespaces of its HTTP-01 certificates), so such a route from an application namespace never attaches to it
    and passes; from an admitted namespace it would be served in clear text and is refused, naming the fix.
    cert-manager's challenge routes name the listener (cert-manager @ v1.21.1 : pkg/issuer/acme/http/httproute.go
    copies the issuer's parentRefs, which carry sectionName) and are exempt for their shape, not their namespace.
    """
    annotation = cel_string(ROUTE_LISTENERS_ANNOTATION)
    carries_routes = (f"has(params.metadata.annotations) && {annotation} in params.metadata.annotations && "
                      f"l.name in params.metadata.annotations[{annotation}].split(',')")
    targets = (
        f"(!has(r.group) || r.group == {cel_string(GATEWAY_GROUP)}) && (!has(r.kind) || r.kind == 'Gateway') && "
        "r.name == params.metadata.name && "
        "(has(r.namespace) ? r.namespace : request.namespace) == params.metadata.namespace"
    )
    on_http = (
        f"(!has(r.port) || r.port == {HTTP_PORT}) && "
        "(has(r.sectionName) ? r.sectionName in variables.httpListeners : size(variables.admitting) > 0)"
    )
    # parentRefs is optional (a route that attaches to nothing yet): reading it unguarded would error, and refuse.
    attaches = (f"size(variables.httpListeners) > 0 && has(object.spec.parentRefs) && "
                f"object.spec.parentRefs.exists(r, {targets} && {on_http})")
    return policy(
        "http-listener-routes",
        [resource_rule(GATEWAY_GROUP, ["httproutes", "grpcroutes"])],
        [{"expression": f"variables.exempt || !({attaches})",
          "messageExpression": "'the port-80 listeners of Gateway ' + params.metadata.namespace + '/' + "
                               "params.metadata.name + ' only redirect to HTTPS and serve ACME challenges: name a "
                               "listener that serves routes in sectionName'"}],
        variables=[
            {"name": "guarded",
             "expression": f"params.spec.listeners.filter(l, l.port == {HTTP_PORT} && !({carries_routes}))"},
            {"name": "httpListeners", "expression": "variables.guarded.map(l, l.name)"},
            {"name": "admitting", "expression": "variables.guarded.filter(l, "
                                                f"{_namespace_admitted('l')} && {_kind_admitted('l')}).map(l, l.name)"},
            {"name": "exempt", "expression": _exempt()},
        ],
        param_kind={"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "Gateway"},
    )


def _exempt() -> str:
    """CEL: the route is one of the two a redirecting listener takes: its redirect, or a challenge of cert-manager."""
    solver = cel_string(ACME_SOLVER_LABEL)
    redirect = (
        "request.namespace == params.metadata.namespace && "
        "variables.httpListeners.exists(n, object.metadata.name == params.metadata.name + '-' + n + '-redirect')"
    )
    # cert-manager's solver route: its label, and nothing but exact matches of challenge paths (cert-manager @
    # v1.21.1 : pkg/issuer/acme/http/httproute.go writes one rule with one Exact match of
    # /.well-known/acme-challenge/<token>); the label alone is something anyone may set.
    challenge_paths = (
        "has(object.spec.rules) && size(object.spec.rules) > 0 && object.spec.rules.all(r, has(r.matches) && "
        "size(r.matches) > 0 && r.matches.all(m, has(m.path) && m.path.type == 'Exact' && "
        f"m.path.value.startsWith({cel_string(ACME_CHALLENGE_PATH)})))"
    )
    acme = (
        f"request.resource.resource == 'httproutes' && has(object.metadata.labels) && "
        f"{solver} in object.metadata.labels && object.metadata.labels[{solver}] == 'true' && {challenge_paths}"
    )
    return f"({redirect}) || ({acme})"


def route_listeners_annotation(gateway: Gateway) -> dict[str, str]:
    """The port-80 HTTP listeners that carry routes, for http-listener-routes to leave alone; set only on a Gateway
    that also has one that redirects (a Gateway without the annotation is guarded on every port-80 listener)."""
    port_80 = [item for item in gateway.listeners if item.protocol == "HTTP" and item.port == HTTP_PORT]
    carrying = [item.name for item in port_80 if not redirects_to_https(gateway, item)]
    return {ROUTE_LISTENERS_ANNOTATION: ",".join(carrying)} if carrying and len(carrying) < len(port_80) else {}


def guarded_gateways(gateways: Sequence[Gateway]) -> list[Gateway]:
    """The gateways with a port-80 listener that only redirects: each gets a binding of http-listener-routes."""
    return [item for item in gateways if any(
        listener.port == HTTP_PORT and redirects_to_https(item, listener) for listener in item.listeners)]


def admission_manifests(
    tenants: Tenancy | None, platform_users: Sequence[str], platform_groups: Sequence[str], gateways: Sequence[Gateway],
    domains: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Every policy followed by its bindings, in the order they are created. The tenant policies exist only where
    tenants do; `domain-hostnames` where `domains` are given; gateways with a port-80 listener that redirects get a
    binding of http-listener-routes."""
    manifests: list[dict[str, Any]] = []
    found: list[dict[str, Any]] = []
    if tenants is not None:
        children = tenants.child_suffixes
        found += [gateway_hostnames_policy(children), route_hostnames_policy(children), dns_annotation_policy(children),
                  tenant_labels_policy(platform_users, platform_groups), gateway_tenant_namespaces_policy(tenants)]
    if domains:
        found.append(domain_hostnames_policy(domains, platform_users, platform_groups))
    for item in found:
        manifests += [item, binding(item, item["metadata"]["name"])]
    http_gateways = guarded_gateways(gateways)
    if http_gateways:
        http = http_listener_routes_policy()
        manifests.append(http)
        for gateway in http_gateways:
            # A Gateway not created yet has no listener to protect: Allow rather than refuse every route.
            ref = {"name": gateway.name, "namespace": gateway.namespace, "parameterNotFoundAction": "Allow"}
            manifests.append(binding(http, f"{http['metadata']['name']}.{gateway.namespace}.{gateway.name}", ref))
    return manifests


def admission_objects(config: StackConfig) -> list[KubeObject]:
    guardrails = config.guardrails
    domains = [config.domain, *guardrails.allowed_domains] if guardrails.hostnames_in_domain else []
    manifests = admission_manifests(tenancy(config), guardrails.platform_users, guardrails.platform_groups,
                                    config.gateways, domains)
    return [KubeObject(item["apiVersion"], item["kind"], item["metadata"], item["spec"]) for item in manifests]
