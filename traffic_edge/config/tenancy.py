"""Tenancy and guardrails config: tenants, the platform's own identity, the hostname guardrail, and egress rules.

A tenant owns namespaces and every hostname under one suffix, less the suffixes of its child tenants. Its
namespaces carry two labels that the admission policies read; only the platform's identity may change them. The
shape lives here; rules that relate tenants to gateways and routes live in traffic_edge.config.rules.tenants, rules
of egress in traffic_edge.config.rules.egress.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from traffic_edge.config.types import Email, Hostname, Labels, Model, Name, Port

# Namespace labels the admission policies read. Label values hold at most 63 characters (rules.tenants).
SUFFIX_LABEL = "traffic-edge.io/hostname-suffix"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every namespace; cannot be spoofed
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

    namespaces: Annotated[list[Name], Field(min_length=1)] = Field(
        description="namespaces created for the tenant and labelled with its name and suffix (never `create: false`)"
    )
    hostname_suffix: Hostname = Field(
        description="every hostname of the tenant lies under this, e.g. team-a.<domain>; names under a child "
        "tenant's suffix are the child's"
    )
    gateway: Name | None = Field(None, description="a shared gateway the tenant attaches to; omit with its own")
    acme_email: Email | None = Field(None, description="contact of the tenant's ACME account; defaults to issuers.acme")
    parent: Name | None = Field(
        None, description="the tenant whose suffix this one's lies under (a child tenant); neither claims the "
        "other's names"
    )

    @field_validator("hostname_suffix")
    @classmethod
    def _no_wildcard(cls, suffix: str) -> str:
        if suffix.startswith("*."):
            raise ValueError("a suffix covers every name under it already; drop the `*.`")
        return suffix


class EgressDestination(Model):
    """Where the rule's pods may connect: networks, and pods or namespaces of the cluster (any of them)."""

    cidrs: list[Cidr] = Field(default_factory=list, description="networks, e.g. 0.0.0.0/0 or 203.0.113.0/24")
    except_: list[Cidr] = Field(
        default_factory=list, alias="except", description="networks inside `cidrs` left out (ipBlock.except)"
    )
    namespaces: list[Name] = Field(
        default_factory=list, description="namespaces whose pods may be reached (with `pods`: only those pods there)"
    )
    pods: Labels = Field(
        default_factory=dict, description="labels of the pods that may be reached, in `namespaces` or else in the "
        "rule's own namespace"
    )


class EgressRule(Model):
    """One NetworkPolicy, named after the rule: the pods it selects reach DNS and exactly its destinations.

    It restricts only the pods it selects; the others of the namespace stay unrestricted unless another rule
    selects them. A pod several rules select may use every one of them (NetworkPolicies add up).
    """

    name: Name = Field(description="names the NetworkPolicy, traffic-edge-egress-<name>; unique in the namespace")
    pods: Labels = Field(
        default_factory=dict, description="labels of the namespace's pods the rule restricts; empty: every pod"
    )
    to: EgressDestination | None = Field(
        None, description="where the pods may connect besides DNS; unset: DNS alone (the pods are locked down)"
    )
    ports: list[Port] = Field(default_factory=list, description="destination ports, with `to`")
    protocol: Literal["TCP", "UDP"] = Field("TCP", description="the ports' protocol")


class Guardrails(Model):
    """Who the platform is, where its metrics are scraped from, and which hostnames the cluster may serve."""

    platform_users: list[str] = Field(
        default_factory=list, description="usernames Pulumi deploys as (`kubectl auth whoami`): alone they change "
        "tenant labels, and the hostname guardrail exempts them"
    )
    platform_groups: list[str] = Field(
        default_factory=list, description="groups Pulumi deploys as: alone they change tenant labels, and the hostname "
        "guardrail exempts them"
    )
    monitoring_namespace: Name = Field("monitoring", description="the namespace whose pods scrape metrics")
    api_server_cidrs: list[Cidr] = Field(
        default_factory=list, description="where the API server calls webhooks from; empty: anywhere"
    )
    hostnames_in_domain: bool = Field(
        True, description="an admission policy refuses any Gateway listener, route or external-dns hostname in the "
        "cluster outside `domain` and `allowedDomains`, from anyone but platformUsers and platformGroups"
    )
    allowed_domains: list[Hostname] = Field(
        default_factory=list, description="domains besides `domain` that objects made outside this stack may name "
        "(the stack's own hostnames stay inside `domain`)"
    )
