"""One Gateway as objects: its listeners, the Certificates behind them, their ReferenceGrants and the redirect.

Certificates may live in another namespace than the Gateway; each such namespace gets one ReferenceGrant
admitting exactly the Secrets the Gateway's listeners use there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from traffic_edge.config import names
from traffic_edge.config.model import Certificate, Gateway, IssuerKind, Listener, StackConfig
from traffic_edge.config.queries import (
    Selected,
    controller,
    gateway_class_name,
    listener_admission,
    namespace_owners,
    redirects_to_https,
)
from traffic_edge.config.tenancy import NAMESPACE_LABEL, TENANT_LABEL
from traffic_edge.controllers.base import ParametersObject, ValuesContext
from traffic_edge.data.api_limits import LIST_LIMITS
from traffic_edge.data.versions import ROUTE_API_VERSIONS
from traffic_edge.plan.admission import route_listeners_annotation
from traffic_edge.plan.data_plane import gateway_facts, spec_addresses, with_tls_options
from traffic_edge.plan.objects import (
    CERT_MANAGER_GROUP,
    GATEWAY_GROUP,
    KubeObject,
    grant_parts,
    reference_grant_spec,
)


@dataclass(frozen=True)
class GatewayPlan:
    name: str
    namespace: str
    gateway: KubeObject
    certificates: Mapping[str, KubeObject]  # certificate name → Certificate
    grants: Mapping[str, KubeObject]  # namespace of the certificates (`.2`, ... past 16 Secrets) → ReferenceGrant
    parameters: ParametersObject | None  # the controller's object behind spec.infrastructure.parametersRef
    redirects: Mapping[str, KubeObject]  # HTTP listener → its redirect HTTPRoute
    policies: tuple[ParametersObject, ...] = ()  # the controller's policies targeting the Gateway (minimum TLS)
    ssl_policy: str | None = None  # the cloud SSL policy a policy names, which the platform creates


def certificate_secret(gateway: Gateway, certificate: str) -> str:
    """The Secret the certificate of that name is written to: its own `secretName`, else one derived from both."""
    configured = next(item for item in gateway.certificates if item.name == certificate).secret_name
    return configured or names.certificate_secret(gateway.name, certificate)


def certificate_namespace(gateway: Gateway, certificate: Certificate) -> str:
    return certificate.namespace or gateway.namespace


def certificate_metadata(gateway: Gateway, certificate: Certificate) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": names.certificate_name(gateway.name, certificate.name),
                                "namespace": certificate_namespace(gateway, certificate)}
    if certificate.labels:  # cert-manager copies them to the Order, where solver selectors read them
        metadata["labels"] = dict(certificate.labels)
    return metadata


def certificate_spec(gateway: Gateway, certificate: Certificate, issuer_kind: IssuerKind) -> dict[str, Any]:
    return {
        "secretName": certificate_secret(gateway, certificate.name),
        "dnsNames": list(certificate.dns_names),
        "issuerRef": {"name": certificate.issuer, "kind": issuer_kind, "group": CERT_MANAGER_GROUP},
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
    }


def allowed_routes(namespaces: Sequence[str] | Selected | None) -> dict[str, Any]:
    """A whitelist as a selector on the name label the API server sets, a label selector as configured (with the
    tenants it may not admit), or every namespace."""
    if namespaces is None:
        return {"namespaces": {"from": "All"}}
    if isinstance(namespaces, Selected):
        selector: dict[str, Any] = {"matchLabels": dict(namespaces.labels)}
        if namespaces.not_tenants:
            selector["matchExpressions"] = [{"key": TENANT_LABEL, "operator": "NotIn",
                                             "values": list(namespaces.not_tenants)}]
        return {"namespaces": {"from": "Selector", "selector": selector}}
    selector = {"matchExpressions": [{"key": NAMESPACE_LABEL, "operator": "In", "values": list(namespaces)}]}
    return {"namespaces": {"from": "Selector", "selector": selector}}


def certificate_ref(gateway: Gateway, name: str) -> dict[str, Any]:
    ref: dict[str, Any] = {"group": "", "kind": "Secret", "name": certificate_secret(gateway, name)}
    certificate = next(item for item in gateway.certificates if item.name == name)
    if certificate_namespace(gateway, certificate) != gateway.namespace:
        ref["namespace"] = certificate.namespace
    return ref


def listener_spec(gateway: Gateway, listener: Listener, namespaces: Sequence[str] | Selected | None) -> dict[str, Any]:
    """A listener; one with an ACM certificate has no `tls`: its load balancer takes the certificate by ARN."""
    spec: dict[str, Any] = {"name": listener.name, "port": listener.port, "protocol": listener.protocol}
    if listener.hostname is not None:
        spec["hostname"] = listener.hostname
    mode = listener.tls_mode or ("Terminate" if listener.protocol == "HTTPS" else None)
    if mode is not None and listener.certificate_arn is None:
        spec["tls"] = {"mode": mode}
        if listener.certificate is not None:
            spec["tls"]["certificateRefs"] = [certificate_ref(gateway, listener.certificate)]
    spec["allowedRoutes"] = allowed_routes(namespaces)
    if listener.protocol == "HTTP":
        spec["allowedRoutes"]["kinds"] = [{"group": GATEWAY_GROUP, "kind": "HTTPRoute"}]
    return spec


def listener_whitelists(config: StackConfig, gateway: Gateway) -> dict[str, list[str] | Selected | None]:
    """Listener → namespaces admitted to attach routes: a sorted whitelist, a label selector, or None for all."""
    found: dict[str, list[str] | Selected | None] = {}
    for listener in gateway.listeners:
        admission = listener_admission(config, gateway, listener)
        found[listener.name] = sorted(admission) if isinstance(admission, frozenset) else admission
    return found


def issuer_kind(config: StackConfig, gateway: Gateway) -> IssuerKind:
    """A tenant's gateway takes its certificates from Issuers in its own namespace, others from ClusterIssuers."""
    return "Issuer" if gateway.namespace in namespace_owners(config.tenants) else "ClusterIssuer"


def gateway_parameters(config: StackConfig, gateway: Gateway, context: ValuesContext) -> ParametersObject | None:
    """The controller-specific object a Gateway's parametersRef names (e.g. AWS LoadBalancerConfiguration)."""
    return controller(config).gateway_parameters(context, gateway_facts(config, gateway))


def certificate_grants(gateway: Gateway) -> dict[str, dict[str, Any]]:
    """Certificate namespace → ReferenceGrant spec admitting this Gateway to exactly the Secrets its listeners use."""
    used = {item.certificate for item in gateway.listeners if item.certificate}  # never beside an ACM ARN (rules)
    secrets: dict[str, set[str]] = defaultdict(set)
    for certificate in gateway.certificates:
        namespace = certificate_namespace(gateway, certificate)
        if certificate.name in used and namespace != gateway.namespace:
            secrets[namespace].add(certificate_secret(gateway, certificate.name))
    return {
        namespace: reference_grant_spec(gateway.namespace, ["Gateway"], "Secret", names)
        for namespace, names in sorted(secrets.items())
    }


def certificate_grant_name(gateway: Gateway) -> str:
    return names.certificate_grant_name(gateway.name, gateway.namespace)


def redirect_spec(gateway: Gateway, listener: Listener) -> dict[str, Any]:
    """Every request on an HTTP listener answers 301 to HTTPS; ACME's exact-path routes win over it.

    The listener's hostname is repeated on the route: in a tenant's namespace an admission policy refuses
    routes without hostnames (traffic_edge.plan.admission).
    """
    https_ports = sorted({other.port for other in gateway.listeners if other.protocol == "HTTPS"})
    redirect: dict[str, Any] = {"scheme": "https", "statusCode": 301}
    if https_ports and https_ports[0] != 443:
        redirect["port"] = https_ports[0]
    parent = {"group": GATEWAY_GROUP, "kind": "Gateway", "name": gateway.name, "sectionName": listener.name}
    spec: dict[str, Any] = {"parentRefs": [parent]}
    if listener.hostname is not None:
        spec["hostnames"] = [listener.hostname]
    spec["rules"] = [{"filters": [{"type": "RequestRedirect", "requestRedirect": redirect}]}]
    return spec


def gateway_object(config: StackConfig, gateway: Gateway, context: ValuesContext) -> KubeObject:
    whitelists = listener_whitelists(config, gateway)
    listeners = [listener_spec(gateway, item, whitelists[item.name]) for item in gateway.listeners]
    listeners = with_tls_options(config, gateway, listeners)
    spec: dict[str, Any] = {"gatewayClassName": gateway_class_name(config, gateway), "listeners": listeners}
    row = controller(config)
    addresses = spec_addresses(gateway, row.gateway_addresses(context))
    if addresses:
        spec["addresses"] = addresses
    parameters = gateway_parameters(config, gateway, context)
    if parameters is not None:
        spec["infrastructure"] = {"parametersRef": parameters.gateway_ref()}
    metadata: dict[str, Any] = {"name": gateway.name, "namespace": gateway.namespace}
    annotations = {**row.gateway_annotations(context), **route_listeners_annotation(gateway)}
    if annotations:
        metadata["annotations"] = annotations
    return KubeObject(f"{GATEWAY_GROUP}/v1", "Gateway", metadata, spec)


def gateway_plan(
    config: StackConfig, gateway: Gateway, context: ValuesContext, ssl_policy: str | None = None
) -> GatewayPlan:
    kind = issuer_kind(config, gateway)
    grant_version = ROUTE_API_VERSIONS[(config.versions.gateway_api, config.versions.gateway_api_channel)][
        "ReferenceGrant"
    ]
    certificates = {
        certificate.name: KubeObject(
            f"{CERT_MANAGER_GROUP}/v1",
            "Certificate",
            certificate_metadata(gateway, certificate),
            certificate_spec(gateway, certificate, kind),
        )
        for certificate in gateway.certificates
    }
    limit = LIST_LIMITS[config.versions.gateway_api][("ReferenceGrant", "spec.to")].max_items
    grants = {
        namespace + suffix: KubeObject(
            f"{GATEWAY_GROUP}/{grant_version}",
            "ReferenceGrant",
            {"name": certificate_grant_name(gateway) + suffix, "namespace": namespace},
            part,
        )
        for namespace, spec in certificate_grants(gateway).items()
        for suffix, part in grant_parts(spec, limit)
    }
    redirects = {
        listener.name: KubeObject(
            f"{GATEWAY_GROUP}/v1",
            "HTTPRoute",
            {"name": names.redirect_name(gateway.name, listener.name), "namespace": gateway.namespace},
            redirect_spec(gateway, listener),
        )
        for listener in gateway.listeners
        if redirects_to_https(gateway, listener)
    }
    return GatewayPlan(
        name=gateway.name,
        namespace=gateway.namespace,
        gateway=gateway_object(config, gateway, context),
        certificates=certificates,
        grants=grants,
        parameters=gateway_parameters(config, gateway, context),
        redirects=redirects,
        policies=controller(config).gateway_policies(context, gateway_facts(config, gateway, ssl_policy)),
        ssl_policy=ssl_policy,
    )
