"""The layout holds: small modules and functions, a wiring-only program, literal type tokens, one place per concept.

The layer contract itself is `lint-imports` in the test command (pyproject.toml, [tool.importlinter]).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from traffic_edge.controllers import CONTROLLERS
from traffic_edge.offline.render import PROJECT_DIR

PACKAGE = PROJECT_DIR / "traffic_edge"
MODULES = sorted(PACKAGE.rglob("*.py"))
STATE_READERS = {"pulumi.Config", "pulumi.get_project", "pulumi.get_stack", "pulumi.get_organization"}
MODULE_LIMIT = 400
FUNCTION_LIMIT = 60


def _functions(path: Path) -> list[tuple[str, int]]:
    return [
        (node.name, (node.end_lineno or node.lineno) - node.lineno + 1)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PROJECT_DIR)))
def test_every_module_and_function_stays_small(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MODULE_LIMIT
    assert [(name, size) for name, size in _functions(path) if size > FUNCTION_LIMIT] == []


def test_the_program_only_loads_builds_and_exports() -> None:
    lines = (PROJECT_DIR / "__main__.py").read_text().splitlines()
    assert len(lines) < 10
    assert "TrafficEdge(" in "\n".join(lines)


def test_the_library_reads_no_program_state() -> None:
    """Two edges in one stack: only traffic_edge.program and the config loader read the running stack."""
    readers = {
        str(path.relative_to(PACKAGE))
        for path in MODULES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and ast.unparse(node.func) in STATE_READERS
    }
    assert readers <= {"program.py", "config/load.py"}


def _component_tokens() -> dict[str, ast.expr]:
    """`module.Class` → the first argument its ComponentResource constructor call passes."""
    tokens = {}
    for path in MODULES:
        classes = (node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.ClassDef))
        for cls in classes:
            bases = [ast.unparse(base) for base in cls.bases]
            if "edge.TrafficEdge" in bases or not any(w in b for b in bases for w in ("Component", "Platform", "Edge")):
                continue  # not a component, or the package's TrafficEdge, which takes its base's token
            for call in (node for node in ast.walk(cls) if isinstance(node, ast.Call) and node.args):
                if ast.unparse(call.func) in ("super().__init__", "pulumi.ComponentResource"):
                    tokens[f"{path.stem}.{cls.name}"] = call.args[0]
    return tokens


def test_component_type_tokens_are_literals() -> None:
    """A token derived from a file or class name would re-parent every child (zones included) on a rename."""
    components = _component_tokens()
    assert len(components) >= 12
    for key, token in components.items():
        if ast.unparse(token) == "self.type_token":  # the platforms: each class writes its own, below
            continue
        assert isinstance(token, ast.Constant), key
        assert str(token.value).startswith("traffic-edge:"), key
    platforms = (("gke", "traffic-edge:gcp:Gke"), ("eks", "traffic-edge:aws:Eks"), ("aks", "traffic-edge:azure:Aks"))
    for module, literal in platforms:
        assert f'type_token = "{literal}"' in (PACKAGE / "platforms" / f"{module}.py").read_text()


def test_a_controller_is_one_module() -> None:
    """Each row comes from its own module; nothing outside traffic_edge/controllers branches on a controller."""
    modules = {path.stem for path in (PACKAGE / "controllers").glob("*.py")} - {"__init__", "base"}
    assert len(modules) == len(CONTROLLERS)
    names = set(CONTROLLERS) - {"gke"}  # `gke` is also a platform kind
    for path in (path for path in MODULES if "controllers" not in path.parts):
        for node in ast.walk(ast.parse(path.read_text())):
            compared = isinstance(node, ast.Compare) and any(
                isinstance(side, ast.Constant) and side.value in names for side in (node.left, *node.comparators)
            )
            looked_up = isinstance(node, ast.Subscript) and ast.unparse(node.value) == "CONTROLLERS" and (
                isinstance(node.slice, ast.Constant)
            )
            assert not compared, f"{path}: {ast.unparse(node)}"
            assert not looked_up, f"{path}: {ast.unparse(node)}"
