"""What the stack declares, from its config (the plan) and an offline render (the values of its Helm releases)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traffic_edge.config import StackConfig, parse
from traffic_edge.config.queries import crds_owner
from traffic_edge.offline.engine import Recording
from traffic_edge.offline.render import render
from traffic_edge.offline.stackfile import read_project, read_stack_config
from traffic_edge.plan import Deployment, EdgePlan, edge_plan
from traffic_edge.plan.objects import KubeObject
from traffic_edge.project import PROJECT_DIR

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


@dataclass(frozen=True)
class Release:
    """A Helm release of the stack and the identity its chart values give the workload's service account."""

    name: str
    namespace: str
    values: Mapping[str, Any]


@dataclass
class Expected:
    config: StackConfig
    plan: EdgePlan
    stack: str
    releases: list[Release] = field(default_factory=list)

    def objects(self) -> list[KubeObject]:
        """Every Kubernetes object the plan declares outright (charts create the rest)."""
        plan = self.plan
        found: list[KubeObject] = []
        for gateway in plan.gateways:
            found += [gateway.gateway, *gateway.certificates.values(), *gateway.grants.values(),
                      *gateway.redirects.values()]
        found += [*plan.routes.routes.values(), *plan.routes.grants.values(), *plan.admission,
                  *plan.network_policies]
        return found


def _decoded(value: str) -> Any:
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def read_expected(stack_file: Path, project_dir: Path = PROJECT_DIR) -> Expected:
    """The stack's config and plan, read as the CLI reads the stack file, and its Helm releases from a render."""
    project = read_project(project_dir)
    stack = stack_file.name.split(".", 1)[1].rsplit(".", 1)[0]
    read = read_stack_config(stack_file, project)
    prefix = f"{project.name}:"
    raw = {key[len(prefix):]: _decoded(value) for key, value in read.values.items() if key.startswith(prefix)}
    config = parse(raw, {key[len(prefix):] for key in read.secret_keys if key.startswith(prefix)})
    expected = Expected(config, edge_plan(config, Deployment(project.name, stack)), stack)
    expected.releases = _releases(render(stack_file, project_dir))
    return expected


def _releases(recording: Recording) -> list[Release]:
    releases = []
    for registration in recording.of_type(HELM_RELEASE):
        inputs = registration.inputs
        values = inputs.get("values")
        releases.append(Release(str(inputs.get("name")), str(inputs.get("namespace")),
                                values if isinstance(values, dict) else {}))
    return releases


def gateway_api_pin(expected: Expected) -> tuple[str, str, str]:
    """(release, channel, owner) the cluster's Gateway API CRDs must match."""
    versions = expected.config.versions
    return versions.gateway_api, versions.gateway_api_channel, crds_owner(expected.config)
