"""Small constructors shared by the components: objects, Secrets, Helm releases, values merging."""

from __future__ import annotations

import tarfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from traffic_edge.controllers.base import RELEASE_TIMEOUT, ParametersObject
from traffic_edge.plan.contracts import SecretSpec
from traffic_edge.plan.objects import KubeObject
from traffic_edge.plan.sources import ChartLocation


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's merge: maps merge key by key, anything else in `override` wins."""
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def merged(*layers: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for layer in layers:
        result = deep_merge(result, layer)
    return result


def kube_object(resource_name: str, obj: KubeObject, opts: pulumi.ResourceOptions) -> k8s.apiextensions.CustomResource:
    """Any Kubernetes object with a `spec`, registered under its own apiVersion and kind."""
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=obj.api_version,
        kind=obj.kind,
        metadata=dict(obj.metadata),
        spec=dict(obj.spec),
        opts=opts,
    )


def parameters_object(
    resource_name: str, parameters: ParametersObject, opts: pulumi.ResourceOptions
) -> k8s.apiextensions.CustomResource:
    """The controller's object behind a GatewayClass's or Gateway's parametersRef.

    An apiVersion it had before stays an alias of its type: pulumi-kubernetes then updates the object in place at
    the new version (only name and namespace replace a custom resource: provider/pkg/provider/diff.go
    forceNewProperties @ v4.32.0), where a new type would create it anew and delete the old, the same object.
    """
    metadata = {"name": parameters.name, "namespace": parameters.namespace}
    obj = KubeObject(parameters.api_version, parameters.kind, metadata, parameters.spec)
    earlier = [pulumi.Alias(type_=f"kubernetes:{api}:{parameters.kind}") for api in parameters.earlier_api_versions]
    return kube_object(resource_name, obj, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=earlier)))


def secrets(
    component: str, specs: Iterable[SecretSpec], namespace: str, opts: pulumi.ResourceOptions
) -> list[k8s.core.v1.Secret]:
    """The Secrets a platform hands a consumer (SecretSpec), created beside it as `<component>-<secret name>`."""
    return [
        k8s.core.v1.Secret(
            f"{component}-{spec.name}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=spec.name, namespace=namespace),
            string_data={spec.key: spec.value},
            opts=opts,
        )
        for spec in specs
    ]


def local_chart_version(path: str) -> str | None:
    """The version in a local chart's Chart.yaml (a directory or a .tgz archive), None where there is none."""
    chart = Path(path).expanduser()
    try:
        if chart.is_dir():
            text = (chart / "Chart.yaml").read_text()
        else:
            with tarfile.open(chart) as archive:
                top = (m for m in archive.getmembers() if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml"))
                extracted = archive.extractfile(next(top))
                text = extracted.read().decode() if extracted else ""
    except (OSError, StopIteration, tarfile.TarError):
        return None
    version = (yaml.safe_load(text) or {}).get("version")
    return None if version is None else str(version)


def checked_local_chart(location: ChartLocation) -> None:
    """Helm takes a local chart as it finds it, whatever version is asked for, so its version is checked here."""
    if location.local:
        found = local_chart_version(location.chart)
        if found is None or found.removeprefix("v") != location.version.removeprefix("v"):
            raise pulumi.RunError(
                f"artifacts: the local chart {location.chart} is version {found or '(none found)'}, not the pinned "
                f"{location.version}; put that version there (a directory with its Chart.yaml, or the .tgz)"
            )


def helm_release(
    resource_name: str,
    release_name: str,
    location: ChartLocation,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
    timeout: int = RELEASE_TIMEOUT,
) -> k8s.helm.v3.Release:
    """A Helm release with a fixed release name (no random suffix), so upgrades stay in place.

    A failed attempt leaves nothing for the next run to trip over: `atomic` uninstalls a failed install and rolls
    back a failed upgrade (and always waits, for `timeout` seconds); `cleanupOnFail` deletes what a failed upgrade
    created (pulumi/pulumi-kubernetes @ v4.32.0 : provider/pkg/provider/helm_release.go L606-618 install, L733-747
    upgrade).
    """
    checked_local_chart(location)
    return k8s.helm.v3.Release(
        resource_name,
        name=release_name,
        chart=location.chart,
        version=location.version,
        namespace=namespace,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=location.repo) if location.repo else None,
        values=dict(values),
        atomic=True,
        cleanup_on_fail=True,
        timeout=timeout,
        opts=opts,
    )


PATCH_FORCE = "pulumi.com/patchForce"


def force_apply(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """Each object of a CRD chart takes over the fields another field manager set (Helm, where a chart's crds/
    installed the CRD before, or an older release did): the edge is their one owner. Without it server-side apply
    refuses every field whose value changed (pulumi/pulumi-kubernetes @ v4.32.0 : provider/pkg/await/await.go
    patchForce, L1031-1063)."""
    metadata = args.props.get("metadata")
    if not args.custom or not isinstance(metadata, dict):
        return None
    annotations = {**(metadata.get("annotations") or {}), PATCH_FORCE: "true"}
    return pulumi.ResourceTransformResult({**args.props, "metadata": {**metadata, "annotations": annotations}},
                                          args.opts)


def crd_chart(
    resource_name: str,
    location: ChartLocation,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v4.Chart:
    """A chart of CRDs, rendered client-side and applied object by object (`helm template | kubectl apply`).

    Applying upgrades CRDs, which Helm never does for a chart's crds/. Protected and retained on delete, as the
    Gateway API bundle: deleting a CRD deletes every object of its kind. CRDs an earlier Helm release installed
    are adopted: the provider upserts existing objects, and each object forces its apply (force_apply).
    """
    checked_local_chart(location)
    return k8s.helm.v4.Chart(
        resource_name,
        chart=location.chart,
        version=location.version,
        namespace=namespace,
        repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=location.repo) if location.repo else None,
        values=dict(values),
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(protect=True, retain_on_delete=True, transforms=[force_apply])
        ),
    )
