"""The namespaces the edge manages, each labelled so listener whitelists can select it; those that hold users'
workloads are retained when deleted from the stack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s


@dataclass(frozen=True)
class NamespacesArgs:
    labels: Mapping[str, Mapping[str, str]]  # namespace → labels; every key is created
    retained: frozenset[str] = frozenset()  # left in the cluster when deleted from the stack (retainOnDelete)


class Namespaces(pulumi.ComponentResource):
    def __init__(self, name: str, args: NamespacesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:namespaces:Namespaces", name, None, opts)
        self.by_name: dict[str, k8s.core.v1.Namespace] = {
            namespace: k8s.core.v1.Namespace(
                f"{name}-{namespace}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=namespace, labels=dict(labels) or None),
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=namespace in args.retained),
            )
            for namespace, labels in sorted(args.labels.items())
        }
        self.names = sorted(self.by_name)
        self.register_outputs({"names": self.names})

    def needed_by(self, *namespaces: str) -> list[pulumi.Resource]:
        """The Namespace resources (of those managed here) that objects in `namespaces` wait for."""
        return [self.by_name[namespace] for namespace in sorted(set(namespaces)) if namespace in self.by_name]
