"""A base stack config and edits to it: the edited config, its plan, or the mistakes it is refused for."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import DEPLOYMENT, parse_config, set_key
from traffic_edge.config import ConfigError
from traffic_edge.config.errors import Issue
from traffic_edge.plan import EdgePlan, edge_plan

Config = dict[str, Any]
Edit = Callable[[Config], None]


def put(path: str, value: Any) -> Edit:
    """Sets the key path (`a.b[0].c`) to a copy of `value`."""
    return lambda config: set_key(config, path, copy.deepcopy(value))


def edited(base: Config, *edits: Edit) -> Config:
    config = copy.deepcopy(base)
    for edit in edits:
        edit(config)
    return config


def plan_of(base: Config, *edits: Edit) -> EdgePlan:
    return edge_plan(parse_config(edited(base, *edits)), DEPLOYMENT)


def issues_of(base: Config, *edits: Edit) -> list[Issue]:
    with pytest.raises(ConfigError) as raised:
        parse_config(edited(base, *edits))
    return raised.value.issues
