"""The config model as a JSON Schema of a stack file, for editors (`# yaml-language-server: $schema=`)."""

from __future__ import annotations

from typing import Any

from traffic_edge.config.load import SECRET_KEYS
from traffic_edge.config.model import StackConfig

PROJECT = "traffic-edge"
SECURE_VALUE = {
    "type": "object",
    "description": "a secret: set it with `pulumi config set --secret`",
    "properties": {"secure": {"type": "string"}},
    "required": ["secure"],
    "additionalProperties": False,
}


def model_schema() -> dict[str, Any]:
    schema = StackConfig.model_json_schema(by_alias=True)
    for key in SECRET_KEYS:
        schema["properties"][key] = {**SECURE_VALUE, "description": schema["properties"][key].get("description", "")}
    return schema


def stack_file_schema() -> dict[str, Any]:
    """Pulumi.<stack>.yaml: `traffic-edge:<key>` entries are closed; other namespaces pass through."""
    schema = model_schema()
    config_properties = {f"{PROJECT}:{key}": value for key, value in schema["properties"].items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "traffic-edge stack file (Pulumi.<stack>.yaml)",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": config_properties,
                "required": [f"{PROJECT}:{key}" for key in schema.get("required", [])],
                "patternProperties": {f"^(?!{PROJECT}:)[^:]+:.+$": {}},
                "additionalProperties": False,
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {},
        },
        "additionalProperties": False,
        "$defs": schema.get("$defs", {}),
    }
