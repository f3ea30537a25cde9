"""The cluster's own namespaces stay the cluster's, and a namespace's labels are set only where it is created here.

A Namespace this program created is deleted with it; for kube-system that is the cluster's own control-plane
add-ons, so the namespaces every cluster starts with are never created, labelled or deleted here (objects of the
edge may live in them).
"""

from __future__ import annotations

from collections.abc import Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.queries import SYSTEM_NAMESPACES


def check(config: StackConfig) -> Iterator[Issue]:
    for name, settings in config.namespaces.items():
        at = f"namespaces.{name}"
        if name in SYSTEM_NAMESPACES:
            if settings.create:
                yield Issue(f"{at}.create", f"{name} is one of the namespaces every cluster starts with: this "
                            "program never creates or deletes it", "set create: false (the edge's objects may "
                            "still live there)")
            if settings.labels:
                yield Issue(f"{at}.labels", f"{name} is the cluster's own namespace: this program never labels it",
                            "remove labels")
            if settings.egress is not None and name != "default":
                yield Issue(f"{at}.egress", f"an egress allow-list in {name} would cut the cluster's own "
                            "components off what they reach", "remove egress")
        elif not settings.create and settings.labels:
            yield Issue(f"{at}.labels", "labels are set only on a namespace this program creates, and create is "
                        "false", "remove labels, or `create: false`")
    for tenant_name, tenant in config.tenants.items():
        for index, namespace in enumerate(tenant.namespaces):
            if namespace in SYSTEM_NAMESPACES:
                yield Issue(f"tenants.{tenant_name}.namespaces[{index}]", f"{namespace} is the cluster's own "
                            "namespace, and a tenant's namespaces are created and labelled here",
                            "give the tenant namespaces of its own")
