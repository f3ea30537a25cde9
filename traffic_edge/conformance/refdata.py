"""Where the upstream reference data lives (../shared/refdata next to the project), and skipping without it.

Located from the working directory, as the Pulumi CLI finds its project, not from this file: the package may be
installed anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from traffic_edge.project import find_project_dir

ENV_VAR = "TRAFFIC_EDGE_REFDATA"


def locate_refdata(environ: Mapping[str, str], cwd: Path) -> Path:
    """$TRAFFIC_EDGE_REFDATA, else `../shared/refdata` beside the nearest directory holding Pulumi.yaml."""
    override = environ.get(ENV_VAR)
    if override:
        return Path(override).resolve()
    return (find_project_dir(cwd.resolve()).parent / "shared" / "refdata").resolve()


REFDATA: Path = locate_refdata(os.environ, Path.cwd())


def refdata_available() -> bool:
    """True when the upstream reference data can be read."""
    return (REFDATA / "gateway-api").is_dir()


def require_refdata() -> None:
    """Skip the calling test, naming the missing path, when refdata is absent."""
    if not refdata_available():
        pytest.skip(
            f"reference data not found at {REFDATA} "
            f"(expected <project root>/../shared/refdata, or set {ENV_VAR})"
        )
