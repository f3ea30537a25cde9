"""What the cluster must already be for the plan to work, judged from what the cluster says (pure).

The Gateway API CRDs have exactly one owner. Following the Gateway API CRD-management guide (kubernetes-sigs/
gateway-api @ v1.6.1 : site/content/en/guides/crd-management/_index.md), a bundle is never installed over CRDs of
another channel, of a newer release, or of an unknown one, and never removed. The facts come from the
`gateway.networking.k8s.io/bundle-version` and `…/channel` annotations every CRD of a bundle carries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.queries import Owner, crds_owner
from traffic_edge.plan.alerts import PROMETHEUS_OPERATOR_CRDS

GATEWAY_API_GROUP = "gateway.networking.k8s.io"
VERSION_ANNOTATION = "gateway.networking.k8s.io/bundle-version"
CHANNEL_ANNOTATION = "gateway.networking.k8s.io/channel"
SAFE_UPGRADES = "safe-upgrades.gateway.networking.k8s.io"  # the bundle's own ValidatingAdmissionPolicy
# ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1) is GA, and served, from Kubernetes 1.30.
ADMISSION_POLICIES_SINCE = (1, 30)


@dataclass(frozen=True)
class InstalledCrd:
    name: str
    version: str | None  # bundle-version annotation
    channel: str | None  # channel annotation


@dataclass(frozen=True)
class ClusterState:
    """What a preflight reads from the live cluster."""

    kubernetes: tuple[int, int]  # server major, minor
    gateway_api_crds: tuple[InstalledCrd, ...]  # the CRDs of group gateway.networking.k8s.io
    crd_names: frozenset[str] = frozenset()  # every CRD in the cluster


def release(version: str) -> tuple[int, ...]:
    """`v1.6.1` → (1, 6, 1); a pre-release suffix is ignored (bundles this program installs are releases)."""
    core = version.removeprefix("v").split("-", 1)[0]
    return tuple(int(part) for part in core.split(".") if part.isdigit())


def installed_bundle(state: ClusterState) -> tuple[str | None, str | None] | None:
    """The single (release, channel) the cluster's CRDs carry; None without any CRD; raises on a mix."""
    bundles = {(crd.version, crd.channel) for crd in state.gateway_api_crds}
    if not bundles:
        return None
    if len(bundles) > 1:
        shown = ", ".join(sorted(f"{version or '?'} {channel or '?'}" for version, channel in bundles))
        raise ValueError(shown)
    return next(iter(bundles))


def channel_change_steps(have: str, want: str) -> str:
    """The documented path between channels, which this program never takes by itself."""
    if want == "experimental":
        return (
            f"the bundle's {SAFE_UPGRADES} ValidatingAdmissionPolicy refuses experimental CRDs over standard ones: "
            f"delete that policy and its binding, then deploy; or keep versions.gatewayApiChannel: {have}"
        )
    return (
        "experimental-only CRDs would be deleted, and they are protected: move every object off experimental-only "
        "kinds, `pulumi state unprotect` the bundle's CRDs you drop, then deploy; or keep versions.gatewayApiChannel: "
        f"{have}"
    )


def _crd_issues(owner: Owner, want: tuple[str, str], have: tuple[str | None, str | None] | None) -> Iterator[Issue]:
    version, channel = want
    at = "versions.gatewayApiCrds"
    if have is None:
        if owner == "adopt":
            yield Issue(at, "adopt: the cluster has no Gateway API CRDs to adopt", "use install")
        elif owner == "platform":
            yield Issue(at, "platform: the cluster has no Gateway API CRDs",
                        "enable the platform's Gateway API (GKE: --gateway-api=standard), or use install")
        return
    have_version, have_channel = have
    if have_version is None or have_channel is None:
        yield Issue(at, "the cluster's Gateway API CRDs carry no bundle-version or channel annotation, so nobody "
                    "can tell what they are", "reinstall them from a release bundle, then deploy")
        return
    if owner == "platform":
        if (have_version, have_channel) != want:
            yield Issue("versions.gatewayApi", f"the platform installed {have_version} {have_channel}, not the "
                        f"configured {version} {channel}",
                        f"set versions.gatewayApi: {have_version} and versions.gatewayApiChannel: {have_channel}")
        return
    if have_channel != channel:
        yield Issue("versions.gatewayApiChannel", f"the cluster has the {have_channel} channel and this stack "
                    f"installs {channel}", channel_change_steps(have_channel, channel))
    if release(have_version) > release(version):
        yield Issue("versions.gatewayApi", f"the cluster has {have_version}, newer than the pinned {version}: never "
                    "install an older bundle over a newer one", f"set versions.gatewayApi: {have_version} or later")
    if owner == "adopt" and release(have_version) < release(version):
        yield Issue(at, f"adopt takes the cluster's {have_version} as it is, not {version}",
                    "use install to upgrade it, or set versions.gatewayApi to the installed release")


def preflight(config: StackConfig, state: ClusterState, policies: bool) -> list[Issue]:
    """Everything the cluster contradicts; `policies`: the plan has ValidatingAdmissionPolicies to create."""
    issues = []
    if policies and state.kubernetes < ADMISSION_POLICIES_SINCE:
        wanted = ".".join(map(str, ADMISSION_POLICIES_SINCE))
        issues.append(Issue("cluster", f"Kubernetes {state.kubernetes[0]}.{state.kubernetes[1]} does not serve "
                            f"ValidatingAdmissionPolicy v1, which the guardrails are", f"upgrade to {wanted} or later"))
    versions = config.versions
    try:
        have = installed_bundle(state)
    except ValueError as mixed:
        issues.append(Issue("versions.gatewayApiCrds", f"the cluster's Gateway API CRDs come from several bundles "
                            f"({mixed})", "reinstall one bundle (one release, one channel), then deploy"))
        return issues
    issues += _crd_issues(crds_owner(config), (versions.gateway_api, versions.gateway_api_channel), have)
    missing = [name for name in PROMETHEUS_OPERATOR_CRDS if name not in state.crd_names]
    if config.cert_manager.expiry_alerts.enabled and missing:
        issues.append(Issue("certManager.expiryAlerts.enabled", f"the cluster has no {', '.join(missing)}: the "
                            "Prometheus operator is not installed", "install the Prometheus operator (e.g. "
                            "kube-prometheus-stack) first, or turn the alerts off"))
    return issues


def crd_annotations(metadata: Mapping[str, str] | None) -> tuple[str | None, str | None]:
    annotations = metadata or {}
    return annotations.get(VERSION_ANNOTATION), annotations.get(CHANNEL_ANNOTATION)
