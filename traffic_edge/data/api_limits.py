"""What the API server accepts of the values a stack writes into Gateway API objects, per release: list limits,
string shapes and the CEL rules a config value reaches.

Read from config/crd/<channel>/ at each tag of kubernetes-sigs/gateway-api (v1.4.1 and v1.6.1 are copied in
../shared/refdata; v1.6.0's CRDs differ from v1.6.1's only in their version annotations, `git diff v1.6.0 v1.6.1 --
config/crd`). Each row names its CRD file and schema path; tests/test_api_limits.py reads every row back from the
CRDs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class ListLimit:
    """At most `max_items` entries in the list at `path` (a schema path under the object, `[]` for list items)."""

    kind: str
    path: str
    max_items: int


def _route_lists(tls_hostnames: int) -> dict[tuple[str, str], ListLimit]:
    """The list limits of every route kind; only TLSRoute's hostnames differ between the releases."""
    rows = [
        *(ListLimit(kind, path, limit) for kind in ("HTTPRoute", "GRPCRoute") for path, limit in (
            ("spec.hostnames", 16), ("spec.parentRefs", 32), ("spec.rules", 16), ("spec.rules[].matches", 64),
            ("spec.rules[].matches[].headers", 16), ("spec.rules[].backendRefs", 16))),
        ListLimit("TLSRoute", "spec.hostnames", tls_hostnames),
        *(ListLimit(kind, path, limit) for kind in ("TLSRoute", "TCPRoute", "UDPRoute") for path, limit in (
            ("spec.parentRefs", 32), ("spec.rules[].backendRefs", 16))),
        ListLimit("ReferenceGrant", "spec.to", 16),
        ListLimit("ReferenceGrant", "spec.from", 16),
    ]
    return {(row.kind, row.path): row for row in rows}


# release → (kind, path) → limit
LIST_LIMITS: Final[dict[str, dict[tuple[str, str], ListLimit]]] = {
    "v1.4.1": _route_lists(tls_hostnames=16),  # experimental tlsroutes v1alpha2/v1alpha3: maxItems 16
    "v1.6.0": _route_lists(tls_hostnames=1024),
    "v1.6.1": _route_lists(tls_hostnames=1024),  # standard tlsroutes v1: maxItems 1024
}

# HTTPRoute and GRPCRoute spec.rules: "the total number of matches across all rules in a route must be less than
# 128" (the rule itself allows 128).
MATCHES_PER_ROUTE: Final = 128

# HTTPHeaderMatch / GRPCHeaderMatch name (HTTPHeaderName) and value.
HEADER_NAME: Final = r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$"
HEADER_NAME_MAX: Final = 256
HEADER_VALUE_MAX: Final = 4096

# HTTPPathMatch value: at most 1024 characters; for Exact and PathPrefix, x-kubernetes-validations below.
PATH_MAX: Final = 1024
PATH_CHARACTERS: Final = r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$"
PATH_FORBIDDEN: Final = ("//", "/./", "/../", "%2f", "%2F", "#")
PATH_FORBIDDEN_ENDINGS: Final = ("/..", "/.")
# HTTPPathModifier.replacePrefixMatch
REWRITE_MAX: Final = 1024

# GRPCMethodMatch (type Exact): service and method, at least one of them.
GRPC_SERVICE: Final = r"^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$"
GRPC_METHOD: Final = r"^[A-Za-z_][A-Za-z_0-9]*$"
GRPC_NAME_MAX: Final = 1024

