"""The stack config: one typed model for everything under `traffic-edge:` in Pulumi.<stack>.yaml.

Every object is closed (unknown keys are errors, so typos fail) and keys are camelCase as in Kubernetes.
Shape and ranges live here; rules that relate several keys live in traffic_edge.config.rules.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from traffic_edge.config.controller import Controller, controllers_where, honours
from traffic_edge.config.data_plane import GatewayDataPlane, IpAddress, TlsVersion
from traffic_edge.config.issuers import IssuerName, Issuers
from traffic_edge.config.platforms import CLOUD_KINDS, Platform
from traffic_edge.config.routes import Route
from traffic_edge.config.sources import Artifacts, Cluster
from traffic_edge.config.tenancy import EgressRule, Guardrails, Tenant
from traffic_edge.config.types import (
    NAMESERVER,
    AcmArn,
    AppliesTo,
    Hostname,
    Labels,
    Model,
    Name,
    Port,
    SecretRef,
)
from traffic_edge.controllers import chart_pins
from traffic_edge.data.versions import GATEWAY_API_CHANNEL, GATEWAY_API_VERSION, ROUTE_API_VERSIONS


class Rfc2136(Model):
    """An authoritative DNS server that accepts TSIG-signed dynamic updates (RFC 2136)."""

    nameserver: Annotated[str, Field(pattern=NAMESERVER, description="host, host:port or [IPv6]:port (port 53)")]
    tsig_key_name: Hostname = Field(description="the TSIG key's name, as the DNS server knows it")
    tsig_algorithm: Literal["HMACMD5", "HMACSHA1", "HMACSHA256", "HMACSHA512"] = Field(
        "HMACSHA256", description="the TSIG key's algorithm"
    )

    @field_validator("nameserver")
    @classmethod
    def _host_and_port(cls, nameserver: str) -> str:
        """As cert-manager reads it (net.SplitHostPort, internal/apis/certmanager/validation/util/nameserver.go @
        v1.21.1): an IPv6 address in brackets, a port of 1-65535."""
        host, port = split_nameserver(nameserver)
        if nameserver.startswith("["):
            try:
                ipaddress.IPv6Address(host)
            except ValueError:
                raise ValueError(f"{host} in brackets is not an IPv6 address") from None
        if not 1 <= port <= 65535:
            raise ValueError(f"port {port} is not 1-65535")
        return nameserver

    @property
    def host(self) -> str:
        """The server's name or address, without brackets: external-dns joins it with the port itself."""
        return split_nameserver(self.nameserver)[0]

    @property
    def port(self) -> int:
        return split_nameserver(self.nameserver)[1]


def split_nameserver(nameserver: str) -> tuple[str, int]:
    """`[2001:db8::53]:5353` → ("2001:db8::53", 5353); `ns.example.com` → ("ns.example.com", 53)."""
    match = re.match(NAMESERVER, nameserver)
    assert match is not None, "the field pattern has matched already"
    return match.group(1).strip("[]"), int(match.group(2)[1:]) if match.group(2) else 53


class ZoneRef(Model):
    """An existing zone, used without creating or changing it."""

    name: str | None = Field(None, description="GKE: the managed zone's name; EKS, AKS: the zone's DNS name")
    id: str | None = Field(None, description="the zone's ID: projects/<p>/managedZones/<n>, Z…, an Azure resource ID")


class Dns(Model):
    """The DNS zone the environment's names are published in, and how the platform reaches it."""

    zone: Hostname | None = Field(None, description="the zone's DNS name; defaults to `domain`")
    rfc2136: Annotated[Rfc2136 | None, AppliesTo(("onprem",))] = Field(
        None, description="on-prem: dynamic updates to this server"
    )
    adopt: Annotated[ZoneRef | None, AppliesTo(CLOUD_KINDS)] = Field(
        None, description="clouds: use this existing zone instead of creating one"
    )
    private: Annotated[bool, AppliesTo(CLOUD_KINDS)] = Field(
        False, description="clouds: a private zone, resolvable only from `networks`"
    )
    networks: Annotated[list[str], AppliesTo(CLOUD_KINDS)] = Field(
        default_factory=list,
        description="private zones: GKE VPC network URLs, EKS VPC IDs or AKS virtual network IDs",
    )
    protect: Annotated[bool, AppliesTo(CLOUD_KINDS)] = Field(
        True, description="clouds: refuse to delete the zone this program created"
    )


class Versions(Model):
    """Releases of the Gateway API and the charts, over the pinned ones."""

    gateway_api: str = Field(GATEWAY_API_VERSION, description="Gateway API release of the CRDs")
    gateway_api_channel: Literal["standard", "experimental"] = Field(
        GATEWAY_API_CHANNEL, description="the CRD bundle: standard, or experimental (TCPRoute, UDPRoute, ...)"
    )
    charts: dict[str, str] = Field(default_factory=dict, description="chart name → version, over the pinned ones")
    installed_gateway_api: Annotated[str, Field(pattern=r"^v\d+\.\d+\.\d+$")] | None = Field(
        None, description="the Gateway API release the cluster has now, if any: guards against downgrades"
    )
    gateway_api_crds: Literal["install", "adopt", "platform"] | None = Field(
        None,
        description="who owns the Gateway API CRDs: install (this program), adopt (an existing install of the same "
        "release and channel, taken over), platform (the platform or another tool); defaults to platform where the "
        "platform manages them, else install",
    )

    @field_validator("gateway_api")
    @classmethod
    def _known_release(cls, version: str) -> str:
        known = sorted({release for release, _ in ROUTE_API_VERSIONS})
        if version not in known:
            raise ValueError(f"Gateway API {version} is not one this program knows; use one of {', '.join(known)}")
        return version

    @field_validator("charts")
    @classmethod
    def _known_charts(cls, charts: dict[str, str]) -> dict[str, str]:
        known = chart_pins()
        unknown = sorted(set(charts) - set(known))
        if unknown:
            raise ValueError(f"unknown chart {', '.join(unknown)}; pinned charts are {', '.join(sorted(known))}")
        return charts


class ExternalDns(Model):
    """external-dns publishes route hostnames in the zone, where the platform offers DNS."""

    enabled: bool = Field(True, description="install external-dns where the platform offers DNS")
    policy: Literal["sync", "upsert-only"] = Field(
        "upsert-only", description="sync also deletes records it owns once their route is gone"
    )
    txt_owner_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$")] | None = Field(
        None, description="TXT registry owner, unique per cluster; defaults to <project>-<stack>"
    )
    txt_prefix: Annotated[str, Field(pattern=r"^[a-z0-9][-a-z0-9_.%{}]*$", max_length=40)] = Field(
        "edns-%{record_type}.",
        description="prefix of the ownership TXT records, so they never collide with CNAMEs; `%{record_type}` and "
        "a trailing `.` keep an apex name's record inside its zone",
    )
    sources: list[Literal["service"]] = Field(
        default_factory=list, description="sources besides the route kinds in use"
    )
    values: dict[str, Any] = Field(default_factory=dict, description="extra chart values (escape hatch)")


class ExpiryAlerts(Model):
    """Certificate expiry alerts evaluated by Prometheus, so they fire without anyone running `doctor`."""

    enabled: bool = Field(False, description="render a PrometheusRule and cert-manager's ServiceMonitor (needs the "
                          "Prometheus operator's CRDs in the cluster)")
    warning_days: Annotated[int, Field(ge=1, le=365)] = Field(20, description="warn this many days before expiry")
    critical_days: Annotated[int, Field(ge=1, le=365)] = Field(3, description="page this many days before expiry")
    labels: Labels = Field(
        default_factory=dict, description="labels your Prometheus selects rules and ServiceMonitors by (e.g. release)"
    )


class CertManager(Model):
    """cert-manager, which issues the gateways' certificates."""

    expiry_alerts: ExpiryAlerts = Field(default_factory=ExpiryAlerts)
    values: dict[str, Any] = Field(default_factory=dict, description="extra chart values (escape hatch)")


IssuerKind = Literal["ClusterIssuer", "Issuer"]  # a tenant's certificates come from an Issuer in its namespace


class Certificate(Model):
    name: Name = Field(description="the certificate's name in this gateway, as listeners name it")
    issuer: IssuerName = Field(
        description="letsencrypt-staging, letsencrypt-production (issuers.acme), a key of issuers.acmeIssuers, or the "
        "internal CA's name (issuers.internalCa.name)"
    )
    dns_names: Annotated[list[Hostname], Field(min_length=1)] = Field(description="the names it covers, `*.` allowed")
    namespace: Name | None = Field(
        None, description="issue it (and its Secret) here instead of the gateway's namespace (a ReferenceGrant)"
    )
    secret_name: Name | None = Field(None, description="the Secret cert-manager writes; default <gateway>-<name>-tls")
    labels: Labels = Field(default_factory=dict, description="labels of the Certificate (ACME solver matchLabels)")


class NamespaceSelector(Model):
    """Namespaces by their labels, as the Gateway API's allowedRoutes selector takes them."""

    match_labels: Annotated[Labels, Field(min_length=1)] = Field(description="labels a namespace carries, all of them")


class AllowedRoutes(Model):
    """Where a listener admits routes from: a whitelist of namespaces by name (the default), every namespace, or the
    namespaces a label selector picks; one of the three, as the Gateway API's `from` takes one."""

    all: bool = Field(False, description="admit routes from every namespace (off: a namespace whitelist)")
    namespaces: list[Name] = Field(default_factory=list, description="namespaces admitted besides the whitelist")
    selector: NamespaceSelector | None = Field(
        None, description="admit the namespaces carrying these labels instead of a whitelist (from: Selector)"
    )


class Listener(Model):
    name: Name = Field(description="the listener's name, which routes give as `listener` (sectionName)")
    protocol: Literal["HTTP", "HTTPS", "TLS", "TCP", "UDP"] = Field(description="what the listener speaks")
    port: Port = Field(description="the port it listens on")
    hostname: Hostname | None = Field(
        None, description="HTTP, HTTPS, TLS: the names it serves, `*.` allowed; unset: every name"
    )
    certificate: Name | None = Field(None, description="HTTPS/TLS-terminate: a certificate of this gateway")
    tls_mode: Literal["Terminate", "Passthrough"] | None = Field(None, description="TLS: Terminate or Passthrough")
    certificate_arn: Annotated[AcmArn | None, controllers_where(lambda row: row.certificates == "acm")] = Field(
        None, description="AWS load balancers: an ACM certificate ARN"
    )
    allowed_routes: AllowedRoutes = Field(default_factory=AllowedRoutes)
    http_mode: Literal["redirect", "routes"] | None = Field(
        None, description="HTTP: `redirect` answers every request with a redirect to HTTPS, `routes` serves routes in "
        "clear text; defaults to redirect where the gateway has an HTTPS or TLS-terminating listener, else routes"
    )


class Gateway(Model):
    name: Name = Field(description="the Gateway's name, which routes give as `gateway`")
    namespace: Name = Field("gateway", description="where the Gateway lives; created here unless it exists already")
    class_name: Name | None = Field(None, description="defaults to the controller's GatewayClass")
    external_class: bool = Field(
        False, description="className is a GatewayClass of controller.name that another tool or team creates"
    )
    certificates: list[Certificate] = Field(
        default_factory=list, description="cert-manager Certificates its listeners name"
    )
    listeners: Annotated[list[Listener], Field(min_length=1, max_length=64)] = Field(description="at most 64")
    addresses: Annotated[list[IpAddress], Field(max_length=16), controllers_where(honours("addresses"))] = Field(
        default_factory=list,
        description="static IP addresses (spec.addresses): envoy-gateway, nginx-gateway-fabric: the Service's "
        "externalIPs; istio: the LoadBalancer Service's loadBalancerIP (one); cilium: from an LB-IPAM pool",
    )
    min_tls_version: Annotated[TlsVersion | None, controllers_where(honours("minTlsVersion"))] = Field(
        None,
        description="the oldest TLS version clients may use: envoy-gateway (ClientTrafficPolicy), nginx-gateway-fabric "
        "(listener option), gke (an SSL policy the platform creates, named in a GCPGatewayPolicy)",
    )
    data_plane: Annotated[GatewayDataPlane | None, controllers_where(honours("dataPlane"))] = Field(
        None, description="envoy-gateway: the gateway's own proxies (EnvoyProxy): Service, replicas, disruption budget"
    )


class Namespace(Model):
    """A namespace routes come from or egress rules apply to; one that routes come from need not be listed here."""

    create: bool = Field(
        True, description="create the namespace, kept in the cluster when removed here (false: it exists already, "
        "made by another tool or chart)"
    )
    labels: Labels = Field(default_factory=dict, description="labels of a namespace created here")
    gateways: list[Name] = Field(default_factory=list, description="gateways whose listeners admit routes from here")
    egress: list[EgressRule] | None = Field(
        None, description="egress rules, one NetworkPolicy each; unset: no egress restricted"
    )


class StackConfig(Model):
    """Everything under `traffic-edge:` in one stack file."""

    platform: Platform = Field(description="where the edge runs; `kind` picks the platform and the keys that fit it")
    domain: Hostname = Field(description="the environment's DNS domain; every hostname lies inside it")
    production: bool = Field(False, description="marks a production stack (guards issuers and policies)")
    cluster: Cluster = Field(default_factory=Cluster, description="the Kubernetes cluster the edge is deployed to")
    artifacts: Artifacts = Field(default_factory=Artifacts)
    dns: Dns = Field(default_factory=Dns)
    tsig_secret: Annotated[SecretRef | None, AppliesTo(("onprem",))] = Field(
        None, description="RFC 2136 TSIG key (base64), set with --secret"
    )
    versions: Versions = Field(default_factory=Versions)
    controller: Controller = Field(default_factory=Controller)
    cert_manager: CertManager = Field(default_factory=CertManager)
    external_dns: ExternalDns = Field(default_factory=ExternalDns)
    issuers: Issuers = Field(default_factory=Issuers)
    gateways: list[Gateway] = Field(default_factory=list, description="the Gateways, each with listeners")
    routes: list[Route] = Field(default_factory=list, description="`kind` picks the route kind (default HTTPRoute)")
    namespaces: dict[Name, Namespace] = Field(default_factory=dict)
    tenants: dict[Name, Tenant] = Field(default_factory=dict, description="teams owning namespaces and a suffix")
    guardrails: Guardrails = Field(default_factory=Guardrails)

    @field_validator("domain")
    @classmethod
    def _a_domain(cls, domain: str) -> str:
        if domain.startswith("*.") or "." not in domain:
            raise ValueError(
                f"{domain} is not a DNS domain; use at least two labels and no wildcard, e.g. dev.example.com"
            )
        return domain

    @property
    def zone_name(self) -> str:
        return self.dns.zone or self.domain

    def chart_version(self, chart: str) -> str:
        return self.versions.charts.get(chart, chart_pins()[chart].version)
