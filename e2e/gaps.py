"""Where the offline validator (traffic_edge.conformance) cannot answer as the API server does, and why.

The differential phase (e2e.differential) counts a disagreement on one of these cases as a known gap, not a bug;
any other disagreement fails it. Each entry: the corpus case id → the reason the validator cannot model it.
"""

from __future__ import annotations

WHOLE_FLOATS = (
    "the validator judges objects as the Pulumi provider sends them, and Go's JSON writes a whole float64 as 80; a "
    "client that sends 80.0 gets an error from every CRD rule that reads the field (apiextensions' UnstructuredToVal "
    "expects an int64 there), which no manifest of the program can meet"
)
KNOWN_GAPS: dict[str, str] = {
    "Gateway/port as 80.0": WHOLE_FLOATS,
    "HTTPRoute/port as 8080.0": WHOLE_FLOATS,
    "ValidatingAdmissionPolicy/expression comparing a string with a number": (
        "the API server type-checks every admission expression when the policy is created; cel-python has no type "
        "checker, so the validator only parses and checks names (the program's own policies are evaluated on "
        "cases, tests/test_admission.py, and judged by the real API server here)"
    ),
}
