"""Compare two plans resource by resource: added, deleted, changed, replaced, re-parented, or moved by an alias.

Resources are matched by URN with the stack segment dropped. A resource whose URN changed is matched to its old
one through its aliases exactly as the engine resolves them (pulumi/pulumi pkg/resource/deploy/step_generator.go
`generateAliases`, `inheritedChildAlias`): its own alias specs, and the alias its parent was found by, with the
parent's name prefix replaced in the child's name.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from traffic_edge.offline.diff.losses import Loss, data_losses
from traffic_edge.offline.diff.replace_rules import ReplaceRule, replace_rules_for

# How offline.engine writes values it cannot show; kept literal so a diff needs no Pulumi import.
SECRET: Final = "[secret]"
UNKNOWN: Final = "[unknown]"
STACK_TYPE: Final = "pulumi:pulumi:Stack"


class _Missing:
    """Marks a key or list item that one side does not have."""

    def __repr__(self) -> str:
        return "(absent)"


MISSING: Final = _Missing()


@dataclass(frozen=True)
class Change:
    """One changed value; `old`/`new` are MISSING where a side lacks it, both SECRET where either side was secret."""

    path: str
    old: Any
    new: Any
    forces: ReplaceRule | None = None


@dataclass(frozen=True)
class ResourceDiff:
    kind: str  # one of KINDS
    type: str
    name: str
    key: str
    old_parent: str | None = None
    new_parent: str | None = None
    changes: tuple[Change, ...] = ()
    old_key: str | None = None  # a moved resource's URN before, without the stack


# Display order, most consequential first.
KINDS: Final = ("replace", "reparent", "delete", "add", "change", "move")
LABELS: Final = {
    "replace": "REPLACED",
    "reparent": "RE-PARENTED",
    "delete": "DELETED",
    "add": "ADDED",
    "change": "CHANGED",
    "move": "MOVED",
}
SIGNS: Final = {"replace": "+-", "reparent": "+-", "delete": "-", "add": "+", "change": "~", "move": ">"}


@dataclass(frozen=True)
class StackDiff:
    stack: str
    resources: tuple[ResourceDiff, ...]
    outputs: tuple[Change, ...]
    note: str = ""  # "new stack" / "stack removed"
    losses: tuple[Loss, ...] = ()  # deletions that take data with them (offline.diff.losses)

    @property
    def changed(self) -> bool:
        return bool(self.resources or self.outputs)

    def summary(self) -> str:
        """`dev: 2 to add, 1 to change, 1 to replace, 0 to delete`, or `dev: no changes`."""
        if not self.changed:
            return f"{self.stack}: no changes"
        counts = Counter(r.kind for r in self.resources)
        line = (
            f"{self.stack}: {counts['add']} to add, {counts['change']} to change, "
            f"{counts['replace']} to replace, {counts['delete']} to delete"
        )
        if counts["reparent"]:
            line += f", {counts['reparent']} re-parented"
        if counts["move"]:
            line += f", {counts['move']} moved by alias"
        if self.outputs:
            line += f", {len(self.outputs)} output{'s' if len(self.outputs) != 1 else ''} changed"
        return line + (f" ({self.note})" if self.note else "")


Plan = dict[str, Any]  # one plan.json
Resource = dict[str, Any]  # one entry of its `resources`


# --- comparing ------------------------------------------------------------------------------


def _join(path: str, key: str) -> str:
    if re.fullmatch(r"[A-Za-z_$][\w$-]*", key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def value_changes(old: Any, new: Any, path: str = "") -> list[Change]:
    """Leaf-level differences between two JSON values, paths like `spec.listeners[1].port`.

    A secret on either side ends the walk at that path: the change is reported, both values masked,
    so nothing that was secret on one side is ever printed from the other.
    """
    if SECRET in (old, new):
        if old == new:
            return []
        return [Change(path, _masked(old), _masked(new))]
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            change
            for key in sorted(old.keys() | new.keys())
            for change in value_changes(old.get(key, MISSING), new.get(key, MISSING), _join(path, key))
        ]
    if isinstance(old, list) and isinstance(new, list):
        return [
            change
            for index in range(max(len(old), len(new)))
            for change in value_changes(
                old[index] if index < len(old) else MISSING,
                new[index] if index < len(new) else MISSING,
                f"{path}[{index}]",
            )
        ]
    if type(old) is type(new) and old == new:
        return []
    return [Change(path, old, new)]


def _masked(value: Any) -> Any:
    return MISSING if value is MISSING else SECRET


def resource_key(urn: str) -> str:
    """A URN without its stack segment (`urn:pulumi:<stack>::project::type::name`), and without the root stack in
    its type chain: the engine never puts it there (pulumi/pulumi sdk/go/common/resource/urn.go `NewURN`: a parent
    of the root stack type adds no prefix), but renders of this tool before its own engine (e88c2aa and older) did,
    and a diff against such a render must still find every resource."""
    head, sep, rest = urn.partition("::")
    if not (sep and head.startswith("urn:pulumi:")):
        return urn
    project, _, qualified = rest.partition("::")
    return f"{project}::{qualified.removeprefix(STACK_TYPE + '$')}"


# Resource options worth a reviewer's eye, with their defaults; dependencies follow the inputs.
OPTIONS: Final[Mapping[str, Any]] = {"protect": False, "retainOnDelete": False, "provider": None}


def _option_changes(old: Resource, new: Resource) -> list[Change]:
    """Changed options. A move from the default provider to an explicit one is none: the engine asks the new
    provider to diff the two configurations (pulumi-kubernetes replaces only when the active cluster differs,
    and the default one names none), so objects stay as they are; the summary counts such moves."""
    changes = []
    for option, default in OPTIONS.items():
        before, after = old.get(option, default), new.get(option, default)
        if option == "provider":  # `<provider urn>::<id>`; the stack segment is not a change
            before, after = before and resource_key(before), after and resource_key(after)
            if before is None and after is not None:
                continue
        if before != after:
            changes.append(Change(f"({option})", before, after))
    return changes


def provider_adoptions(olds: Mapping[str, Resource], news: Mapping[str, Resource], moved: Mapping[str, str]) -> int:
    """How many resources move from the default provider to an explicit one."""
    pairs = [(olds[key], news[key]) for key in olds.keys() & news.keys()]
    pairs += [(olds[old], news[new]) for new, old in moved.items()]
    return sum(1 for old, new in pairs if not old.get("provider") and new.get("provider"))


def _compare(type_: str, old: Resource, new: Resource) -> tuple[Change, ...]:
    changes = value_changes(old.get("inputs") or {}, new.get("inputs") or {})
    flagged = [
        Change(c.path, c.old, c.new, next(iter(replace_rules_for(type_, c.path)), None)) for c in changes
    ]
    return tuple(flagged + _option_changes(old, new))


def _key_parts(key: str) -> tuple[str, str, str]:
    """(project, qualified type, name) of a resource key (`project::type::name`, a URN without its stack)."""
    project, qualified, name = key.split("::", 2)
    return project, qualified, name


def _key(project: str, parent_type: str | None, type_: str, name: str) -> str:
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"{project}::{qualified}::{name}"


class AliasResolver:
    """Finds the old resource a new one continues, through aliases, as the engine does."""

    def __init__(self, olds: Mapping[str, Resource], news: Mapping[str, Resource]) -> None:
        self.olds = olds
        self.news = news
        self.found: dict[str, str] = {}  # new key → old key, for resources found through an alias

    def resolve(self) -> dict[str, str]:
        for key in sorted(self.news, key=lambda k: k.count("$")):  # parents have shorter type chains
            if key not in self.olds:
                self._resolve(key)
        return self.found

    def _parent_key(self, resource: Resource) -> str | None:
        parent = resource.get("parent")
        if not parent or _key_parts(resource_key(parent))[1] == STACK_TYPE:
            return None
        return resource_key(parent)

    def _collapse(self, spec: Mapping[str, Any], key: str, resource: Resource) -> str:
        if "urn" in spec:
            return resource_key(str(spec["urn"]))
        spec = spec.get("spec", spec)
        name = spec.get("name") or resource["name"]
        type_ = spec.get("type") or resource["type"]
        if spec.get("noParent"):
            parent = None
        elif spec.get("parentUrn"):
            parent = resource_key(str(spec["parentUrn"]))
        else:
            parent = self._parent_key(resource)
        project = _key_parts(key)[0]
        return _key(project, _key_parts(parent)[1] if parent else None, type_, name)

    def _inherited(self, child_type: str, child_name: str, parent_name: str, parent_alias: str) -> str:
        """The child's URN under its parent's old URN, with the parent's old name in place of its new one."""
        project, alias_type, alias_name = _key_parts(parent_alias)
        if child_name.startswith(parent_name):
            child_name = alias_name + child_name[len(parent_name):]
        return _key(project, alias_type, child_type, child_name)

    def _resolve(self, key: str) -> None:
        resource = self.news[key]
        candidates = [self._collapse(spec, key, resource) for spec in resource.get("aliases") or []]
        parent = self._parent_key(resource)
        if parent is not None and parent in self.found:
            parent_name = self.news[parent]["name"]
            inherited = [self._inherited(resource["type"], resource["name"], parent_name, self.found[parent])]
            for alias in candidates:
                _, alias_type, alias_name = _key_parts(alias)
                inherited.append(
                    self._inherited(alias_type.split("$")[-1], alias_name, parent_name, self.found[parent])
                )
            candidates += inherited
        match = next((candidate for candidate in candidates if candidate in self.olds), None)
        if match is not None:
            self.found[key] = match


def diff_stack(stack: str, old: Plan | None, new: Plan | None) -> StackDiff:
    """What a deploy of `new` over `old` does; None stands for a stack one side does not have."""
    olds = {resource_key(r["urn"]): r for r in (old or {}).get("resources", [])}
    news = {resource_key(r["urn"]): r for r in (new or {}).get("resources", [])}
    diffs: list[ResourceDiff] = []
    removed: list[tuple[str, str]] = []  # (how, old key) of every resource deleted, replaced or re-parented
    for key in olds.keys() & news.keys():
        type_ = news[key]["type"]
        changes = _compare(type_, olds[key], news[key])
        if changes:
            kind = "replace" if any(c.forces for c in changes) else "change"
            diffs.append(ResourceDiff(kind, type_, news[key]["name"], key, changes=changes))
            removed += [("replaced", key)] if kind == "replace" else []
    moved = AliasResolver(olds, news).resolve()
    for key_new, key_old in sorted(moved.items()):
        type_ = news[key_new]["type"]
        changes = _compare(type_, olds[key_old], news[key_new])
        kind = "replace" if any(c.forces for c in changes) else "move"
        diffs.append(ResourceDiff(kind, type_, news[key_new]["name"], key_new, changes=changes, old_key=key_old))
        removed += [("replaced", key_old)] if kind == "replace" else []
    gone = sorted(olds.keys() - news.keys() - set(moved.values()))
    added = sorted(news.keys() - olds.keys() - moved.keys())
    for key_old, key_new in _reparented(olds, news, gone, added):
        before, after = olds[key_old], news[key_new]
        gone.remove(key_old)
        added.remove(key_new)
        removed.append(("re-parented", key_old))
        diffs.append(
            ResourceDiff(
                "reparent",
                after["type"],
                after["name"],
                key_new,
                old_parent=before.get("parent"),
                new_parent=after.get("parent"),
                changes=_compare(after["type"], before, after),
            )
        )
    diffs += [ResourceDiff("delete", olds[k]["type"], olds[k]["name"], k) for k in gone]
    diffs += [ResourceDiff("add", news[k]["type"], news[k]["name"], k) for k in added]
    diffs.sort(key=lambda d: (KINDS.index(d.kind), d.type, d.name, d.key))
    outputs = value_changes((old or {}).get("outputs") or {}, (new or {}).get("outputs") or {})
    note = "new stack" if old is None else "stack removed" if new is None else ""
    adopted = provider_adoptions(olds, news, moved)
    if adopted:
        note = f"{adopted} now through an explicit provider instead of the default one: no replacement"
    removed += [("deleted", key) for key in gone]
    return StackDiff(stack, tuple(diffs), tuple(outputs), note, data_losses(olds, removed))


def _reparented(
    olds: Mapping[str, Resource], news: Mapping[str, Resource], gone: list[str], added: list[str]
) -> list[tuple[str, str]]:
    """Pairs (old key, new key) with the same type and name, only where that pairing is unambiguous."""

    def by_identity(keys: Iterable[str], resources: Mapping[str, Resource]) -> dict[tuple[str, str], list[str]]:
        groups: dict[tuple[str, str], list[str]] = {}
        for key in keys:
            groups.setdefault((resources[key]["type"], resources[key]["name"]), []).append(key)
        return groups

    old_groups, new_groups = by_identity(gone, olds), by_identity(added, news)
    return [
        (old_keys[0], new_groups[identity][0])
        for identity, old_keys in sorted(old_groups.items())
        if len(old_keys) == 1 and len(new_groups.get(identity, [])) == 1
    ]


def diff_stacks(olds: Mapping[str, Plan], news: Mapping[str, Plan]) -> list[StackDiff]:
    """Stacks matched by name; a single plan on each side is compared whatever the names."""
    if len(olds) == 1 and len(news) == 1 and olds.keys() != news.keys():
        (old_name, old), (new_name, new) = *olds.items(), *news.items()
        return [diff_stack(f"{old_name} → {new_name}", old, new)]
    return [diff_stack(name, olds.get(name), news.get(name)) for name in sorted(olds.keys() | news.keys())]
