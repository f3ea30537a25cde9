"""The checked-in settings and equivalents, the score of each module, its survivors as diffs, and JSON."""

from __future__ import annotations

import difflib
import json
import tomllib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.mutate.mutants import Prose, Settings
from tools.mutate.runner import KILLED, SURVIVED, UNSCORED, Outcome

HERE = Path(__file__).parent
SETTINGS = HERE / "config.toml"
EQUIVALENT = HERE / "equivalent.toml"


@dataclass(frozen=True)
class Equivalent:
    module: str
    identity: str
    reason: str


def load_settings(path: Path = SETTINGS) -> Settings:
    data = tomllib.loads(path.read_text()) if path.exists() else {}
    prose = data.get("prose", {})
    defaults = Prose()
    return Settings(
        prose=Prose(tuple(prose.get("calls", defaults.calls)), tuple(prose.get("keys", defaults.keys)),
                    tuple(prose.get("texts", defaults.texts))),
        widen={key: list(value) for key, value in data.get("widen", {}).items()},
    )


def load_equivalents(path: Path = EQUIVALENT) -> list[Equivalent]:
    data = tomllib.loads(path.read_text()) if path.exists() else {}
    return [Equivalent(item["module"], item["id"], item["reason"]) for item in data.get("equivalent", [])]


def diff(root: Path, outcome: Outcome) -> str:
    mutant = outcome.mutant
    original = (root / mutant.module).read_text().splitlines(keepends=True)
    lines = difflib.unified_diff(original, mutant.source.splitlines(keepends=True), f"a/{mutant.module}",
                                 f"b/{mutant.module}", n=1)
    return "".join(lines)


def scores(outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    """Per module: each status counted, and killed / scored (scored: all but equivalent, baseline failing, error)."""
    found: dict[str, dict[str, Any]] = {}
    for module in sorted({o.mutant.module for o in outcomes}):
        counts = Counter(o.status for o in outcomes if o.mutant.module == module)
        killed = sum(counts[s] for s in KILLED)
        scored = sum(counts.values()) - sum(counts[s] for s in UNSCORED)
        found[module] = {"killed": killed, "scored": scored, "total": sum(counts.values()),
                         "score": round(killed / scored, 3) if scored else None, "counts": dict(sorted(counts.items()))}
    return found


def print_report(root: Path, outcomes: Sequence[Outcome], stale: Sequence[Equivalent],
                 write: Callable[[str], None] = print) -> None:
    for outcome in outcomes:
        if outcome.status in SURVIVED:
            mutant = outcome.mutant
            why = "no test covers it" if outcome.status == "no-coverage" else f"{outcome.tests} tests pass"
            write(f"\nSURVIVED ({why}) {mutant.module}:{mutant.line}  [{mutant.rule}]\n  id: {mutant.identity}")
            write(diff(root, outcome).rstrip())
    write("\nscore per module (killed / scored; scored leaves out equivalent, baseline failing and error):")
    for module, score in scores(outcomes).items():
        shown = "n/a" if score["score"] is None else f"{score['score']:.0%}"
        counts = ", ".join(f"{status} {count}" for status, count in score["counts"].items())
        write(f"  {module}: {score['killed']}/{score['scored']} = {shown}   ({counts})")
    for item in stale:
        write(f"  note: equivalent entry matches no mutant now: {item.module} | {item.identity}")


def to_json(root: Path, outcomes: Sequence[Outcome], seconds: float) -> str:
    rows = [{"module": o.mutant.module, "line": o.mutant.line, "id": o.mutant.identity, "rule": o.mutant.rule,
             "status": o.status, "tests": o.tests, "seconds": round(o.seconds, 2), "detail": o.detail,
             "diff": diff(root, o) if o.status in SURVIVED else ""} for o in outcomes]
    return json.dumps({"seconds": round(seconds, 1), "scores": scores(outcomes), "mutants": rows}, indent=1)
