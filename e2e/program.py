"""What the e2e tier hands the program: the project's own `__main__.py`, and an overlay of stack config.

The program reaches this machine through its own features, as a user's air-gapped deploy would: the overlay sets
`cluster.kubeconfig` (the control plane's), `artifacts.charts.path` (the stand-in charts) and
`artifacts.gatewayApi.file` (the bundle rebuilt from refdata, verified by the program against its pinned digest),
written into the stack's config through the Automation API (`pulumi config set --path`), never into the user's
stack file. The live preflight runs as it runs for users.

No transform bends the current program. What the machine forces instead (no pod can ever run here) is met outside
it: stand-in charts render no workloads, webhooks or hooks (e2e.charts), so Helm's wait has nothing to wait for;
the controllers' statuses are written by the doctor phase (e2e.statuses). The one transform left, `LocalSources`,
serves the last landed program of the upgrade phase, which predates the artifact sources and can only download.
"""

from __future__ import annotations

import re
import runpy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from e2e.charts import gateway_api_bundle

# Keys the overlay owns outright: whatever a user's file says under them names a cluster or mirror of theirs.
OWNED_KEYS = ("cluster", "artifacts")


@dataclass(frozen=True)
class Overlay:
    """Stack config the e2e writes over a user's: keys removed first, then `--path` keys set."""

    remove: tuple[str, ...]
    values: dict[str, str]


def overlay(project: str, kubeconfig: Path, charts: Path, bundle: Path) -> Overlay:
    """The control plane as the stack's cluster, the stand-in charts and the rebuilt bundle as its artifacts."""
    return Overlay(
        remove=tuple(f"{project}:{key}" for key in OWNED_KEYS),
        values={
            f"{project}:cluster.kubeconfig": str(kubeconfig),
            f"{project}:artifacts.charts.path": str(charts),
            f"{project}:artifacts.gatewayApi.file": str(bundle),
        },
    )


def program(project_dir: Path) -> None:
    """Runs the project's `__main__.py` as `pulumi up` would; the one place that knows the entry point."""
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")


def inline_program(project_dir: Path, transforms: tuple[Callable[..., Any], ...] = ()) -> Callable[[], None]:
    """The Automation API program: any transforms first, so that they see every resource, then the project."""

    def run() -> None:
        for transform in transforms:
            pulumi.runtime.register_resource_transform(transform)
        program(project_dir)

    return run


# -- The last landed program (upgrade phase): it knows only the upstream sources, so they are made local here. --

RELEASE = "kubernetes:helm.sh/v3:Release"
CHART = "kubernetes:helm.sh/v4:Chart"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
BUNDLE_URL = re.compile(r"/releases/download/(?P<version>v[^/]+)/(?P<channel>standard|experimental)-install\.yaml$")


class NoLocalSourceError(Exception):
    """The program asked for a chart or file this tier has no stand-in for."""


@dataclass
class LocalSources:
    """Stand-in charts by (chart name, version), and where Gateway API bundles are rebuilt."""

    charts: Mapping[tuple[str, str], Path]
    bundles: Path

    def transform(self, args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        # A remote component is registered twice: by the program, then (without inputs) inside the provider.
        if args.type_ not in (RELEASE, CHART, CONFIG_FILE) or not args.props:
            return None
        props: dict[str, Any] = dict(args.props)
        if args.type_ == CONFIG_FILE:
            props = self._config_file(args.name, props)
        else:
            props = self._chart(args.name, props)
        return pulumi.ResourceTransformResult(props=props, opts=args.opts)

    def _chart(self, name: str, props: dict[str, Any]) -> dict[str, Any]:
        chart, version = str(props["chart"]).rsplit("/", 1)[-1], str(props.get("version"))
        path = self.charts.get((chart, version))
        if path is None:
            raise NoLocalSourceError(f"{name}: no stand-in chart for {props['chart']} {version}")
        props.pop("repositoryOpts", None)
        return {**props, "chart": str(path)}

    def _config_file(self, name: str, props: dict[str, Any]) -> dict[str, Any]:
        """The bundle rebuilt from refdata, by absolute path (the provider's working directory is not ours)."""
        match = BUNDLE_URL.search(str(props.get("file")))
        if match is None:
            raise NoLocalSourceError(f"ConfigFile {name}: no local copy of {props.get('file')}")
        return {**props, "file": str(gateway_api_bundle(match["version"], match["channel"], self.bundles))}
