"""ReferenceGrants: which one lets a reference cross into another namespace, and how a grant is drawn."""

from __future__ import annotations

from traffic_edge.graph.model import Node, fingerprint, object_key
from traffic_edge.graph.source import Manifest, PlanView
from traffic_edge.plan.objects import GATEWAY_GROUP

REFERENCE_GRANT = "ReferenceGrant"


def find_grant(
    view: PlanView, to_namespace: str, to_group: str, to_kind: str, to_name: str, from_kind: str, from_namespace: str
) -> Manifest | None:
    """The grant in the target's namespace that admits `from_kind` objects of `from_namespace` to the target."""
    for grant in view.of_kind(GATEWAY_GROUP, REFERENCE_GRANT):
        if grant.namespace != to_namespace:
            continue
        sources = grant.spec.get("from") or []
        targets = grant.spec.get("to") or []
        admits_source = any(
            (s.get("group"), s.get("kind"), s.get("namespace")) == (GATEWAY_GROUP, from_kind, from_namespace)
            for s in sources
        )
        admits_target = any(
            (t.get("group", ""), t.get("kind")) == (to_group, to_kind) and t.get("name") in (None, to_name)
            for t in targets
        )
        if admits_source and admits_target:
            return grant
    return None


def grant_node(grant: Manifest) -> Node:
    sources = ", ".join(f"{s.get('kind')} in {s.get('namespace')}" for s in grant.spec.get("from") or [])
    targets = ", ".join(f"{t.get('kind')} {t.get('name', '(any)')}" for t in grant.spec.get("to") or [])
    return Node(
        object_key(REFERENCE_GRANT, grant.namespace, grant.name),
        "grant",
        (f"ReferenceGrant {grant.ref}", f"from {sources}", f"to {targets}"),
        fingerprint(grant.spec),
    )
