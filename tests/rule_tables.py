"""The contract every table of config rules keeps (compat, controller and data-plane rules).

Each rule is documented (reason, fix, upstream source), trips on its case at exactly the key paths given, alone or
with the rules named beside it, with its own reason and fix, and stays quiet on the case beside it. Cases are keyed
by rule id and the tests are parametrized over the table, so a rule added without its two cases fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.rules.compat import Rule

Config = dict[str, Any]
Check = Callable[[StackConfig], list[Issue]]
RULE_ID = re.compile(r" \[([a-z0-9-]+)\]: ")  # a rule's issue reads `<detail> [<id>]: <reason>`


@dataclass(frozen=True)
class RuleCase:
    tripping: Config
    paths: list[str]  # where the rule trips, in order
    passing: Config
    also: frozenset[str] = frozenset()  # other rules the tripping config trips too


def rule_ids(issues: Sequence[Issue]) -> set[str]:
    return {match.group(1) for issue in issues if (match := RULE_ID.search(issue.message))}


def contract_tests(rules: Sequence[Rule], cases: Mapping[str, RuleCase], check: Check,
                   model: Callable[[Config], StackConfig] = StackConfig.model_validate
                   ) -> tuple[Callable[..., None], ...]:
    """The four tests of the contract, for a test module to bind to `test_*` names."""
    ids = [rule.id for rule in rules]

    def test_every_rule_has_a_case_and_every_case_a_rule() -> None:
        assert sorted(cases) == sorted(ids)
        assert len(set(ids)) == len(ids)

    @pytest.mark.parametrize("rule", rules, ids=ids)
    def test_rule_is_documented(rule: Rule) -> None:
        assert rule.reason
        assert rule.fix
        assert rule.source.startswith("https://")

    @pytest.mark.parametrize("rule", rules, ids=ids)
    def test_rule_trips(rule: Rule) -> None:
        case = cases[rule.id]
        config = model(case.tripping)
        assert [trip.path for trip in rule.trips(config)] == case.paths
        issues = check(config)
        assert rule_ids(issues) == {rule.id} | case.also
        issue = next(issue for issue in issues if f" [{rule.id}]: " in issue.message)
        assert (issue.path, issue.fix) == (case.paths[0], rule.fix)
        assert issue.message.endswith(rule.reason)

    @pytest.mark.parametrize("rule", rules, ids=ids)
    def test_rule_passes_beside(rule: Rule) -> None:
        assert check(model(cases[rule.id].passing)) == []

    return (test_every_rule_has_a_case_and_every_case_a_rule, test_rule_is_documented, test_rule_trips,
            test_rule_passes_beside)
