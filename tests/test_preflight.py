"""The preflight judges the live cluster before anything is registered: one case per rule, and the quiet case beside it.

The cluster facts are what `platforms.probe.read_cluster` reads (the e2e tier reads them from a real API server).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import parse_config
from traffic_edge.plan.alerts import PROMETHEUS_OPERATOR_CRDS
from traffic_edge.plan.preflight import ClusterState, InstalledCrd, installed_bundle, preflight, release

DOMAIN = "lab.example.test"
KINDS = ("gatewayclasses", "gateways", "httproutes", "grpcroutes", "referencegrants")


def config(**extra: Any) -> Any:
    return parse_config({
        "platform": {"kind": "onprem"},
        "domain": DOMAIN,
        "issuers": {"internalCa": {}},
        "gateways": [{"name": "edge", "certificates": [{"name": "site", "issuer": "internal-ca",
                                                          "dnsNames": [f"www.{DOMAIN}"]}],
                      "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443, "certificate": "site"}]}],
        **extra,
    })


def crds(version: str | None, channel: str | None) -> tuple[InstalledCrd, ...]:
    return tuple(InstalledCrd(f"{kind}.gateway.networking.k8s.io", version, channel) for kind in KINDS)


def state(installed: tuple[InstalledCrd, ...] = (), kubernetes: tuple[int, int] = (1, 33),
          others: tuple[str, ...] = ()) -> ClusterState:
    return ClusterState(kubernetes, installed, frozenset({crd.name for crd in installed} | set(others)))


def paths(issues: list[Any]) -> list[str]:
    return [issue.path for issue in issues]


def test_an_empty_cluster_takes_the_pinned_bundle() -> None:
    assert preflight(config(), state(), policies=True) == []


def test_the_same_bundle_is_adopted_or_upgraded_in_place() -> None:
    assert preflight(config(), state(crds("v1.6.1", "standard")), policies=True) == []
    assert preflight(config(), state(crds("v1.4.1", "standard")), policies=True) == []  # install upgrades


def test_guardrails_need_kubernetes_1_30() -> None:
    [issue] = preflight(config(), state(kubernetes=(1, 29)), policies=True)
    assert issue.path == "cluster"
    assert "1.30" in issue.fix
    assert preflight(config(), state(kubernetes=(1, 29)), policies=False) == []


def test_a_newer_bundle_is_never_downgraded() -> None:
    [issue] = preflight(config(), state(crds("v1.7.0", "standard")), policies=True)
    assert issue.path == "versions.gatewayApi"
    assert "v1.7.0" in issue.fix


def test_another_channel_is_refused_with_the_documented_steps() -> None:
    [issue] = preflight(config(), state(crds("v1.6.1", "experimental")), policies=True)
    assert issue.path == "versions.gatewayApiChannel"
    assert "unprotect" in issue.fix
    [issue] = preflight(config(versions={"gatewayApiChannel": "experimental"}), state(crds("v1.6.1", "standard")),
                        policies=True)
    assert "safe-upgrades.gateway.networking.k8s.io" in issue.fix


def test_crds_nobody_can_identify_are_refused() -> None:
    [issue] = preflight(config(), state(crds(None, None)), policies=True)
    assert "annotation" in issue.message


def test_a_mix_of_bundles_is_refused() -> None:
    mixed = crds("v1.6.1", "standard")[:2] + crds("v1.4.1", "standard")[2:]
    [issue] = preflight(config(), state(mixed), policies=True)
    assert "several bundles" in issue.message
    assert "v1.4.1 standard" in issue.message
    with pytest.raises(ValueError, match=r"v1\.4\.1 standard, v1\.6\.1 standard"):
        installed_bundle(state(mixed))


@pytest.mark.parametrize(("owner", "installed", "problem"), [
    ("adopt", (), "no Gateway API CRDs to adopt"),
    ("adopt", crds("v1.4.1", "standard"), "takes the cluster's v1.4.1"),
    ("platform", (), "the cluster has no Gateway API CRDs"),
    ("platform", crds("v1.4.1", "standard"), "the platform installed v1.4.1 standard"),
])
def test_adopted_and_platform_crds_must_be_what_the_stack_says(
    owner: str, installed: tuple[InstalledCrd, ...], problem: str
) -> None:
    [issue] = preflight(config(versions={"gatewayApiCrds": owner}), state(installed), policies=True)
    assert problem in issue.message
    assert preflight(config(versions={"gatewayApiCrds": owner}), state(crds("v1.6.1", "standard")),
                     policies=True) == []


def test_expiry_alerts_need_the_prometheus_operator() -> None:
    alerting = config(certManager={"expiryAlerts": {"enabled": True}})
    [issue] = preflight(alerting, state(), policies=True)
    assert issue.path == "certManager.expiryAlerts.enabled"
    assert all(name in issue.message for name in PROMETHEUS_OPERATOR_CRDS)
    assert paths(preflight(alerting, state(others=PROMETHEUS_OPERATOR_CRDS[:1]), policies=True)) == [issue.path]
    assert preflight(alerting, state(others=PROMETHEUS_OPERATOR_CRDS), policies=True) == []
    assert preflight(config(), state(), policies=True) == []  # off: nothing asked of the cluster


def test_releases_order_numerically() -> None:
    assert release("v1.10.0") > release("v1.9.9")
    assert release("v1.6.0-rc.1") == release("v1.6.0")  # what a bundle carries is a release, never an rc
