"""Serve one module's mutated source in place of its file, in this process and every Python it starts.

The runner writes this file as `sitecustomize.py` into a scratch directory on PYTHONPATH, so it loads at start-up
of the test process and of any `python -m ...` a test runs. MUTATE_MODULE names the module, MUTATE_SOURCE the file
holding the mutant, MUTATE_MARKER a file to write if the mutant raises on import. The working tree is only read:
the module keeps its real `__file__`, and no bytecode is written for the mutant. Standard library only.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import traceback
from collections.abc import Sequence
from types import CodeType, ModuleType


class MutantLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, mutant: str, marker: str) -> None:
        super().__init__(fullname, path)
        self.mutant = mutant
        self.marker = marker

    def get_source(self, fullname: str) -> str:
        with open(self.mutant, encoding="utf-8") as handle:
            return handle.read()

    def get_code(self, fullname: str) -> CodeType:
        return compile(self.get_source(fullname), self.path, "exec", dont_inherit=True)

    def exec_module(self, module: ModuleType) -> None:
        try:
            super().exec_module(module)
        except BaseException:
            if self.marker:
                with open(self.marker, "a", encoding="utf-8") as handle:
                    handle.write(traceback.format_exc(limit=3))
            raise


class MutantFinder(importlib.abc.MetaPathFinder):
    def __init__(self, fullname: str, mutant: str, marker: str) -> None:
        self.fullname = fullname
        self.mutant = mutant
        self.marker = marker

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.fullname:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is None or not spec.origin:
                continue
            loader = MutantLoader(fullname, spec.origin, self.mutant, self.marker)
            return importlib.util.spec_from_file_location(
                fullname, spec.origin, loader=loader, submodule_search_locations=spec.submodule_search_locations
            )
        return None


def install() -> None:
    name, mutant = os.environ.get("MUTATE_MODULE"), os.environ.get("MUTATE_SOURCE")
    if name and mutant:
        sys.meta_path.insert(0, MutantFinder(name, mutant, os.environ.get("MUTATE_MARKER", "")))


install()
