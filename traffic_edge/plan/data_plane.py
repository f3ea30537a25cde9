"""A gateway's data-plane settings as objects: its addresses, its proxies' parameters, the policies that set its
minimum TLS version, and the cloud SSL policies a platform creates for them.

Every object is named after its gateway alone, so adding or removing one gateway's settings renames nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from traffic_edge.config.model import Gateway, StackConfig
from traffic_edge.config.queries import controller, gateway_class
from traffic_edge.controllers.base import GatewayFacts, ListenerFacts, ProxySettings
from traffic_edge.data.naming import identity_name

SSL_POLICY_NAME_LIMIT = 63  # [a-z]([-a-z0-9]*[a-z0-9])?: https://cloud.google.com/compute/docs/reference/rest/v1/sslPolicies
# The profile beside the minimum: COMPATIBLE would keep ciphers TLS 1.2 clients never need (the CIS GCP benchmark
# passes TLS 1.2 only with MODERN: https://docs.prowler.com/checks/gcp/google-cloud-networking-policies/
# bc_gcp_networking_3/); a minimum of 1.3 requires RESTRICTED (https://cloud.google.com/load-balancing/docs/
# use-ssl-policies).
SSL_POLICY_PROFILES = {"1.2": "MODERN", "1.3": "RESTRICTED"}


@dataclass(frozen=True)
class SslPolicyRequest:
    """A cloud SSL policy the platform creates for a minimum TLS version, global or in the cluster's region."""

    name: str
    min_tls_version: Literal["1.2", "1.3"]
    scope: Literal["global", "regional"]

    @property
    def key(self) -> str:
        """Its resource's role under the platform component: one per version and scope, whatever the gateways."""
        return f"ssl-policy-tls-{self.min_tls_version.replace('.', '-')}" + ("-regional" * (self.scope == "regional"))

    @property
    def profile(self) -> str:
        return SSL_POLICY_PROFILES[self.min_tls_version]


def ssl_policy_requests(config: StackConfig, project: str, stack: str) -> dict[str, SslPolicyRequest]:
    """Gateway name → the SSL policy its class's load balancer takes for its minimum TLS version, where it takes one.

    The policy is named after the deployment and the version, so gateways with the same minimum share it and no
    other stack's policy in the project is taken over.
    """
    requests = {}
    for gateway in config.gateways:
        found = gateway_class(config, gateway)
        if gateway.min_tls_version is None or found is None or found.ssl_policy is None:
            continue
        version = gateway.min_tls_version
        name = identity_name((project, stack, f"tls-{version.replace('.', '-')}"), SSL_POLICY_NAME_LIMIT)
        requests[gateway.name] = SslPolicyRequest(name, version, found.ssl_policy)
    return requests


def proxy_settings(config: StackConfig, gateway: Gateway) -> ProxySettings | None:
    plane = gateway.data_plane
    if plane is None:
        return None
    budget = plane.disruption_budget
    return ProxySettings(
        service_type=plane.service.type or config.controller.service_type,
        service_annotations=dict(plane.service.annotations),
        external_traffic_policy=plane.service.external_traffic_policy,
        replicas=plane.replicas,
        min_available=budget.min_available if budget else None,
        max_unavailable=budget.max_unavailable if budget else None,
    )


def gateway_facts(config: StackConfig, gateway: Gateway, ssl_policy: str | None = None) -> GatewayFacts:
    """The gateway as its controller's row sees it: listeners, data-plane settings, minimum TLS version."""
    return GatewayFacts(
        name=gateway.name,
        namespace=gateway.namespace,
        listeners=tuple(
            ListenerFacts(listener.protocol, listener.port, listener.certificate_arn) for listener in gateway.listeners
        ),
        proxy=proxy_settings(config, gateway),
        min_tls_version=gateway.min_tls_version,
        ssl_policy=ssl_policy,
    )


def spec_addresses(gateway: Gateway, controller_addresses: tuple[Mapping[str, str], ...]) -> list[dict[str, str]]:
    """Gateway spec.addresses: the controller's own (e.g. a frontend), then the configured IPs, each typed (NGINX
    Gateway Fabric refuses an address without a type)."""
    return [dict(item) for item in controller_addresses] + [
        {"type": "IPAddress", "value": address} for address in gateway.addresses
    ]


def with_tls_options(config: StackConfig, gateway: Gateway, listeners: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The listeners, each that terminates TLS carrying the options that set the minimum version, where the
    controller reads the minimum from listener options."""
    options = controller(config).tls_options
    if gateway.min_tls_version is None or options is None:
        return listeners
    return [
        {**item, "tls": {**item["tls"], "options": dict(options(gateway.min_tls_version))}}
        if item.get("tls", {}).get("mode") == "Terminate" else item
        for item in listeners
    ]
