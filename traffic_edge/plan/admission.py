"""ValidatingAdmissionPolicies: the API server itself refuses what would let one team take another's traffic.

In a tenant's namespace (one carrying the suffix label, see traffic_edge.config.tenancy):
- `gateway-hostnames`: every HTTP/HTTPS/TLS listener of a Gateway or ListenerSet names a hostname under the suffix;
- `route-hostnames`: an HTTPRoute, GRPCRoute or TLSRoute names hostnames, all under the suffix (a route
  without hostnames takes every name its listener serves);
- `dns-hostname-annotations`: the external-dns hostname annotation on routes, Gateways and Services stays
  under the suffix (external-dns would otherwise publish another team's name).
Everywhere:
- `tenant-labels`: only the platform's identity sets or changes the two tenant labels of a namespace;
- `http-listener-routes`: nothing but the HTTP→HTTPS redirect and cert-manager's HTTP-01 challenge routes attaches
  to a Gateway's port-80 listener (served in clear text). It reads the live Gateway as its params, so one binding
  per Gateway that has such a listener.

The CEL is built here from data and checked with cel-python against allowed and refused objects
(tests/test_admission.py); the components register the objects. It uses standard CEL plus the Kubernetes
strings library (`split`, `trim`, `lowerAscii`): https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-strings-library
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from traffic_edge.config.model import Gateway, StackConfig
from traffic_edge.config.tenancy import SUFFIX_LABEL, TENANT_LABEL
from traffic_edge.data.versions import EXTERNAL_DNS_ANNOTATION_PREFIXES
from traffic_edge.plan.objects import GATEWAY_GROUP, OBJECT_PREFIX, KubeObject

API_VERSION = "admissionregistration.k8s.io/v1"
# cert-manager labels the HTTPRoutes it creates for HTTP-01 challenges with this, in the Challenge's namespace:
# https://github.com/cert-manager/cert-manager/blob/v1.21.1/pkg/apis/acme/v1/types.go (SolverIdentificationLabelKey),
# pkg/issuer/acme/http/httproute.go.
ACME_SOLVER_LABEL = "acme.cert-manager.io/http01-solver"
ACME_CHALLENGE_PATH = "/.well-known/acme-challenge/"
HTTP_PORT = 80
WRITES = ["CREATE", "UPDATE"]


def cel_string(value: str) -> str:
    """A CEL string literal (CEL accepts JSON's escapes in double-quoted strings)."""
    return json.dumps(value)


def cel_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(cel_string(value) for value in values) + "]"


SUFFIX = "variables.suffix"
IN_TENANT_NAMESPACE = {
    "name": "tenant-namespace",
    "expression": f"has(namespaceObject.metadata.labels) && {cel_string(SUFFIX_LABEL)} in "
    "namespaceObject.metadata.labels",
}
SUFFIX_VARIABLE = {"name": "suffix", "expression": f"namespaceObject.metadata.labels[{cel_string(SUFFIX_LABEL)}]"}


def under_suffix(hostname: str) -> str:
    """CEL: `hostname` (possibly `*.x`) is the suffix or lies under it."""
    return f"({hostname} == {SUFFIX} || {hostname}.endsWith('.' + {SUFFIX}))"


def resource_rule(group: str, resources: Sequence[str]) -> dict[str, Any]:
    return {"apiGroups": [group], "apiVersions": ["*"], "operations": WRITES, "resources": list(resources)}


def policy(
    name: str,
    rules: Sequence[dict[str, Any]],
    validations: Sequence[dict[str, str]],
    *,
    match_conditions: Sequence[dict[str, str]] = (),
    variables: Sequence[dict[str, str]] = (),
    param_kind: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A ValidatingAdmissionPolicy that fails closed: a CEL error refuses the request."""
    spec: dict[str, Any] = {"failurePolicy": "Fail", "matchConstraints": {"resourceRules": list(rules)}}
    if param_kind is not None:
        spec["paramKind"] = param_kind
    if match_conditions:
        spec["matchConditions"] = list(match_conditions)
    if variables:
        spec["variables"] = list(variables)
    spec["validations"] = [{**validation, "reason": "Forbidden"} for validation in validations]
    return {"apiVersion": API_VERSION, "kind": "ValidatingAdmissionPolicy", "metadata": {"name": OBJECT_PREFIX + name},
            "spec": spec}


def binding(policy_manifest: dict[str, Any], name: str, param_ref: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"policyName": policy_manifest["metadata"]["name"], "validationActions": ["Deny"]}
    if param_ref is not None:
        spec["paramRef"] = param_ref
    return {"apiVersion": API_VERSION, "kind": "ValidatingAdmissionPolicyBinding", "metadata": {"name": name},
            "spec": spec}


def gateway_hostnames_policy() -> dict[str, Any]:
    hostname = f"has(l.hostname) && {under_suffix('l.hostname')}"
    listeners = f"object.spec.listeners.all(l, l.protocol in ['TCP', 'UDP'] || ({hostname}))"
    return policy(
        "gateway-hostnames",
        [resource_rule(GATEWAY_GROUP, ["gateways", "listenersets"])],
        [{"expression": listeners,
          "messageExpression": "'every HTTP, HTTPS and TLS listener here needs a hostname under ' + variables.suffix"}],
        match_conditions=[IN_TENANT_NAMESPACE],
        variables=[SUFFIX_VARIABLE],
    )


def route_hostnames_policy() -> dict[str, Any]:
    hostnames = (
        "has(object.spec.hostnames) && size(object.spec.hostnames) > 0 && "
        f"object.spec.hostnames.all(h, {under_suffix('h')})"
    )
    return policy(
        "route-hostnames",
        [resource_rule(GATEWAY_GROUP, ["httproutes", "grpcroutes", "tlsroutes"])],
        [{"expression": hostnames, "messageExpression": "'routes here must name hostnames under ' + variables.suffix"}],
        match_conditions=[IN_TENANT_NAMESPACE],
        variables=[SUFFIX_VARIABLE],
    )


# The external-dns annotations that name records to publish, under every prefix an external-dns image reads.
DNS_NAME_ANNOTATIONS = tuple(
    f"{prefix}{key}" for prefix in EXTERNAL_DNS_ANNOTATION_PREFIXES for key in ("hostname", "internal-hostname")
)


def dns_annotation_policy() -> dict[str, Any]:
    """Names in any external-dns name annotation stay under the suffix, whichever prefix the annotation uses."""

    def validation(annotation: str) -> dict[str, str]:
        key = cel_string(annotation)
        names = f"object.metadata.annotations[{key}].split(',').all(h, {under_suffix('h.trim().lowerAscii()')})"
        return {
            "expression": f"!has(object.metadata.annotations) || !({key} in object.metadata.annotations) || {names}",
            "messageExpression": f"'every name in {annotation} must lie under ' + variables.suffix",
        }

    routes = ["gateways", "httproutes", "grpcroutes", "tlsroutes", "tcproutes", "udproutes"]
    return policy(
        "dns-hostname-annotations",
        [resource_rule(GATEWAY_GROUP, routes), resource_rule("", ["services"])],
        [validation(annotation) for annotation in DNS_NAME_ANNOTATIONS],
        match_conditions=[IN_TENANT_NAMESPACE],
        variables=[SUFFIX_VARIABLE],
    )


def tenant_labels_policy(users: Sequence[str], groups: Sequence[str]) -> dict[str, Any]:
    """Refuses setting, changing or removing a tenant label unless the platform's identity asks."""

    def value(obj: str) -> str:
        return f"(has({obj}.metadata.labels) && k in {obj}.metadata.labels ? {obj}.metadata.labels[k] : '')"

    unchanged = (
        f"{cel_list([SUFFIX_LABEL, TENANT_LABEL])}.all(k, {value('object')} == "
        f"(request.operation == 'CREATE' ? '' : {value('oldObject')}))"
    )
    not_platform = (
        f"!(request.userInfo.username in {cel_list(users)}) && !(has(request.userInfo.groups) && "
        f"request.userInfo.groups.exists(g, g in {cel_list(groups)}))"
    )
    return policy(
        "tenant-labels",
        [resource_rule("", ["namespaces", "namespaces/*"])],
        [{"expression": unchanged,
          "message": f"only the platform sets or changes the labels {SUFFIX_LABEL} and {TENANT_LABEL}"}],
        match_conditions=[{"name": "not-the-platform", "expression": not_platform}],
    )


def http_listener_routes_policy() -> dict[str, Any]:
    """Params: the Gateway. A parentRef reaches its port-80 listener by that listener's sectionName, by port 80,
    or by naming neither (then it attaches to every listener)."""
    solver = cel_string(ACME_SOLVER_LABEL)
    redirect = (
        "request.namespace == params.metadata.namespace && "
        "variables.httpListeners.exists(n, object.metadata.name == params.metadata.name + '-' + n + '-redirect')"
    )
    # cert-manager's solver route: its label, and nothing but exact matches of challenge paths (cert-manager @
    # v1.21.1 : pkg/issuer/acme/http/httproute.go writes one rule with one Exact match of
    # /.well-known/acme-challenge/<token>); the label alone is something anyone may set. Its namespace is the
    # Certificate's, which the listener admits.
    challenge_paths = (
        "has(object.spec.rules) && size(object.spec.rules) > 0 && object.spec.rules.all(r, has(r.matches) && "
        "size(r.matches) > 0 && r.matches.all(m, has(m.path) && m.path.type == 'Exact' && "
        f"m.path.value.startsWith({cel_string(ACME_CHALLENGE_PATH)})))"
    )
    acme = (
        f"request.resource.resource == 'httproutes' && has(object.metadata.labels) && "
        f"{solver} in object.metadata.labels && object.metadata.labels[{solver}] == 'true' && {challenge_paths}"
    )
    exempt = f"({redirect}) || ({acme})"
    targets = (
        f"(!has(r.group) || r.group == {cel_string(GATEWAY_GROUP)}) && (!has(r.kind) || r.kind == 'Gateway') && "
        "r.name == params.metadata.name && "
        "(has(r.namespace) ? r.namespace : request.namespace) == params.metadata.namespace"
    )
    on_http = (
        "(!has(r.sectionName) || r.sectionName in variables.httpListeners) && "
        f"(!has(r.port) || r.port == {HTTP_PORT})"
    )
    attaches = f"size(variables.httpListeners) > 0 && object.spec.parentRefs.exists(r, {targets} && {on_http})"
    return policy(
        "http-listener-routes",
        [resource_rule(GATEWAY_GROUP, ["httproutes", "grpcroutes"])],
        [{"expression": f"variables.exempt || !({attaches})",
          "messageExpression": "'the port-80 listeners of Gateway ' + params.metadata.namespace + '/' + "
                               "params.metadata.name + ' only redirect to HTTPS and serve ACME challenges'"}],
        variables=[
            {"name": "httpListeners",
             "expression": f"params.spec.listeners.filter(l, l.port == {HTTP_PORT}).map(l, l.name)"},
            {"name": "exempt", "expression": exempt},
        ],
        param_kind={"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "Gateway"},
    )


def admission_manifests(
    tenants: bool, platform_users: Sequence[str], platform_groups: Sequence[str], gateways: Sequence[Gateway]
) -> list[dict[str, Any]]:
    """Every policy followed by its bindings, in the order they are created. The tenant policies exist only where
    tenants do; gateways with a port-80 listener get a binding of http-listener-routes."""
    manifests: list[dict[str, Any]] = []
    if tenants:
        for item in (gateway_hostnames_policy(), route_hostnames_policy(), dns_annotation_policy(),
                     tenant_labels_policy(platform_users, platform_groups)):
            manifests += [item, binding(item, item["metadata"]["name"])]
    http_gateways = [item for item in gateways if any(listener.port == HTTP_PORT for listener in item.listeners)]
    if http_gateways:
        http = http_listener_routes_policy()
        manifests.append(http)
        for gateway in http_gateways:
            # A Gateway not created yet has no listener to protect: Allow rather than refuse every route.
            ref = {"name": gateway.name, "namespace": gateway.namespace, "parameterNotFoundAction": "Allow"}
            manifests.append(binding(http, f"{http['metadata']['name']}.{gateway.namespace}.{gateway.name}", ref))
    return manifests


def admission_objects(config: StackConfig) -> list[KubeObject]:
    manifests = admission_manifests(
        bool(config.tenants), config.guardrails.platform_users, config.guardrails.platform_groups, config.gateways
    )
    return [KubeObject(item["apiVersion"], item["kind"], item["metadata"], item["spec"]) for item in manifests]
