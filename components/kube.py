"""Small constructors and names shared by the components: objects, Secrets, grants, releases, values merging."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from catalog.controllers import ParametersObject
from catalog.versions import ChartPin
from providers.base import SecretSpec

GATEWAY_GROUP = "gateway.networking.k8s.io"
CERT_MANAGER_GROUP = "cert-manager.io"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"  # set by the API server; cannot be spoofed
OBJECT_PREFIX = "traffic-edge-"  # on the names of policies and grants this program owns beside others' objects


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


def custom_object(
    resource_name: str,
    api_version: str,
    kind: str,
    metadata: Mapping[str, Any],
    spec: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
) -> k8s.apiextensions.CustomResource:
    return k8s.apiextensions.CustomResource(
        resource_name, api_version=api_version, kind=kind, metadata=dict(metadata), spec=dict(spec), opts=opts
    )


def parameters_object(
    resource_name: str, parameters: ParametersObject, opts: pulumi.ResourceOptions
) -> k8s.apiextensions.CustomResource:
    """The controller's object behind a GatewayClass's or Gateway's parametersRef."""
    metadata = {"name": parameters.name, "namespace": parameters.namespace}
    return custom_object(resource_name, parameters.api_version, parameters.kind, metadata, parameters.spec, opts)


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


def reference_grant_spec(
    from_namespace: str, from_kinds: Iterable[str], to_kind: str, to_names: Iterable[str]
) -> dict[str, Any]:
    """A ReferenceGrant admitting the Gateway API kinds of one namespace to exactly the named core objects."""
    return {
        "from": [{"group": GATEWAY_GROUP, "kind": kind, "namespace": from_namespace} for kind in sorted(from_kinds)],
        "to": [{"group": "", "kind": to_kind, "name": name} for name in sorted(to_names)],
    }


def helm_release(
    resource_name: str,
    pin: ChartPin,
    version: str,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v3.Release:
    """A Helm release with a fixed release name (no random suffix), so upgrades stay in place."""
    return k8s.helm.v3.Release(
        resource_name,
        name=resource_name,
        chart=pin.chart,
        version=version,
        namespace=namespace,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=pin.repo) if pin.repo else None,
        values=dict(values),
        opts=opts,
    )
