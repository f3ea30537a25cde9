"""The controllers run, their service accounts carry the identity the stack declares, the CRDs are the pinned ones."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from traffic_edge.doctor.conditions import is_true
from traffic_edge.doctor.expected import Expected, Release, gateway_api_pin
from traffic_edge.doctor.findings import EDGE, Finding, ok
from traffic_edge.doctor.live import Cluster
from traffic_edge.plan.preflight import GATEWAY_API_GROUP, ClusterState, InstalledCrd, crd_annotations, preflight

UNSHOWN = ("[unknown]", "[secret]")  # values an offline render cannot know: only their presence is checked


def _identity(values: Mapping[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(service account, annotations, pod labels) a release's values give its workload."""
    account = values.get("serviceAccount") or {}
    if not isinstance(account, dict):
        return "", {}, {}
    labels = values.get("podLabels") or {}
    return str(account.get("name") or ""), dict(account.get("annotations") or {}), dict(labels) if isinstance(
        labels, dict
    ) else {}


def check_release(release: Release, cluster: Cluster) -> Iterator[Finding]:
    deployments = cluster.list("apps/v1", "Deployment", release.namespace)
    if not deployments:
        yield Finding("error", EDGE, f"release {release.namespace}/{release.name}", "runs no Deployment",
                      "deploy the stack; check `helm status` of the release")
    for deployment in deployments:
        name = f"Deployment {release.namespace}/{deployment['metadata']['name']}"
        if is_true(deployment.get("status"), "Available"):
            yield ok(EDGE, name, "Available")
        else:
            yield Finding("error", EDGE, name, "not Available", "see its pods' events (`kubectl describe`)")
    account, annotations, labels = _identity(release.values)
    if not account or not (annotations or labels):
        return
    obj = f"ServiceAccount {release.namespace}/{account}"
    live = cluster.get("v1", "ServiceAccount", account, release.namespace)
    if live is None:
        yield Finding("error", EDGE, obj, "does not exist", "the chart creates it: check the release")
        return
    have = (live.get("metadata") or {}).get("annotations") or {}
    for key, value in sorted(annotations.items()):
        if key not in have:
            yield Finding("error", EDGE, obj, f"lacks the identity annotation {key}",
                          "the workload runs without its cloud identity: redeploy the release (pulumi up)")
        elif value not in UNSHOWN and have[key] != value:
            yield Finding("error", EDGE, obj, f"{key} is {have[key]!r}, the stack declares {value!r}",
                          "redeploy the release (pulumi up)")
    templates = [(item.get("spec") or {}).get("template", {}).get("metadata", {}).get("labels") or {}
                 for item in deployments]
    for key, value in sorted(labels.items()):
        if not any(template.get(key) == value for template in templates):
            yield Finding("error", EDGE, obj, f"pods lack the label {key}={value}",
                          "the identity webhook ignores them: redeploy the release (pulumi up)")
    yield ok(EDGE, obj, "carries its identity")


def check_releases(expected: Expected, cluster: Cluster) -> Iterator[Finding]:
    for release in expected.releases:
        yield from check_release(release, cluster)


def check_crds(expected: Expected, cluster: Cluster) -> Iterator[Finding]:
    """The Gateway API CRDs against the pin, judged by the same rules the preflight applies before a deploy."""
    version, channel, owner = gateway_api_pin(expected)
    every = cluster.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    crds = [item for item in every if (item.get("spec") or {}).get("group") == GATEWAY_API_GROUP]
    installed = tuple(InstalledCrd(item["metadata"]["name"], *crd_annotations(item["metadata"].get("annotations")))
                      for item in crds)
    names = frozenset(item["metadata"]["name"] for item in every)
    issues = preflight(expected.config, ClusterState(cluster.version(), installed, names), policies=False)
    obj = "Gateway API CRDs"
    if not installed:
        yield Finding("error", EDGE, obj, "not installed", "deploy the stack, or let the platform install them")
        return
    for issue in issues:
        yield Finding("error", EDGE, obj, f"{issue.message} ({issue.path})", issue.fix)
    if not issues:
        yield ok(EDGE, obj, f"{version} {channel}, {len(installed)} CRDs ({owner})")
