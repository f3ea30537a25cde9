"""Certificate expiry alerts as a PrometheusRule, evaluated by Prometheus whether or not anyone runs `doctor`.

The metrics are cert-manager's (cert-manager/cert-manager @ v1.21.1 : internal/collectors/certificate_collector.go):
`certmanager_certificate_expiration_timestamp_seconds` and `certmanager_certificate_ready_status`, labelled with the
Certificate's `name` and `namespace`. The expiry is 0 until a certificate is first issued
(pkg/metrics/certificates_test.go), so the rules skip zeros rather than page on every new certificate.
The `namespace` label survives scraping only with `honorLabels` on cert-manager's ServiceMonitor, which the chart
values set with the rule (else Prometheus renames it `exported_namespace`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from traffic_edge.data.workloads import CERT_MANAGER
from traffic_edge.plan.objects import OBJECT_PREFIX, KubeObject

PROMETHEUS_RULE_VERSION = "monitoring.coreos.com/v1"
# The Prometheus operator's CRDs the rule and cert-manager's ServiceMonitor need in the cluster.
PROMETHEUS_OPERATOR_CRDS = ("prometheusrules.monitoring.coreos.com", "servicemonitors.monitoring.coreos.com")
RULE_NAME = f"{OBJECT_PREFIX}certificate-expiry"
EXPIRY = "certmanager_certificate_expiration_timestamp_seconds"
READY = "certmanager_certificate_ready_status"
DAY = 86400


@dataclass(frozen=True)
class AlertSettings:
    warning_days: int
    critical_days: int
    labels: Mapping[str, str]


def _selector(metric: str, certificates: Iterable[tuple[str, str]], extra: str = "") -> str:
    """The metric's series for exactly these (namespace, name) certificates, one selector per namespace."""
    by_namespace: dict[str, list[str]] = defaultdict(list)
    for namespace, name in certificates:
        by_namespace[namespace].append(name)
    selectors = [
        f'{metric}{{namespace="{namespace}",name=~"{"|".join(sorted(names))}"{extra}}}'
        for namespace, names in sorted(by_namespace.items())
    ]
    return selectors[0] if len(selectors) == 1 else "(" + " or ".join(selectors) + ")"


def _alert(name: str, expr: str, severity: str, summary: str, for_: str | None = None) -> dict[str, object]:
    rule: dict[str, object] = {
        "alert": name,
        "expr": expr,
        "labels": {"severity": severity},
        "annotations": {
            "summary": summary,
            "description": "Certificate {{ $labels.namespace }}/{{ $labels.name }}: run the doctor "
            "(python -m traffic_edge doctor) for the stuck step and its fix.",
        },
    }
    if for_ is not None:
        rule["for"] = for_
    return rule


def expiry_rule(settings: AlertSettings, certificates: Iterable[tuple[str, str]]) -> KubeObject:
    """Warning inside the window, critical inside the last days, and a certificate cert-manager reports not Ready."""
    chosen = sorted(set(certificates))
    left = f"({_selector(EXPIRY, chosen)} > 0) - time()"
    warning, critical = settings.warning_days * DAY, settings.critical_days * DAY
    in_ = " (in {{ $value | humanizeDuration }})"
    not_ready = _selector(READY, chosen, ',condition="False"')
    rules = [
        _alert("CertificateExpiresSoon", f"{left} < {warning} >= {critical}", "warning",
               f"expires within {settings.warning_days} days and has not been renewed" + in_),
        _alert("CertificateExpiresVerySoon", f"{left} < {critical}", "critical",
               f"expires within {settings.critical_days} days" + in_),
        _alert("CertificateNotReady", f"{not_ready} == 1", "warning",
               "cert-manager reports the certificate not Ready", for_="15m"),
    ]
    metadata: dict[str, object] = {"name": RULE_NAME, "namespace": CERT_MANAGER.namespace}
    if settings.labels:
        metadata["labels"] = dict(settings.labels)
    return KubeObject(PROMETHEUS_RULE_VERSION, "PrometheusRule", metadata,
                      {"groups": [{"name": "traffic-edge.certificates", "rules": rules}]})
