"""CEL as the Kubernetes API server runs it, on cel-python: one library for CRD rules and admission policies.

Standard CEL comes from celpy; added here are the Kubernetes extensions the rules and policies use
(https://kubernetes.io/docs/reference/using-api/cel/): `isIP`, the strings library (`split`, `substring`, `trim`,
`lowerAscii`, `upperAscii`), the format library (`format.dns1123Label().validate(s)`, …), RE2 for `matches`, and
cel-go's heterogeneous equality (`oldObject == null` is false for an object, not an error as in celpy).
An expression that calls anything else, or reads a variable its context does not bind, fails to compile
instead of failing at run time, so nothing is judged by a half-supported expression.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

import celpy
import lark
import re2  # type: ignore[import-untyped]
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.evaluation import CELEvalError, Evaluator, base_functions, bool_eq

from traffic_edge.conformance import meta
from traffic_edge.conformance.field import Json
from traffic_edge.conformance.openapi import go_regexp

Value = Any  # a celpy value, or a CELEvalError standing for a CEL error
MACROS = frozenset({"has", "all", "exists", "exists_one", "map", "filter"})
# Go's unicode.IsSpace (strings.TrimSpace), narrower than Python's str.isspace.
_WHITE_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
    "\u2028\u2029\u202f\u205f\u3000"


class UnsupportedExpressionError(ValueError):
    """The expression calls a function or reads a variable the evaluator does not provide."""


class _Format(celtypes.StringType):
    """A format of the Kubernetes format library, e.g. the value of `format.dns1123Label()`."""


FORMAT_CHECKS: dict[str, meta.NameRule] = {
    "dns1123Label": meta.dns1123_label,
    "dns1123Subdomain": meta.dns1123_subdomain,
    "dns1035Label": meta.dns1035_label,
    "qualifiedName": meta.qualified_name,
    "labelValue": meta.label_value,
}


def error(message: str) -> CELEvalError:
    """A CEL error value: stored in data, it fails only the expressions that read it (as in cel-go)."""
    return CELEvalError(message)


def is_ip(value: celtypes.StringType) -> celtypes.BoolType:
    """`isIP`: Go's netip.ParseAddr, without zones or IPv4-mapped IPv6; no leading zeros."""
    try:
        addr = ipaddress.ip_address(str(value))
    except ValueError:
        return celtypes.BoolType(False)
    mapped = isinstance(addr, ipaddress.IPv6Address) and (addr.ipv4_mapped is not None or addr.scope_id is not None)
    return celtypes.BoolType(not mapped)


def split(value: celtypes.StringType, sep: celtypes.StringType, limit: celtypes.IntType | None = None) -> Value:
    """`split` with Go's strings.SplitN semantics (a negative or absent limit splits everywhere)."""
    n = -1 if limit is None else int(limit)
    text, separator = str(value), str(sep)
    if n == 0:
        return celtypes.ListType()
    if separator == "":
        parts = list(text) if n < 0 or n >= len(text) else [*text[: n - 1], text[n - 1:]]
    else:
        parts = text.split(separator) if n < 0 else text.split(separator, n - 1)
    return celtypes.ListType([celtypes.StringType(part) for part in parts])


def substring(value: celtypes.StringType, start: celtypes.IntType, end: celtypes.IntType | None = None) -> Value:
    """`substring` over code points; out-of-range indices are an error."""
    stop = len(value) if end is None else int(end)
    if not 0 <= int(start) <= stop <= len(value):
        return error(f"index out of range: substring({int(start)}, {stop}) of a string of length {len(value)}")
    return celtypes.StringType(str(value)[int(start):stop])


def trim(value: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType(str(value).strip(_WHITE_SPACE))


def lower_ascii(value: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType("".join(c.lower() if c.isascii() else c for c in str(value)))


def upper_ascii(value: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType("".join(c.upper() if c.isascii() else c for c in str(value)))


def matches(value: celtypes.StringType, pattern: celtypes.StringType) -> Value:
    try:
        return celtypes.BoolType(go_regexp(str(pattern)).search(str(value)) is not None)
    except re2.error as exc:
        return error(f"invalid regular expression {str(pattern)!r}: {exc}")


def _number(value: Value) -> int | float | None:
    if isinstance(value, (int, float)) and not isinstance(value, (bool, celtypes.BoolType)):
        return value
    return None


_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    ((bool, celtypes.BoolType), "bool"), (str, "string"), (bytes, "bytes"), (dict, "map"), (list, "list"),
    (type(None), "null"), (celtypes.DurationType, "duration"), (celtypes.TimestampType, "timestamp"),
)


def _kind(value: Value) -> str:
    """The CEL type of a value, whichever Python class celpy used for it."""
    return next((kind for classes, kind in _KINDS if isinstance(value, classes)), type(value).__name__)


def equals(left: Value, right: Value) -> Value:
    """`==`: values of different types are unequal (a map and null), numbers compare by value (1 == 1.0)."""
    if isinstance(left, CELEvalError) or isinstance(right, CELEvalError):
        return left if isinstance(left, CELEvalError) else right
    numbers = _number(left), _number(right)
    if numbers[0] is not None and numbers[1] is not None:
        return celtypes.BoolType(numbers[0] == numbers[1])
    if _kind(left) != _kind(right):
        return celtypes.BoolType(False)
    return bool_eq(left, right)


def not_equals(left: Value, right: Value) -> Value:
    result = equals(left, right)
    return result if isinstance(result, CELEvalError) else celtypes.BoolType(not result)


def _format(name: str) -> Callable[[Value], _Format]:
    def make(_library: Value) -> _Format:
        return _Format(name)

    return make


def validate(fmt: Value, value: celtypes.StringType) -> Value:
    """`<format>.validate(s)`: null when `s` is valid, else the list of problems."""
    if not isinstance(fmt, _Format):
        return error("validate() needs a format from the format library")
    problems = FORMAT_CHECKS[str(fmt)](str(value))
    return celtypes.ListType([celtypes.StringType(p) for p in problems]) if problems else None


FUNCTIONS: dict[str, Callable[..., Value]] = {
    "_==_": equals,
    "_!=_": not_equals,
    "isIP": is_ip,
    "split": split,
    "substring": substring,
    "trim": trim,
    "lowerAscii": lower_ascii,
    "upperAscii": upper_ascii,
    "matches": matches,
    "validate": validate,
    **{name: _format(name) for name in FORMAT_CHECKS},
}
# Names every expression may read: the format library is reached through `format`.
LIBRARY_VARIABLES: dict[str, Value] = {"format": celtypes.MapType()}


class _Evaluator(Evaluator):
    """celpy's evaluator with cel-go's `has(e.f)`: an error in `e` (e.g. a field of null) is an error, not false, also
    inside macros (`all`, `exists`, `filter`, `map`), whose bodies celpy evaluates with a plain Evaluator."""

    def sub_evaluator(self, ast: lark.Tree[Any]) -> Evaluator:
        return _Evaluator(ast, activation=self.activation)

    def macro_has_eval(self, exprlist: lark.Tree[Any]) -> Any:
        node = exprlist.children[0]
        while isinstance(node, lark.Tree) and node.data != "member_dot" and len(node.children) == 1:
            node = node.children[0]
        if not isinstance(node, lark.Tree) or node.data != "member_dot":
            return super().macro_has_eval(exprlist)
        member_tree, field = node.children
        member = self.visit(member_tree)
        if isinstance(member, CELEvalError):
            return member
        if isinstance(member, celtypes.MapType):
            return celtypes.BoolType(celtypes.StringType(str(field)) in member)
        if member is None:
            return CELEvalError(f"no such key: {field}")
        return super().macro_has_eval(exprlist)


class _Runner(celpy.InterpretedRunner):
    def evaluate(self, context: Any) -> Any:
        return _Evaluator(ast=self.ast, activation=self.new_activation()).evaluate(context)


@functools.cache
def _environment() -> celpy.Environment:
    return celpy.Environment(runner_class=_Runner)


def _nodes(tree: Any) -> Iterator[Any]:
    stack = [tree]
    while stack:
        node = stack.pop()
        if hasattr(node, "children"):
            yield node
            stack.extend(node.children)


def _unsupported_names(tree: Any, variables: Collection[str]) -> set[str]:
    """Functions and free variables of a parsed expression that evaluation would not resolve."""
    known = set(base_functions) | set(FUNCTIONS) | MACROS
    bound: set[str] = set()
    idents: set[str] = set()
    calls: set[str] = set()
    for node in _nodes(tree):
        if node.data == "ident_arg":
            calls.add(str(node.children[0]))
        elif node.data == "member_dot_arg":
            calls.add(str(node.children[1]))
            if str(node.children[1]) in MACROS and len(node.children) > 2:
                first_arg = node.children[2].children[0]
                bound.update(str(n.children[0]) for n in _nodes(first_arg) if n.data == "ident")
        elif node.data == "ident":
            idents.add(str(node.children[0]))
    return (calls - known) | (idents - bound - set(variables) - set(LIBRARY_VARIABLES))


@functools.cache
def _compile(expression: str, variables: frozenset[str]) -> celpy.Runner:
    env = _environment()
    tree = env.compile(expression)
    missing = _unsupported_names(tree, variables)
    if missing:
        raise UnsupportedExpressionError(f"CEL uses names the evaluator does not provide: {sorted(missing)}: "
                                         f"{expression}")
    return env.program(tree, functions=FUNCTIONS)


def compile_expression(expression: str, variables: Collection[str]) -> celpy.Runner:
    """Parse once and check every name; raises celpy's CELParseError or UnsupportedExpressionError."""
    return _compile(expression, frozenset(variables))


def evaluate(expression: str, activation: Mapping[str, Value]) -> Value:
    """The expression's value, or the CELEvalError the API server would report."""
    program = compile_expression(expression, activation.keys())
    try:
        return program.evaluate({**LIBRARY_VARIABLES, **activation})
    except CELEvalError as exc:
        return exc


def to_cel(value: Json) -> Value:
    """A JSON value as CEL sees it without a schema (maps, lists, int, double, string, bool, null)."""
    return json_to_cel(value)


def error_text(exc: CELEvalError) -> str:
    """celpy's own message, e.g. "no such member in mapping: 'tls'"."""
    return str(exc.args[0]) if exc.args else repr(exc)
