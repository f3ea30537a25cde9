"""A readable tree of components and their children, custom resources grouped by type with counts."""

from __future__ import annotations

from collections import defaultdict

from traffic_edge.offline.engine import Recording, Registration


def render_tree(recording: Recording) -> str:
    children: dict[str | None, list[Registration]] = defaultdict(list)
    known = set(recording.resources)
    for registration in recording.resources.values():
        parent = registration.parent if registration.parent in known else None
        children[parent].append(registration)
    lines = [f"{recording.project}-{recording.stack} (pulumi:pulumi:Stack)"]
    _render_level(children, None, "", lines)
    components = sum(1 for r in recording.resources.values() if not r.custom)
    total = len(recording.resources)
    lines.append(f"{total} resources: {components} components, {total - components} custom resources")
    return "\n".join(lines)


def _render_level(
    children: dict[str | None, list[Registration]], parent: str | None, indent: str, lines: list[str]
) -> None:
    level = sorted(children.get(parent, []), key=lambda r: (r.custom, r.type, r.name))
    components = [r for r in level if not r.custom]
    by_type: dict[str, list[str]] = defaultdict(list)
    for registration in level:
        if registration.custom:
            by_type[registration.type].append(registration.name)
    entries: list[tuple[str, Registration | None]] = [(f"{c.name} ({c.type})", c) for c in components]
    entries += [(f"{type_} ×{len(names)}: {', '.join(names)}", None) for type_, names in sorted(by_type.items())]
    for index, (text, component) in enumerate(entries):
        last = index == len(entries) - 1
        lines.append(f"{indent}{'└─ ' if last else '├─ '}{text}")
        if component is not None:
            _render_level(children, component.urn, indent + ("   " if last else "│  "), lines)
