"""Small constructors shared by the components: objects, Secrets, Helm releases, values merging."""

from __future__ import annotations

import tarfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from traffic_edge.controllers.base import ParametersObject
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
    """The controller's object behind a GatewayClass's or Gateway's parametersRef."""
    metadata = {"name": parameters.name, "namespace": parameters.namespace}
    obj = KubeObject(parameters.api_version, parameters.kind, metadata, parameters.spec)
    return kube_object(resource_name, obj, opts)


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


def helm_release(
    resource_name: str,
    release_name: str,
    location: ChartLocation,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v3.Release:
    """A Helm release with a fixed release name (no random suffix), so upgrades stay in place.

    Helm installs a local chart as it finds it, whatever version is asked for, so its version is checked here.
    """
    if location.local:
        found = local_chart_version(location.chart)
        if found is None or found.removeprefix("v") != location.version.removeprefix("v"):
            raise pulumi.RunError(
                f"artifacts: the local chart {location.chart} is version {found or '(none found)'}, not the pinned "
                f"{location.version}; put that version there (a directory with its Chart.yaml, or the .tgz)"
            )
    return k8s.helm.v3.Release(
        resource_name,
        name=release_name,
        chart=location.chart,
        version=location.version,
        namespace=namespace,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=location.repo) if location.repo else None,
        values=dict(values),
        opts=opts,
    )
