"""Names the program derives are unique: two inputs that would derive one Kubernetes object or one Pulumi resource
are refused, naming both key paths (traffic_edge.config.names says why refusing beats renaming)."""

from __future__ import annotations

from collections.abc import Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.names import (
    certificate_grant_name,
    certificate_grant_resource,
    certificate_name,
    certificate_secret,
    redirect_name,
)

# (what, namespace or "" for a Pulumi resource under a gateway's component, name)
Identity = tuple[str, str, str]
# Where a name comes from: a gateway's name, or "" for the routes. Two names of one origin collide only where the
# origin repeats a name, which the gateway and route rules report already.
Source = tuple[str, str]  # (origin, key path)


def derived(config: StackConfig) -> Iterator[tuple[Identity, Source]]:
    """Every derived name with where it comes from; the user's own routes hold names too."""
    for g_index, gateway in enumerate(config.gateways):
        at = f"gateways[{g_index}]"
        origin = gateway.name
        for c_index, certificate in enumerate(gateway.certificates):
            path = f"{at}.certificates[{c_index}]"
            namespace = certificate.namespace or gateway.namespace
            name = certificate_name(gateway.name, certificate.name)
            yield ("Certificate", namespace, name), (origin, f"{path}.name")
            yield ("Secret", namespace, certificate_secret(gateway.name, certificate.name)), (origin, f"{path}.name")
            yield ("Pulumi resource of Certificate", "", f"gateway-{name}"), (origin, f"{path}.name")
            if namespace != gateway.namespace:
                grant = certificate_grant_name(gateway.name, gateway.namespace)
                yield ("ReferenceGrant", namespace, grant), (origin, f"{path}.namespace")
                resource = f"gateway-{gateway.name}-{certificate_grant_resource(namespace)}"
                yield ("Pulumi resource of ReferenceGrant", "", resource), (origin, f"{path}.namespace")
        for l_index, listener in enumerate(gateway.listeners):
            if listener.protocol == "HTTP":
                name = redirect_name(gateway.name, listener.name)
                path = f"{at}.listeners[{l_index}].name"
                yield ("HTTPRoute", gateway.namespace, name), (origin, path)
                yield ("Pulumi resource of HTTPRoute", "", f"gateway-{name}"), (origin, path)
    for index, route in enumerate(config.routes):
        yield (route.kind, route.namespace, route.name), ("", f"routes[{index}].name")


def check(config: StackConfig) -> Iterator[Issue]:
    first: dict[Identity, Source] = {}
    reported: set[tuple[str, str]] = set()
    for identity, (origin, path) in derived(config):
        other_origin, other = first.setdefault(identity, (origin, path))
        if other_origin == origin or (path, other) in reported:
            continue
        reported.add((path, other))
        what, namespace, name = identity
        where = f" in namespace {namespace}" if namespace else ""
        yield Issue(path, f"derives the {what} {name}{where}, as {other} does", "rename one of them")
