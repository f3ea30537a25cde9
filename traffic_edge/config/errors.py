"""Config mistakes as key path + what is wrong + how to fix it, all reported together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi


@dataclass(frozen=True, order=True)
class Issue:
    path: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" + (f" (fix: {self.fix})" if self.fix else "")


class ConfigError(pulumi.RunError):
    """Raised before any resource is registered; Pulumi prints a RunError without a traceback."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = sorted(set(issues))
        count = len(self.issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"{count} config error{'s' if count != 1 else ''} under `traffic-edge:`:\n{lines}")
