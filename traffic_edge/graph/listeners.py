"""Gateways and their listeners, and behind each listener's TLS the certificate, its issuer and any grant it needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlparse

from traffic_edge.graph.grants import find_grant, grant_node
from traffic_edge.graph.model import GraphBuilder, Node, fingerprint, listener_key, object_key
from traffic_edge.graph.semantics import admitted_text, tls_mode
from traffic_edge.graph.source import Manifest, PlanView
from traffic_edge.plan.objects import CERT_MANAGER_GROUP, GATEWAY_GROUP

# cert-manager DNS-01 providers (cert-manager.io/v1 ACMEChallengeSolverDNS01), as a reader knows them.
DNS01_PROVIDERS: Final = {
    "cloudDNS": "Cloud DNS", "route53": "Route 53", "azureDNS": "Azure DNS", "rfc2136": "RFC 2136",
    "cloudflare": "Cloudflare", "digitalocean": "DigitalOcean", "akamai": "Akamai", "acmeDNS": "acme-dns",
    "webhook": "a webhook",
}


def add_gateways(view: PlanView, builder: GraphBuilder, zone: str | None) -> None:
    """Each Gateway, its listeners, and the TLS behind them; ACME issuers also point at what they solve through."""
    for gateway in view.of_kind(GATEWAY_GROUP, "Gateway"):
        spec = dict(gateway.spec)
        listeners = spec.pop("listeners", None) or []
        gateway_key = builder.node(Node(
            object_key("Gateway", gateway.namespace, gateway.name),
            "gateway",
            (f"Gateway {gateway.ref}", f"class {spec.get('gatewayClassName', '?')}"),
            fingerprint(gateway.metadata, spec),
        ))
        for listener in listeners:
            key = builder.node(Node(
                listener_key(gateway.namespace, gateway.name, str(listener.get("name"))),
                "listener",
                _listener_lines(listener, gateway.namespace),
                fingerprint(listener),
            ))
            builder.edge(gateway_key, key)
            for ref in (listener.get("tls") or {}).get("certificateRefs") or []:
                _add_tls(view, builder, gateway, ref, key)
    for issuer in _issuers(view):
        if builder.has(_issuer_key(issuer)):
            _add_solver_edges(builder, issuer, zone)


def _listener_lines(listener: Mapping[str, Any], gateway_namespace: str) -> tuple[str, ...]:
    mode = tls_mode(listener)
    lines = [
        f"listener {listener.get('name')}",
        f"{listener.get('protocol')} :{listener.get('port')}" + (f" · TLS {mode}" if mode else ""),
        str(listener.get("hostname") or "any hostname"),
        admitted_text(listener, gateway_namespace),
    ]
    kinds = (listener.get("allowedRoutes") or {}).get("kinds")
    if kinds:
        lines.append("only " + ", ".join(str(kind.get("kind")) for kind in kinds))
    return tuple(lines)


def _add_tls(view: PlanView, builder: GraphBuilder, gateway: Manifest, ref: Mapping[str, Any], listener: str) -> None:
    """The certificate (or bare Secret) a listener serves, and the grant when it lives in another namespace."""
    group, kind = ref.get("group", ""), ref.get("kind", "Secret")
    namespace, name = ref.get("namespace") or gateway.namespace, str(ref.get("name"))
    source = _tls_source(view, builder, namespace, (group, kind), name)
    label = ""
    if namespace != gateway.namespace:
        grant = find_grant(view, namespace, group, kind, name, "Gateway", gateway.namespace)
        if grant is None:
            label = "⚠ no ReferenceGrant: refused"
        else:
            builder.edge(builder.node(grant_node(grant)), source, "permits", "dotted")
    builder.edge(source, listener, label, "dotted" if label else "solid")


def _tls_source(view: PlanView, builder: GraphBuilder, namespace: str, group_kind: tuple[str, str], name: str) -> str:
    certificate = next(
        (c for c in view.of_kind(CERT_MANAGER_GROUP, "Certificate")
         if c.namespace == namespace and c.spec.get("secretName") == name and group_kind == ("", "Secret")),
        None,
    )
    if certificate is None:
        declared = view.get(*group_kind, namespace, name) is not None
        origin = "declared in this stack" if declared else "not issued by this stack"
        return builder.node(Node(
            object_key(group_kind[1], namespace, name),
            "secret",
            (f"{group_kind[1]} {namespace}/{name}", origin),
            fingerprint(group_kind, declared),
        ))
    key = builder.node(Node(
        object_key("Certificate", namespace, certificate.name),
        "certificate",
        (f"Certificate {certificate.ref}", ", ".join(certificate.spec.get("dnsNames") or []), f"Secret {name}"),
        fingerprint(certificate.spec),
    ))
    issuer = _issuer_of(view, certificate)
    if issuer is not None:
        builder.edge(builder.node(_issuer_node(issuer)), key, "issues")
    return key


def _issuers(view: PlanView) -> list[Manifest]:
    return view.of_kind(CERT_MANAGER_GROUP, "ClusterIssuer") + view.of_kind(CERT_MANAGER_GROUP, "Issuer")


def _issuer_of(view: PlanView, certificate: Manifest) -> Manifest | None:
    ref = certificate.spec.get("issuerRef") or {}
    kind = ref.get("kind", "Issuer")
    namespace = certificate.namespace if kind == "Issuer" else ""
    return view.get(ref.get("group", CERT_MANAGER_GROUP), kind, namespace, str(ref.get("name")))


def _issuer_key(issuer: Manifest) -> str:
    return object_key(issuer.kind, issuer.namespace, issuer.name)


def _issuer_node(issuer: Manifest) -> Node:
    return Node(_issuer_key(issuer), "issuer", (f"{issuer.kind} {issuer.ref}", *_issuer_lines(issuer.spec)),
                fingerprint(issuer.spec))


def _issuer_lines(spec: Mapping[str, Any]) -> list[str]:
    if "acme" in spec:
        acme = spec["acme"]
        server = urlparse(str(acme.get("server", ""))).hostname or "?"
        if server.endswith("letsencrypt.org"):
            server = "Let's Encrypt" + (" staging" if "staging" in server else "")
        return [f"ACME {server}", *(_solver_text(solver) for solver in acme.get("solvers") or [])]
    if "ca" in spec:
        return [f"CA key pair {spec['ca'].get('secretName')}"]
    if "selfSigned" in spec:
        return ["self-signed"]
    return [next(iter(spec), "?")]


def _solver_text(solver: Mapping[str, Any]) -> str:
    if "dns01" in solver:
        provider = next(iter(solver["dns01"]), "?")
        return f"DNS-01 through {DNS01_PROVIDERS.get(provider, provider)}"
    if "http01" in solver:
        return "HTTP-01 through a Gateway" if "gatewayHTTPRoute" in solver["http01"] else "HTTP-01 through an Ingress"
    return "?"


def _add_solver_edges(builder: GraphBuilder, issuer: Manifest, zone: str | None) -> None:
    """ACME challenges: DNS-01 writes TXT records in the zone, HTTP-01 is answered on a Gateway's listener."""
    key = _issuer_key(issuer)
    for solver in (issuer.spec.get("acme") or {}).get("solvers") or []:
        if "dns01" in solver and zone is not None:
            builder.edge(key, zone, "DNS-01 challenges", "dotted")
        gateway_route = (solver.get("http01") or {}).get("gatewayHTTPRoute") or {}
        for parent in gateway_route.get("parentRefs") or []:
            namespace, name = parent.get("namespace") or issuer.namespace, str(parent.get("name"))
            section = parent.get("sectionName")
            target = listener_key(namespace, name, section) if section else object_key("Gateway", namespace, name)
            if builder.has(target):
                builder.edge(key, target, "HTTP-01 challenges", "dotted")
