"""Certificate expiry alerts: the switch, the rule over exactly the stack's certificates, and cert-manager scraped
so the rule's labels exist. The rule's behaviour over time is judged by Prometheus's own `promtool` in the e2e tier.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import parse_config
from traffic_edge.config import ConfigError
from traffic_edge.doctor.certificates import ExpiryWindow
from traffic_edge.doctor.expected import Expected
from traffic_edge.plan import Deployment, edge_plan
from traffic_edge.plan.alerts import EXPIRY, READY, RULE_NAME

DOMAIN = "lab.example.test"
DEPLOYMENT = Deployment("traffic-edge", "lab")


def raw(alerts: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "platform": {"kind": "onprem"},
        "domain": DOMAIN,
        "issuers": {"internalCa": {}},
        "namespaces": {"certs": {}},
        "gateways": [
            {"name": "edge", "certificates": [
                {"name": "site", "issuer": "internal-ca", "dnsNames": [f"www.{DOMAIN}"]},
                {"name": "api", "issuer": "internal-ca", "dnsNames": [f"api.{DOMAIN}"], "namespace": "certs"},
             ],
             "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443, "certificate": "site"},
                           {"name": "api", "protocol": "HTTPS", "port": 8443, "certificate": "api"}]},
        ],
        **extra,
    }
    if alerts is not None:
        config["certManager"] = {"expiryAlerts": alerts}
    return config


def rule(alerts: dict[str, Any]) -> dict[str, Any]:
    plan = edge_plan(parse_config(raw(alerts)), DEPLOYMENT)
    assert plan.certificate_alerts is not None
    return plan.certificate_alerts.manifest()


def alerts_of(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    [group] = manifest["spec"]["groups"]
    return {alert["alert"]: alert for alert in group["rules"]}


def test_off_by_default_and_nothing_scraped() -> None:
    plan = edge_plan(parse_config(raw()), DEPLOYMENT)
    assert plan.certificate_alerts is None
    assert "prometheus" not in plan.cert_manager.values


def test_the_rule_covers_exactly_the_stacks_certificates() -> None:
    manifest = rule({"enabled": True})
    assert manifest["apiVersion"] == "monitoring.coreos.com/v1"
    assert manifest["kind"] == "PrometheusRule"
    assert manifest["metadata"] == {"name": RULE_NAME, "namespace": "cert-manager"}
    alerts = alerts_of(manifest)
    expected = (f'(({EXPIRY}{{namespace="cert-manager",name=~"internal-ca"}} or '
                f'{EXPIRY}{{namespace="certs",name=~"edge-api"}} or '
                f'{EXPIRY}{{namespace="gateway",name=~"edge-site"}}) > 0) - time()')
    assert alerts["CertificateExpiresSoon"]["expr"] == f"{expected} < {20 * 86400} >= {3 * 86400}"
    assert alerts["CertificateExpiresVerySoon"]["expr"] == f"{expected} < {3 * 86400}"
    assert alerts["CertificateNotReady"]["expr"].startswith(f'({READY}{{namespace="cert-manager",name=~"internal-ca",'
                                                            'condition="False"}')
    assert alerts["CertificateNotReady"]["for"] == "15m"
    assert {name: alert["labels"]["severity"] for name, alert in alerts.items()} == {
        "CertificateExpiresSoon": "warning", "CertificateExpiresVerySoon": "critical", "CertificateNotReady": "warning"}


def test_the_windows_and_labels_are_the_configured_ones() -> None:
    manifest = rule({"enabled": True, "warningDays": 15, "criticalDays": 5, "labels": {"release": "kps"}})
    assert manifest["metadata"]["labels"] == {"release": "kps"}
    alerts = alerts_of(manifest)
    assert alerts["CertificateExpiresSoon"]["expr"].endswith(f" < {15 * 86400} >= {5 * 86400}")
    assert "within 15 days" in alerts["CertificateExpiresSoon"]["annotations"]["summary"]
    assert alerts["CertificateExpiresVerySoon"]["expr"].endswith(f" < {5 * 86400}")


def test_cert_manager_is_scraped_with_its_certificate_labels_kept() -> None:
    plan = edge_plan(parse_config(raw({"enabled": True, "labels": {"release": "kps"}})), DEPLOYMENT)
    assert plan.cert_manager.values["prometheus"] == {
        "enabled": True, "servicemonitor": {"enabled": True, "honorLabels": True, "labels": {"release": "kps"}}}


@pytest.mark.parametrize(("alerts", "path"), [
    ({"enabled": True, "warningDays": 3, "criticalDays": 3}, "certManager.expiryAlerts.criticalDays"),
    ({"enabled": True, "labels": {"bad key": "x"}}, "certManager.expiryAlerts.labels"),
    ({"enabled": True, "warningDays": 0}, "certManager.expiryAlerts.warningDays"),
])
def test_bad_settings_name_their_key(alerts: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(raw(alerts))
    assert any(issue.path.startswith(path) for issue in raised.value.issues), raised.value.issues


def test_alerts_without_a_certificate_are_refused() -> None:
    config = raw({"enabled": True})
    config["gateways"] = [{"name": "edge", "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}]
    parse_config(config)  # the internal CA's own certificate is one to alert on
    del config["issuers"]
    with pytest.raises(ConfigError) as raised:
        parse_config(config)
    assert [issue.path for issue in raised.value.issues] == ["certManager.expiryAlerts.enabled"]


def test_doctor_warns_by_the_same_windows_unless_told() -> None:
    config = parse_config(raw({"enabled": True, "warningDays": 15, "criticalDays": 5}))
    expected = Expected(config, edge_plan(config, DEPLOYMENT), "lab")
    assert ExpiryWindow.of(expected, None) == ExpiryWindow(15, 5)
    assert ExpiryWindow.of(expected, 30) == ExpiryWindow(30, 5)
    assert RULE_NAME in [obj.name for obj in expected.objects()]  # drift covers the rule too
