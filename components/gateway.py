"""One Gateway: its listeners, the Certificates behind them, and the HTTP→HTTPS redirect.

Certificates may live in another namespace than the Gateway; each such namespace gets one ReferenceGrant
admitting exactly the Secrets the Gateway's listeners use there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from catalog.controllers import ParametersObject
from components.kube import (
    CERT_MANAGER_GROUP,
    GATEWAY_GROUP,
    NAMESPACE_LABEL,
    custom_object,
    parameters_object,
    reference_grant_spec,
)
from stackconfig.model import Certificate, Gateway, IssuerKind, Listener


@dataclass(frozen=True)
class EdgeGatewayArgs:
    gateway: Gateway
    class_name: str
    allowed_namespaces: Mapping[str, Sequence[str] | None]  # listener → whitelist; None admits all
    crds: Sequence[pulumi.Resource]
    cert_manager: Sequence[pulumi.Resource]
    namespaces: Callable[..., list[pulumi.Resource]]  # namespace names → the Namespace resources managed here
    reference_grant_version: str = "v1"  # ReferenceGrant apiVersion served by the installed CRDs
    annotations: Mapping[str, str] = field(default_factory=dict)  # controller settings read from the Gateway
    parameters: ParametersObject | None = None  # controller object behind spec.infrastructure.parametersRef
    controller: Sequence[pulumi.Resource] = ()  # the controller release, which serves the parameters' CRD
    issuer_kind: IssuerKind = "ClusterIssuer"  # "Issuer" for a tenant's gateway (certificates from its namespace)


def certificate_secret(gateway: Gateway, certificate: str) -> str:
    return f"{gateway.name}-{certificate}-tls"


def certificate_namespace(gateway: Gateway, certificate: Certificate) -> str:
    return certificate.namespace or gateway.namespace


def certificate_spec(gateway: Gateway, certificate: Certificate, issuer_kind: IssuerKind) -> dict[str, Any]:
    return {
        "secretName": certificate_secret(gateway, certificate.name),
        "dnsNames": list(certificate.dns_names),
        "issuerRef": {"name": certificate.issuer, "kind": issuer_kind, "group": CERT_MANAGER_GROUP},
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
    }


def allowed_routes(namespaces: Sequence[str] | None) -> dict[str, Any]:
    if namespaces is None:
        return {"namespaces": {"from": "All"}}
    selector = {"matchExpressions": [{"key": NAMESPACE_LABEL, "operator": "In", "values": list(namespaces)}]}
    return {"namespaces": {"from": "Selector", "selector": selector}}


def certificate_ref(gateway: Gateway, name: str) -> dict[str, Any]:
    ref: dict[str, Any] = {"group": "", "kind": "Secret", "name": certificate_secret(gateway, name)}
    certificate = next(item for item in gateway.certificates if item.name == name)
    if certificate_namespace(gateway, certificate) != gateway.namespace:
        ref["namespace"] = certificate.namespace
    return ref


def listener_spec(gateway: Gateway, listener: Listener, namespaces: Sequence[str] | None) -> dict[str, Any]:
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


def gateway_spec(args: EdgeGatewayArgs) -> dict[str, Any]:
    gateway = args.gateway
    listeners = [listener_spec(gateway, item, args.allowed_namespaces[item.name]) for item in gateway.listeners]
    spec: dict[str, Any] = {"gatewayClassName": args.class_name, "listeners": listeners}
    if args.parameters is not None:
        spec["infrastructure"] = {"parametersRef": args.parameters.gateway_ref()}
    return spec


def gateway_metadata(args: EdgeGatewayArgs) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": args.gateway.name, "namespace": args.gateway.namespace}
    if args.annotations:
        metadata["annotations"] = dict(args.annotations)
    return metadata


def certificate_grants(gateway: Gateway) -> dict[str, dict[str, Any]]:
    """Certificate namespace → ReferenceGrant spec admitting this Gateway to exactly the Secrets its listeners use."""
    used = {item.certificate for item in gateway.listeners if item.certificate and not item.certificate_arn}
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
    return f"gateway-{gateway.name}-from-{gateway.namespace}"


def redirect_spec(gateway: Gateway, listener: Listener) -> dict[str, Any]:
    """Every request on an HTTP listener answers 301 to HTTPS; ACME's exact-path routes win over it.

    The listener's hostname is repeated on the route: in a tenant's namespace an admission policy refuses
    routes without hostnames (components/admission.py).
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


class EdgeGateway(pulumi.ComponentResource):
    def __init__(self, name: str, args: EdgeGatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:gateway:EdgeGateway", name, None, opts)
        gateway = args.gateway
        self.certificates = [
            custom_object(
                f"{name}-{certificate.name}",
                f"{CERT_MANAGER_GROUP}/v1",
                "Certificate",
                {"name": f"{gateway.name}-{certificate.name}", "namespace": namespace},
                certificate_spec(gateway, certificate, args.issuer_kind),
                pulumi.ResourceOptions(parent=self, depends_on=[*args.cert_manager, *args.namespaces(namespace)]),
            )
            for certificate in gateway.certificates
            for namespace in [certificate_namespace(gateway, certificate)]
        ]
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[*args.crds, *args.namespaces(gateway.namespace)])
        for namespace, spec in certificate_grants(gateway).items():
            custom_object(
                f"{name}-grant-{namespace}",
                f"{GATEWAY_GROUP}/{args.reference_grant_version}",
                "ReferenceGrant",
                {"name": certificate_grant_name(gateway), "namespace": namespace},
                spec,
                pulumi.ResourceOptions(parent=self, depends_on=[*args.crds, *args.namespaces(namespace)]),
            )
        parameters = args.parameters
        if parameters is not None:
            parameters_object(
                f"{name}-parameters",
                parameters,
                pulumi.ResourceOptions(
                    parent=self, depends_on=[*args.controller, *args.namespaces(parameters.namespace)]
                ),
            )
        self.gateway = custom_object(
            name,
            f"{GATEWAY_GROUP}/v1",
            "Gateway",
            gateway_metadata(args),
            gateway_spec(args),
            after_crds,
        )
        for listener in gateway.listeners:
            if listener.protocol == "HTTP":
                custom_object(
                    f"{name}-{listener.name}-redirect",
                    f"{GATEWAY_GROUP}/v1",
                    "HTTPRoute",
                    {"name": f"{gateway.name}-{listener.name}-redirect", "namespace": gateway.namespace},
                    redirect_spec(gateway, listener),
                    after_crds,
                )
        self.gateway_name = gateway.name
        self.gateway_namespace = gateway.namespace
        self.register_outputs({"gateway_name": self.gateway_name, "gateway_namespace": self.gateway_namespace})
