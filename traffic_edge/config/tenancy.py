"""Tenancy and guardrails config: tenants, the platform's own identity, and egress allow-lists.

A tenant owns namespaces and every hostname under one suffix. Its namespaces carry two labels that the
admission policies read; only the platform's identity may change them. The shape lives here; rules that relate
tenants to gateways and routes live in traffic_edge.config.rules.tenants.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from traffic_edge.config.types import Email, Hostname, Model, Name, Port

# Namespace labels the admission policies read. Label values hold at most 63 characters (rules.tenants).
SUFFIX_LABEL = "traffic-edge.io/hostname-suffix"
TENANT_LABEL = "traffic-edge.io/tenant"
RESERVED_LABEL_PREFIX = "traffic-edge.io/"


def _network(value: str) -> str:
    """A CIDR as NetworkPolicy ipBlock takes it: the network address, no host bits."""
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as error:
        raise ValueError(f"{value} is not a CIDR without host bits (e.g. 203.0.113.0/24): {error}") from None


Cidr = Annotated[str, AfterValidator(_network)]


class Tenant(Model):
    """A team: its namespaces, its hostname suffix, and either a shared Gateway or one of its own.

    A Gateway in one of the tenant's namespaces is the tenant's own: its listeners admit only the
    tenant's namespaces and its certificates come from Issuers in that namespace (own ACME account).
    """

    namespaces: Annotated[list[Name], Field(min_length=1)] = Field(description="namespaces created for the tenant")
    hostname_suffix: Hostname = Field(description="every hostname of the tenant lies under this, e.g. team-a.<domain>")
    gateway: Name | None = Field(None, description="a shared gateway the tenant attaches to; omit with its own")
    acme_email: Email | None = Field(None, description="contact of the tenant's ACME account; defaults to issuers.acme")

    @field_validator("hostname_suffix")
    @classmethod
    def _no_wildcard(cls, suffix: str) -> str:
        if suffix.startswith("*."):
            raise ValueError("a suffix covers every name under it already; drop the `*.`")
        return suffix


class EgressRule(Model):
    """Pods of the namespace may open connections to these networks on these ports."""

    cidrs: Annotated[list[Cidr], Field(min_length=1)]
    ports: Annotated[list[Port], Field(min_length=1)]
    protocol: Literal["TCP", "UDP"] = "TCP"


class Guardrails(Model):
    """Who the platform is, and where its metrics are scraped from."""

    platform_users: list[str] = Field(
        default_factory=list, description="usernames that may change tenant labels (`kubectl auth whoami`)"
    )
    platform_groups: list[str] = Field(default_factory=list, description="groups that may change tenant labels")
    monitoring_namespace: Name = Field("monitoring", description="the namespace whose pods scrape metrics")
    api_server_cidrs: list[Cidr] = Field(
        default_factory=list, description="where the API server calls webhooks from; empty: anywhere"
    )
