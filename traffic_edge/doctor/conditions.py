"""Reading status conditions, and what each reason a controller reports means for the user of this stack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Obj = Mapping[str, Any]


def condition(status: Obj | None, kind: str) -> Obj | None:
    for item in (status or {}).get("conditions") or []:
        if item.get("type") == kind:
            found: Obj = item
            return found
    return None


def is_true(status: Obj | None, kind: str) -> bool:
    found = condition(status, kind)
    return found is not None and found.get("status") == "True"


def said(found: Obj | None) -> str:
    """`reason: message` of a condition, or that none was reported."""
    if found is None:
        return "no status reported yet (is the controller running?)"
    reason, message = found.get("reason") or "", found.get("message") or ""
    return f"{reason}: {message}".strip(": ") or f"status {found.get('status')}"


# Gateway API route parent reasons (gateway.networking.k8s.io/v1 RouteConditionReason) → what to change here.
ROUTE_FIXES: Mapping[str, str] = {
    "NotAllowedByListeners": "admit the route's namespace on the listener: add the gateway to "
    "namespaces.<namespace>.gateways (by name), give the namespace the labels of the listener's "
    "allowedRoutes.selector, or set allowedRoutes.all; or move the route",
    "NoMatchingListenerHostname": "use a route hostname the listener serves, or change the listener's hostname",
    "NoMatchingParent": "name a listener (sectionName) the gateway has, of the route's protocol",
    "RefNotPermitted": "a backend in another namespace needs a ReferenceGrant there: set the backend's `namespace` "
    "in the route's config (the program writes the grant), or add the grant",
    "BackendNotFound": "create the Service the route names, or fix the backend's service and port",
    "InvalidKind": "the controller does not serve this route or backend kind: check controller.name",
    "UnsupportedValue": "the controller does not support a value of this route: see its message",
    "UnsupportedProtocol": "the listener's protocol does not take this route kind",
    "Pending": "the controller has not reconciled it yet: check the controller's logs",
}
# Listener reasons (ListenerConditionReason) → fix.
LISTENER_FIXES: Mapping[str, str] = {
    "InvalidCertificateRef": "the certificate's Secret is missing or not a TLS Secret yet: see the Certificate",
    "RefNotPermitted": "the certificate lives in another namespace: its ReferenceGrant is missing",
    "ProtocolConflict": "two listeners share a port with incompatible protocols: give one another port",
    "HostnameConflict": "two listeners share a port and hostname: change one",
    "PortUnavailable": "the port cannot be opened on the data plane: choose another",
    "UnsupportedProtocol": "the controller does not implement this protocol",
    "InvalidRouteKinds": "the listener names a route kind the controller does not serve",
}
