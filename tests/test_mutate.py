"""The mutation tool (tools/mutate) on a tiny fixture project: the mutants each rule makes, and how a run classes them.

The fixture is written to a temporary directory: a module of security-like decisions (an IAM-like data row, CEL
text in an f-string) and tests that kill some mutants and miss others on purpose.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tools.mutate.__main__ import arguments, plan, run
from tools.mutate.coverage_map import build
from tools.mutate.mutants import Mutant, Settings, generate
from tools.mutate.report import Equivalent, scores
from tools.mutate.runner import Runner

MODULE = '''"""A tiny module of security decisions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scope = Literal["zone", "project"]
ACTIONS = ("route53:GetChange", "route53:ListHostedZones")
ROWS = {
    "reader": {
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::bucket/*",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
    },
}
READER = ROWS["reader"]["Action"]
LIMIT = 3


@dataclass(frozen=True)
class Grant:
    role: str
    scope: str = "zone"
    source: str = ""


GRANT = Grant("roles/dns.reader", scope="zone", source="https://example.com/upstream-doc")
DENIED = Grant("roles/dns.admin", "project", "a fixture's own reason")
DOC = "https://example.com/replace-rules"


def _rule(kind: str, reason: str, source: str) -> tuple[str, str, str]:
    return kind, reason, source


RULE = _rule("kubernetes:*", "names are identity", DOC)


def cel(suffix: str) -> str:
    return f"object.spec.hostnames.all(h, h == {suffix} && !has(h.x))"


def allowed(n: int, flag: bool) -> bool:
    return n > LIMIT and not flag


def enabled(name: str) -> bool:
    return name in ("a", "b") or name is None


def countdown(n: int) -> int:
    while n > 0:
        n = n - 1
    return n


def first(items: list[str]) -> str | None:
    return items[0] if items else None


def unused() -> str:
    return "never called"
'''

TESTS = '''from pkg.rules import ACTIONS, allowed, cel, countdown, first


def test_actions_are_pinned():
    assert ACTIONS == ("route53:GetChange", "route53:ListHostedZones")


def test_cel_checks_every_hostname():
    assert ".all(h" in cel("s")


def test_allowed():
    assert allowed(5, False)


def test_countdown():
    assert countdown(2) == 0


def test_first_already_fails():
    assert first([]) == "x"
'''
REL = "pkg/rules.py"
USES = '''from pkg.rules import Grant as Granted

FOUND = Granted("roles/dns.reader", "zone", "an imported dataclass's source")
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "rules.py").write_text(MODULE)
    (root / "pkg" / "uses.py").write_text(USES)
    (root / "tests").mkdir()
    (root / "tests" / "test_rules.py").write_text(TESTS)
    return root


@pytest.fixture(scope="module")
def mutants(project: Path) -> dict[str, Mutant]:
    found = generate(project, REL, Settings(widen={"roles/dns.reader": ["roles/dns.admin"]}))
    return {mutant.identity: mutant for mutant in found}


@pytest.mark.parametrize(("identity", "rule"), [
    ("allowed.return | compare | n > LIMIT → n >= LIMIT", "compare"),
    ("enabled.return | compare | name in ('a', 'b') → name not in ('a', 'b')", "compare"),
    ("enabled.return | compare | name is None → name is not None", "compare"),
    ("allowed.return | boolean | n > LIMIT and (not flag) → n > LIMIT or not flag", "boolean"),
    ("allowed.return | not | not flag → flag", "not"),
    ("countdown.n | int | 1 → 0", "int"),
    ("LIMIT | int | 3 → 4", "int"),
    ("GRANT.scope | none | scope='zone' → scope=None", "none"),
    ("unused.return | empty-string | 'never called' → ''", "empty-string"),
    ("unused.return | near-miss | 'never called' → 'never calle'", "near-miss"),
    ("cel.return | cel | 'ect.spec.hostnames.all(h, h == ' → 'ect.spec.hostnames.exists(h, h == '", "cel"),
    ("cel.return | cel | 'ostnames.all(h, h == ' → 'ostnames.all(h, h != '", "cel"),
    ("cel.return | cel | ' && !has(h.x))' → ' || !has(h.x))'", "cel"),
    ("cel.return | cel-not | ' && !has(h.x))' → ' && has(h.x))'", "cel-not"),
    ("ACTIONS | iam-action | 'route53:GetChange' → 'route53:*'", "iam-action"),
    ("ACTIONS | drop-element | 'route53:GetChange' → ", "drop-element"),
    ("ROWS['reader']['Resource'] | iam-resource | 'arn:aws:s3:::bucket/*' → '*'", "iam-resource"),
    ("ROWS['reader'] | drop-key | 'Condition' → ", "drop-key"),
    ("ROWS['reader']['Condition'] | drop-key | 'Bool' → ", "drop-key"),
    ("ROWS['reader'] | empty-mapping | {'Action': 's3:GetObject', 'Resource'", "empty-mapping"),
    ("GRANT | widen | 'roles/dns.reader' → 'roles/dns.admin'", "widen"),
    ("first.return | return-none | return items[0] if items else None → return None", "return-none"),
])
def test_each_rule_makes_its_mutant(mutants: dict[str, Mutant], identity: str, rule: str) -> None:
    """An identity names the enclosing function or data row, the rule, and the text before → after."""
    found = [mutant for key, mutant in mutants.items() if key.startswith(identity)]
    assert len(found) == 1, sorted(mutants)
    assert found[0].rule == rule


def test_each_mutant_is_one_change_in_place(project: Path, mutants: dict[str, Mutant]) -> None:
    original = MODULE.splitlines()
    dropped = mutants["ROWS['reader'] | drop-key | 'Condition' → "]
    assert [line for line in dropped.source.splitlines() if line not in original] == []
    assert len(dropped.source.splitlines()) == len(original) - 1
    cel = mutants["cel.return | cel | ' && !has(h.x))' → ' || !has(h.x))'"]
    changed = [line for line in cel.source.splitlines() if line not in original]
    assert changed == ['    return f"object.spec.hostnames.all(h, h == {suffix} || !has(h.x))"']
    assert not any(identity.startswith("Grant.frozen") for identity in mutants)  # decorators are left alone
    assert not any("READER" in identity for identity in mutants)  # `x["key"]` lookups are left alone
    assert not any(identity.startswith("GRANT.source") for identity in mutants)  # prose: config.toml [prose]
    assert not any(identity.startswith("DOC") for identity in mutants)  # a link is prose wherever it stands
    assert not any("names are identity" in identity for identity in mutants)  # bound to `reason` by position
    assert "RULE | near-miss | 'kubernetes:*' → 'kubernetes:'" in mutants  # the rule's data is still mutated
    assert not any("own reason" in identity for identity in mutants)  # a dataclass field, bound by position
    assert "DENIED | near-miss | 'project' → 'projec'" in mutants
    assert not any(identity.startswith("Scope") for identity in mutants)  # a Literal type alias is typing
    assert cel.runtime
    assert not dropped.runtime


def test_prose_binds_through_an_imported_dataclass(project: Path) -> None:
    found = [mutant.identity for mutant in generate(project, "pkg/uses.py", Settings())]
    assert not any("source" in identity for identity in found)
    assert "FOUND | near-miss | 'zone' → 'zon'" in found


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def test_a_run_classes_each_mutant(project: Path, mutants: dict[str, Mutant]) -> None:
    before = _tree(project)
    picked = {
        "ACTIONS | drop-element | 'route53:GetChange' → ": "killed",
        "cel.return | cel | 'ect.spec.hostnames.all(h, h == ' → 'ect.spec.hostnames.exists(h, h == '": "killed",
        "cel.return | cel | ' && !has(h.x))' → ' || !has(h.x))'": "survived",
        "allowed.return | compare | n > LIMIT → n >= LIMIT": "equivalent",
        "ROWS | drop-key | 'reader' → ": "killed-import",
        "countdown.n | int | 1 → 0": "killed-timeout",
        "first.return | return-none | return items[0] if items else None → return None": "baseline-failing",
        "unused.return | near-miss | 'never called' → 'never calle'": "no-coverage",
    }
    test_map = build(project, "pkg", ["tests/test_rules.py"], 1, log=lambda _: None)
    assert test_map.tests["tests/test_rules.py::test_first_already_fails"]["failed"]
    equivalent = [Equivalent(REL, "allowed.return | compare | n > LIMIT → n >= LIMIT", "fixture")]
    jobs, known = plan(project, "pkg", [mutants[i] for i in picked], test_map, equivalent, timeout=30.0)
    for job in jobs:
        job.timeout = 1.5 if job.mutant.rule == "int" else job.timeout  # the one that hangs
    outcomes = known + Runner(project, jobs=2).run(jobs)
    assert {o.mutant.identity: o.status for o in outcomes} == picked
    score = scores(outcomes)[REL]
    assert score["counts"]["equivalent"] == 1
    assert (score["killed"], score["scored"]) == (4, 6)  # equivalent and baseline failing are not scored
    assert _tree(project) == before


def test_again_takes_only_the_survivors_of_a_saved_run(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    survivors = ["allowed.return | compare | n > LIMIT → n >= LIMIT",
                 "unused.return | near-miss | 'never called' → 'never calle'"]
    saved = tmp_path / "run.json"
    saved.write_text(json.dumps({"mutants": [
        {"module": REL, "id": survivors[0], "status": "survived"},
        {"module": REL, "id": survivors[1], "status": "no-coverage"},
        {"module": REL, "id": "countdown.n | int | 1 → 0", "status": "killed"},
        {"module": "pkg/other.py", "id": "LIMIT | int | 3 → 4", "status": "survived"},  # another module's
    ]}))
    run(arguments(["--root", str(project), "--package", "pkg", "--again", str(saved), "--list", REL]))
    assert [line.split("\t")[1] for line in capsys.readouterr().out.splitlines()] == survivors


TABLE = '''"""A table the tests are parametrized over."""

LIMITS = {"low": 1, "high": 9}
'''

TABLE_TESTS = '''import pytest

from pkg.table import LIMITS


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_positive(name):
    assert LIMITS[name] > 0


def test_low_is_one():
    assert LIMITS["low"] == 1
'''


def test_a_dropped_row_runs_the_cases_it_leaves(tmp_path: Path) -> None:
    """Dropping a row takes its parametrized case's id with it (pytest exit 4): the cases left decide."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "table.py").write_text(TABLE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_table.py").write_text(TABLE_TESTS)
    found = {m.identity: m for m in generate(tmp_path, "pkg/table.py", Settings())}
    picked = {"LIMITS | drop-key | 'high' → ": "survived", "LIMITS | drop-key | 'low' → ": "killed"}
    test_map = build(tmp_path, "pkg", ["tests/test_table.py"], 1, log=lambda _: None)
    jobs, known = plan(tmp_path, "pkg", [found[i] for i in picked], test_map, [], timeout=30.0)
    assert not known
    assert all("tests/test_table.py::test_positive[high]" in job.tests for job in jobs)
    outcomes = Runner(tmp_path, jobs=2).run(jobs)
    assert {o.mutant.identity: o.status for o in outcomes} == picked
