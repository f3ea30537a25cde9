"""What the tests do on a control plane as its users would, through the official Kubernetes client."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import DynamicApiError

from e2e.controlplane import ControlPlane

GATEWAY_API_GROUPS = {"gateway.networking.k8s.io", "gateway.networking.x-k8s.io"}
Obj = dict[str, Any]


class ClusterError(Exception):
    """The cluster is not as a phase needs it; the message says what differs."""


@dataclass(frozen=True)
class Verdict:
    """The API server's answer to one request: admitted, or refused with its status code and message."""

    allowed: bool
    code: int = 0
    message: str = ""


class Cluster:
    """A control plane through the admin's credentials, and as other users (impersonation)."""

    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane
        api = plane.api_client()
        self.core = client.CoreV1Api(api)
        self.crds = client.ApiextensionsV1Api(api)
        self.rbac = client.RbacAuthorizationV1Api(api)
        self.dynamic = DynamicClient(api)  # type: ignore[no-untyped-call]

    def as_user(self, user: str, group: str) -> DynamicClient:
        """A client whose requests the API server takes as `user` in `group` (the admin may impersonate)."""
        api = self.plane.api_client()
        api.set_default_header("Impersonate-User", user)  # type: ignore[no-untyped-call]
        api.set_default_header("Impersonate-Group", group)  # type: ignore[no-untyped-call]
        return DynamicClient(api)  # type: ignore[no-untyped-call]

    def namespaces(self) -> dict[str, str]:
        """Name → phase (Active or Terminating)."""
        return {
            ns.metadata.name: (ns.status.phase if ns.status else None) or ""
            for ns in self.core.list_namespace().items
            if ns.metadata and ns.metadata.name
        }

    def ensure_namespace(self, name: str) -> None:
        if name not in self.namespaces():
            self.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))

    def ensure_service(self, namespace: str, name: str, port: int) -> None:
        """A selector-less ClusterIP Service: a stand-in for a user's workload, no pod needed."""
        self.ensure_namespace(namespace)
        if not self.has_service(namespace, name):
            spec = client.V1ServiceSpec(ports=[client.V1ServicePort(port=port)])
            self.core.create_namespaced_service(namespace, client.V1Service(metadata=client.V1ObjectMeta(name=name),
                                                                            spec=spec))

    def has_service(self, namespace: str, name: str) -> bool:
        try:
            self.core.read_namespaced_service(name, namespace)
        except client.ApiException as error:
            if error.status == 404:
                return False
            raise
        return True

    def apply_crds(self, path: Path) -> list[str]:
        """Creates the CRDs in `path` (a file or a directory of them) and waits until they are Established."""
        documents = [document for file in (sorted(path.glob("*.yaml")) if path.is_dir() else [path])
                     for document in yaml.safe_load_all(file.read_text())
                     if document and document.get("kind") == "CustomResourceDefinition"]
        return self.create_crds(documents, str(path))

    def create_crds(self, documents: list[Obj], source: str) -> list[str]:
        """Creates these CRDs and waits until they are Established; returns their names."""
        for document in documents:
            crd = client.V1CustomResourceDefinition.from_dict(document)
            assert crd is not None
            self.crds.create_custom_resource_definition(crd)
        names = [str(document["metadata"]["name"]) for document in documents]
        deadline = time.monotonic() + 30
        while not all(self._established(name) for name in names):
            if time.monotonic() > deadline:
                raise ClusterError(f"CRDs from {source} not Established after 30 s")
            time.sleep(0.2)
        return names

    def _established(self, name: str) -> bool:
        status = self.crds.read_custom_resource_definition(name).status
        conditions = (status.conditions if status else None) or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    def gateway_api_crds(self) -> set[str]:
        return {
            crd.metadata.name
            for crd in self.crds.list_custom_resource_definition().items
            if crd.metadata and crd.metadata.name and crd.spec.group in GATEWAY_API_GROUPS
        }

    def grant(self, name: str, user: str, rules: list[Obj]) -> None:
        """A ClusterRole with `rules`, bound to `user`: what a cluster admin gives an application team."""
        role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name},
                "rules": rules}
        binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                   "metadata": {"name": name},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                   "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]}
        for obj in (role, binding):
            self.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"]).create(body=obj)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        resource = self.dynamic.resources.get(api_version=api_version, kind=kind)
        try:
            found: Obj = resource.get(name=name, namespace=namespace).to_dict()
        except DynamicApiError as error:
            if error.status == 404:
                return None
            raise
        return found


def dry_run(dynamic: DynamicClient, operation: str, obj: Obj) -> Verdict:
    """The API server's verdict on creating (or replacing) `obj`, with unknown fields refused (kubectl's default,
    `fieldValidation=Strict`), stored nowhere (`dryRun=All`): validation and admission run as for a real request."""
    resource = dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
    namespace = (obj.get("metadata") or {}).get("namespace") if resource.namespaced else None
    method = resource.create if operation == "CREATE" else resource.replace
    try:
        method(body=obj, namespace=namespace, dry_run="All", query_params=[("fieldValidation", "Strict")])
    except DynamicApiError as error:
        return Verdict(False, int(error.status or 0), _message(error))
    return Verdict(True)


def _message(error: DynamicApiError) -> str:
    try:
        body = json.loads(error.body or "")
    except (TypeError, ValueError):
        return str(error.summary())  # type: ignore[no-untyped-call]
    return str(body.get("message", ""))
