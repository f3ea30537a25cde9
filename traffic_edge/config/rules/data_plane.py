"""A gateway's data-plane settings and class, as the controller can carry them.

A setting (addresses, dataPlane, minTlsVersion) is taken only where the controller's row says how it carries it,
and refused elsewhere with the row's reason and its upstream source: a controller that ignores it would leave the
gateway running without it. Each rule is a row as in traffic_edge.config.rules.compat.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import Gateway, StackConfig
from traffic_edge.config.platforms import Gke
from traffic_edge.config.queries import controller, gateway_class, terminates_tls
from traffic_edge.config.rules.compat import Rule, Trip
from traffic_edge.config.rules.gateways import duplicates
from traffic_edge.controllers import CONTROLLERS
from traffic_edge.controllers.base import GATEWAY_SETTINGS

# Each gateway setting a row may carry (controllers.base.GATEWAY_SETTINGS) → the Gateway model's attribute.
SETTING_ATTRIBUTES = {"addresses": "addresses", "dataPlane": "data_plane", "minTlsVersion": "min_tls_version"}


def is_set(gateway: Gateway, setting: str) -> bool:
    value = getattr(gateway, SETTING_ATTRIBUTES[setting])
    return bool(value) if isinstance(value, list) else value is not None


def _setting_not_carried(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    for index, gateway in enumerate(config.gateways):
        for setting in GATEWAY_SETTINGS:
            if not is_set(gateway, setting) or setting in row.honours:
                continue
            declined = row.declines.get(setting)
            if declined is not None:
                detail = f"{row.name} {declined.fact} ({declined.source})"
            else:
                carriers = sorted(name for name, other in CONTROLLERS.items() if setting in other.honours)
                detail = f"this program sets it for {', '.join(carriers)} only, not {row.name}"
            yield Trip(f"gateways[{index}].{setting}", detail)


def _address_needs_load_balancer(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    if not row.addresses_need_load_balancer or config.controller.service_type == "LoadBalancer":
        return
    for index, gateway in enumerate(config.gateways):
        if gateway.addresses and "addresses" in row.honours:
            yield Trip(f"gateways[{index}].addresses",
                       f"{row.name} {row.honours['addresses'].fact} ({row.honours['addresses'].source}), and "
                       f"controller.serviceType is {config.controller.service_type}")


def _addresses_past_limit(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    limit = row.address_limit
    if limit is None or "addresses" not in row.honours:
        return
    for index, gateway in enumerate(config.gateways):
        if len(gateway.addresses) > limit:
            yield Trip(f"gateways[{index}].addresses[{limit}]",
                       f"{row.name} {row.honours['addresses'].fact} ({row.honours['addresses'].source})")


def _address_twice(config: StackConfig) -> Iterator[Trip]:
    for index, gateway in enumerate(config.gateways):
        for address in duplicates(gateway.addresses):
            yield Trip(f"gateways[{index}].addresses", f"{address} is listed twice")


def _budget_not_one(config: StackConfig) -> Iterator[Trip]:
    for index, gateway in enumerate(config.gateways):
        budget = gateway.data_plane.disruption_budget if gateway.data_plane else None
        if budget is not None and (budget.min_available is None) == (budget.max_unavailable is None):
            given = "both" if budget.min_available is not None else "neither"
            yield Trip(f"gateways[{index}].dataPlane.disruptionBudget", f"{given} of minAvailable and maxUnavailable")


def _budget_blocks_drains(config: StackConfig) -> Iterator[Trip]:
    for index, gateway in enumerate(config.gateways):
        plane = gateway.data_plane
        budget = plane.disruption_budget if plane else None
        if plane is None or budget is None:
            continue
        replicas = plane.replicas or 1
        at = f"gateways[{index}].dataPlane.disruptionBudget"
        if budget.min_available is not None and pods(budget.min_available, replicas) >= replicas:
            yield Trip(f"{at}.minAvailable", f"minAvailable {budget.min_available} of {replicas} proxies")
        if budget.max_unavailable is not None and pods(budget.max_unavailable, replicas) == 0:
            yield Trip(f"{at}.maxUnavailable", f"maxUnavailable {budget.max_unavailable} of {replicas} proxies")


def pods(count: int | str, replicas: int) -> int:
    """A budget's pod count; a percentage of the replicas is rounded up, as the disruption controller does."""
    if isinstance(count, int):
        return count
    return math.ceil(int(count.rstrip("%")) * replicas / 100)


def _class_unknown(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    known = ", ".join(item.name for item in row.classes)
    for index, gateway in enumerate(config.gateways):
        named = gateway.class_name
        if named is not None and row.class_named(named) is None and not gateway.external_class:
            yield Trip(f"gateways[{index}].className",
                       f"{named} is not a class of {row.name} ({known}), and nothing in this stack creates it")


def _external_class_of_the_controller(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    for index, gateway in enumerate(config.gateways):
        named = gateway.class_name
        if gateway.external_class and (named is None or row.class_named(named) is not None):
            which = f"{named} is {row.name}'s own class" if named else "no className is set"
            yield Trip(f"gateways[{index}].externalClass", which)


def _min_tls_without_tls(config: StackConfig) -> Iterator[Trip]:
    for index, gateway in enumerate(config.gateways):
        if gateway.min_tls_version is not None and not terminates_tls(gateway):
            yield Trip(f"gateways[{index}].minTlsVersion", f"gateway {gateway.name} terminates no TLS")


def _ssl_policy_scope(config: StackConfig) -> Iterator[Trip]:
    """A cloud SSL policy is global or regional as the class's load balancer is; a regional one needs the region."""
    row, platform = controller(config), config.platform
    if "minTlsVersion" not in row.honours or not any(item.ssl_policy for item in row.classes):
        return
    located = not isinstance(platform, Gke) or platform.location is not None or platform.cluster_stack is not None
    for index, gateway in enumerate(config.gateways):
        if gateway.min_tls_version is None:
            continue
        found = gateway_class(config, gateway)
        if found is None or found.ssl_policy is None:
            yield Trip(f"gateways[{index}].minTlsVersion",
                       f"the SSL policy of class {gateway.class_name} is global or regional as its load balancer is, "
                       "which this program does not know")
        elif found.ssl_policy == "regional" and not located:
            yield Trip("platform.location", f"gateway {gateway.name}'s class {found.name} takes a regional SSL policy")


def _values_without_chart(config: StackConfig) -> Iterator[Trip]:
    row = controller(config)
    if row.chart is None and config.controller.values:
        yield Trip("controller.values", f"{row.name} has no chart here: it comes with the "
                                        f"{'cluster' if row.platform is None else row.platform + ' platform'}")


GATEWAY_API = "https://gateway-api.sigs.k8s.io/implementations/"
RULES: tuple[Rule, ...] = (
    Rule(
        "gateway-setting-not-carried",
        "the controller would not carry the setting, so the gateway would run without it",
        "remove it, or choose a controller that carries it (controller.name)",
        GATEWAY_API,
        _setting_not_carried,
    ),
    Rule(
        "addresses-need-load-balancer",
        "the addresses are only assigned to a LoadBalancer Service, so the Gateway would run without them",
        "use controller.serviceType: LoadBalancer (on-prem: with something that assigns addresses, and declare it "
        "in controller.loadBalancer), or remove addresses",
        "https://docs.cilium.io/en/stable/network/lb-ipam/",
        _address_needs_load_balancer,
    ),
    Rule(
        "addresses-past-limit",
        "the controller uses only the first addresses and ignores the rest",
        "list only as many addresses as the controller uses",
        GATEWAY_API,
        _addresses_past_limit,
    ),
    Rule(
        "address-twice",
        "the API server refuses a Gateway whose IPAddress values repeat",
        "list each address once",
        "https://github.com/kubernetes-sigs/gateway-api/blob/v1.6.1/config/crd/standard/"
        "gateway.networking.k8s.io_gateways.yaml",
        _address_twice,
    ),
    Rule(
        "disruption-budget-one-of",
        "a disruption budget holds exactly one of minAvailable and maxUnavailable (the EnvoyProxy CRD refuses others)",
        "keep one of the two",
        "https://github.com/envoyproxy/gateway/blob/v1.9.0/charts/gateway-helm/charts/crds/crds/generated/"
        "gateway.envoyproxy.io_envoyproxies.yaml",
        _budget_not_one,
    ),
    Rule(
        "disruption-budget-blocks-drains",
        "the budget allows no voluntary eviction, so every node drain and cluster upgrade hangs on the proxies",
        "raise dataPlane.replicas above minAvailable, or lower minAvailable (or raise maxUnavailable above 0)",
        "https://kubernetes.io/docs/tasks/run-application/configure-pdb/",
        _budget_blocks_drains,
    ),
    Rule(
        "gateway-class-unknown",
        "the Gateway would wait for a GatewayClass nobody creates, and its listeners and routes would be checked "
        "against the wrong class",
        "use one of the controller's classes (or leave className unset), or set externalClass: true where another "
        "tool creates the class for the same controller",
        GATEWAY_API,
        _class_unknown,
    ),
    Rule(
        "external-class-of-the-controller",
        "externalClass says another tool creates the gateway's class, which only a class outside the controller's own "
        "can be",
        "remove externalClass, or name the other tool's class in className",
        GATEWAY_API,
        _external_class_of_the_controller,
    ),
    Rule(
        "min-tls-without-tls",
        "a minimum TLS version applies to listeners that terminate TLS, and this gateway has none",
        "remove minTlsVersion, or give the gateway an HTTPS listener (or a TLS one in Terminate mode)",
        "https://github.com/envoyproxy/gateway/blob/v1.9.0/charts/gateway-helm/charts/crds/crds/generated/"
        "gateway.envoyproxy.io_clienttrafficpolicies.yaml",
        _min_tls_without_tls,
    ),
    Rule(
        "ssl-policy-scope",
        "the load balancer takes an SSL policy of its own scope: a global one for a global class, a regional one "
        "(in the cluster's region) for a regional class",
        "use one of the controller's classes, and give the cluster's location (platform.location or "
        "platform.clusterStack) for a regional one",
        "https://cloud.google.com/load-balancing/docs/use-ssl-policies",
        _ssl_policy_scope,
    ),
    Rule(
        "controller-values-without-chart",
        "this program installs no chart for the controller, so the values would be dropped",
        "remove controller.values, and set them where the controller is installed",
        GATEWAY_API,
        _values_without_chart,
    ),
)


def check(config: StackConfig) -> list[Issue]:
    return [
        Issue(trip.path, f"{trip.detail} [{rule.id}]: {rule.reason}", rule.fix)
        for rule in RULES
        for trip in rule.trips(config)
    ]
