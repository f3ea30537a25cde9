"""Every example stack renders, and what it renders is what the API server and Helm would accept.

Stacks are found when the tests are collected, so a new `Pulumi.<stack>.yaml` is covered without edits here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT, SECRET_PLACEHOLDER, STACK_FILES, RenderStack
from traffic_edge.conformance.validator import ManifestValidator, require_refdata, validate_helm_values
from traffic_edge.controllers import chart_pins
from traffic_edge.data.versions import GATEWAY_API_CHANNEL, GATEWAY_API_VERSION
from traffic_edge.offline.engine import Registration
from traffic_edge.offline.plan import manifests, plan_document
from traffic_edge.offline.tree import render_tree

RELEASE = "kubernetes:helm.sh/v3:Release"
NO_REFERENCE_DATA = "in the reference data"  # the validator's words for a kind it has no CRD for

stacks = pytest.mark.parametrize("stack_file", STACK_FILES, ids=[path.name.split(".")[1] for path in STACK_FILES])


def gateway_api_pin(stack_file: Path) -> tuple[str, str]:
    """The Gateway API release and channel the stack installs (or the platform provides)."""
    config = yaml.safe_load(stack_file.read_text()).get("config") or {}
    versions = config.get(f"{PROJECT}:versions") or {}
    return versions.get("gatewayApi", GATEWAY_API_VERSION), versions.get("gatewayApiChannel", GATEWAY_API_CHANNEL)


def chart_name(release: Registration) -> str:
    """The pinned chart (a key of traffic_edge.controllers.chart_pins(), as refdata names charts) a Release installs."""
    names = [name for name, pin in chart_pins().items() if pin.chart == release.inputs["chart"]]
    assert len(names) == 1, f"{release.name}: chart {release.inputs['chart']} is not one pinned chart"
    return names[0]


def test_there_are_examples() -> None:
    assert [path.name for path in STACK_FILES if path.name == "Pulumi.dev.yaml"] == ["Pulumi.dev.yaml"]


@stacks
def test_stack_renders(stack_file: Path, render_stack: RenderStack) -> None:
    recording = render_stack(stack_file)
    stack = stack_file.name.split(".")[1]
    config = yaml.safe_load(stack_file.read_text())["config"]
    assert recording.stack == stack
    assert recording.outputs["platform"] == config[f"{PROJECT}:platform"]["kind"]
    assert manifests(recording), "an edge with nothing to apply"
    assert render_tree(recording).splitlines()[0] == f"{PROJECT}-{stack} (pulumi:pulumi:Stack)"


@dataclass(frozen=True)
class ApiServerAnswer:
    errors: list[str]  # what the API server would refuse
    unchecked: list[str]  # `apiVersion kind` of objects whose CRD is not in refdata


@pytest.fixture(scope="module")
def api_server(render_stack: RenderStack) -> Callable[[Path], ApiServerAnswer]:
    """Validate each stack's manifests once for the tests below."""
    answers: dict[Path, ApiServerAnswer] = {}

    def answer(stack_file: Path) -> ApiServerAnswer:
        if stack_file not in answers:
            validator = ManifestValidator(*gateway_api_pin(stack_file))
            errors: list[str] = []
            unchecked: set[str] = set()
            for manifest in manifests(render_stack(stack_file)).values():
                for error in validator.validate(manifest):
                    if error.endswith(NO_REFERENCE_DATA):
                        unchecked.add(f"{manifest['apiVersion']} {manifest['kind']}")
                    else:
                        errors.append(error)
            answers[stack_file] = ApiServerAnswer(errors, sorted(unchecked))
        return answers[stack_file]

    return answer


@stacks
def test_manifests_are_accepted_by_the_api_server(
    stack_file: Path, api_server: Callable[[Path], ApiServerAnswer]
) -> None:
    require_refdata()
    assert api_server(stack_file).errors == []


@stacks
def test_every_manifest_kind_has_reference_data(
    stack_file: Path, api_server: Callable[[Path], ApiServerAnswer]
) -> None:
    """Kinds without a CRD in refdata cannot be validated above; say so instead of passing silently."""
    require_refdata()
    unchecked = api_server(stack_file).unchecked
    if unchecked:
        pytest.skip(f"no CRD in the reference data for: {', '.join(unchecked)}")


@stacks
def test_helm_values_match_the_chart_schemas(stack_file: Path, render_stack: RenderStack) -> None:
    require_refdata()
    errors: list[str] = []
    unchecked: list[str] = []
    for release in render_stack(stack_file).of_type(RELEASE):
        chart, version = chart_name(release), release.inputs["version"]
        try:
            found = validate_helm_values(chart, version, release.inputs.get("values") or {})
        except ValueError:  # the chart or this version of it is not in refdata
            found = None
        if found is None:  # ... or the chart ships no values.schema.json: nothing checked, so say so
            unchecked.append(f"{chart} {version}")
            continue
        errors += [f"{release.name}: {error}" for error in found]
    assert errors == []
    if unchecked:
        pytest.skip(f"no values schema in the reference data for: {', '.join(unchecked)}")


@stacks
def test_secrets_stay_masked(stack_file: Path, render_stack: RenderStack) -> None:
    recording = render_stack(stack_file)
    rendered: list[Any] = [plan_document(recording), manifests(recording), render_tree(recording)]
    assert SECRET_PLACEHOLDER not in json.dumps(rendered)
    for manifest in manifests(recording).values():
        if manifest["kind"] == "Secret":
            assert not {"data", "stringData"} & set(manifest), manifest["metadata"]
