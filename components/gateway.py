"""One Gateway: its listeners, the Certificates behind them, and the HTTP→HTTPS redirect."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.kube import CERT_MANAGER_GROUP, GATEWAY_GROUP, custom_object
from stackconfig.model import Certificate, Gateway, Listener

NAMESPACE_LABEL = "kubernetes.io/metadata.name"  # set by the API server; cannot be spoofed


@dataclass(frozen=True)
class EdgeGatewayArgs:
    gateway: Gateway
    class_name: str
    allowed_namespaces: Mapping[str, Sequence[str] | None]  # listener → whitelist; None admits all
    crds: Sequence[pulumi.Resource]
    cert_manager: Sequence[pulumi.Resource]
    namespace: Sequence[pulumi.Resource]


def certificate_secret(gateway: Gateway, certificate: str) -> str:
    return f"{gateway.name}-{certificate}-tls"


def certificate_spec(gateway: Gateway, certificate: Certificate) -> dict[str, Any]:
    return {
        "secretName": certificate_secret(gateway, certificate.name),
        "dnsNames": list(certificate.dns_names),
        "issuerRef": {"name": certificate.issuer, "kind": "ClusterIssuer", "group": CERT_MANAGER_GROUP},
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
    }


def allowed_routes(namespaces: Sequence[str] | None) -> dict[str, Any]:
    if namespaces is None:
        return {"namespaces": {"from": "All"}}
    selector = {"matchExpressions": [{"key": NAMESPACE_LABEL, "operator": "In", "values": list(namespaces)}]}
    return {"namespaces": {"from": "Selector", "selector": selector}}


def listener_spec(gateway: Gateway, listener: Listener, namespaces: Sequence[str] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": listener.name, "port": listener.port, "protocol": listener.protocol}
    if listener.hostname is not None:
        spec["hostname"] = listener.hostname
    mode = listener.tls_mode or ("Terminate" if listener.protocol == "HTTPS" else None)
    if mode is not None:
        spec["tls"] = {"mode": mode}
        if listener.certificate is not None:
            secret = certificate_secret(gateway, listener.certificate)
            spec["tls"]["certificateRefs"] = [{"group": "", "kind": "Secret", "name": secret}]
    spec["allowedRoutes"] = allowed_routes(namespaces)
    if listener.protocol == "HTTP":
        spec["allowedRoutes"]["kinds"] = [{"group": GATEWAY_GROUP, "kind": "HTTPRoute"}]
    return spec


def gateway_spec(args: EdgeGatewayArgs) -> dict[str, Any]:
    gateway = args.gateway
    return {
        "gatewayClassName": args.class_name,
        "listeners": [listener_spec(gateway, listener, args.allowed_namespaces[listener.name]) for listener in gateway.listeners],
    }


def redirect_spec(gateway: Gateway, listener: Listener) -> dict[str, Any]:
    """Every request on an HTTP listener answers 301 to HTTPS; ACME's exact-path routes win over it."""
    https_ports = sorted({other.port for other in gateway.listeners if other.protocol == "HTTPS"})
    redirect: dict[str, Any] = {"scheme": "https", "statusCode": 301}
    if https_ports and https_ports[0] != 443:
        redirect["port"] = https_ports[0]
    parent = {"group": GATEWAY_GROUP, "kind": "Gateway", "name": gateway.name, "sectionName": listener.name}
    return {
        "parentRefs": [parent],
        "rules": [{"filters": [{"type": "RequestRedirect", "requestRedirect": redirect}]}],
    }


class EdgeGateway(pulumi.ComponentResource):
    def __init__(self, name: str, args: EdgeGatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:gateway:EdgeGateway", name, None, opts)
        gateway = args.gateway
        self.certificates = [
            custom_object(
                f"{name}-{certificate.name}",
                f"{CERT_MANAGER_GROUP}/v1",
                "Certificate",
                {"name": f"{gateway.name}-{certificate.name}", "namespace": gateway.namespace},
                certificate_spec(gateway, certificate),
                pulumi.ResourceOptions(parent=self, depends_on=[*args.cert_manager, *args.namespace]),
            )
            for certificate in gateway.certificates
        ]
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[*args.crds, *args.namespace])
        self.gateway = custom_object(
            name,
            f"{GATEWAY_GROUP}/v1",
            "Gateway",
            {"name": gateway.name, "namespace": gateway.namespace},
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
