"""cert-manager: issuers Ready, certificates Ready and how long they last; for one that is not, the stuck step.

The chain is Certificate → CertificateRequest (annotation cert-manager.io/certificate-name) → Order → Challenge
(each owned by the one before; cert-manager @ v1.21.1 pkg/apis/acme/v1, pkg/controller/acmeorders).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from traffic_edge.doctor.conditions import condition, is_true, said
from traffic_edge.doctor.expected import Expected
from traffic_edge.doctor.findings import EDGE, Finding, ok
from traffic_edge.doctor.live import Cluster, Obj
from traffic_edge.plan.objects import CERT_MANAGER_GROUP, KubeObject

CERT_MANAGER = f"{CERT_MANAGER_GROUP}/v1"
ACME = "acme.cert-manager.io/v1"


def check_issuers(expected: Expected, cluster: Cluster) -> Iterator[Finding]:
    """Every issuer the plan names, as the plan names it."""
    for issuers in expected.plan.issuers:
        namespace = issuers.namespace if issuers.kind == "Issuer" else None
        acme = {issuer.name for issuer in issuers.acme}
        for name in issuers.names:
            obj = f"{issuers.kind} {namespace + '/' if namespace else ''}{name}"
            live = cluster.get(CERT_MANAGER, issuers.kind, name, namespace)
            if live is None:
                yield Finding("error", EDGE, obj, "does not exist", "deploy the stack (pulumi up)")
            elif is_true(live.get("status"), "Ready"):
                yield ok(EDGE, obj, "Ready")
            else:
                fix = ("the ACME account could not register: check the email and that the cluster reaches the ACME "
                       "server" if name in acme else "see cert-manager's logs")
                yield Finding("error", EDGE, obj, f"not Ready: {said(condition(live.get('status'), 'Ready'))}", fix)


def _days_left(not_after: str, now: datetime) -> float:
    expires = datetime.fromisoformat(not_after.replace("Z", "+00:00"))
    return (expires - now).total_seconds() / 86400


def _owned_by(items: list[Obj], owner: Obj) -> list[Obj]:
    uid = (owner.get("metadata") or {}).get("uid")
    return [item for item in items
            if any(ref.get("uid") == uid for ref in item["metadata"].get("ownerReferences") or [])]


def stuck_step(cluster: Cluster, certificate: KubeObject) -> str:
    """Where issuance stopped: the newest CertificateRequest, its Order, the Challenges not yet valid."""
    namespace = certificate.namespace
    requests = [
        item for item in cluster.list(CERT_MANAGER, "CertificateRequest", namespace)
        if (item["metadata"].get("annotations") or {}).get("cert-manager.io/certificate-name") == certificate.name
    ]
    if not requests:
        return "no CertificateRequest yet: cert-manager has not acted on the Certificate (is it running?)"
    request = max(requests, key=lambda item: str(item["metadata"].get("creationTimestamp", "")))
    ready = condition(request.get("status"), "Ready")
    orders = _owned_by(cluster.list(ACME, "Order", namespace), request)
    if not orders:
        return f"CertificateRequest {request['metadata']['name']}: {said(ready)}"
    order = orders[-1]
    challenges = [item for item in _owned_by(cluster.list(ACME, "Challenge", namespace), order)
                  if (item.get("status") or {}).get("state") != "valid"]
    if not challenges:
        state = (order.get("status") or {}).get("state", "pending")
        return f"Order {order['metadata']['name']} is {state}: {(order.get('status') or {}).get('reason', '')}".strip()
    challenge = challenges[0]
    status = challenge.get("status") or {}
    kind = (challenge.get("spec") or {}).get("type", "")
    return (f"Challenge {challenge['metadata']['name']} ({kind} for {challenge.get('spec', {}).get('dnsName')}) "
            f"is {status.get('state') or 'pending'}: {status.get('reason', '')}").strip()


def _stuck_fix(step: str, expected: Expected) -> str:
    if "DNS-01" in step or "dns-01" in step.lower() or "propagation" in step:
        rfc2136 = expected.config.dns.rfc2136
        if rfc2136 is not None:
            where = (f"the zone is served by {rfc2136.nameserver} (dns.rfc2136.nameserver) and the TSIG key "
                     f"{rfc2136.tsig_key_name} may update it")
        elif expected.config.platform.kind == "onprem":
            where = "the zone's authoritative servers answer for the name and the issuer's DNS-01 solver may write it"
        else:
            where = "the zone is delegated (the dnsZone output's name servers) and the DNS-01 identity may write it"
        return f"the TXT record at _acme-challenge.<name> is not visible yet: check that {where}"
    if "HTTP-01" in step or "http-01" in step.lower():
        return ("the challenge path is not reachable on port 80: check the gateway's HTTP listener, its address in DNS "
                "and that the solver's namespace is admitted there")
    return "see the step's message and cert-manager's logs"


@dataclass(frozen=True)
class ExpiryWindow:
    """Days before expiry that warn and that are an error: the stack's alert thresholds unless the flag says."""

    warning: float
    critical: float

    @classmethod
    def of(cls, expected: Expected, warning: float | None) -> ExpiryWindow:
        alerts = expected.config.cert_manager.expiry_alerts
        return cls(alerts.warning_days if warning is None else warning, alerts.critical_days)


def check_certificates(
    expected: Expected, cluster: Cluster, window: ExpiryWindow, now: datetime
) -> Iterator[Finding]:
    for gateway in expected.plan.gateways:
        group = f"{gateway.namespace}/{gateway.name}"
        for certificate in gateway.certificates.values():
            obj = f"Certificate {certificate.namespace}/{certificate.name}"
            live = cluster.get(CERT_MANAGER, "Certificate", certificate.name, certificate.namespace)
            if live is None:
                yield Finding("error", group, obj, "does not exist", "deploy the stack (pulumi up)")
                continue
            status = live.get("status") or {}
            if not is_true(status, "Ready"):
                step = stuck_step(cluster, certificate)
                yield Finding("error", group, obj, f"not Ready: {step}", _stuck_fix(step, expected))
                continue
            if not status.get("notAfter"):
                yield ok(group, obj, "Ready")
                continue
            left = _days_left(str(status["notAfter"]), now)
            renewal = f"expires in {left:.0f} days ({status['notAfter']})"
            if left < window.critical:
                yield Finding("error", group, obj, renewal, "renewal has failed: see the CertificateRequest and Order")
            elif left < window.warning:
                yield Finding("warning", group, obj, renewal,
                              f"renewal is due {status.get('renewalTime', 'now')}: check cert-manager renews it")
            else:
                yield ok(group, obj, f"Ready, {renewal}")


def now_utc() -> datetime:
    return datetime.now(UTC)
