"""What the stack declares, from its config (the plan) and an offline render (the values of its Helm releases)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traffic_edge.config import StackConfig
from traffic_edge.config.load import parse_engine_config
from traffic_edge.config.queries import crds_owner
from traffic_edge.offline.engine import Recording
from traffic_edge.offline.render import render
from traffic_edge.offline.stackfile import read_project, read_stack_config
from traffic_edge.plan import Deployment, EdgePlan, edge_plan
from traffic_edge.plan.issuers import ca_certificate
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
        found += [ca_certificate(issuers, issuers.internal_ca) for issuers in plan.issuers if issuers.internal_ca]
        if plan.certificate_alerts is not None:
            found.append(plan.certificate_alerts)
        return found


def read_expected(stack_file: Path, project_dir: Path = PROJECT_DIR) -> Expected:
    """The stack's config and plan, read as the CLI reads the stack file, and its Helm releases from a render."""
    project = read_project(project_dir)
    stack = stack_file.name.split(".", 1)[1].rsplit(".", 1)[0]
    read = read_stack_config(stack_file, project)
    config = parse_engine_config(project.name, read.values, read.secret_keys)
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
