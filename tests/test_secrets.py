"""No secret in clear: whatever key holds one, its values reach no input, output, warning or message in clear.

The CLI marks only the top-level key of a secret (`pulumi config set --secret --path controller.values.token x`
marks all of `controller`), so each test stores one whole top-level key as a secret and looks for its values in
everything a render records, as plan.json writes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

from tests.conftest import PROJECT
from traffic_edge.config.schema import model_schema
from traffic_edge.offline.engine import SECRET, UNKNOWN, Recording, plain, record
from traffic_edge.offline.plan import plan_document, write
from traffic_edge.offline.render import PROJECT_DIR, preflight_off
from traffic_edge.offline.stackfile import Decrypter, encode, read_project, stack_values

STACKS = ("dev", "functions", "multitenant", "gke", "aks")
SECRET_MARK = "s3cr3t-value"  # a value found nowhere else, set inside the key under test
PASSPHRASE = {"PULUMI_CONFIG_PASSPHRASE": "traffic-edge-example"}


# Maps whose keys the user names (the others' keys are the config's own words).
NAMED_MAPS = {"namespaces", "tenants", "labels", "values", "chart", "charts"}


def _strings(value: Any, named: bool = False) -> Iterator[str]:
    """The strings a user wrote: values, and keys of the maps whose keys they name."""
    if isinstance(value, dict):
        for key, item in value.items():
            if named:
                yield str(key)
            yield from _strings(item, named=key in NAMED_MAPS)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def _enums(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for name, item in schema.items():
            if name in ("enum", "const"):
                yield from (str(value) for value in (item if isinstance(item, list) else [item]))
            else:
                yield from _enums(item)
    elif isinstance(schema, list):
        for item in schema:
            yield from _enums(item)


# Words the config's schema itself offers (protocols, kinds, solver names): choosing one is no secret.
VOCABULARY = {*_enums(model_schema()), "true", "false"}


def example(stack: str) -> dict[str, Any]:
    values, _ = stack_values(PROJECT_DIR / f"Pulumi.{stack}.yaml", PROJECT)
    return values


def _with_mark(value: Any) -> Any:
    """The key's value with a telltale inside it, where the key's shape has room for one."""
    if isinstance(value, dict):
        for name in ("values", "labels"):
            if isinstance(value.get(name), dict):
                return {**value, name: {**value[name], "telltale": SECRET_MARK}}
    return value


def render_with_secret(stack: str, key: str) -> tuple[list[str], set[str]]:
    """Everything a render records (plan.json, warnings) with `key` stored as a secret; and the key's values that
    appear in no other key, which must therefore not appear in clear."""
    recording, hidden = record_with_secret(stack, key)
    return recorded_values(recording), hidden


def recorded_values(recording: Recording) -> list[str]:
    """Every string of every input and output and every warning; not the resource names, which Pulumi never keeps
    secret (the README says which config names become part of them), nor the Gateway API bundle's upstream text."""
    bundles = {urn for urn, registration in recording.resources.items()
               if registration.type == "traffic-edge:gateway_api:GatewayApiBundle"}
    inputs = [registration.inputs for registration in recording.resources.values()
              if registration.parent not in bundles]
    return [*_strings([inputs, recording.outputs]), *recording.warnings]


def in_clear(text: str, written: list[str]) -> bool:
    """A recorded string is the value, or holds it where the value is a name with dots or slashes (a hostname
    inside `--zone=<name>`); short words inside unrelated text (a CRD bundle) are no leak."""
    return any(text == item or (("." in text or "/" in text) and text in item) for item in written)


def record_with_secret(stack: str, key: str) -> tuple[Recording, set[str]]:
    values = example(stack)
    values[key] = _with_mark(values.get(key, {"values": {}}))
    config = encode(values, Decrypter({}, PASSPHRASE))
    config.secret_keys = sorted({*config.secret_keys, key})
    def written(name: str, value: Any) -> set[str]:
        return set(_strings(value, named=name.rsplit(":", maxsplit=1)[-1] in NAMED_MAPS))

    elsewhere = {text for other, value in values.items() if other != key for text in written(other, value)}
    elsewhere.add(f"{PROJECT}-{stack}")  # names the program derives from the stack, not from config

    def own(text: str) -> bool:
        """A value only this key holds: not a word of the config's own vocabulary, nor part of another value."""
        return len(text) >= 4 and text not in VOCABULARY and not any(text in other for other in elsewhere)

    hidden = {text for text in written(key, values[key]) if own(text)}

    def program() -> None:
        import runpy  # noqa: PLC0415 - as offline.render runs the program

        runpy.run_path(str(PROJECT_DIR / "__main__.py"), run_name="__main__")

    with preflight_off():
        recording = record(program, project=PROJECT, stack=stack, config=config.values,
                           secret_keys=config.secret_keys, project_dir=PROJECT_DIR)
    return recording, hidden


CASES = [(stack, key) for stack in STACKS for key in example(stack) if key.startswith(f"{PROJECT}:")]


@pytest.mark.parametrize(("stack", "key"), CASES, ids=[f"{stack}-{key.split(':')[1]}" for stack, key in CASES])
def test_a_key_stored_as_a_secret_appears_nowhere_in_clear(stack: str, key: str) -> None:
    written, hidden = render_with_secret(stack, key)
    leaked = sorted(text for text in hidden if in_clear(text, written))
    assert leaked == []


def test_the_telltale_of_a_nested_secret_is_masked_in_the_chart_values() -> None:
    written, hidden = render_with_secret("dev", f"{PROJECT}:controller")
    assert SECRET_MARK in hidden
    assert not in_clear(SECRET_MARK, written)
    assert "[secret]" in written


def test_an_encrypted_example_is_decrypted_with_the_passphrase_and_stays_a_secret() -> None:
    project = read_project(PROJECT_DIR)
    values, document = stack_values(PROJECT_DIR / "Pulumi.functions.yaml", project.name)
    config = encode(values, Decrypter(document, PASSPHRASE))
    assert f"{PROJECT}:tsigSecret" in config.secret_keys
    assert config.undecrypted == []
    plain = config.values[f"{PROJECT}:tsigSecret"]

    def program() -> None:
        import runpy  # noqa: PLC0415

        runpy.run_path(str(PROJECT_DIR / "__main__.py"), run_name="__main__")

    with preflight_off():
        recording = record(program, project=PROJECT, stack="functions", config=config.values,
                           secret_keys=config.secret_keys, project_dir=PROJECT_DIR)
    assert plain not in json.dumps(plan_document(recording))  # names included
    secrets = [r for r in recording.resources.values() if r.type == "kubernetes:core/v1:Secret"]
    assert secrets
    assert all(r.inputs["stringData"] == "[secret]" for r in secrets)


def test_a_config_mistake_inside_a_secret_key_is_reported_without_its_value() -> None:
    values = example("dev")
    gateways = values[f"{PROJECT}:gateways"]
    gateways[0]["listeners"][0]["hostname"] = "leak.outside.example.org"
    config = encode(values, Decrypter({}, {}))

    def program() -> None:
        import runpy  # noqa: PLC0415

        runpy.run_path(str(PROJECT_DIR / "__main__.py"), run_name="__main__")

    with preflight_off(), pytest.raises(pulumi.RunError) as raised:
        record(program, project=PROJECT, stack="dev", config=config.values,
               secret_keys=[f"{PROJECT}:gateways"], project_dir=PROJECT_DIR)
    assert "leak.outside.example.org" not in str(raised.value)
    assert "[secret]" in str(raised.value)


def test_nothing_of_the_secret_reaches_a_file_the_preview_writes(tmp_path: Path) -> None:
    recording, hidden = record_with_secret("multitenant", f"{PROJECT}:tenants")
    write(recording, tmp_path)
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(files) > 10
    assert hidden
    assert [(path.name, text) for path in files for text in hidden if text in path.read_text()] == []


def test_a_value_the_sdk_marks_secret_is_masked_in_either_wire_form() -> None:
    """The SDK sends a secret as a secret struct, or (where the monitor takes output values, which the mock monitor
    declines today) as an output value flagged secret: both are masked, whatever they hold."""
    secret = {rpc._special_sig_key: rpc._special_secret_sig, "value": "s3cr3t"}
    assert plain({"token": secret, "list": [secret]}) == {"token": SECRET, "list": [SECRET]}
    output = {rpc._special_sig_key: rpc._special_output_value_sig}
    assert plain({**output, "value": "s3cr3t", "secret": True}) == SECRET
    assert plain({**output, "secret": True}) == SECRET  # unknown, and secret once known
    assert plain({**output, "value": "public"}) == "public"
    assert plain(output) == UNKNOWN
