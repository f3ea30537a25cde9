"""A pytest plugin for the coverage run that maps lines to tests (`-p tools.mutate.contexts`).

Each test's setup, call and teardown run under the coverage context of its node id. A fixture wider than a
function runs under `fixture:<test file>::<name>` instead: its lines belong to every test of that file that
requests it, not only to the first one, which happens to set it up. At the end it writes, to the file named by
MUTATE_CONTEXTS_OUT, every test's wider fixtures, whether it failed and how long it took.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import coverage
import pytest

OUT = "MUTATE_CONTEXTS_OUT"
_stack: list[str] = []
_file = [""]
_tests: dict[str, dict[str, Any]] = {}


def _switch(context: str) -> None:
    current = coverage.Coverage.current()
    if current is not None:
        current.switch_context(context)


def _wide(item: pytest.Item) -> list[str]:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    return sorted(name for name, defs in info.name2fixturedefs.items() if defs and defs[-1].scope != "function")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        _tests[item.nodeid] = {"fixtures": _wide(item), "failed": False, "seconds": 0.0}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    _file[0] = item.nodeid.split("::", 1)[0]
    _stack[:] = [item.nodeid]
    _switch(item.nodeid)
    try:
        return (yield)
    finally:
        _switch("")


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> Generator[None, object, object]:
    if fixturedef.scope == "function" or not _stack:
        return (yield)
    _stack.append(f"fixture:{_file[0]}::{fixturedef.argname}")
    _switch(_stack[-1])
    try:
        return (yield)
    finally:
        _stack.pop()
        _switch(_stack[-1])


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    test = _tests.setdefault(report.nodeid, {"fixtures": [], "failed": False, "seconds": 0.0})
    test["failed"] = test["failed"] or report.failed
    test["seconds"] += report.duration


def pytest_sessionfinish() -> None:
    out = os.environ.get(OUT)
    if out:
        Path(out).write_text(json.dumps(_tests))
