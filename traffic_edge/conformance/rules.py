"""The `x-kubernetes-validations` CEL rules of a CRD schema, run as the API server runs them on create.

Values reach CEL the way apiextensions' `UnstructuredToVal` builds them from the schema: property names escaped,
`number` as double. An integral float where an integer is expected (which kube-openapi accepts) reaches CEL as an
int, as it does from Pulumi and kubectl, which send whole numbers without a fraction.
Transition rules (`oldSelf`) only run on update: they are listed as skipped, not evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from celpy import celtypes
from celpy.evaluation import CELEvalError

from traffic_edge.conformance import cel
from traffic_edge.conformance.field import ErrorType, FieldError, Json, Schema, child, index, key

_OLD_SELF = re.compile(r"\boldSelf\b")
_RESERVED = frozenset({
    "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import",
    "let", "loop", "package", "namespace", "return", "var", "void", "while",
})
_ESCAPES = {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}
_REASONS = {"FieldValueForbidden": ErrorType.FORBIDDEN, "FieldValueRequired": ErrorType.REQUIRED,
            "FieldValueDuplicate": ErrorType.DUPLICATE}


@dataclass
class RuleResults:
    errors: list[FieldError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # `path: rule` of transition rules, not run on create


def escape(name: str) -> str | None:
    """A property name as CEL sees it (the apiserver's escaping); None when CEL cannot address it."""
    if not name or name[0].isdigit():
        return None
    if name in _RESERVED:
        return f"__{name}__"
    escaped = re.sub(r"__|[-./]", lambda m: _ESCAPES[m.group(0)], name)
    return escaped if all(c == "_" or c.isalnum() for c in escaped) else None


def run_rules(schema: Schema, value: Json, path: str, out: RuleResults) -> cel.Value:
    """Run the rules of every node of a defaulted value, children first; returns the value as CEL sees it."""
    result = _convert(schema, value, path, out)
    for rule in schema.get("x-kubernetes-validations", ()):
        run_rule(rule, result, path, out)
    return result


def _convert(schema: Schema, value: Json, path: str, out: RuleResults) -> cel.Value:
    if value is None:
        return None if schema.get("nullable") else cel.error("invalid data, got null for schema with nullable=false")
    if isinstance(value, float) and value.is_integer() and (
            schema.get("type") == "integer" or schema.get("x-kubernetes-int-or-string")):
        return celtypes.IntType(int(value))
    if isinstance(value, dict):
        return _convert_map(schema, value, path, out)
    if isinstance(value, list):
        items = schema["items"] if isinstance(schema.get("items"), dict) else {}
        return celtypes.ListType([run_rules(items, item, index(path, i), out) for i, item in enumerate(value)])
    return _convert_scalar(schema, value)


def _convert_map(schema: Schema, value: dict[str, Json], path: str, out: RuleResults) -> cel.Value:
    props: dict[str, Schema] = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    embedded = bool(schema.get("x-kubernetes-embedded-resource"))
    converted: dict[celtypes.StringType, cel.Value] = {}
    for name, item in value.items():
        if name in props:
            escaped, result = escape(name), run_rules(props[name], item, child(path, name), out)
            if escaped is not None:
                converted[celtypes.StringType(escaped)] = result
        elif isinstance(extra, dict):
            converted[celtypes.StringType(name)] = run_rules(extra, item, key(path, name), out)
        elif embedded and name in ("apiVersion", "kind", "metadata"):
            converted[celtypes.StringType(name)] = _visible_metadata(item) if name == "metadata" else cel.to_cel(item)
        elif schema.get("x-kubernetes-preserve-unknown-fields") or extra is True:
            converted[celtypes.StringType(name)] = cel.to_cel(item)
    return celtypes.MapType(converted)


def _convert_scalar(schema: Schema, value: Json) -> cel.Value:
    if schema.get("type") == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return celtypes.DoubleType(float(value))
    return cel.to_cel(value)


def run_root_rules(schema: Schema, body: dict[str, Json], metadata: Json, out: RuleResults) -> None:
    """A resource's rules, children first; at the root, `self.metadata` is ObjectMeta as rules see it."""
    root = _convert(schema, body, "", out)
    root[celtypes.StringType("metadata")] = _visible_metadata(metadata)
    for rule in schema.get("x-kubernetes-validations", ()):
        run_rule(rule, root, "", out)


def _visible_metadata(meta: Json) -> cel.Value:
    """Of ObjectMeta, rules only see name and generateName."""
    shown = {k: meta[k] for k in ("name", "generateName") if k in meta} if isinstance(meta, dict) else {}
    return cel.to_cel(shown)


def _where(path: str, rule: dict[str, str]) -> str:
    field_path = rule.get("fieldPath", "")
    if not field_path:
        return path
    return path + field_path if field_path.startswith("[") else child(path, field_path.lstrip("."))


def run_rule(rule: dict[str, str], value: cel.Value, path: str, out: RuleResults) -> None:
    """Evaluate one rule with `self` bound to `value`; a false or failing rule becomes an error at its field."""
    text, where = rule["rule"], _where(path, rule)
    if _OLD_SELF.search(text):
        out.skipped.append(f"{where or '<root>'}: {text}")
        return
    verdict = cel.evaluate(text, {"self": value})
    if isinstance(verdict, CELEvalError):
        named = (rule.get("message") or text).strip()  # the apiserver's ruleErrorString
        out.errors.append(FieldError(where, ErrorType.INVALID, f"{cel.error_text(verdict)} evaluating rule: {named}"))
    elif not (isinstance(verdict, (bool, celtypes.BoolType)) and verdict):
        detail = _message(rule, value)
        error_type = _REASONS.get(rule.get("reason", ""), ErrorType.INVALID)
        out.errors.append(FieldError(where, error_type, detail))


def _message(rule: dict[str, str], value: cel.Value) -> str:
    """messageExpression's value when it yields a one-line string, else message, else the rule itself."""
    static = rule.get("message") or f"failed rule: {rule['rule'].strip()}"
    if not rule.get("messageExpression"):
        return static
    message = cel.evaluate(rule["messageExpression"], {"self": value})
    if isinstance(message, CELEvalError) or not isinstance(message, str) or not message.strip() or "\n" in message:
        return static
    return str(message)
