"""Every decision about what the edge creates, made once from a valid config, as plain data.

The platform and the components only carry it out; nothing below the edge reads the config model again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from traffic_edge.config.acme import dns01_solvers
from traffic_edge.config.model import StackConfig
from traffic_edge.config.platforms import Eks
from traffic_edge.config.queries import (
    controller,
    crds_owner,
    external_dns_runs,
    managed_namespaces,
    published_route_kinds,
)
from traffic_edge.controllers.base import AgcDeployment, ControllerRow, ListenerFacts, ValuesContext
from traffic_edge.data.permissions import aws, azure, gcp
from traffic_edge.data.permissions.aws import AwsRow
from traffic_edge.data.permissions.azure import AzureRow
from traffic_edge.data.permissions.gcp import GcpRow
from traffic_edge.data.route_kinds import ROUTE_KINDS
from traffic_edge.data.versions import ImagePin, external_dns_image
from traffic_edge.data.workloads import CERT_MANAGER, EXTERNAL_DNS, Workload
from traffic_edge.plan.admission import admission_objects
from traffic_edge.plan.alerts import AlertSettings, expiry_rule
from traffic_edge.plan.data_plane import SslPolicyRequest, ssl_policy_requests
from traffic_edge.plan.gateways import GatewayPlan, gateway_plan
from traffic_edge.plan.issuers import IssuerSet, cluster_issuers, tenant_issuers
from traffic_edge.plan.network_policies import network_policy_objects
from traffic_edge.plan.objects import KubeObject
from traffic_edge.plan.routes import RoutesPlan, routes_plan
from traffic_edge.plan.sources import (
    BundleLocation,
    ChartLocation,
    ClusterConnection,
    bundle_location,
    chart_location,
    cluster_connection,
)


@dataclass(frozen=True)
class Deployment:
    """Who deploys the edge: names its cloud identities and external-dns's TXT owner."""

    project: str
    stack: str


@dataclass(frozen=True)
class ChartPlan:
    chart: ChartLocation
    values: Mapping[str, Any]  # ours, before the platform identity and the user's extra values
    extra_values: Mapping[str, Any]


@dataclass(frozen=True)
class ControllerPlan:
    row: ControllerRow
    context: ValuesContext
    chart: ChartLocation | None  # None where the controller has no chart
    extra_values: Mapping[str, Any]
    crd_chart: ChartLocation | None = None  # the row's CRD chart, installed before `chart`


@dataclass(frozen=True)
class ExternalDnsPlan:
    zone: str
    sources: tuple[str, ...]
    image: ImagePin
    policy: str
    txt_owner_id: str
    txt_prefix: str
    chart: ChartLocation
    extra_values: Mapping[str, Any]


@dataclass(frozen=True)
class IdentityRequest:
    """A workload that needs a cloud identity, and what it may do in each cloud."""

    workload: Workload
    gcp: GcpRow | None = None
    aws: AwsRow | None = None
    azure: AzureRow | None = None
    scopes: Mapping[str, str] = field(default_factory=dict)  # grant scope kind → the resource ID config names


@dataclass(frozen=True)
class EdgePlan:
    cluster: ClusterConnection
    namespaces: Mapping[str, Mapping[str, str]]  # every namespace this program creates → its labels
    gateway_api: BundleLocation | None  # where this program installs the CRDs from, if it does
    cert_manager: ChartPlan
    controller: ControllerPlan
    issuers: tuple[IssuerSet, ...]  # the ClusterIssuers first
    gateways: tuple[GatewayPlan, ...]
    routes: RoutesPlan
    external_dns: ExternalDnsPlan | None
    admission: tuple[KubeObject, ...]
    network_policies: tuple[KubeObject, ...]
    identities: tuple[IdentityRequest, ...] = field(default=())
    certificate_alerts: KubeObject | None = None  # a PrometheusRule, where the stack asks for expiry alerts
    ssl_policies: tuple[SslPolicyRequest, ...] = ()  # cloud SSL policies the platform creates for gateways' minimum TLS
    retained_namespaces: frozenset[str] = frozenset()  # of `namespaces`: left in the cluster when deleted here


def retained_namespaces(config: StackConfig) -> frozenset[str]:
    """The namespaces this program creates but does not own alone, kept in the cluster when deleted from the stack:
    gateway, tenant and configured namespaces hold users' workloads, so dropping or renaming a tenant, a gateway or a
    namespace entry must not delete them. Only the namespaces of the edge's own workloads (cert-manager, external-dns,
    the controller's) go with their workloads."""
    row = controller(config)
    own = {CERT_MANAGER.namespace, EXTERNAL_DNS.namespace, *([row.namespace] if row.chart is not None else [])}
    return frozenset(name for name in managed_namespaces(config) if name not in own)


def installs_gateway_api(config: StackConfig) -> bool:
    return crds_owner(config) != "platform"


def uses_platform_gateway_api(config: StackConfig) -> bool:
    """The edge runs on the platform's own Gateway API: its CRDs, or its built-in controller (e.g. GKE's)."""
    row = controller(config)
    return not installs_gateway_api(config) or (row.chart is None and row.platform == config.platform.kind)


def values_context(config: StackConfig) -> ValuesContext:
    """What the controller row's values and parameters may depend on, gathered from config."""
    eks = config.platform if isinstance(config.platform, Eks) else None
    settings = config.controller
    agc = settings.application_gateway
    return ValuesContext(
        settings.service_type,
        route_kinds=frozenset(route.kind for route in config.routes),
        listeners=tuple(
            ListenerFacts(listener.protocol, listener.port)
            for gateway in config.gateways
            for listener in gateway.listeners
        ),
        gateway_api_channel=config.versions.gateway_api_channel,
        cluster_name=eks.cluster_name if eks else None,  # else the cluster stack's, at deploy time
        region=eks.region if eks else None,
        vpc_id=eks.vpc_id if eks else None,
        scheme=settings.scheme or "internet-facing",
        agc=AgcDeployment(agc.mode, agc.subnet_id, agc.alb_id, agc.frontend) if agc else None,
    )


def external_dns_sources(config: StackConfig) -> tuple[str, ...]:
    """The --source list: one per published route kind, then the extra sources asked for, in a stable order."""
    kinds = published_route_kinds(config)
    published = [row.external_dns_source for kind, row in ROUTE_KINDS.items() if kind in kinds]
    return (*published, *sorted(set(config.external_dns.sources)))


def external_dns_plan(config: StackConfig, deployment: Deployment) -> ExternalDnsPlan | None:
    if not external_dns_runs(config):
        return None
    versions = config.versions
    return ExternalDnsPlan(
        zone=config.zone_name,
        sources=external_dns_sources(config),
        image=external_dns_image(versions.gateway_api, versions.gateway_api_channel, published_route_kinds(config)),
        policy=config.external_dns.policy,
        # unique per cluster: two stacks writing one zone must never take over each other's records
        txt_owner_id=config.external_dns.txt_owner_id or f"{deployment.project}-{deployment.stack}",
        txt_prefix=config.external_dns.txt_prefix,
        chart=chart_location(config, "external-dns"),
        extra_values=config.external_dns.values,
    )


def identity_requests(config: StackConfig) -> tuple[IdentityRequest, ...]:
    """cert-manager needs cloud DNS only to solve DNS-01, external-dns only where it runs, and the controller
    where its row names a workload."""
    requests = []
    if next(dns01_solvers(config), None) is not None:
        requests.append(IdentityRequest(CERT_MANAGER, gcp.GCP["cert-manager"], aws.AWS["cert-manager"],
                                        azure.AZURE["cert-manager"]))
    if config.external_dns.enabled:
        requests.append(IdentityRequest(EXTERNAL_DNS, gcp.GCP["external-dns"], aws.AWS["external-dns"],
                                        azure.AZURE["external-dns"]))
    row = controller(config)
    if row.workload is not None:
        scopes = row.identity_scopes(values_context(config))
        requests.append(IdentityRequest(row.workload, aws=row.aws, azure=row.azure, scopes=scopes))
    return tuple(requests)


def cert_manager_plan(config: StackConfig) -> ChartPlan:
    values: dict[str, Any] = {
        # `crds.keep` leaves the CRDs (and so every certificate) in place on uninstall
        "crds": {"enabled": True, "keep": True},
        "config": {"gatewayAPI": {"enabled": True}},  # HTTP-01 through Gateways
        "serviceAccount": {"name": CERT_MANAGER.service_account},
    }
    alerts = config.cert_manager.expiry_alerts
    if alerts.enabled:
        # scraped by the Prometheus operator; honorLabels keeps the certificate's `namespace` label for the rule
        monitor = {"enabled": True, "honorLabels": True, **({"labels": dict(alerts.labels)} if alerts.labels else {})}
        values["prometheus"] = {"enabled": True, "servicemonitor": monitor}
    return ChartPlan(chart_location(config, "cert-manager"), values, config.cert_manager.values)


def certificate_alerts(
    config: StackConfig, gateways: tuple[GatewayPlan, ...], issuers: tuple[IssuerSet, ...]
) -> KubeObject | None:
    """The PrometheusRule over every Certificate the stack declares: its gateways' and its internal CAs'."""
    alerts = config.cert_manager.expiry_alerts
    if not alerts.enabled:
        return None
    certificates = [
        (str(certificate.namespace), certificate.name)
        for gateway in gateways
        for certificate in gateway.certificates.values()
    ]
    certificates += [(issuer_set.namespace, issuer_set.internal_ca.issuer) for issuer_set in issuers
                     if issuer_set.internal_ca]
    return expiry_rule(AlertSettings(alerts.warning_days, alerts.critical_days, alerts.labels), certificates)


def edge_plan(config: StackConfig, deployment: Deployment) -> EdgePlan:
    row = controller(config)
    context = values_context(config)
    ssl_policies = ssl_policy_requests(config, deployment.project, deployment.stack)
    policy_names = {gateway: request.name for gateway, request in ssl_policies.items()}
    gateways = tuple(
        gateway_plan(config, gateway, context, policy_names.get(gateway.name)) for gateway in config.gateways
    )
    issuers = (cluster_issuers(config), *tenant_issuers(config))
    return EdgePlan(
        cluster=cluster_connection(config),
        namespaces=managed_namespaces(config),
        retained_namespaces=retained_namespaces(config),
        gateway_api=bundle_location(config) if installs_gateway_api(config) else None,
        cert_manager=cert_manager_plan(config),
        controller=ControllerPlan(
            row=row,
            context=context,
            chart=chart_location(config, row.chart.name) if row.chart else None,
            extra_values=config.controller.values,
            crd_chart=chart_location(config, row.crd_chart.pin.name) if row.crd_chart else None,
        ),
        issuers=issuers,
        gateways=gateways,
        routes=routes_plan(config),
        external_dns=external_dns_plan(config, deployment),
        admission=tuple(admission_objects(config)),
        network_policies=tuple(network_policy_objects(config)),
        identities=identity_requests(config),
        certificate_alerts=certificate_alerts(config, gateways, issuers),
        ssl_policies=tuple({request.key: request for request in ssl_policies.values()}.values()),
    )
