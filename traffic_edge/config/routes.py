"""Routes as the stack config writes them: one model per Gateway API route kind, picked by `kind`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Strict, Tag

from traffic_edge.config.types import ABSOLUTE_PATH, Hostname, Model, Name, Port


class Backend(Model):
    service: Name = Field(description="the Service's name")
    namespace: Name | None = Field(None, description="defaults to the route's namespace")
    port: Port = Field(description="the Service's port")
    weight: Annotated[int, Strict(), Field(ge=0, le=1_000_000)] = Field(  # strict: `true` is no weight
        1, description="its share of the rule's requests against the other backends' weights; 0: none"
    )


class HeaderMatch(Model):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")] = Field(description="the header's name")
    value: str = Field(description="the value it must have, or a regular expression it must match")
    type: Literal["Exact", "RegularExpression"] = Field("Exact", description="how `value` is matched")


class HttpMatch(Model):
    path: Annotated[str, Field(pattern=ABSOLUTE_PATH)] = Field("/", description="the request path")
    path_type: Literal["PathPrefix", "Exact", "RegularExpression"] = Field(
        "PathPrefix", description="how `path` is matched"
    )
    headers: list[HeaderMatch] = Field(default_factory=list, description="headers the request must carry, all of them")
    method: Literal["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"] | None = Field(
        None, description="the request's HTTP method; unset: any"
    )


class HttpRule(Model):
    matches: list[HttpMatch] = Field(
        default_factory=list, description="requests the rule takes, any of them; none: all"
    )
    rewrite_prefix: Annotated[str, Field(pattern=ABSOLUTE_PATH)] | None = Field(
        None, description="replace the matched path prefix, e.g. /api/governance → /governance"
    )
    backends: Annotated[list[Backend], Field(min_length=1)] = Field(description="the Services that answer")


class GrpcMatch(Model):
    service: str | None = Field(None, description="the gRPC service's full name, e.g. payments.v1.Payments")
    method: str | None = Field(None, description="the gRPC method's name; unset: any")
    headers: list[HeaderMatch] = Field(default_factory=list, description="headers the request must carry, all of them")


class GrpcRule(Model):
    matches: list[GrpcMatch] = Field(default_factory=list, description="calls the rule takes, any of them; none: all")
    backends: Annotated[list[Backend], Field(min_length=1)] = Field(description="the Services that answer")


class L4Rule(Model):
    backends: Annotated[list[Backend], Field(min_length=1)] = Field(description="the Services that answer")


class RouteBase(Model):
    name: Name = Field(description="the route's name, unique in its namespace")
    namespace: Name = Field(
        description="where the route lives: it need not be created here, and must be admitted by the listener"
    )
    gateway: Name = Field(description="the gateway it attaches to (`gateways[].name`)")
    listener: Name | None = Field(None, description="sectionName; defaults to every listener of a matching protocol")


ROUTE_KIND = "picks the route kind: HTTPRoute (the default), GRPCRoute, TLSRoute, TCPRoute or UDPRoute"
HOSTNAMES = "the names the route serves, `*.` allowed; none: every name of the listener (a tenant's must name theirs)"
RULES = "at most 16, matched in order of the Gateway API's precedence"


class HttpRoute(RouteBase):
    kind: Literal["HTTPRoute"] = Field("HTTPRoute", description=ROUTE_KIND)
    hostnames: list[Hostname] = Field(default_factory=list, description=HOSTNAMES)
    rules: Annotated[list[HttpRule], Field(min_length=1, max_length=16)] = Field(description=RULES)


class GrpcRoute(RouteBase):
    kind: Literal["GRPCRoute"] = Field(description=ROUTE_KIND)
    hostnames: list[Hostname] = Field(default_factory=list, description=HOSTNAMES)
    rules: Annotated[list[GrpcRule], Field(min_length=1, max_length=16)] = Field(description=RULES)


class TlsRoute(RouteBase):
    kind: Literal["TLSRoute"] = Field(description=ROUTE_KIND)
    hostnames: Annotated[list[Hostname], Field(min_length=1)] = Field(
        description="the SNI names the route takes, at least one"
    )
    rules: Annotated[list[L4Rule], Field(min_length=1, max_length=1)] = Field(description="exactly one")


class TcpRoute(RouteBase):
    kind: Literal["TCPRoute"] = Field(description=ROUTE_KIND)
    hostname: Hostname | None = Field(None, description="published by external-dns (TCP carries no hostname)")
    rules: Annotated[list[L4Rule], Field(min_length=1, max_length=1)] = Field(description="exactly one")


class UdpRoute(RouteBase):
    kind: Literal["UDPRoute"] = Field(description=ROUTE_KIND)
    hostname: Hostname | None = Field(None, description="published by external-dns (UDP carries no hostname)")
    rules: Annotated[list[L4Rule], Field(min_length=1, max_length=1)] = Field(description="exactly one")


def _route_kind(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("kind", "HTTPRoute"))
    return str(getattr(value, "kind", "HTTPRoute"))


Route = Annotated[
    Annotated[HttpRoute, Tag("HTTPRoute")]
    | Annotated[GrpcRoute, Tag("GRPCRoute")]
    | Annotated[TlsRoute, Tag("TLSRoute")]
    | Annotated[TcpRoute, Tag("TCPRoute")]
    | Annotated[UdpRoute, Tag("UDPRoute")],
    Discriminator(_route_kind),
]
