"""Progress of long commands on stderr: one line per finished step and its time, so CI logs stay short; on a
terminal, the step being worked on is shown while it runs."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    """`[fleet] 3/8 dev: preview ok (12.4 s)`; safe to call from worker threads."""

    def __init__(self, command: str, total: int | None = None, stream: TextIO | None = None) -> None:
        self.command = command
        self.total = total
        self.stream = stream or sys.stderr
        self.done = 0
        self._lock = threading.Lock()

    @property
    def live(self) -> bool:
        return self.stream.isatty()

    def started(self, what: str) -> None:
        if self.live:
            self._write(f"[{self.command}] {what} …")

    def finished(self, what: str, seconds: float, status: str = "ok") -> None:
        with self._lock:
            self.done += 1
            count = f"{self.done}/{self.total} " if self.total else ""
        self._write(f"[{self.command}] {count}{what}: {status} ({seconds:.1f} s)")

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        """Times the block; a step that raises is reported as failed, and the error goes on."""
        self.started(what)
        start = time.monotonic()
        try:
            yield
        except BaseException:
            self.finished(what, time.monotonic() - start, "failed")
            raise
        self.finished(what, time.monotonic() - start)

    def _write(self, line: str) -> None:
        with self._lock:
            print(line, file=self.stream, flush=True)
