"""Manifests judged against the real upstream CRDs and chart schemas: OpenAPI, defaults, list-map keys and CEL.

Modules: `refdata` (where the data is), `crds` (loading), `openapi` (schemas as JSON Schema), `defaults`, `meta`
(ObjectMeta), `structural` (list types, embedded resources), `cel` (the Kubernetes CEL library), `rules` (CRD
rules), `validator` (ManifestValidator), `helm` (chart values), `admission` (ValidatingAdmissionPolicies).
"""

from traffic_edge.conformance.crds import loaded_crds
from traffic_edge.conformance.helm import coalesce_values, validate_helm_values
from traffic_edge.conformance.refdata import REFDATA, refdata_available, require_refdata
from traffic_edge.conformance.validator import ManifestValidator, ValidationResult, validate_against_schema

__all__ = [
    "REFDATA", "ManifestValidator", "ValidationResult", "coalesce_values", "loaded_crds", "refdata_available",
    "require_refdata", "validate_against_schema", "validate_helm_values",
]
