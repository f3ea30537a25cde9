"""traffic-edge: stack config → platform → components → exports. Nothing else happens here."""

import pulumi

from catalog.controllers import CONTROLLERS, ValuesContext
from catalog.versions import ROUTE_API_VERSIONS
from components.cert_manager import CertManager, CertManagerArgs
from components.gateway import EdgeGateway, EdgeGatewayArgs
from components.gateway_api import GatewayApiCrds, GatewayApiCrdsArgs
from components.gateway_controller import GatewayController, GatewayControllerArgs
from components.issuers import Http01Gateway, Issuers, IssuersArgs
from components.namespaces import Namespaces, NamespacesArgs
from components.routes import Routes, RoutesArgs
from providers import platform_for
from stackconfig import load_stack_config
from stackconfig.derived import http01_gateway, listener_whitelists, managed_namespaces

config = load_stack_config()
platform = platform_for(config)
platform.provision()
controller_row = CONTROLLERS[config.controller.name]
versions = config.versions

namespaces = Namespaces("namespaces", NamespacesArgs(labels=managed_namespaces(config, controller_row)))

crds: list[pulumi.Resource] = []
if not platform.manages_gateway_api_crds:
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

controller = GatewayController(
    config.controller.name,
    GatewayControllerArgs(
        row=controller_row,
        context=ValuesContext(config.controller.service_type, manages_gateway_api_crds=bool(crds)),
        chart_version=config.chart_version(controller_row.chart) if controller_row.chart else None,
        extra_values=config.controller.values,
        crds=crds,
        namespace=namespaces.needed_by(controller_row.namespace),
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
    ),
)

gateways = [
    EdgeGateway(
        f"gateway-{gateway.name}",
        EdgeGatewayArgs(
            gateway=gateway,
            class_name=gateway.class_name or controller.class_name,
            allowed_namespaces=listener_whitelists(config, gateway),
            crds=crds,
            cert_manager=[cert_manager],
            namespace=namespaces.needed_by(gateway.namespace),
        ),
    )
    for gateway in config.gateways
]

routes = Routes(
    "routes",
    RoutesArgs(
        routes=config.routes,
        gateways={gateway.name: gateway for gateway in config.gateways},
        api_versions=ROUTE_API_VERSIONS[(versions.gateway_api, versions.gateway_api_channel)],
        crds=crds,
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
