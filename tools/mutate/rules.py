"""The mutation rules: each takes one node and yields single changes, "replace this node by that one".

Operators (comparisons, and/or, not), constants (True/False, ints ±1, keyword constants → None), strings (see
strings.py), data rows (drop one element of a tuple/list/set literal, one key of a dict literal, a mapping → {})
and `return x` → `return None` in a function typed to return Optional.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from tools.mutate.strings import StringChange, cel_changes, domain_changes, is_cel, literal_changes, near_miss

SHORT = 70
COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Change:
    old: ast.AST
    new: ast.AST
    rule: str
    before: str
    after: str
    line: int  # the line of what changes, for the tests that run it
    edit: tuple[str, str, int] | None = None  # the same change as a text edit of the literal (see splice.py)


def short(text: str) -> str:
    """One line, at most SHORT characters; a longer text keeps a hash of the whole, so it stays unique."""
    flat = " ".join(text.split())
    if len(flat) <= SHORT:
        return flat
    return flat[: SHORT - 10] + "…" + hashlib.sha1(flat.encode()).hexdigest()[:8]


def constant(value: str | int | bool | None) -> ast.Constant:
    node = ast.Constant(value)
    node.kind = None
    return node


def _line(node: ast.AST) -> int:
    return int(getattr(node, "lineno", 0))


def compare(node: ast.Compare) -> Iterator[Change]:
    for index, op in enumerate(node.ops):
        swap = COMPARE_SWAPS.get(type(op))
        if swap is None:
            continue
        ops = [*node.ops[:index], swap(), *node.ops[index + 1 :]]
        new = ast.Compare(node.left, ops, node.comparators)
        yield Change(node, new, "compare", short(ast.unparse(node)), short(ast.unparse(new)), _line(node))


def boolean(node: ast.BoolOp) -> Iterator[Change]:
    new = ast.BoolOp(ast.Or() if isinstance(node.op, ast.And) else ast.And(), node.values)
    yield Change(node, new, "boolean", short(ast.unparse(node)), short(ast.unparse(new)), _line(node))


def negation(node: ast.UnaryOp) -> Iterator[Change]:
    if isinstance(node.op, ast.Not):
        yield Change(node, node.operand, "not", short(ast.unparse(node)), short(ast.unparse(node.operand)), _line(node))


def number_or_flag(node: ast.Constant) -> Iterator[Change]:
    if isinstance(node.value, bool):
        yield Change(node, constant(not node.value), "bool", repr(node.value), repr(not node.value), _line(node))
    elif isinstance(node.value, int):
        for delta in (1, -1):
            value = node.value + delta
            yield Change(node, constant(value), "int", repr(node.value), repr(value), _line(node))


def keyword_none(node: ast.keyword) -> Iterator[Change]:
    """`name=<constant>` → `name=None`: an optional field left out of a data row."""
    if isinstance(node.value, ast.Constant) and node.value.value is not None:
        before = short(ast.unparse(node))
        yield Change(node.value, constant(None), "none", before, f"{node.arg}=None", _line(node.value))


def string(node: ast.Constant, widen: Mapping[str, Sequence[str]], *, empty: bool = True) -> Iterator[Change]:
    assert isinstance(node.value, str)
    for change in literal_changes(node.value, widen, empty=empty):
        yield Change(node, constant(change.text), change.rule, repr(change.before), repr(change.after), _line(node),
                     change.edit)


Edit = tuple[str, str, int] | None


def _shifted(edit: Edit, parts: list[tuple[int, str]], index: int) -> Edit:
    """An edit of one constant part of an f-string, counted over the whole f-string's constant text."""
    if edit is None:
        return None
    earlier = sum(text.count(edit[0]) for i, text in parts if i < index)
    return edit[0], edit[1], edit[2] + earlier


def _fstring_with(node: ast.JoinedStr, index: int, text: str) -> ast.JoinedStr:
    values = list(node.values)
    if text:
        values[index] = constant(text)
    else:
        del values[index]
    return ast.JoinedStr(values)


def fstring(node: ast.JoinedStr, widen: Mapping[str, Sequence[str]]) -> Iterator[Change]:
    """CEL swaps in every constant part; a resource template → `*`; the near miss of a trailing constant part."""
    parts = [(i, v.value) for i, v in enumerate(node.values)
             if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    whole = "".join(text for _, text in parts)
    cel = is_cel(whole)
    changes: list[tuple[int, StringChange]] = []
    for index, text in parts:
        changes += [(index, change) for change in cel_changes(text, cel_text=cel)]
    for index, change in changes:
        new = _fstring_with(node, index, change.text)
        yield Change(node, new, change.rule, repr(change.before), repr(change.after), _line(node),
                     _shifted(change.edit, parts, index))
    if parts and parts[0][0] == 0:
        for change in domain_changes(parts[0][1], widen):
            if change.rule == "iam-resource":
                yield Change(node, constant("*"), change.rule, short(ast.unparse(node)), "'*'", _line(node))
    last = len(node.values) - 1
    if parts and parts[-1][0] == last:
        miss = near_miss(parts[-1][1])
        if miss is not None:
            new = _fstring_with(node, last, miss.text)
            yield Change(node, new, miss.rule, repr(miss.before), repr(miss.after), _line(node),
                         _shifted(miss.edit, parts, last))


def drop_element(node: ast.Tuple | ast.List | ast.Set) -> Iterator[Change]:
    for index, element in enumerate(node.elts):
        elts = [*node.elts[:index], *node.elts[index + 1 :]]
        if isinstance(node, ast.Set) and not elts:
            continue  # `{}` is a dict, not an empty set
        new: ast.AST = type(node)(elts, node.ctx) if isinstance(node, ast.Tuple | ast.List) else ast.Set(elts)
        yield Change(node, new, "drop-element", short(ast.unparse(element)), "", _line(element))


def drop_key(node: ast.Dict) -> Iterator[Change]:
    for index, key in enumerate(node.keys):
        if key is None:
            continue
        keys = [*node.keys[:index], *node.keys[index + 1 :]]
        values = [*node.values[:index], *node.values[index + 1 :]]
        yield Change(node, ast.Dict(keys, values), "drop-key", short(ast.unparse(key)), "", _line(key))


def emptied(node: ast.expr, mappings: set[str]) -> Iterator[Change]:
    """A mapping in a data position (a dict value or a call argument) → `{}`: a condition or a row lost whole."""
    if (isinstance(node, ast.Dict) and node.keys) or (isinstance(node, ast.Name) and node.id in mappings):
        yield Change(node, ast.Dict([], []), "empty-mapping", short(ast.unparse(node)), "{}", _line(node))


def return_none(node: ast.Return) -> Iterator[Change]:
    if node.value is not None and not (isinstance(node.value, ast.Constant) and node.value.value is None):
        new = ast.Return(constant(None))
        yield Change(node, new, "return-none", short(ast.unparse(node)), "return None", _line(node))
