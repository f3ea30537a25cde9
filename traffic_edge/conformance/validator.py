"""Answer, offline, what the Kubernetes API server would answer to creating a rendered object.

Custom resources follow apiextensions-apiserver: nulls dropped and defaults applied, then the OpenAPI value
validations (as JSON Schema), ObjectMeta, list types and embedded resources, and, unless one of those errors
blocks them, the `x-kubernetes-validations` CEL rules. Unknown fields are reported instead of pruned, so typos
fail. Built-in kinds go to kubernetes-validate in strict mode, their ObjectMeta to the API server's own rules, and the
validation the API server writes in Go for them to `builtin`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import kubernetes_validate

from traffic_edge.conformance import crds
from traffic_edge.conformance.builtin import builtin_errors
from traffic_edge.conformance.crds import Crd, loaded_crds
from traffic_edge.conformance.defaults import apply_defaults
from traffic_edge.conformance.field import RULES_NOT_CHECKED, ErrorType, FieldError, Json, Schema, blocks_rules
from traffic_edge.conformance.helm import coalesce_values, validate_helm_values
from traffic_edge.conformance.meta import dns1123_subdomain, name_rule, object_meta_errors
from traffic_edge.conformance.openapi import compile_schema
from traffic_edge.conformance.refdata import REFDATA, require_refdata
from traffic_edge.conformance.rules import RuleResults, run_root_rules, run_rules
from traffic_edge.conformance.structural import structural_errors

__all__ = [
    "REFDATA", "ManifestValidator", "ValidationResult", "apply_defaults", "coalesce_values", "loaded_crds",
    "require_refdata", "validate_against_schema", "validate_helm_values",
]

Manifest = dict[str, Any]
_K8S_VERSION = ".".join(kubernetes_validate.latest_version().split(".")[:2])


@dataclass(frozen=True)
class ValidationResult:
    """Errors, plus what the API server would have stored and which rules it defers."""

    errors: list[str]
    defaulted: Manifest | None  # None for built-in kinds (no CRD defaulting)
    skipped_rules: list[str]  # transition rules (`oldSelf`): only run on update


def validate_against_schema(schema: Schema, value: Json) -> list[str]:
    """Default, then validate `value` against one structural schema (no ObjectMeta rules)."""
    obj = apply_defaults(schema, copy.deepcopy(value))
    errors = compile_schema(schema).errors(obj) + list(structural_errors(schema, obj))
    results = RuleResults(errors)
    if not blocks_rules(errors):
        run_rules(schema, obj, "", results)
    return [str(error) for error in results.errors]


def _identity(manifest: Manifest) -> str:
    meta = manifest["metadata"] if isinstance(manifest.get("metadata"), dict) else {}
    name = meta.get("name") or meta.get("generateName") or "<no name>"
    return "/".join(str(part) for part in (manifest.get("kind", "<no kind>"), meta.get("namespace"), name) if part)


def _builtin_errors(manifest: Manifest) -> list[FieldError]:
    """kubernetes-validate (strict) for the body; ObjectMeta with the API server's rules for the kind."""
    group = manifest["apiVersion"].rpartition("/")[0]
    errors = object_meta_errors(manifest.get("metadata"), "metadata", name_rule(group, manifest["kind"]))
    errors += builtin_errors(manifest)
    try:
        kubernetes_validate.validate({**manifest, "metadata": {}}, _K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.path).lstrip(".")
        errors.append(FieldError(path, ErrorType.INVALID, f"{exc.message} (Kubernetes {_K8S_VERSION} schema)"))
    except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.InvalidSchemaError) as exc:
        errors.append(FieldError("", ErrorType.INVALID, exc.message))
    return errors


class ManifestValidator:
    """Validator for one Gateway API pin (and every other CRD in refdata); caches are module-wide."""

    def __init__(self, gateway_api_version: str = "v1.6.1", channel: str = "standard") -> None:
        directory = crds.gateway_api_dir(gateway_api_version, channel)
        if not directory.is_dir():
            raise ValueError(f"no Gateway API CRDs at {directory}")
        self.gateway_api_version = gateway_api_version
        self.channel = channel
        self._crds = crds.crd_index(gateway_api_version, channel)

    def validate(self, manifest: Manifest) -> list[str]:
        """Error strings `Kind/namespace/name: path: message`; empty when the API server accepts it."""
        return self.check(manifest).errors

    def check(self, manifest: Manifest) -> ValidationResult:
        """Like `validate`, also returning the defaulted object and the skipped rules."""
        ident = _identity(manifest)
        api_version = manifest.get("apiVersion")
        if not isinstance(api_version, str) or not isinstance(manifest.get("kind"), str):
            return ValidationResult([f"{ident}: <root>: apiVersion and kind are required strings"], None, [])
        group, _, version = api_version.rpartition("/")
        if group in crds.crd_groups():
            errors, defaulted, skipped = self._check_custom(group, version, manifest)
        elif "." not in group or group.endswith(".k8s.io"):
            errors, defaulted, skipped = _builtin_errors(manifest), None, []
        else:
            errors = [FieldError("", ErrorType.INVALID, f"no CRD for {api_version} {manifest['kind']} in the "
                                                        "reference data")]
            defaulted, skipped = None, []
        return ValidationResult([f"{ident}: {error}" for error in errors], defaulted, skipped)

    def schema_for(self, api_version: str, kind: str) -> Schema:
        """The openAPIV3Schema the API server would use for this apiVersion and kind."""
        group, _, version = api_version.rpartition("/")
        crd = self._crds.get((group, kind))
        if crd is None or version not in crd.versions:
            raise KeyError(f"{api_version} {kind} is not defined by the loaded CRDs")
        return crd.versions[version].schema

    def _served(self, group: str, version: str, kind: str) -> Crd | FieldError:
        crd = self._crds.get((group, kind))
        if crd is None:
            return FieldError("", ErrorType.INVALID, self._absent_message(group, kind))
        served = [name for name, v in crd.versions.items() if v.served]
        if version not in crd.versions or not crd.versions[version].served:
            return FieldError("apiVersion", ErrorType.NOT_SUPPORTED, f"{group}/{version} {kind} is not served by "
                                                                     f"{crd.source} (served: {', '.join(served)})")
        return crd

    def _check_custom(self, group: str, version: str, manifest: Manifest
                      ) -> tuple[list[FieldError], Manifest | None, list[str]]:
        crd = self._served(group, version, manifest["kind"])
        if isinstance(crd, FieldError):
            return [crd], None, []
        crd_version = crd.versions[version]
        obj: Manifest = apply_defaults(crd_version.schema, copy.deepcopy(manifest))
        body = {name: value for name, value in obj.items() if name != "metadata"}
        metadata = obj.get("metadata")
        errors = crd_version.validator.errors(body)
        errors += object_meta_errors(metadata, "metadata", dns1123_subdomain, check_namespace=crd.namespaced)
        errors += structural_errors(crd_version.validator.openapi, body)
        if blocks_rules(errors):
            return [*errors, FieldError("", ErrorType.INVALID, RULES_NOT_CHECKED)], obj, []
        results = RuleResults(errors)
        run_root_rules(crd_version.validator.openapi, body, metadata, results)
        return results.errors, obj, results.skipped

    def _absent_message(self, group: str, kind: str) -> str:
        if group.startswith("gateway.networking"):
            elsewhere = [
                channel for version, channel in crds.gateway_api_pins()
                if version == self.gateway_api_version and channel != self.channel
                and any(c.group == group and c.kind == kind for c in crds.gateway_api_crds(version, channel))
            ]
            where = f" (it is only in the {', '.join(elsewhere)} channel)" if elsewhere else ""
            return (f"{group} {kind} is absent from the Gateway API {self.gateway_api_version} "
                    f"{self.channel} channel{where}")
        return f"no CRD for {group} {kind} in the reference data"
