"""Write a recording as plan.json and one manifest per Kubernetes object, byte-stable across runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from traffic_edge.offline.engine import Recording, Registration

# Kubernetes types that are not objects the program declares itself.
NOT_MANIFESTS = ("kubernetes:helm.sh/", "kubernetes:yaml/", "pulumi:providers:")


def plan_document(recording: Recording) -> dict[str, Any]:
    return {
        "project": recording.project,
        "stack": recording.stack,
        "outputs": recording.outputs,
        "resources": [r.as_json() for r in sorted(recording.resources.values(), key=lambda r: r.urn)],
    }


def manifest_of(registration: Registration) -> dict[str, Any] | None:
    """The object a Kubernetes resource declares, or None for anything else; Secrets lose their data."""
    if not registration.custom or not registration.type.startswith("kubernetes:"):
        return None
    if registration.type.startswith(NOT_MANIFESTS):
        return None
    manifest = dict(registration.inputs)
    if manifest.get("kind") == "Secret":
        manifest.pop("data", None)
        manifest.pop("stringData", None)
    return manifest


def manifests(recording: Recording) -> dict[str, dict[str, Any]]:
    """File name → manifest; names are `<kind>_<namespace>_<name>.yaml`, unique because DNS names have no `_`.

    An object whose metadata is a secret is named after its resource instead (`<kind>_secret_<resource>.yaml`).
    """
    files: dict[str, dict[str, Any]] = {}
    for registration in sorted(recording.resources.values(), key=lambda r: r.urn):
        manifest = manifest_of(registration)
        if manifest is None:
            continue
        metadata = manifest.get("metadata") or {}
        if not isinstance(metadata, dict):
            metadata = {"namespace": "secret", "name": registration.name}
        parts = [str(manifest.get("kind", "object")).lower(), metadata.get("namespace"), metadata.get("name")]
        files["_".join(p for p in parts if p) + ".yaml"] = manifest
    return files


def write(recording: Recording, out: Path) -> tuple[Path, int]:
    """Write plan.json and manifests/ under `out`; returns the plan path and the manifest count."""
    out.mkdir(parents=True, exist_ok=True)
    plan_path = out / "plan.json"
    plan_path.write_text(json.dumps(plan_document(recording), indent=2, sort_keys=True) + "\n")
    manifest_dir = out / "manifests"
    manifest_dir.mkdir(exist_ok=True)
    for stale in manifest_dir.glob("*.yaml"):
        stale.unlink()
    files = manifests(recording)
    for file_name, manifest in files.items():
        (manifest_dir / file_name).write_text(yaml.safe_dump(manifest, sort_keys=True))
    return plan_path, len(files)
