"""What the cluster says, read with the official Kubernetes client through the stack's own connection."""

from __future__ import annotations

from typing import Any

import yaml
from kubernetes import client as kube
from kubernetes import config as loader
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError

from traffic_edge.plan.sources import ClusterConnection

Obj = dict[str, Any]


class ClusterError(Exception):
    """The cluster could not be reached or read; the message names the connection."""


class Cluster:
    """Read-only access to the objects doctor looks at, as plain dicts."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.dynamic = DynamicClient(api)  # type: ignore[no-untyped-call]

    @classmethod
    def connect(cls, connection: ClusterConnection, kubeconfig_text: str | None = None) -> Cluster:
        try:
            if kubeconfig_text is not None:
                api = loader.new_client_from_config_dict(yaml.safe_load(kubeconfig_text))  # type: ignore[no-untyped-call]
            else:
                api = loader.new_client_from_config(  # type: ignore[no-untyped-call]
                    config_file=connection.kubeconfig, context=connection.context
                )
            return cls(api)
        except (loader.ConfigException, OSError, ApiException) as error:
            raise ClusterError(f"cannot connect to {connection.describe()}: {error}") from None

    def _resource(self, api_version: str, kind: str) -> Any | None:
        try:
            return self.dynamic.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            return None

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        """The object, or None where it (or its kind) does not exist."""
        resource = self._resource(api_version, kind)
        if resource is None:
            return None
        try:
            found = resource.get(name=name, namespace=namespace)
        except NotFoundError:
            return None
        result: Obj = found.to_dict()
        return result

    def list(self, api_version: str, kind: str, namespace: str | None = None, **selectors: str) -> list[Obj]:
        resource = self._resource(api_version, kind)
        if resource is None:
            return []
        found = resource.get(namespace=namespace, **selectors)
        return [item.to_dict() for item in found.items]

    def version(self) -> tuple[int, int]:
        code = kube.VersionApi(self.api).get_code()
        return int(code.major), int("".join(ch for ch in code.minor if ch.isdigit()) or 0)

