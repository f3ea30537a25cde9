"""Read what a preflight needs from the live cluster, through the same connection the edge deploys through."""

from __future__ import annotations

import re
from typing import Any

import yaml
from kubernetes import client as kube
from kubernetes import config as kubeconfig_loader
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from traffic_edge.plan.preflight import GATEWAY_API_GROUP, ClusterState, InstalledCrd, crd_annotations
from traffic_edge.plan.sources import ClusterConnection


class ProbeError(Exception):
    """The cluster could not be read; the message says which connection and why."""


def _api_client(connection: ClusterConnection, kubeconfig_text: str | None) -> Any:
    if kubeconfig_text is not None:  # the `kubeconfig` output of the cluster's stack
        return kubeconfig_loader.new_client_from_config_dict(  # type: ignore[no-untyped-call]
            yaml.safe_load(kubeconfig_text)
        )
    return kubeconfig_loader.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=connection.kubeconfig, context=connection.context
    )


def _minor(text: str) -> int:
    """`30+` (as some distributions report it) → 30."""
    digits = re.match(r"\d+", text)
    return int(digits.group()) if digits else 0


def read_cluster(connection: ClusterConnection, kubeconfig_text: str | None = None) -> ClusterState:
    try:
        api = _api_client(connection, kubeconfig_text)
        version = kube.VersionApi(api).get_code()
        crds = kube.ApiextensionsV1Api(api).list_custom_resource_definition()
    except (ApiException, HTTPError, OSError, kubeconfig_loader.ConfigException) as error:
        raise ProbeError(f"cannot read the cluster ({connection.describe()}): {error}") from None
    installed = tuple(
        InstalledCrd(str(crd.metadata.name), *crd_annotations(crd.metadata.annotations))
        for crd in crds.items
        if crd.spec.group == GATEWAY_API_GROUP and crd.metadata is not None
    )
    names = frozenset(str(crd.metadata.name) for crd in crds.items if crd.metadata is not None)
    return ClusterState((int(version.major), _minor(version.minor)), tuple(sorted(installed, key=lambda c: c.name)),
                        names)
