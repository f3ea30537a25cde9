"""Run each mutant against the tests that cover it, in a fresh pytest process, never touching the working tree.

The mutant reaches the tests through hook.py (as sitecustomize on PYTHONPATH), so the files on disk stay as they
are, even on Ctrl-C or a crash; a hung mutant's process group is killed at its timeout.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from tools.mutate.mutants import Mutant

HOOK = Path(__file__).with_name("hook.py")
KILLED = ("killed", "killed-import", "killed-timeout")
SURVIVED = ("survived", "no-coverage")
#: Not scored: equivalent (listed as such), baseline failing (its tests fail without it), error (could not run).
UNSCORED = ("equivalent", "baseline-failing", "error")


@dataclass
class Job:
    mutant: Mutant
    tests: list[str]
    deselect: list[str] = field(default_factory=list)
    timeout: float = 60.0


@dataclass
class Outcome:
    mutant: Mutant
    status: str
    tests: int = 0
    seconds: float = 0.0
    detail: str = ""


def _functions(tests: Sequence[str]) -> list[str]:
    """Parametrized test ids → their test functions, in order: every case the mutant leaves."""
    return list(dict.fromkeys(test.split("[", 1)[0] for test in tests))


def _detail(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line[:300]
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


class Runner:
    def __init__(self, root: Path, python: str = sys.executable, jobs: int = 2) -> None:
        self.root = root
        self.python = python
        self.jobs = jobs
        self._running: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()

    def _command(self, job: Job) -> list[str]:
        deselect = [arg for test in job.deselect for arg in ("--deselect", test)]
        return [self.python, "-m", "pytest", "-x", "-q", "--no-header", "-rfE", "-p", "no:cacheprovider",
                "-o", "addopts=", *deselect, *job.tests]

    def _env(self, work: Path, job: Job, index: int) -> dict[str, str]:
        source, marker = work / f"mutant-{index}.py", work / f"mutant-{index}.marker"
        source.write_text(job.mutant.source)
        path = os.pathsep.join(p for p in (str(work / "site"), os.environ.get("PYTHONPATH", "")) if p)
        return {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1", "MUTATE_MODULE": job.mutant.name,
                "MUTATE_SOURCE": str(source), "MUTATE_MARKER": str(marker)}

    def run_one(self, work: Path, job: Job, index: int) -> Outcome:
        env = self._env(work, job, index)
        marker = Path(env["MUTATE_MARKER"])
        start = time.monotonic()
        process = subprocess.Popen(self._command(job), cwd=self.root, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        with self._lock:
            self._running.add(process)
        try:
            output, _ = process.communicate(timeout=job.timeout)
        except subprocess.TimeoutExpired:
            self._kill(process)
            process.communicate()
            return Outcome(job.mutant, "killed-timeout", len(job.tests), time.monotonic() - start,
                           f"no result after {job.timeout:.0f}s")
        finally:
            with self._lock:
                self._running.discard(process)
        seconds = time.monotonic() - start
        imported = marker.exists() and marker.read_text().strip()
        code = process.returncode
        if code == 4 and not imported and (whole := _functions(job.tests)) != job.tests:
            # A mutant that drops a row of a table the tests are parametrized over takes that case's id with
            # it, and pytest refuses ids it cannot find: run the cases that are left instead.
            return self.run_one(work, replace(job, tests=whole), index)
        if code in (1, 2, 3, 4) and imported:
            status, detail = "killed-import", imported.splitlines()[-1][:300]
        elif code in (1, 2, 3):
            status, detail = "killed", _detail(output)
        elif code == 0:
            status, detail = "survived", ""
        else:
            status, detail = "error", f"pytest exit {code}: {_detail(output)}"
        return Outcome(job.mutant, status, len(job.tests), seconds, detail)

    def _kill(self, process: subprocess.Popen[str]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def run(self, jobs: Sequence[Job], progress: Callable[[Outcome], None] = lambda _: None) -> list[Outcome]:
        """Every job's outcome, in the order of `jobs`; Ctrl-C kills what runs and re-raises."""
        with tempfile.TemporaryDirectory(prefix="mutate-run-") as scratch:
            work = Path(scratch)
            (work / "site").mkdir()
            (work / "site" / "sitecustomize.py").write_text(HOOK.read_text())
            pool = ThreadPoolExecutor(max_workers=self.jobs)
            try:
                futures = [pool.submit(self.run_one, work, job, index) for index, job in enumerate(jobs)]
                outcomes = []
                for future in futures:
                    outcomes.append(future.result())
                    progress(outcomes[-1])
                return outcomes
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                with self._lock:
                    for process in list(self._running):
                        self._kill(process)
                raise
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
