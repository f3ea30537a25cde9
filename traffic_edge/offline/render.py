"""Render one stack file of this project offline: config merge, program run, recorded plan."""

from __future__ import annotations

import os
import runpy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from traffic_edge.offline.engine import Recording, record
from traffic_edge.offline.stackfile import StackFileError, read_project, read_stack_config
from traffic_edge.project import PROJECT_DIR

__all__ = ["PROJECT_DIR", "StackFileError", "preflight_off", "prepare", "render", "stack_name_of"]


@contextmanager
def preflight_off() -> Iterator[None]:
    """No cluster offline: the program says its preflight was not run (it reads TRAFFIC_EDGE_PREFLIGHT)."""
    before = os.environ.get("TRAFFIC_EDGE_PREFLIGHT")
    os.environ["TRAFFIC_EDGE_PREFLIGHT"] = "off"
    try:
        yield
    finally:
        if before is None:
            del os.environ["TRAFFIC_EDGE_PREFLIGHT"]
        else:
            os.environ["TRAFFIC_EDGE_PREFLIGHT"] = before


def render(stack_file: Path, project_dir: Path = PROJECT_DIR) -> Recording:
    """Run the project's `__main__.py` for one stack file and return what it registered."""
    return prepare(stack_file, project_dir)()


def stack_name_of(path: Path) -> str:
    """`Pulumi.<stack>.yaml` → `<stack>`, as the Pulumi CLI names stacks."""
    parts = path.name.split(".")
    if len(parts) < 3 or parts[0] != "Pulumi" or parts[-1] not in ("yaml", "yml"):
        raise StackFileError(f"{path}: a stack file is named Pulumi.<stack>.yaml")
    return ".".join(parts[1:-1])


def prepare(stack_file: Path, project_dir: Path = PROJECT_DIR) -> Callable[[], Recording]:
    """Read the stack file now, run the program when called: `python -m bench` times only the run."""
    project = read_project(project_dir)
    stack = stack_name_of(stack_file)
    config = read_stack_config(stack_file, project)

    def program() -> None:
        runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")

    def run() -> Recording:
        with preflight_off():
            recording = record(program, project=project.name, stack=stack, config=config.values,
                               secret_keys=config.secret_keys, project_dir=project_dir)
        recording.warnings += [f"{key}: its secret is not decrypted offline (set PULUMI_CONFIG_PASSPHRASE); the "
                               "preview uses a placeholder" for key in config.undecrypted]
        return recording

    return run

