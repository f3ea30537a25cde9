"""traffic-edge: stack config → platform → components → exports. Nothing else happens here."""

import gc

import pulumi

from catalog.controllers import CONTROLLERS
from catalog.versions import ROUTE_API_VERSIONS, external_dns_image
from catalog.workloads import WORKLOADS
from components.admission import AdmissionPolicies, AdmissionPoliciesArgs
from components.cert_manager import CertManager, CertManagerArgs
from components.external_dns import ExternalDns, ExternalDnsArgs, external_dns_sources, txt_owner_id
from components.gateway import EdgeGateway, EdgeGatewayArgs
from components.gateway_api import GatewayApiCrds, GatewayApiCrdsArgs
from components.gateway_controller import GatewayController, GatewayControllerArgs
from components.issuers import Http01Gateway, Issuers, IssuersArgs
from components.namespaces import Namespaces, NamespacesArgs
from components.network_policies import NetworkPolicies, NetworkPoliciesArgs
from components.routes import Routes, RoutesArgs
from providers import platform_for
from providers.base import WorkloadIdentity
from stackconfig import load_stack_config
from stackconfig.compat import published_route_kinds
from stackconfig.derived import (
    controller_values_context,
    gateway_class_name,
    gateway_parameters,
    http01_gateway,
    issuer_kind,
    listener_whitelists,
    managed_namespaces,
    tenant_issuers,
)

# Registering resources allocates heavily, and every full GC pass would rescan all the objects the imports
# made; frozen once (after a collection, so no garbage is kept), they are skipped: ~10% less CPU at 1,000
# routes (python -m bench).
gc.collect()
gc.freeze()

config = load_stack_config()
platform = platform_for(config)
platform.provision()
controller_row = CONTROLLERS[config.controller.name]
versions = config.versions
api_versions = ROUTE_API_VERSIONS[(versions.gateway_api, versions.gateway_api_channel)]
dns_provider = platform.external_dns_provider() if config.external_dns.enabled else None

namespaces = Namespaces(
    "namespaces", NamespacesArgs(labels=managed_namespaces(config, controller_row))
)

crds: list[pulumi.Resource] = []
if not (platform.manages_gateway_api_crds or controller_row.platform_manages_crds):
    crds = [GatewayApiCrds("gateway-api", GatewayApiCrdsArgs(versions.gateway_api, versions.gateway_api_channel))]

cert_manager = CertManager(
    "cert-manager",
    CertManagerArgs(
        version=config.chart_version("cert-manager"),
        gateway_api=True,
        identity=platform.workload_identity("cert-manager"),
        extra_values=config.cert_manager.values,
        depends_on=[*crds, *namespaces.needed_by("cert-manager")],
    ),
)

controller_identity = (
    platform.workload_identity(controller_row.workload) if controller_row.workload else WorkloadIdentity()
)
controller_context = controller_values_context(
    config,
    installs_gateway_api_crds=bool(crds),
    service_account_annotations=controller_identity.service_account_annotations,
    pod_labels=controller_identity.pod_labels,
)
controller = GatewayController(
    config.controller.name,
    GatewayControllerArgs(
        row=controller_row,
        context=controller_context,
        chart_version=config.chart_version(controller_row.chart) if controller_row.chart else None,
        extra_values=config.controller.values,
        crds=crds,
        namespace=namespaces.needed_by(controller_row.namespace),
        identity_ready=controller_identity.ready,
    ),
)

http01 = http01_gateway(config)
issuers = Issuers(
    "issuers",
    IssuersArgs(
        namespace=cert_manager.namespace,
        acme=config.issuers.acme,
        internal_ca=config.issuers.internal_ca,
        http01_gateway=Http01Gateway(http01[0].name, http01[0].namespace, http01[1]) if http01 else None,
        dns01=platform.dns01_solver(),
        depends_on=[cert_manager],
        production=config.production,
    ),
)
for tenant in tenant_issuers(config):
    Issuers(
        f"issuers-{tenant.gateway.namespace}",
        IssuersArgs(
            namespace=tenant.gateway.namespace,
            acme=tenant.acme,
            internal_ca=tenant.internal_ca,
            http01_gateway=Http01Gateway(tenant.gateway.name, tenant.gateway.namespace, tenant.http01_listener)
            if tenant.http01_listener else None,
            dns01=None,
            depends_on=[cert_manager, *namespaces.needed_by(tenant.gateway.namespace)],
            production=config.production,
            kind="Issuer",
        ),
    )

gateways = [
    EdgeGateway(
        f"gateway-{gateway.name}",
        EdgeGatewayArgs(
            gateway=gateway,
            class_name=gateway_class_name(config, gateway),
            allowed_namespaces=listener_whitelists(config, gateway),
            crds=crds,
            cert_manager=[cert_manager],
            namespaces=namespaces.needed_by,
            reference_grant_version=api_versions["ReferenceGrant"],
            annotations=controller_row.gateway_annotations(controller_context),
            parameters=gateway_parameters(config, gateway),
            controller=[controller.release] if controller.release else [],
            issuer_kind=issuer_kind(config, gateway),
        ),
    )
    for gateway in config.gateways
]

routes = Routes(
    "routes",
    RoutesArgs(
        routes=config.routes,
        gateways={gateway.name: gateway for gateway in config.gateways},
        api_versions=api_versions,
        crds=crds,
        namespaces=namespaces.needed_by,
    ),
)

if dns_provider is not None:
    ExternalDns(
        "external-dns",
        ExternalDnsArgs(
            provider=dns_provider,
            zone=config.zone_name,
            sources=external_dns_sources(config),
            image=external_dns_image(versions.gateway_api, versions.gateway_api_channel, published_route_kinds(config)),
            policy=config.external_dns.policy,
            txt_owner_id=txt_owner_id(config, pulumi.get_project(), pulumi.get_stack()),
            txt_prefix=config.external_dns.txt_prefix,
            version=config.chart_version("external-dns"),
            identity=platform.workload_identity("external-dns"),
            extra_values=config.external_dns.values,
            depends_on=[*crds, *namespaces.needed_by(WORKLOADS["external-dns"].namespace)],
        ),
    )

AdmissionPolicies(
    "admission",
    AdmissionPoliciesArgs(
        tenants=bool(config.tenants),
        platform_users=config.guardrails.platform_users,
        platform_groups=config.guardrails.platform_groups,
        gateways=config.gateways,
        crds=crds,
    ),
)
NetworkPolicies(
    "network-policies",
    NetworkPoliciesArgs(
        cert_manager_namespace=cert_manager.namespace,
        controller=controller_row.name,
        controller_namespace=controller_row.namespace,
        external_dns_namespace=WORKLOADS["external-dns"].namespace if dns_provider else None,
        gateways=config.gateways,
        monitoring_namespace=config.guardrails.monitoring_namespace,
        api_server_cidrs=config.guardrails.api_server_cidrs,
        egress={name: settings.egress for name, settings in config.namespaces.items() if settings.egress is not None},
        namespaces=namespaces.needed_by,
    ),
)

zone = platform.dns_zone()
pulumi.export("platform", config.platform.kind)
pulumi.export("domain", config.domain)
pulumi.export("gatewayClass", controller.class_name)
pulumi.export("gateways", {gateway.gateway_name: gateway.gateway_namespace for gateway in gateways})
pulumi.export("clusterIssuers", issuers.names)
pulumi.export("dnsZone", {"name": zone.name, "nameServers": zone.name_servers} if zone else None)
