"""The building blocks of the config model: a closed camelCase base and the value shapes keys share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler, Strict
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
DNS1123_LABEL = re.compile(rf"^{DNS_LABEL}$")
HOSTNAME = re.compile(rf"^(\*\.)?{DNS_LABEL}(\.{DNS_LABEL})*$")
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
NAMESERVER = r"^(\[[0-9A-Fa-f:.]+\]|[^\s:\[\]]+)(:\d{1,5})?$"  # host, host:port, [IPv6] or [IPv6]:port
ABSOLUTE_PATH = r"^/"


class Model(BaseModel):
    """Closed, camelCase, immutable."""

    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True, validate_default=True
    )


Name = Annotated[str, Field(pattern=DNS1123_LABEL.pattern, max_length=63, description="a DNS-1123 label")]
Hostname = Annotated[str, Field(pattern=HOSTNAME.pattern, max_length=253, description="a DNS name, `*.` allowed")]
Port = Annotated[int, Strict(), Field(ge=1, le=65535)]  # strict: `true` is no port
Email = Annotated[str, Field(pattern=EMAIL)]
AcmArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")]


@dataclass(frozen=True)
class Shape:
    """A string of one shape: its pattern goes to the JSON schema, a mismatch reads `must be <what>`."""

    pattern: str
    what: str

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {**handler(schema), "pattern": self.pattern, "description": self.what}

    def _check(self, value: str) -> str:
        if not re.match(self.pattern, value):
            raise ValueError(f"must be {self.what}")
        return value


@dataclass(frozen=True)
class AppliesTo:
    """Marks a key (and the keys under it) that applies to some platform kinds or controllers only: the config
    reference says so in its `applies to` column. Keys under a union (`platform`, `routes[]`) need no mark."""

    variants: tuple[str, ...]


class SecretRef(BaseModel):
    """A config key stored with `pulumi config set --secret`; the value is read as a Pulumi secret."""

    model_config = ConfigDict(frozen=True)
    key: str


# Kubernetes label syntax (k8s.io/apimachinery/pkg/util/validation: IsQualifiedName, IsValidLabelValue)
LABEL_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]"
LabelKey = Annotated[str, Shape(rf"^({DNS_LABEL}(\.{DNS_LABEL}){{0,126}}/)?{LABEL_NAME}$",
                                "a label key: [prefix/]name, the name at most 63 characters")]
LabelValue = Annotated[str, Shape(rf"^({LABEL_NAME})?$", "a label value: at most 63 letters, digits, -_. inside")]
Labels = dict[LabelKey, LabelValue]
