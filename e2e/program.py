"""The inline Pulumi program of the e2e tier: the project's own program, with its downloads made local.

Only `program()` knows how the project is laid out (it changes when the program moves into its package);
`LocalSources.transform` bends the program to this machine (stand-in charts, the rebuilt Gateway API bundle,
no waiting for pods that cannot run) until the program has config keys for chart mirrors, local charts and
the bundle's source, then it goes. Workarounds for program defects sit apart below, each opt-in by name.
"""

from __future__ import annotations

import re
import runpy
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from e2e.charts import gateway_api_bundle

RELEASE = "kubernetes:helm.sh/v3:Release"
CHART = "kubernetes:helm.sh/v4:Chart"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
_PRINTED: set[str] = set()
BUNDLE_URL = re.compile(r"/releases/download/(?P<version>v[^/]+)/(?P<channel>standard|experimental)-install\.yaml$")


def program(project_dir: Path) -> None:
    """Runs the project's `__main__.py` as `pulumi up` would; the one place that knows the entry point."""
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")


class NoLocalSourceError(Exception):
    """The program asked for a chart or file this tier has no stand-in for."""


@dataclass
class LocalSources:
    """Stand-in charts by (chart name, version), and where Gateway API bundles are rebuilt."""

    charts: dict[tuple[str, str], Path]
    bundles: Path

    def transform(self, args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        # A remote component is registered twice: by the program, then (without inputs) inside the provider.
        if args.type_ not in (RELEASE, CHART, CONFIG_FILE) or not args.props:
            return None
        props: dict[str, Any] = dict(args.props)
        if args.type_ not in _PRINTED:  # confirms the keys' spelling (the engine's names) once per run
            _PRINTED.add(args.type_)
            print(f"[e2e] {args.type_} property keys: {sorted(props)}", flush=True)
        if args.type_ == RELEASE:
            props = self._release(args.name, props)
        elif args.type_ == CHART:
            props = self._chart(args.name, props)
        else:
            props = self._config_file(args.name, props)
        return pulumi.ResourceTransformResult(props=props, opts=args.opts)

    def _release(self, name: str, props: dict[str, Any]) -> dict[str, Any]:
        """The stand-in chart by local path (no repository), no waiting for pods, no hooks or webhooks."""
        chart, version = str(props["chart"]).rsplit("/", 1)[-1], str(props.get("version"))
        path = self.charts.get((chart, version))
        if path is None:
            raise NoLocalSourceError(f"Release {name}: no stand-in chart for {props['chart']} {version}")
        props.pop("repositoryOpts", None)
        return {**props, "chart": str(path), "skipAwait": True, "disableWebhooks": True}

    def _chart(self, name: str, props: dict[str, Any]) -> dict[str, Any]:
        """A chart rendered client-side (CRDs): the stand-in by local path; its objects are applied and awaited."""
        chart, version = str(props["chart"]).rsplit("/", 1)[-1], str(props.get("version"))
        path = self.charts.get((chart, version))
        if path is None:
            raise NoLocalSourceError(f"Chart {name}: no stand-in chart for {props['chart']} {version}")
        props.pop("repositoryOpts", None)
        return {**props, "chart": str(path)}

    def _config_file(self, name: str, props: dict[str, Any]) -> dict[str, Any]:
        """The Gateway API release bundle, rebuilt from refdata, by absolute path (the provider's cwd differs)."""
        match = BUNDLE_URL.search(str(props.get("file")))
        if match is None:
            raise NoLocalSourceError(f"ConfigFile {name}: no local copy of {props.get('file')}")
        return {**props, "file": str(gateway_api_bundle(match["version"], match["channel"], self.bundles))}


# -- Workarounds: program defects the real API server exposed, bent here only to reach the later phases. ---------
# Each is one transform, named on the command line (--workaround) and in the report; delete it with its fix.

VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
NAMESPACE_LABEL_TEST = re.compile(
    r'^has\(namespaceObject\.metadata\.labels\) && "(?P<label>[^"]+)" in namespaceObject\.metadata\.labels$'
)


def namespace_label_as_selector(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """kube-apiserver evaluates matchConditions with `namespaceObject` null, so a condition on the namespace's
    labels errors, and a fail-closed policy then denies every matching request in every namespace. The same
    test as the policy's namespaceSelector (label Exists) is what the API server supports."""
    if args.type_ != VAP or not args.props:
        return None
    raw = args.props.get("spec")
    spec: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    conditions: list[dict[str, Any]] = list(spec.get("matchConditions") or [])
    labels = [m["label"] for c in conditions if (m := NAMESPACE_LABEL_TEST.match(str(c.get("expression"))))]
    if not labels:
        return None
    kept = [c for c in conditions if not NAMESPACE_LABEL_TEST.match(str(c.get("expression")))]
    selector = {"matchExpressions": [{"key": label, "operator": "Exists"} for label in labels]}
    spec = {**spec, "matchConstraints": {**spec.get("matchConstraints", {}), "namespaceSelector": selector}}
    if kept:
        spec["matchConditions"] = kept
    else:
        del spec["matchConditions"]
    return pulumi.ResourceTransformResult(props={**args.props, "spec": spec}, opts=args.opts)


WORKAROUNDS: dict[str, Callable[[pulumi.ResourceTransformArgs], pulumi.ResourceTransformResult | None]] = {
    "vap-namespace-selector": namespace_label_as_selector,
}


@dataclass
class Workarounds:
    """The chosen workarounds as one transform, counting the resources each one rewrote."""

    names: Sequence[str]
    applied: Counter[str] = field(default_factory=Counter)

    def transform(self, args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        result = None
        for name in self.names:
            rewritten = WORKAROUNDS[name](args)
            if rewritten is not None:
                self.applied[name] += 1
                args = pulumi.ResourceTransformArgs(args.custom, args.type_, args.name, rewritten.props, rewritten.opts)
                result = rewritten
        return result


def inline_program(project_dir: Path, sources: LocalSources, workarounds: Workarounds) -> Callable[[], None]:
    """The Automation API program: the transforms first, so they see every resource, then the project."""

    def run() -> None:
        pulumi.runtime.register_resource_transform(sources.transform)
        pulumi.runtime.register_resource_transform(workarounds.transform)
        program(project_dir)

    return run
