"""Values derived from a valid config that several components need: namespaces, whitelists."""

from __future__ import annotations

from catalog.controllers import ControllerRow
from catalog.workloads import WORKLOADS
from stackconfig.checks import allowed_namespaces
from stackconfig.model import Gateway, StackConfig


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
    return managed


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
    listener = next(item for item in gateway.listeners if item.protocol == "HTTP" and item.port == 80)
    return gateway, listener.name
