"""The resources every example stack has already created keep their names: a rename is a deliberate, aliased change.

A resource's URN (type chain and name, tests/urns/<stack>.txt) is its identity in the stack's state: the engine deletes
and recreates whatever it no longer finds under that URN or through an alias of it (pulumi/pulumi
pkg/resource/deploy/step_generator.go `generateAliases`). Each pinned URN must still be rendered, or be reached by an
alias the way the engine resolves it (traffic_edge.offline.diff.compare.AliasResolver). New resources may appear;
when one of them ships, add its line to the file (`python -m tests.test_urn_pins` rewrites every file from the
current render).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import STACK_FILES, RenderStack
from traffic_edge.offline.diff.compare import AliasResolver, resource_key
from traffic_edge.offline.engine import Recording
from traffic_edge.offline.render import render

PINS = Path(__file__).parent / "urns"


def pin_file(stack_file: Path) -> Path:
    return PINS / f"{stack_file.name.removeprefix('Pulumi.').removesuffix('.yaml')}.txt"


def rendered_keys(recording: Recording) -> list[str]:
    return sorted(resource_key(urn) for urn in recording.resources)


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=[path.name for path in STACK_FILES])
def test_every_resource_an_example_stack_created_keeps_its_urn(render_stack: RenderStack, stack_file: Path) -> None:
    pinned = set(pin_file(stack_file).read_text().split())
    news = {resource_key(r.urn): r.as_json() for r in render_stack(stack_file).resources.values()}
    found_by_alias = AliasResolver({key: {} for key in pinned}, news).resolve()
    lost = sorted(pinned - news.keys() - set(found_by_alias.values()))
    assert lost == [], "renamed or removed without an alias (the engine would delete and recreate them)"


def test_an_alias_keeps_a_renamed_resource_and_nothing_else_does() -> None:
    """The check itself: a rename without alias is lost, with an alias to the old name it is kept."""
    old_key = "traffic-edge::traffic-edge:index:TrafficEdge::edge"
    new_urn = "urn:pulumi:dev::traffic-edge::traffic-edge:index:TrafficEdge::edge-2"
    renamed = {"urn": new_urn, "name": "edge-2",
               "type": "traffic-edge:index:TrafficEdge", "parent": "urn:pulumi:dev::traffic-edge::pulumi:pulumi:Stack::"
               "traffic-edge-dev", "aliases": []}
    new_key = resource_key(new_urn)
    assert AliasResolver({old_key: {}}, {new_key: renamed}).resolve() == {}
    aliased = {**renamed, "aliases": [{"name": "edge"}]}
    assert AliasResolver({old_key: {}}, {new_key: aliased}).resolve() == {new_key: old_key}


if __name__ == "__main__":
    for path in STACK_FILES:
        pin_file(path).write_text("\n".join(rendered_keys(render(path))) + "\n")
