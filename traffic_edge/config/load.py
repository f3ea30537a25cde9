"""Read the stack config from the Pulumi runtime and validate all of it before anything is created."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env, is_config_secret
from pydantic import ValidationError

from traffic_edge.config import rules
from traffic_edge.config.errors import ConfigError, Issue
from traffic_edge.config.messages import issue_of
from traffic_edge.config.model import StackConfig
from traffic_edge.config.types import SecretRef

# Config keys that hold secrets; their values never enter the model, only a reference does.
SECRET_KEYS = ("tsigSecret",)


def _stack_config() -> dict[str, Any]:
    """The running stack's keys under the project, decoded; the engine hands every value over as a string."""
    prefix = f"{pulumi.get_project()}:"
    config = {**get_config_env(), **CONFIG.get()}
    return {key[len(prefix) :]: _decode(value) for key, value in config.items() if key.startswith(prefix)}


def secret_config_keys() -> frozenset[str]:
    """The running stack's top-level keys that hold a secret anywhere inside."""
    prefix = f"{pulumi.get_project()}:"
    return frozenset(key for key in _stack_config() if is_config_secret(prefix + key))


def load_stack_config() -> StackConfig:
    """The validated config of the running stack; raises ConfigError listing every mistake."""
    return parse(_stack_config(), set(secret_config_keys()))


def _decode(value: Any) -> Any:
    """The engine hands every value over as a string; objects and lists arrive JSON-encoded."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def parse_engine_config(project: str, values: Mapping[str, Any], secret_keys: Iterable[str]) -> StackConfig:
    """Validate config as the engine hands it over (`<project>:<key>` → string), like a stack file read offline."""
    prefix = f"{project}:"
    raw = {key[len(prefix) :]: _decode(value) for key, value in values.items() if key.startswith(prefix)}
    return parse(raw, {key[len(prefix) :] for key in secret_keys if key.startswith(prefix)})


def parse(raw: Mapping[str, Any], secret_keys: set[str]) -> StackConfig:
    """Validate raw config (key without the project prefix → value); every issue is reported at once."""
    issues: list[Issue] = []
    data = dict(raw)
    for key in SECRET_KEYS:
        if key not in data:
            continue
        if key in secret_keys:
            data[key] = SecretRef(key=key)
        else:
            issues.append(Issue(key, "is stored in clear text", f"pulumi config set --secret {key} <value>"))
            del data[key]
    try:
        model = StackConfig.model_validate(data, by_name=False)  # stack files spell keys in camelCase only
    except ValidationError as error:
        found = issues + [issue_of(detail) for detail in error.errors()]
        raise ConfigError(_redacted(found, raw, secret_keys)) from None
    issues += rules.check(model)
    if issues:
        raise ConfigError(_redacted(issues, raw, secret_keys))
    return model


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str):
        yield value


def _redacted(issues: list[Issue], raw: Mapping[str, Any], secret_keys: set[str]) -> list[Issue]:
    """Issues that quote no value of a key stored as a secret: the messages reach the terminal and CI logs."""
    hidden = sorted(
        {leaf for key in secret_keys - set(SECRET_KEYS) for leaf in _leaves(raw.get(key)) if len(leaf) >= 3},
        key=len, reverse=True,
    )
    if not hidden:
        return issues

    def clean(text: str) -> str:
        for leaf in hidden:
            text = text.replace(leaf, "[secret]")
        return text

    return [Issue(clean(issue.path), clean(issue.message), clean(issue.fix)) for issue in issues]




def stack_secrets(config: StackConfig) -> dict[str, pulumi.Output[str]]:
    """The secret config values the model refers to, read from the running stack as Pulumi secrets."""
    refs = [config.tsig_secret] if config.tsig_secret is not None else []
    return {ref.key: pulumi.Config().require_secret(ref.key) for ref in refs}
