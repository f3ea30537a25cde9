"""Where the Pulumi project is: the nearest directory holding Pulumi.yaml, as the Pulumi CLI finds it."""

from __future__ import annotations

from pathlib import Path


def find_project_dir(start: Path) -> Path:
    """The nearest directory holding Pulumi.yaml, from `start` up; `start` where there is none."""
    for directory in (start, *start.parents):
        if (directory / "Pulumi.yaml").is_file():
            return directory
    return start


PROJECT_DIR = find_project_dir(Path.cwd().resolve())
