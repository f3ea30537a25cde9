"""The CustomResourceDefinitions in the reference data: every CRD a cluster running this program would serve.

Gateway API comes per release and channel (one pin per validator); cert-manager, external-dns, Envoy Gateway,
the AWS Load Balancer Controller and Cilium ship one set each.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from traffic_edge.conformance import openapi, refdata
from traffic_edge.conformance.field import Schema

# Every refdata folder holding CRDs other than Gateway API's (which is chosen per pin).
OTHER_CRD_FILES = (
    "cert-manager/v1.21.1/crds/*.yaml",
    "external-dns/*/crds/*.yaml",
    "envoy-gateway/v1.9.0/gateway-helm/charts/crds/crds/generated/*.yaml",
    "aws-load-balancer-controller/v3.5.0/chart/crds/*.yaml",
    "cilium/crds/*.yaml",
)


@dataclass(frozen=True)
class CrdVersion:
    served: bool
    schema: Schema

    @functools.cached_property
    def validator(self) -> openapi.CompiledSchema:
        """The version's schema as JSON Schema, compiled once; metadata is left to the ObjectMeta rules."""
        return openapi.compile_schema(body_schema(self.schema))


@dataclass(frozen=True)
class Crd:
    group: str
    kind: str
    namespaced: bool
    versions: dict[str, CrdVersion]
    source: str  # the file, relative to refdata


def body_schema(schema: Schema) -> Schema:
    """The root schema without `metadata`: the CRD declares it as a bare object, the API server checks ObjectMeta."""
    properties = {name: prop for name, prop in schema.get("properties", {}).items() if name != "metadata"}
    body = {**schema, "properties": properties}
    if "required" in schema:
        body["required"] = [name for name in schema["required"] if name != "metadata"]
    return body


def _crd(doc: dict[str, Any], source: str) -> Crd:
    spec = doc["spec"]
    versions = {v["name"]: CrdVersion(bool(v.get("served")), v["schema"]["openAPIV3Schema"]) for v in spec["versions"]}
    return Crd(spec["group"], spec["names"]["kind"], spec.get("scope") == "Namespaced", versions, source)


@functools.cache
def crds_in(pattern: str) -> tuple[Crd, ...]:
    """All CRDs in the refdata files matching `pattern`; other documents are ignored."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found: list[Crd] = []
    for path in sorted(refdata.REFDATA.glob(pattern)):
        with path.open() as fh:
            docs = [doc for doc in yaml.load_all(fh, Loader=loader) if doc]
        source = str(path.relative_to(refdata.REFDATA))
        found += [_crd(doc, source) for doc in docs if doc.get("kind") == "CustomResourceDefinition"]
    return tuple(found)


def gateway_api_crds(version: str, channel: str) -> tuple[Crd, ...]:
    return crds_in(f"gateway-api/{version}/{channel}/*.yaml")


def gateway_api_pins() -> list[tuple[str, str]]:
    """Every (release, channel) of Gateway API in refdata."""
    return [(d.parent.name, d.name) for d in sorted((refdata.REFDATA / "gateway-api").glob("*/*")) if d.is_dir()]


def gateway_api_dir(version: str, channel: str) -> Path:
    return refdata.REFDATA / "gateway-api" / version / channel


@functools.cache
def crd_index(gateway_api_version: str, channel: str) -> dict[tuple[str, str], Crd]:
    """(group, kind) → CRD, for a cluster with this Gateway API pin and every other refdata CRD."""
    crds = gateway_api_crds(gateway_api_version, channel)
    for pattern in OTHER_CRD_FILES:
        crds += crds_in(pattern)
    return {(crd.group, crd.kind): crd for crd in crds}


@functools.cache
def crd_groups() -> frozenset[str]:
    """Every group some refdata CRD serves: objects in these groups are never built-ins."""
    return frozenset(crd.group for pin in gateway_api_pins() for crd in crd_index(*pin).values())


def loaded_crds(gateway_api_version: str, channel: str) -> list[tuple[str, str, Schema]]:
    """(source file, kind/version, schema) of every CRD version a validator for this pin loads."""
    return [
        (crd.source, f"{crd.kind}/{name}", ver.schema)
        for crd in crd_index(gateway_api_version, channel).values()
        for name, ver in crd.versions.items()
    ]
