"""The mutants of one module: every single change the rules make, with a stable identity and the lines it needs.

An identity names where the change is (the enclosing function, or the module-level name of a data table, plus
the assignment, dict keys and keyword names down to the node), the rule, and the text before and after; line
numbers are not part of it, so it survives edits elsewhere in the file.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from tools.mutate import rules
from tools.mutate.rules import Change
from tools.mutate.splice import Slot, Source, apply, slots

DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
#: Generic names whose subscripts are types, not data (`dict[str, Any]`, `Scope = Literal["zone", "project"]`).
#: A Literal that pydantic validates is data, but those in the modules here only type dataclass fields.
TYPE_NAMES = {"dict", "list", "tuple", "set", "frozenset", "type", "Mapping", "Sequence", "Iterable", "Iterator",
              "Callable", "Optional", "Union", "Final", "ClassVar", "cast", "Literal"}


@dataclass(frozen=True)
class Prose:
    """Where strings are prose (messages, sources): string rules skip them, the other rules do not."""

    calls: tuple[str, ...] = ("Issue", "*Error", "*Exception", "*Warning", "warn")
    keys: tuple[str, ...] = ("source", "reason", "message", "messageExpression", "description", "help")
    texts: tuple[str, ...] = ("https://*",)  # strings that are prose wherever they stand: links to sources


@dataclass(frozen=True)
class Settings:
    prose: Prose = field(default_factory=Prose)
    widen: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Mutant:
    module: str  # the file, relative to the project, with `/`
    name: str  # the module's dotted name
    line: int
    first: int  # the enclosing statement's lines: the tests that run any of them run the change
    last: int
    runtime: bool  # inside a function body (else it runs when the module is imported)
    scope: str
    rule: str
    before: str
    after: str
    occurrence: int
    source: str

    @property
    def identity(self) -> str:
        text = f"{self.scope} | {self.rule} | {self.before} → {self.after}"
        return text if self.occurrence == 1 else f"{text} #{self.occurrence}"


def module_name(rel: str) -> str:
    parts = rel.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


class Context:
    """What the rules need to know about a node's surroundings."""

    def __init__(self, tree: ast.Module, settings: Settings, imported: Mapping[str, list[str]]) -> None:
        self.tree = tree
        self.settings = settings
        self.where = slots(tree)
        self.skipped: set[int] = set()
        self.prose: set[int] = set()
        self.mappings = {t.id for s in tree.body if isinstance(s, ast.Assign) and isinstance(s.value, ast.Dict)
                         for t in s.targets if isinstance(t, ast.Name)}
        # parameters by position, of this module's functions and dataclasses and of those it imports from the
        # project: `_rule(types, paths, "why", SOURCE)` and `Trip(path, detail)` pass prose positionally
        self.parameters = {**imported, **signatures(tree)}
        for node in ast.walk(tree):
            self._mark(node)

    def slot(self, node: ast.AST) -> Slot | None:
        return self.where.get(id(node))

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        slot = self.slot(node)
        while slot is not None:
            yield slot.parent
            slot = self.slot(slot.parent)

    def _skip_all(self, node: ast.AST | None, into: set[int]) -> None:
        if node is not None:
            into.update(id(inner) for inner in ast.walk(node))

    def _mark(self, node: ast.AST) -> None:
        prose = self.settings.prose
        if isinstance(node, ast.arg | ast.AnnAssign):
            self._skip_all(node.annotation, self.skipped)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for decorator in node.decorator_list:  # @dataclass(frozen=True): not behaviour the tests pin
                self._skip_all(decorator, self.skipped)
            if not isinstance(node, ast.ClassDef):
                self._skip_all(node.returns, self.skipped)
        elif isinstance(node, ast.FormattedValue):
            self._skip_all(node.format_spec, self.skipped)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            self._skip_all(node, self.skipped)  # docstrings
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            self._skip_all(node, self.skipped)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value).split(".")[-1] in TYPE_NAMES:
            self._skip_all(node.slice, self.skipped)
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            self.skipped.add(id(node.slice))  # `x["key"]`: a wrong key only raises KeyError wherever the line runs
        elif isinstance(node, ast.Call) and any(fnmatchcase(ast.unparse(node.func).split(".")[-1], p)
                                                for p in prose.calls):
            for argument in [*node.args, *node.keywords]:
                self._skip_all(argument, self.prose)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.parameters:
            for name, argument in zip(self.parameters[node.func.id], node.args, strict=False):
                if name in prose.keys:
                    self._skip_all(argument, self.prose)
        elif isinstance(node, ast.keyword) and node.arg in prose.keys:
            self._skip_all(node.value, self.prose)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and any(
                fnmatchcase(node.value, pattern) for pattern in prose.texts):
            self.prose.add(id(node))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in prose.keys:
                    self._skip_all(value, self.prose)
        elif isinstance(node, ast.Raise | ast.Assert):
            self._skip_all(node.exc if isinstance(node, ast.Raise) else node.msg, self.prose)
        if isinstance(node, ast.Tuple | ast.List) and isinstance(node.ctx, ast.Store | ast.Del):
            self._skip_all(node, self.skipped)

    def in_data_position(self, node: ast.AST) -> bool:
        slot = self.slot(node)
        if slot is None:
            return False
        return (isinstance(slot.parent, ast.Dict) and slot.field == "values") or (
            isinstance(slot.parent, ast.Call) and slot.field == "args") or isinstance(slot.parent, ast.keyword)

    def optional_return(self, node: ast.Return) -> bool:
        function = next((a for a in self.ancestors(node) if isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef
                                                                         | ast.Lambda)), None)
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) or function.returns is None:
            return False
        returns = ast.unparse(function.returns)
        return "None" in returns or "Optional" in returns

    def changes(self, node: ast.AST) -> Iterator[Change]:
        if id(node) in self.skipped:
            return
        words = id(node) in self.prose
        widen = self.settings.widen
        if isinstance(node, ast.Compare):
            yield from rules.compare(node)
        elif isinstance(node, ast.BoolOp):
            yield from rules.boolean(node)
        elif isinstance(node, ast.UnaryOp):
            yield from rules.negation(node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            parent = self.slot(node)
            if not words and not (parent and isinstance(parent.parent, ast.JoinedStr)):
                # a key or an element is already dropped and near-missed: the empty string adds nothing there
                element = parent is not None and (isinstance(parent.parent, ast.Tuple | ast.List | ast.Set) or (
                    isinstance(parent.parent, ast.Dict) and parent.field == "keys"))
                yield from rules.string(node, widen, empty=not element)
        elif isinstance(node, ast.Constant):
            yield from rules.number_or_flag(node)
        elif isinstance(node, ast.JoinedStr) and not words:
            yield from rules.fstring(node, widen)
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            yield from rules.drop_element(node)
        elif isinstance(node, ast.Dict):
            yield from rules.drop_key(node)
        elif isinstance(node, ast.keyword) and node.arg not in self.settings.prose.keys:
            yield from rules.keyword_none(node)
        elif isinstance(node, ast.Return) and self.optional_return(node):
            yield from rules.return_none(node)
        if isinstance(node, ast.Dict | ast.Name) and self.in_data_position(node):
            yield from rules.emptied(node, self.mappings)

    def statement(self, node: ast.AST) -> ast.stmt:
        if isinstance(node, ast.stmt):
            return node
        return next(a for a in self.ancestors(node) if isinstance(a, ast.stmt))

    def scope(self, node: ast.AST) -> str:
        """The enclosing definitions, the assigned name and the dict keys and keywords down to `node`."""
        chain = [node, *self.ancestors(node)]
        names = [a.name for a in reversed(chain) if isinstance(a, DEFS) and a is not node]
        stmt = self.statement(node)
        label = ""
        if isinstance(stmt, ast.Assign):
            label = ",".join(ast.unparse(target) for target in stmt.targets)
        elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
            label = ast.unparse(stmt.target)
        elif isinstance(stmt, ast.Return):
            label = "return"
        path = ""
        for child, parent in itertools.pairwise(chain):
            if parent is stmt:
                break
            slot = self.slot(child)
            if isinstance(parent, ast.Dict) and slot and slot.field == "values" and slot.index is not None:
                key = parent.keys[slot.index]
                path = (f"[{key.value!r}]" if isinstance(key, ast.Constant) else "") + path
            elif isinstance(parent, ast.keyword):
                path = f".{parent.arg}" + path
        return ".".join(part for part in (*names, label) if part) + path or "<module>"


def _is_dataclass(node: ast.ClassDef) -> bool:
    return any(ast.unparse(d.func if isinstance(d, ast.Call) else d).split(".")[-1] == "dataclass"
               for d in node.decorator_list)


def signatures(tree: ast.Module) -> dict[str, list[str]]:
    """A module's functions and dataclasses → the names their positional arguments bind to."""
    found: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = [a.arg for a in node.args.args]
        elif isinstance(node, ast.ClassDef) and _is_dataclass(node):
            found[node.name] = [f.target.id for f in node.body if isinstance(f, ast.AnnAssign)
                                and isinstance(f.target, ast.Name) and "ClassVar" not in ast.unparse(f.annotation)]
    return found


def imported_signatures(root: Path, tree: ast.Module) -> dict[str, list[str]]:
    """The signatures of the names a module imports from modules of the project, under the names it uses."""
    found: dict[str, list[str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or not node.module or node.level:
            continue
        base = root.joinpath(*node.module.split("."))
        path = next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)
        if path is None:
            continue
        theirs = signatures(ast.parse(path.read_text()))
        found.update({alias.asname or alias.name: theirs[alias.name] for alias in node.names if alias.name in theirs})
    return found


def _function_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            body = node.body if isinstance(node.body, list) else [node.body]
            lines.update(range(body[0].lineno, (body[-1].end_lineno or body[-1].lineno) + 1))
    return lines


def generate(root: Path, rel: str, settings: Settings) -> list[Mutant]:
    """Every mutant of the module at root/rel, in source order, one per distinct mutated text."""
    text = (root / rel).read_text()
    tree = ast.parse(text)
    source = Source(text)
    context = Context(tree, settings, imported_signatures(root, tree))
    runtime_lines = _function_lines(tree)
    seen: set[str] = {text}
    counts: dict[str, int] = {}
    found: list[Mutant] = []
    nodes = sorted(ast.walk(tree), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
    for node in nodes:
        for change in context.changes(node):
            mutated = apply(source, tree, context.where, change.old, change.new, change.edit)
            if mutated is None or mutated in seen:
                continue
            seen.add(mutated)
            stmt = context.statement(change.old)
            scope = context.scope(change.old)
            key = f"{scope}|{change.rule}|{change.before}|{change.after}"
            counts[key] = counts.get(key, 0) + 1
            found.append(Mutant(
                rel, module_name(rel), change.line, stmt.lineno, stmt.end_lineno or stmt.lineno,
                change.line in runtime_lines and not isinstance(stmt, DEFS), scope, change.rule, change.before,
                change.after, counts[key], mutated,
            ))
    return found
