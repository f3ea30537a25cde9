"""Listeners that admit namespaces by labels (allowedRoutes.selector) admit what the stack attaches there, and no
tenant the gateway was not given.

The Gateway API takes one of `All`, `Same` or `Selector` with one label selector per listener (apis/v1/
gateway_types.go @ v1.6.1, RouteNamespaces), so a selector cannot be combined with a whitelist by name. Labels are
known for the namespaces this stack creates; one made elsewhere is taken to carry them.
"""

from __future__ import annotations

from collections.abc import Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import Gateway, Listener, StackConfig
from traffic_edge.config.queries import (
    Selected,
    admits,
    http01_listener,
    http01_namespaces,
    known_labels,
    listener_admission,
    managed_namespaces,
    namespace_owners,
    redirects_to_https,
)


def check(config: StackConfig) -> Iterator[Issue]:
    managed = managed_namespaces(config)
    for g_index, gateway in enumerate(config.gateways):
        for l_index, listener in enumerate(gateway.listeners):
            at = f"gateways[{g_index}].listeners[{l_index}].allowedRoutes"
            allowed = listener.allowed_routes
            if allowed.selector is None:
                continue
            if allowed.all:
                yield Issue(f"{at}.selector", "a listener admits every namespace or those a selector picks, and "
                            "`all` is set too", "remove `all` or `selector`")
                continue
            if allowed.namespaces:
                yield Issue(f"{at}.namespaces", "a listener with a selector admits only the namespaces carrying its "
                            "labels: the Gateway API takes one selector per listener, no list beside it",
                            "label those namespaces (namespaces.<name>.labels) and remove `namespaces`")
            admission = listener_admission(config, gateway, listener)
            assert isinstance(admission, Selected), "a selector without `all` renders as one"
            yield from _own_objects(config, managed, gateway, listener, admission, at)
            yield from _tenants_not_given(config, managed, gateway, listener, admission, at)


def _wanted(selector: Selected) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(selector.labels.items()))


def _own_objects(config: StackConfig, managed: dict[str, dict[str, str]], gateway: Gateway, listener: Listener,
                 selector: Selected, at: str) -> Iterator[Issue]:
    """The redirect lives in the gateway's namespace, HTTP-01 challenge routes in their certificates' namespaces."""
    needed = {gateway.namespace: "its redirect to HTTPS"} if redirects_to_https(gateway, listener) else {}
    if listener is http01_listener(gateway):
        needed |= dict.fromkeys(http01_namespaces(config, gateway), "cert-manager's HTTP-01 challenge routes")
    for namespace, what in sorted(needed.items()):
        if not admits(selector, namespace, known_labels(managed, namespace)):
            yield Issue(f"{at}.selector", f"namespace {namespace} lacks the labels {_wanted(selector)}, and "
                        f"{what} comes from there", f"add them to namespaces.{namespace}.labels")


def _tenants_not_given(config: StackConfig, managed: dict[str, dict[str, str]], gateway: Gateway, listener: Listener,
                       selector: Selected, at: str) -> Iterator[Issue]:
    """A selector that picks a namespace of a tenant not given the gateway: rendered, the tenant label keeps it out,
    so the user's intent and the listener would disagree."""
    labels_only = Selected(selector.labels)
    for namespace, tenant in sorted(namespace_owners(config.tenants).items()):
        if tenant in selector.not_tenants and labels_only.admits(known_labels(managed, namespace)):
            yield Issue(f"{at}.selector", f"selects {namespace}, tenant {tenant}'s namespace, on listener "
                        f"{listener.name} of gateway {gateway.name}, which tenant {tenant} was not given",
                        f"narrow the selector, or give it the gateway: {gateway.name} in namespaces.{namespace}."
                        "gateways")
