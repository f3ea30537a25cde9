"""Values derived from a valid config that several components need: namespaces, whitelists, tenant issuers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pulumi import Input

from catalog.controllers import CONTROLLERS, ControllerRow, ListenerFacts, ParametersObject, ValuesContext
from catalog.workloads import WORKLOADS
from stackconfig.checks import ISSUER_SOURCE, allowed_namespaces, http01_listener
from stackconfig.compat import external_dns_runs
from stackconfig.model import Acme, Eks, Gateway, InternalCa, IssuerKind, StackConfig
from stackconfig.tenancy import namespace_owners, tenant_labels


def managed_namespaces(config: StackConfig, controller: ControllerRow) -> dict[str, dict[str, str]]:
    """Namespace → labels, for every namespace this program creates."""
    managed: dict[str, dict[str, str]] = {WORKLOADS["cert-manager"].namespace: {}}
    if controller.chart is not None:
        managed[controller.namespace] = {}
    for gateway in config.gateways:
        managed.setdefault(gateway.namespace, {})
    for name, settings in config.namespaces.items():
        if settings.create:
            managed[name] = dict(settings.labels)
        else:
            managed.pop(name, None)
    for name, tenant in config.tenants.items():
        for namespace in tenant.namespaces:
            managed[namespace] = {**managed.get(namespace, {}), **tenant_labels(name, tenant)}
    if external_dns_runs(config):
        managed[WORKLOADS["external-dns"].namespace] = {}
    return managed


def gateway_class_name(config: StackConfig, gateway: Gateway) -> str:
    """The configured class, else the controller's class that serves every listener protocol."""
    controller = CONTROLLERS[config.controller.name]
    return gateway.class_name or controller.class_for(listener.protocol for listener in gateway.listeners).name


def gateway_parameters(config: StackConfig, gateway: Gateway) -> ParametersObject | None:
    """The controller-specific object a Gateway's parametersRef names (e.g. AWS LoadBalancerConfiguration)."""
    listeners = tuple(
        ListenerFacts(listener.protocol, listener.port, listener.certificate_arn) for listener in gateway.listeners
    )
    return CONTROLLERS[config.controller.name].gateway_parameters(gateway.name, gateway.namespace, listeners)


def issuer_kind(config: StackConfig, gateway: Gateway) -> IssuerKind:
    """A tenant's gateway takes its certificates from Issuers in its own namespace, others from ClusterIssuers."""
    return "Issuer" if gateway.namespace in namespace_owners(config.tenants) else "ClusterIssuer"


def listener_whitelists(config: StackConfig, gateway: Gateway) -> dict[str, list[str] | None]:
    """Listener → namespaces admitted to attach routes; None where the listener admits all."""
    return {
        listener.name: None if listener.allowed_routes.all and listener.protocol != "HTTP"
        else allowed_namespaces(config, gateway, listener)
        for listener in gateway.listeners
    }


def http01_gateway(config: StackConfig) -> tuple[Gateway, str] | None:
    """The gateway and HTTP listener that serve ACME HTTP-01 challenges, if HTTP-01 is used."""
    acme = config.issuers.acme
    if acme is None or acme.solver != "http01":
        return None
    name = acme.gateway or config.gateways[0].name
    gateway = next(g for g in config.gateways if g.name == name)
    listener = http01_listener(gateway)
    assert listener is not None, "checks._issuers refuses an HTTP-01 gateway without one"
    return gateway, listener.name


@dataclass(frozen=True)
class TenantIssuers:
    """The issuers in a tenant gateway's namespace: its own ACME account and/or its own CA."""

    tenant: str
    gateway: Gateway
    acme: Acme | None  # HTTP-01 through the gateway's port-80 listener
    internal_ca: InternalCa | None
    http01_listener: str | None


def tenant_issuers(config: StackConfig) -> list[TenantIssuers]:
    """One entry per tenant-owned gateway with certificates, holding only the issuers they name."""
    owners = namespace_owners(config.tenants)
    found = []
    for gateway in config.gateways:
        owner = owners.get(gateway.namespace)
        if owner is None or not gateway.certificates:
            continue
        sources = {ISSUER_SOURCE[certificate.issuer] for certificate in gateway.certificates}
        email = config.tenants[owner].acme_email or (config.issuers.acme.email if config.issuers.acme else None)
        acme = Acme(email=email, solver="http01", gateway=gateway.name) if "issuers.acme" in sources and email else None
        ca = InternalCa(common_name=f"traffic-edge tenant {owner} CA") if "issuers.internalCa" in sources else None
        listener = http01_listener(gateway)
        found.append(TenantIssuers(owner, gateway, acme, ca, listener.name if listener else None))
    return found


def controller_values_context(
    config: StackConfig,
    *,
    installs_gateway_api_crds: bool,
    service_account_annotations: Mapping[str, Input[str]],
    pod_labels: Mapping[str, str],
) -> ValuesContext:
    """What the controller row's values and gateway parameters may depend on, gathered from config."""
    eks = config.platform if isinstance(config.platform, Eks) else None
    return ValuesContext(
        config.controller.service_type,
        manages_gateway_api_crds=installs_gateway_api_crds,
        route_kinds=frozenset(route.kind for route in config.routes),
        listeners=tuple(
            ListenerFacts(listener.protocol, listener.port)
            for gateway in config.gateways
            for listener in gateway.listeners
        ),
        service_account_annotations=service_account_annotations,
        pod_labels=pod_labels,
        cluster_name=eks.cluster_name if eks else None,
        region=eks.region if eks else None,
    )
