"""Render one stack file of this project offline: config merge, program run, recorded plan."""

from __future__ import annotations

import json
import os
import runpy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from traffic_edge.offline.engine import Recording, config_for_runtime, record


def find_project_dir(start: Path) -> Path:
    """The nearest directory holding Pulumi.yaml, from `start` up, as the Pulumi CLI finds its project."""
    for directory in (start, *start.parents):
        if (directory / "Pulumi.yaml").is_file():
            return directory
    return start


PROJECT_DIR = find_project_dir(Path.cwd().resolve())


# libyaml's loader where PyYAML was built with it: six times faster on stacks with thousands of routes.
class SafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Timestamps stay the text they are written as, as the Pulumi CLI's YAML decoder (go-yaml) hands them
    to config: `2024-01-01` is a string to the program, not a date that JSON cannot encode."""


SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


class StackFileError(Exception):
    """The stack file or Pulumi.yaml cannot be read; a user mistake, reported without a traceback."""


def stack_name_of(path: Path) -> str:
    """`Pulumi.<stack>.yaml` → `<stack>`, as the Pulumi CLI names stacks."""
    parts = path.name.split(".")
    if len(parts) < 3 or parts[0] != "Pulumi" or parts[-1] not in ("yaml", "yml"):
        raise StackFileError(f"{path}: a stack file is named Pulumi.<stack>.yaml")
    return ".".join(parts[1:-1])


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(), Loader=SafeLoader) or {}
    except OSError as error:
        raise StackFileError(f"{path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise StackFileError(f"{path}: expected a mapping at the top level")
    return data


def project_config(project_dir: Path) -> tuple[str, dict[str, Any]]:
    """Project name and the config defaults Pulumi.yaml declares (`config: {key: {default: v}}`)."""
    project = _read_yaml(project_dir / "Pulumi.yaml")
    name = str(project.get("name", ""))
    defaults: dict[str, Any] = {}
    for key, declared in (project.get("config") or {}).items():
        if isinstance(declared, dict) and ("default" in declared or "value" in declared):
            defaults[key] = declared.get("value", declared.get("default"))
        elif not isinstance(declared, dict):
            defaults[key] = declared
    return name, defaults


def stack_config(stack_file: Path) -> dict[str, Any]:
    config = _read_yaml(stack_file).get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{stack_file}: `config` must be a mapping")
    for key, value in config.items():
        if not isinstance(key, str):
            raise StackFileError(f"{stack_file}: config key {key!r} must be a name like `traffic-edge:domain`")
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise StackFileError(f"{stack_file}: `{key}` holds a value config cannot store; quote it") from None
    return config


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


def prepare(stack_file: Path, project_dir: Path = PROJECT_DIR) -> Callable[[], Recording]:
    """Read the stack file now, run the program when called: `python -m bench` times only the run."""
    project, defaults = project_config(project_dir)
    stack = stack_name_of(stack_file)
    values = {**_qualified(project, defaults), **_qualified(project, stack_config(stack_file))}
    config, secret_keys = config_for_runtime(project, values)

    def program() -> None:
        runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")

    def run() -> Recording:
        with preflight_off():
            return record(program, project=project, stack=stack, config=config, secret_keys=secret_keys,
                          project_dir=project_dir)

    return run


def _qualified(project: str, values: dict[str, Any]) -> dict[str, Any]:
    return {key if ":" in key else f"{project}:{key}": value for key, value in values.items()}
