"""What a row of the e2e table holds: each phase's verdict and time, notes and figures."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class PhaseResult:
    name: str
    status: str  # passed, FAILED, skipped (a phase it needs did not pass) or n/a
    seconds: float = 0.0
    detail: str = ""


@dataclass
class StackResult:
    stack: str
    root: Path
    phases: dict[str, PhaseResult] = field(default_factory=dict)
    peak_rss_kib: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # facts worth reporting that are no phase's verdict
    figures: dict[str, Any] = field(default_factory=dict)  # counts the run's report adds up

    @property
    def passed(self) -> bool:
        return all(phase.status in ("passed", "n/a") for phase in self.phases.values())

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "root": str(self.root)}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> StackResult:
        data = json.loads(text)
        phases = {name: PhaseResult(**phase) for name, phase in data.pop("phases").items()}
        return cls(**{**data, "root": Path(data["root"]), "phases": phases})
