"""The engine's step list of one operation, and the judges of what a step list may hold."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi import automation as auto

# Steps that take something away: the object is deleted, or deleted and created anew.
DESTRUCTIVE = {"replace", "create-replacement", "delete-replaced", "delete", "discard", "discard-replaced",
               "read-replacement", "remove-pending-replace"}
# What no upgrade may ever replace or delete: users' data and traffic hang on them.
CRITICAL_TYPES = ("kubernetes:core/v1:Namespace", "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
                  "kubernetes:gateway.networking.k8s.io/v1:Gateway", "kubernetes:cert-manager.io/v1:Certificate",
                  "kubernetes:core/v1:Secret")
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")


@dataclass(frozen=True)
class Step:
    """One resource step: the engine's operation on one URN, with the object's inputs (new, else old)."""

    op: str
    urn: str
    type: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    diffs: tuple[str, ...] = ()
    replace_keys: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return str(self.inputs.get("kind", ""))

    @property
    def namespace(self) -> str:
        return str((self.inputs.get("metadata") or {}).get("namespace") or "")

    @property
    def name(self) -> str:
        return str((self.inputs.get("metadata") or {}).get("name") or "")

    @property
    def critical(self) -> bool:
        return self.type in CRITICAL_TYPES or self.type.rsplit(":", 1)[-1] in ROUTE_KINDS

    def line(self) -> str:
        detail = f" (replace: {', '.join(self.replace_keys)})" if self.replace_keys else ""
        changed = f" [{', '.join(self.diffs)}]" if self.diffs and self.op == "update" else ""
        return f"{self.op:<20} {self.urn}{detail}{changed}"


@dataclass
class Steps:
    """The engine's resource steps of one operation, as its event stream reports them (an `on_event` callback)."""

    items: list[Step] = field(default_factory=list)

    def __call__(self, event: auto.EngineEvent) -> None:
        if event.resource_pre_event is None:
            return
        meta = event.resource_pre_event.metadata
        state = meta.new if meta.new is not None else meta.old
        inputs = dict(state.inputs or {}) if state is not None else {}
        op = meta.op.value if isinstance(meta.op, auto.OpType) else str(meta.op)
        self.items.append(Step(op, meta.urn, meta.type, inputs, tuple(meta.diffs or ()), tuple(meta.keys or ())))

    def objects(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """(resource type, inputs) of every step that has inputs."""
        for step in self.items:
            if step.inputs:
                yield step.type, step.inputs

    def listing(self) -> str:
        return "\n".join(step.line() for step in sorted(self.items, key=lambda s: s.urn))


def destructive(steps: Iterable[Step], intended: Mapping[str, str]) -> list[str]:
    """Every step that replaces or deletes something, except the intended ones (a part of the URN → why); a
    critical kind (namespace, CRD, Gateway, route, Certificate, Secret) is never excused."""
    found = []
    for step in steps:
        if step.op not in DESTRUCTIVE:
            continue
        excuse = next((why for part, why in intended.items() if part in step.urn), None)
        if step.critical or excuse is None:
            found.append(step.line())
    return found


def unexpected_for_added_route(steps: Iterable[Step], namespace: str, route: str, backend_namespace: str | None
                               ) -> list[str]:
    """What a preview adding one route may not hold: anything but creating that route (and, for a backend in
    another namespace, one ReferenceGrant there admitting the route's namespace), or a missing one of those."""
    created, others = [], []
    for step in steps:
        if step.op == "create":
            created.append(step)
        elif step.op != "same":
            others.append(step.line())
    wanted = {("HTTPRoute", namespace, route)}
    got = set()
    for step in created:
        if step.kind == "ReferenceGrant":
            admitted = ",".join(sorted({str(item.get("namespace")) for item in
                                        (step.inputs.get("spec") or {}).get("from") or []}))
            got.add(("ReferenceGrant", step.namespace, f"from {admitted}"))
        else:
            got.add((step.kind, step.namespace, step.name))
    if backend_namespace is not None:
        wanted.add(("ReferenceGrant", backend_namespace, f"from {namespace}"))
    problems = [f"not created: {' '.join(item)}" for item in sorted(wanted - got)]
    problems += [f"created as well: {' '.join(item)}" for item in sorted(got - wanted)]
    return problems + [f"other step: {line}" for line in others]
