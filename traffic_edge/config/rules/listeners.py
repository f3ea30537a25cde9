"""A gateway's listeners are distinct, as the Gateway API judges them, whatever order they are written in.

The spec (gateway.networking.k8s.io_gateways.yaml, spec.listeners, "Distinct Listeners", at v1.6.1): listeners
sharing a protocol must differ in port or hostname (HTTP, HTTPS, TLS) or in port (TCP, UDP), and "all the Listeners
that share a port with the TCP Listener are not distinct". Indistinct listeners are all Conflicted, none accepted
(apis/v1/gateway_types.go: reasons ProtocolConflict, HostnameConflict). Sharing a port, cleartext HTTP and TLS
(HTTPS or TLS) cannot be told apart either: a ProtocolConflict in implementations (envoyproxy/gateway @ v1.9.0 :
internal/gatewayapi/validate.go `validateConflictedProtocolsListeners`, where HTTPS and TLS share a port by SNI and
UDP shares a port with anything).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import Gateway, Listener, StackConfig

# What a connection on a port is told apart by: HTTPS and TLS listeners by SNI hostname (one family), HTTP by Host,
# TCP by nothing; every protocol but HTTPS is its own family.
FAMILIES = {"HTTPS": "TLS"}

Indexed = tuple[int, Listener]


def check(config: StackConfig) -> Iterator[Issue]:
    for g_index, gateway in enumerate(config.gateways):
        ports: dict[tuple[int, bool], list[Indexed]] = defaultdict(list)
        for l_index, listener in enumerate(gateway.listeners):
            ports[(listener.port, listener.protocol == "UDP")].append((l_index, listener))
        for (port, _udp), listeners in sorted(ports.items()):
            yield from _port(gateway, f"gateways[{g_index}]", port, listeners)


def _port(gateway: Gateway, at: str, port: int, listeners: list[Indexed]) -> Iterator[Issue]:
    """The listeners on one port of one transport (TCP or UDP)."""
    families = {FAMILIES.get(listener.protocol, listener.protocol) for _, listener in listeners}
    first = listeners[0][0]
    if len(families) > 1:
        yield Issue(
            f"{at}.listeners[{first}].port",
            f"{_names(listeners)} share port {port} with protocols that cannot be told apart: gateway {gateway.name} "
            "marks them all Conflicted (ProtocolConflict) and accepts none",
            "give each protocol its own port",
        )
        return
    if families <= {"TCP", "UDP"}:
        if len(listeners) > 1:
            yield Issue(
                f"{at}.listeners[{first}].port",
                f"{_names(listeners)} share port {port}, and {listeners[0][1].protocol} listeners are told apart by "
                f"port alone: gateway {gateway.name} marks them Conflicted and accepts none",
                "give each its own port",
            )
        return
    by_hostname: dict[str, list[Indexed]] = defaultdict(list)
    for item in listeners:
        by_hostname[item[1].hostname or ""].append(item)
    for hostname, same in sorted(by_hostname.items()):
        if len(same) > 1:
            what = f"the hostname {hostname}" if hostname else "no hostname"
            yield Issue(
                f"{at}.listeners[{same[0][0]}].hostname",
                f"{_names(same)} share port {port} with {what}: gateway {gateway.name} marks them Conflicted "
                "(HostnameConflict) and accepts none",
                "give each its own hostname or port",
            )


def _names(listeners: Sequence[Indexed]) -> str:
    """`https (listeners[1], HTTPS) and db (listeners[2], TCP)`"""
    names = [f"{listener.name} (listeners[{index}], {listener.protocol})" for index, listener in listeners]
    return f"{', '.join(names[:-1])} and {names[-1]}"
