"""Gateway API CRDs that a cluster already has: refused, or adopted, as the stack's `versions.gatewayApiCrds` says.

Runs as a second stack (a fresh state) against the cluster the first one deployed, so the pinned bundle is
there, installed by someone else as far as this stack knows. The preflight reads the bundle's
`gateway.networking.k8s.io/bundle-version` and `…/channel` annotations: another channel and a newer release are
refused before anything is registered, with the key and the fix; the same release and channel is adopted by
`pulumi up` (the provider's upsert of existing objects), after which the stack's state holds every CRD.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kubernetes.dynamic.exceptions import DynamicApiError
from pulumi import automation as auto

from e2e.cluster import Cluster
from e2e.steps import Steps
from traffic_edge.plan.preflight import CHANNEL_ANNOTATION, VERSION_ANNOTATION

ADMISSION = "admissionregistration.k8s.io/v1"
SAFE_UPGRADES = "safe-upgrades.gateway.networking.k8s.io"  # the bundle's own policy and binding
CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
NEWER_RELEASE = "v1.99.0"  # no such Gateway API release: newer than every pin


@dataclass(frozen=True)
class Refusal:
    """A cluster state the preflight must refuse, and the words its message must hold."""

    case: str
    annotations: Mapping[str, str]
    key: str
    words: str


def annotate(cluster: Cluster, names: set[str], annotations: Mapping[str, str]) -> None:
    """Relabels the bundle as an admin would, the bundle's own safe-upgrades binding (which refuses channel
    switches and downgrades) deleted first, as its message says."""
    if cluster.get(ADMISSION, "ValidatingAdmissionPolicyBinding", SAFE_UPGRADES):
        cluster.dynamic.resources.get(api_version=ADMISSION, kind="ValidatingAdmissionPolicyBinding").delete(
            name=SAFE_UPGRADES)
    crds = cluster.dynamic.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    for name in sorted(names):
        deadline = time.monotonic() + 15
        while True:  # the admission plugin learns of the deleted binding from a watch, a moment later
            try:
                crds.patch(name=name, body={"metadata": {"annotations": dict(annotations)}},
                           content_type="application/merge-patch+json")
                break
            except DynamicApiError as error:
                if SAFE_UPGRADES not in str(error.body) or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)


def refusals(version: str, channel: str) -> list[Refusal]:
    other = "experimental" if channel == "standard" else "standard"
    return [
        Refusal(f"{other} CRDs on the cluster", {VERSION_ANNOTATION: version, CHANNEL_ANNOTATION: other},
                "versions.gatewayApiChannel", f"the cluster has the {other} channel"),
        Refusal(f"a newer release ({NEWER_RELEASE}) on the cluster",
                {VERSION_ANNOTATION: NEWER_RELEASE, CHANNEL_ANNOTATION: channel},
                "versions.gatewayApi", "never install an older bundle over a newer one"),
    ]


def judge(stack: auto.Stack, cluster: Cluster, project: str, version: str, channel: str,
          output: Callable[[str], None]) -> tuple[list[str], list[str]]:
    """(what happened per case, failures). Leaves the CRDs annotated as the pinned bundle, in the stack's state."""
    names = cluster.gateway_api_crds()
    stack.set_config(f"{project}:versions.gatewayApiCrds", auto.ConfigValue("adopt"), path=True)
    notes: list[str] = []
    failures: list[str] = []
    for refusal in refusals(version, channel):
        annotate(cluster, names, refusal.annotations)
        try:
            stack.preview(on_output=output, color="never")
        except auto.CommandError as error:
            text = str(error)
            if refusal.key in text and refusal.words in text:
                notes.append(f"{refusal.case}: refused at {refusal.key}")
            else:
                failures.append(f"{refusal.case}: preview failed without naming {refusal.key}: {text[-400:]}")
        else:
            failures.append(f"{refusal.case}: the preview went through")
    annotate(cluster, names, {VERSION_ANNOTATION: version, CHANNEL_ANNOTATION: channel})
    steps = Steps()
    stack.up(on_event=steps, on_output=output, color="never")
    adopted = {_name(step.inputs) for step in steps.items if step.type == CRD_TYPE and step.op == "create"}
    missing = sorted(names - adopted)
    if missing:
        failures.append(f"adopt: not taken into the stack: {', '.join(missing)}")
    else:
        notes.append(f"adopt: {len(adopted)} existing CRDs taken into a fresh stack by `pulumi up`")
    return notes, failures


def _name(inputs: Mapping[str, Any]) -> str:
    return str((inputs.get("metadata") or {}).get("name") or "")
