"""Computed outputs a real provider would return, so outputs that depend on them render offline.

Rows are keyed by Pulumi type token (resources) or function token (invokes). Values are shaped
like the real provider's outputs and obviously fake (account 123456789012, project number
000000000000), so they never pass for real identifiers in a plan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FakeState = Callable[[str, dict[str, Any]], dict[str, Any]]

RESOURCE_OUTPUTS: dict[str, FakeState] = {}

CALL_RESULTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def fake_state(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs for a resource of `type_`; empty where the inputs say all there is."""
    row = RESOURCE_OUTPUTS.get(type_)
    return row(name, inputs) if row else {}


def fake_call(token: str, args: dict[str, Any]) -> dict[str, Any]:
    """Result of an invoke; unknown invokes answer empty, as a mock must not guess."""
    row = CALL_RESULTS.get(token)
    return row(args) if row else {}
