"""Which tests run each line: one coverage run per test file, cached until a source, test or stack file changes.

Each test file runs in its own pytest process under `coverage run` with the contexts plugin (contexts.py), so a
session fixture's work (a rendered stack, say) is attributed within the file that uses it. The map also keeps,
from that same run of the unmutated code, which tests fail (baseline failing) and how long each takes.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import coverage

from tools.mutate.mutants import Mutant, module_name

KEYED = ("{package}/**/*.py", "tests/**/*", "Pulumi*.yaml", "pyproject.toml", "requirements*.txt",
         "tools/mutate/contexts.py")
KEY_IGNORED = {"tests/test_mutate.py"}  # the tool's own tests: not part of the map
FILE_TIMEOUT = 1800
TOOL_ROOT = Path(__file__).resolve().parents[2]  # where `tools.mutate` imports from (the plugin)
Lines = dict[str, dict[int, list[str]]]


@dataclass
class TestMap:
    lines: Lines  # module (relative path) → line → contexts (test node ids, or `fixture:<file>::<name>`)
    tests: dict[str, dict[str, Any]]  # node id → fixtures (wider than a function), failed, seconds

    def expand(self, contexts: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for context in contexts:
            if context.startswith("fixture:"):
                file, name = context.removeprefix("fixture:").split("::", 1)
                found.update(t for t, info in self.tests.items()
                             if t.startswith(file + "::") and name in info["fixtures"])
            elif context in self.tests:
                found.add(context)
        return found

    def covering(self, module: str, lines: Iterable[int] | None = None) -> set[str]:
        by_line = self.lines.get(module, {})
        wanted = by_line if lines is None else {line: by_line.get(line, []) for line in lines}
        return self.expand(context for contexts in wanted.values() for context in contexts)

    def order(self, tests: Iterable[str]) -> list[str]:
        """Grouped by file, the quickest files first: a killed mutant stops at its first failing test."""
        by_file: dict[str, list[str]] = {}
        for test in sorted(tests):
            by_file.setdefault(test.split("::", 1)[0], []).append(test)
        cost = {file: sum(self.tests[t]["seconds"] for t in items) for file, items in by_file.items()}
        return [test for file in sorted(by_file, key=lambda f: (cost[f], f)) for test in by_file[file]]


def source_key(root: Path, package: str) -> str:
    digest = hashlib.sha256()
    for pattern in KEYED:
        for path in sorted(root.glob(pattern.format(package=package))):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and "__pycache__" not in path.parts and rel not in KEY_IGNORED:
                digest.update(rel.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _run_file(root: Path, package: str, test_file: str, work: Path, index: int) -> tuple[Path, Path, str]:
    data, out = work / f"{index}.coverage", work / f"{index}.json"
    command = [sys.executable, "-m", "coverage", "run", f"--data-file={data}", f"--source={package}", "-m",
               "pytest", "-p", "tools.mutate.contexts", "-p", "no:cacheprovider", "-q", "--no-header", "-o",
               "addopts=", test_file]
    path = os.pathsep.join(dict.fromkeys((str(root), str(TOOL_ROOT))))
    env = {**os.environ, "PYTHONPATH": path, "MUTATE_CONTEXTS_OUT": str(out)}
    try:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=FILE_TIMEOUT,
                              check=False)
        tail = done.stdout.strip().splitlines()[-1:] if done.stdout.strip() else [done.stderr.strip()[-200:]]
        return data, out, f"{test_file}: {' '.join(tail)}"
    except subprocess.TimeoutExpired:
        return data, out, f"{test_file}: timed out after {FILE_TIMEOUT}s"


def _merge(root: Path, data_file: Path, lines: Lines) -> None:
    if not data_file.exists():
        return
    data = coverage.CoverageData(basename=str(data_file))
    data.read()
    for measured in data.measured_files():
        rel = Path(measured).resolve().relative_to(root.resolve()).as_posix()
        target = lines.setdefault(rel, {})
        for line, contexts in data.contexts_by_lineno(measured).items():
            named = [context for context in contexts if context]
            if named:
                target.setdefault(line, []).extend(named)


def build(root: Path, package: str, test_files: list[str], jobs: int, log: Any = print) -> TestMap:
    lines: Lines = {}
    tests: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="mutate-map-") as scratch:
        work = Path(scratch)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            runs = pool.map(lambda item: _run_file(root, package, item[1], work, item[0]), enumerate(test_files))
            for data, out, summary in runs:
                log(f"  mapped {summary}")
                _merge(root, data, lines)
                if out.exists():
                    tests.update(json.loads(out.read_text()))
    return TestMap(lines, tests)


def load(root: Path, package: str, cache: Path, test_files: list[str], jobs: int, log: Any = print, *,
         reuse: bool = False) -> TestMap:
    """The cached map if nothing it depends on changed (or `reuse`: whatever changed), else a new one (saved)."""
    key = source_key(root, package) + "|".join(test_files)
    if cache.exists():
        saved = json.loads(cache.read_text())
        if saved.get("key") != key and reuse:
            log("note: reusing the line → tests map although sources or tests changed since it was built")
        if saved.get("key") == key or reuse:
            lines = {m: {int(n): c for n, c in by.items()} for m, by in saved["lines"].items()}
            return TestMap(lines, saved["tests"])
    log(f"building the line → tests map ({len(test_files)} test files, {jobs} at a time) ...")
    built = build(root, package, test_files, jobs, log)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"key": key, "lines": built.lines, "tests": built.tests}))
    return built


def importers(root: Path, package: str, name: str) -> set[str]:
    """The modules of `package` that import module `name` directly (by any spelling of the import)."""
    found: set[str] = set()
    for path in sorted((root / package).rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        here = module_name(rel)
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = here.split(".") if path.name == "__init__.py" else here.split(".")[:-1]
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join([*parts, *([base] if base else [])])
                names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            if name in names and here != name:
                found.add(rel)
    return found


def selection(test_map: TestMap, mutant: Mutant, consumers: set[str], readers: set[str]) -> set[str]:
    """The tests that run the mutant's statement. A line that runs at import (a data row) is read, not run, by the
    tests: for it, the tests that run the module or a module importing it, and every test of a test file that
    imports it."""
    if mutant.runtime:
        return test_map.covering(mutant.module, range(mutant.first, mutant.last + 1))
    found = test_map.covering(mutant.module)
    for module in consumers:
        found |= test_map.covering(module)
    return found | {test for test in test_map.tests if test.split("::", 1)[0] in readers}
