"""The CI workflows' guarantees: pinned actions, OIDC only, least privilege, dev before production."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
REUSABLE = "./.github/workflows/pulumi.yml"

FULL_SHA = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
EXACT_TAG = re.compile(r"^[\w.-]+/[\w./-]+@v?\d+\.\d+\.\d+$")
# Long-lived credentials that OIDC replaces; none may be read from secrets or passed as inputs.
LONG_LIVED = re.compile(
    r"AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-secret-access-key|GOOGLE_CREDENTIALS|GCP_SA_KEY|credentials_json"
    r"|ARM_CLIENT_SECRET|AZURE_CLIENT_SECRET|AZURE_CREDENTIALS|client-secret|creds:|PULUMI_CONFIG_PASSPHRASE",
    re.IGNORECASE,
)


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(document, dict)
    return document


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def triggers(document: dict[Any, Any]) -> Any:
    """`on:` — which YAML 1.1 (and so PyYAML) reads as the boolean True."""
    return document.get("on", document.get(True))


def uses_lines() -> Iterator[tuple[Path, str, str]]:
    """(file, the action reference, the rest of its line) for every `uses:`."""
    for path in workflow_files():
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
            if match:
                yield path, match.group(1), match.group(2)


def test_the_workflows_exist_and_parse() -> None:
    assert {"deploy.yml", "pull-request.yml", "pulumi.yml"} <= {p.name for p in workflow_files()}
    for path in workflow_files():
        assert triggers(load(path.name)), path


@pytest.mark.parametrize(("path", "action", "rest"), list(uses_lines()), ids=lambda v: str(v)[-60:])
def test_every_action_is_pinned_to_a_commit_or_exact_version(path: Path, action: str, rest: str) -> None:
    if action.startswith("./"):
        assert (ROOT / action).is_file(), action
        return
    assert FULL_SHA.match(action) or EXACT_TAG.match(action), f"{path.name}: {action} is not pinned"
    if FULL_SHA.match(action):
        assert re.match(r"^\s*#\s*v\d+\.\d+\.\d+\s*$", rest), f"{path.name}: {action} needs a `# vX.Y.Z` comment"


def test_one_action_one_pin() -> None:
    pins: dict[str, set[str]] = {}
    for _, action, _ in uses_lines():
        name, _, ref = action.partition("@")
        pins.setdefault(name, set()).add(ref)
    assert {name: refs for name, refs in pins.items() if len(refs) > 1} == {}


def test_no_long_lived_credentials() -> None:
    for path in workflow_files():
        text = path.read_text()
        assert not LONG_LIVED.search(text), f"{path.name}: {LONG_LIVED.search(text)}"
        assert re.findall(r"secrets\.\w+", text) == [], f"{path.name} reads repository secrets"


def test_cloud_logins_use_oidc_inputs() -> None:
    steps = {step.get("uses", "").split("@")[0]: step for step in load("pulumi.yml")["jobs"]["pulumi"]["steps"]}

    assert set(steps["aws-actions/configure-aws-credentials"]["with"]) >= {"role-to-assume", "aws-region"}
    assert set(steps["google-github-actions/auth"]["with"]) == {"workload_identity_provider", "service_account"}
    assert set(steps["azure/login"]["with"]) == {"client-id", "tenant-id", "subscription-id"}
    assert steps["pulumi/auth-actions"]["with"]["requested-token-type"].startswith("urn:pulumi:token-type:")


def test_permissions_are_granted_per_job_and_none_by_default() -> None:
    for name in ("pull-request.yml", "deploy.yml"):
        document = load(name)
        assert document["permissions"] == {}, name
        for job_id, job in document["jobs"].items():
            assert "permissions" in job, f"{name}: {job_id}"
            granted = job["permissions"]
            assert set(granted.values()) <= {"read", "write"}
            assert granted.get("contents") == "read", f"{name}: {job_id}"
            if job.get("uses") == REUSABLE:
                assert granted.get("id-token") == "write", f"{name}: {job_id} calls the OIDC logins"
            else:
                assert "id-token" not in granted, f"{name}: {job_id} has no cloud login"
    # The reusable workflow declares none, so it can never exceed what its caller grants.
    reusable = load("pulumi.yml")
    assert "permissions" not in reusable
    assert "permissions" not in reusable["jobs"]["pulumi"]


def test_production_waits_for_dev_and_an_approved_environment() -> None:
    deploy = load("deploy.yml")
    assert triggers(deploy) == {"push": {"branches": ["main"]}}
    jobs = deploy["jobs"]

    assert jobs["dev"]["needs"] == "check"
    assert jobs["production"]["needs"] == "dev"
    assert (jobs["dev"]["with"]["command"], jobs["production"]["with"]["command"]) == ("up", "up")
    assert jobs["dev"]["with"]["environment"] == "dev"
    assert jobs["production"]["with"]["environment"] == "production"
    assert load("pulumi.yml")["jobs"]["pulumi"]["environment"] == "${{ inputs.environment }}"
    assert deploy["concurrency"]["cancel-in-progress"] is False


def test_every_stack_a_workflow_targets_has_its_stack_file() -> None:
    """`pulumi preview`/`up` on a stack without Pulumi.<stack>.yaml fails on missing config."""
    deploy = load("deploy.yml")["jobs"]
    preview = load("pull-request.yml")["jobs"]["preview"]["strategy"]["matrix"]["include"]
    targets = {deploy[job]["with"]["stack"] for job in ("dev", "production")} | {row["stack"] for row in preview}
    assert targets == {"dev", "gke"}
    for stack in targets:
        assert (ROOT / f"Pulumi.{stack}.yaml").is_file(), stack
    production = yaml.safe_load((ROOT / f"Pulumi.{deploy['production']['with']['stack']}.yaml").read_text())
    assert production["config"]["traffic-edge:production"] is True


def test_pull_requests_preview_with_credentials_and_diff_offline_without() -> None:
    document = load("pull-request.yml")
    jobs = document["jobs"]
    assert "pull_request" in triggers(document)

    assert "vars.PULUMI_PREVIEW_ENABLED == 'true'" in jobs["preview"]["if"]
    assert jobs["preview"]["uses"] == REUSABLE
    assert jobs["preview"]["with"]["command"] == "preview"
    assert jobs["preview"]["strategy"]["matrix"]["include"] == [
        {"stack": "dev", "environment": "dev-preview"},
        {"stack": "gke", "environment": "production-preview"},
    ]
    assert jobs["preview"]["with"]["environment"] == "${{ matrix.environment }}"

    assert "vars.PULUMI_PREVIEW_ENABLED != 'true'" in jobs["offline-diff"]["if"]
    script = "\n".join(step.get("run", "") for step in jobs["offline-diff"]["steps"])
    assert 'python -m traffic_edge diff "$BASE_SHA" --worktree --format markdown' in script
    assert any(
        step.get("uses", "").startswith("marocchino/sticky-pull-request-comment@")
        for step in jobs["offline-diff"]["steps"]
    )

    assert any("python3 tasks.py check" in step.get("run", "") for step in jobs["check"]["steps"])


def test_the_pulumi_cli_matches_the_sdk_pin() -> None:
    sdk = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert sdk is not None
    pulumi_step = next(
        step
        for step in load("pulumi.yml")["jobs"]["pulumi"]["steps"]
        if step.get("uses", "").startswith("pulumi/actions@")
    )
    assert str(pulumi_step["with"]["pulumi-version"]) == sdk.group(1)
