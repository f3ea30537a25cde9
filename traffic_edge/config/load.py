"""Read the stack config from the Pulumi runtime and validate all of it before anything is created."""

from __future__ import annotations

import json
from collections.abc import Mapping
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


def load_stack_config() -> StackConfig:
    """The validated config of the running stack; raises ConfigError listing every mistake."""
    prefix = f"{pulumi.get_project()}:"
    config = {**get_config_env(), **CONFIG.get()}
    raw = {key[len(prefix) :]: _decode(value) for key, value in config.items() if key.startswith(prefix)}
    secret = {key for key in raw if is_config_secret(prefix + key)}
    return parse(raw, secret)


def _decode(value: Any) -> Any:
    """The engine hands every value over as a string; objects and lists arrive JSON-encoded."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


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
        raise ConfigError(issues + [issue_of(detail) for detail in error.errors()]) from None
    issues += rules.check(model)
    if issues:
        raise ConfigError(issues)
    return model




def stack_secrets(config: StackConfig) -> dict[str, pulumi.Output[str]]:
    """The secret config values the model refers to, read from the running stack as Pulumi secrets."""
    refs = [config.tsig_secret] if config.tsig_secret is not None else []
    return {ref.key: pulumi.Config().require_secret(ref.key) for ref in refs}
