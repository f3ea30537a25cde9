"""Write one change into the original source text, touching nothing else, and prove it is that change.

A change is "replace this node by that node" in the module's AST. The source is edited in the node's span
only (so the diff shows one change and comments survive); the result must parse to exactly the module with the
node replaced, else a more cautious text is tried: the new node in parentheses, then the whole module unparsed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Slot:
    """Where a node sits in its parent: `parent.field` or `parent.field[index]`."""

    parent: ast.AST
    field: str
    index: int | None


def slots(tree: ast.AST) -> dict[int, Slot]:
    """id(node) → its slot, for every node of the tree."""
    found: dict[int, Slot] = {}
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if isinstance(value, ast.AST):
                found[id(value)] = Slot(parent, field, None)
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        found[id(item)] = Slot(parent, field, index)
    return found


def _put(slot: Slot, node: ast.AST) -> ast.AST:
    """Put `node` in the slot; returns what was there."""
    if slot.index is None:
        old: ast.AST = getattr(slot.parent, slot.field)
        setattr(slot.parent, slot.field, node)
        return old
    items: list[ast.AST] = getattr(slot.parent, slot.field)
    old = items[slot.index]
    items[slot.index] = node
    return old


class Source:
    """The module's text with UTF-8 offsets (what ast positions count) per line."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode()
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, line: int, column: int) -> int:
        return self.starts[line - 1] + column

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def replaced(self, start: int, end: int, text: str) -> str:
        return (self.data[:start] + text.encode() + self.data[end:]).decode()


def _dropped_span(source: Source, old: ast.AST, new: ast.AST) -> tuple[int, int] | None:
    """Where to cut, if `new` is `old` less one element (or one key): from it to the next, or from the one before."""
    if isinstance(old, ast.Dict) and isinstance(new, ast.Dict):
        before, after = old.keys, new.keys
        ends = old.values
    elif isinstance(old, ast.Tuple | ast.List | ast.Set) and isinstance(new, ast.Tuple | ast.List | ast.Set):
        before, after, ends = list(old.elts), list(new.elts), list(old.elts)
    else:
        return None
    if len(before) != len(after) + 1 or len(before) < 2 or any(key is None for key in before):
        return None
    index = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a is not b), len(after))
    if index + 1 < len(before):
        return source.span(before[index])[0], source.span(before[index + 1])[0]  # type: ignore[arg-type]
    return source.span(ends[index - 1])[1], source.span(ends[index])[1]


def _requoted(old: str, new: str) -> str | None:
    """`new`, a one-line string literal, in the quotes `old` was written with (unparse prefers single quotes)."""
    prefix = "f" if new.startswith("f") else ""
    quote = old[len(prefix) : len(prefix) + 1]
    if not old.startswith(prefix) or quote not in ('"', "'") or new[len(prefix) :][:1] == quote:
        return None
    body = new[len(prefix) + 1 : -1]
    if quote in body or old[len(prefix) : len(prefix) + 3] == quote * 3:
        return None
    return f"{prefix}{quote}{body}{quote}"


def _edited(segment: str, edit: tuple[str, str, int]) -> str | None:
    """The literal's source with the n-th occurrence of `old` replaced (checked by the caller like any text)."""
    before, after, index = edit
    position = -len(before)
    for _ in range(index + 1):
        position = segment.find(before, position + len(before))
        if position < 0:
            return None
    return segment[:position] + after + segment[position + len(before) :]


def _candidates(source: Source, tree: ast.Module, old: ast.AST, new: ast.AST,
                edit: tuple[str, str, int] | None) -> Iterator[str]:
    start, end = source.span(old)
    if edit is not None:
        edited = _edited(source.data[start:end].decode(), edit)
        if edited is not None:
            yield source.replaced(start, end, edited)
    cut = _dropped_span(source, old, new)
    if cut is not None:
        yield source.replaced(cut[0], cut[1], "")
    text = ast.unparse(new)
    requoted = _requoted(source.data[start:end].decode(), text)
    if requoted is not None:
        yield source.replaced(start, end, requoted)
    yield source.replaced(start, end, text)
    yield source.replaced(start, end, f"({text})")
    yield ast.unparse(tree) + "\n"


def apply(source: Source, tree: ast.Module, where: dict[int, Slot], old: ast.AST, new: ast.AST,
          edit: tuple[str, str, int] | None = None) -> str | None:
    """The module's text with `old` replaced by `new`, or None where no text parses to exactly that change."""
    slot = where[id(old)]
    _put(slot, new)
    try:
        try:
            expected = ast.dump(tree)
        except (AttributeError, TypeError):
            return None
        for candidate in _candidates(source, tree, old, new, edit):
            try:
                if ast.dump(ast.parse(candidate)) == expected:
                    return candidate
            except (SyntaxError, ValueError):
                continue
        return None
    finally:
        _put(slot, old)
