"""Small constructors shared by the components: objects, Secrets, Helm releases, values merging."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from traffic_edge.controllers.base import ParametersObject
from traffic_edge.data.versions import ChartPin
from traffic_edge.plan.contracts import SecretSpec
from traffic_edge.plan.objects import KubeObject


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


def helm_release(
    resource_name: str,
    release_name: str,
    pin: ChartPin,
    version: str,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v3.Release:
    """A Helm release with a fixed release name (no random suffix), so upgrades stay in place."""
    return k8s.helm.v3.Release(
        resource_name,
        name=release_name,
        chart=pin.chart,
        version=version,
        namespace=namespace,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=pin.repo) if pin.repo else None,
        values=dict(values),
        opts=opts,
    )
