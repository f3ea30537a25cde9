"""Gateway API route kinds as this program uses them: one row each.

The spec builder of each kind is in traffic_edge.plan.routes; the config model of each in traffic_edge.config.model.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RouteKind:
    name: str
    # Listener protocols it attaches to; of HTTP listeners only those that carry routes rather than redirect to
    # HTTPS (traffic_edge.config.queries.redirects_to_https).
    protocols: tuple[str, ...]
    # external-dns --source name (kubernetes-sigs/external-dns docs/sources/gateway-api.md)
    external_dns_source: str
    # False for TCP and UDP: no hostname in the spec, at most one published through an annotation
    spec_hostnames: bool


ROUTE_KINDS: dict[str, RouteKind] = {
    row.name: row
    for row in (
        RouteKind("HTTPRoute", ("HTTPS", "HTTP"), "gateway-httproute", spec_hostnames=True),
        RouteKind("GRPCRoute", ("HTTPS",), "gateway-grpcroute", spec_hostnames=True),
        RouteKind("TLSRoute", ("TLS",), "gateway-tlsroute", spec_hostnames=True),
        RouteKind("TCPRoute", ("TCP",), "gateway-tcproute", spec_hostnames=False),
        RouteKind("UDPRoute", ("UDP",), "gateway-udproute", spec_hostnames=False),
    )
}
