"""Domain-aware rules for string literals: CEL text, IAM actions and resources, a table of widenings, near misses.

Each rule takes the text of one literal (or of one constant part of an f-string) and yields single changes as
(rule, before, after, new text), where before/after are a short window around the change, stable across edits
elsewhere in the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

#: CEL token swaps, each applied at one occurrence at a time.
CEL_SWAPS: tuple[tuple[str, str], ...] = (
    ("&&", "||"),
    ("||", "&&"),
    (".all(", ".exists("),
    (".exists(", ".all("),
    (".startsWith(", ".endsWith("),
    (".endsWith(", ".startsWith("),
    ("==", "!="),
    ("!=", "=="),
)
#: A string holding one of these is CEL text (`!` removal and `>`/`<` widening apply only there).
CEL_MARKERS = ("&&", "||", ".all(", ".exists(", "has(", "size(")
_NEGATION = re.compile(r"!(?!=)")
_STRICT = re.compile(r"(?<![=!<>-])([<>])(?!=)")
#: `service:Action`, as IAM names actions (AWS), e.g. route53:GetChange.
IAM_ACTION = re.compile(r"^([a-z][a-z0-9-]*):[A-Z][A-Za-z0-9]*$")
#: Resource names that a `*` widens: AWS ARNs and Azure scopes.
RESOURCE_PREFIXES = ("arn:", "/subscriptions/")
WINDOW = 18


@dataclass(frozen=True)
class StringChange:
    rule: str
    before: str
    after: str
    text: str
    edit: tuple[str, str, int] | None = None  # `old` → `new` at its n-th occurrence: the change as a text edit


def _window(text: str, start: int, end: int) -> str:
    return text[max(0, start - WINDOW) : end + WINDOW]


def _replace_at(rule: str, text: str, start: int, old: str, new: str) -> StringChange:
    changed = text[:start] + new + text[start + len(old) :]
    before, after = _window(text, start, start + len(old)), _window(changed, start, start + len(new))
    return StringChange(rule, before, after, changed, (old, new, text.count(old, 0, start)))


def is_cel(text: str) -> bool:
    return any(marker in text for marker in CEL_MARKERS)


def cel_changes(text: str, *, cel_text: bool) -> Iterator[StringChange]:
    """Swaps of CEL operators and functions; in CEL text also `!` removal and `>`→`>=`, `<`→`<=`."""
    for old, new in CEL_SWAPS:
        if old in ("==", "!=") and not cel_text and " " + old + " " not in text:
            continue  # `==` outside CEL text only where it reads as an operator
        start = text.find(old)
        while start != -1:
            if not (old == "!=" and text[start : start + 3] == "!=="):
                yield _replace_at("cel", text, start, old, new)
            start = text.find(old, start + len(old))
    if not cel_text:
        return
    for match in _NEGATION.finditer(text):
        yield _replace_at("cel-not", text, match.start(), "!", "")
    for match in _STRICT.finditer(text):
        yield _replace_at("cel", text, match.start(), match.group(1), match.group(1) + "=")


def domain_changes(text: str, widen: Mapping[str, Sequence[str]]) -> Iterator[StringChange]:
    """IAM action → `service:*`, a resource → `*`, and the widenings the equivalents file lists."""
    action = IAM_ACTION.match(text)
    if action:
        yield StringChange("iam-action", text, f"{action.group(1)}:*", f"{action.group(1)}:*")
    if text.startswith(RESOURCE_PREFIXES):
        yield StringChange("iam-resource", text, "*", "*")
    for wider in widen.get(text, ()):
        yield StringChange("widen", text, wider, wider)


def near_miss(text: str) -> StringChange | None:
    """The string without its last character."""
    if not text:
        return None
    edit = (text[-1], "", text[:-1].count(text[-1]))
    return StringChange("near-miss", text[-WINDOW:], text[-WINDOW:-1], text[:-1], edit)


def literal_changes(text: str, widen: Mapping[str, Sequence[str]], *, empty: bool = True) -> Iterator[StringChange]:
    """Every change of a plain string literal: domain rules first, then the near miss and the empty string."""
    domain = list(domain_changes(text, widen))
    yield from domain
    cel = is_cel(text)
    yield from cel_changes(text, cel_text=cel)
    miss = near_miss(text)
    if miss is not None:
        yield miss
    if empty and not cel and not domain and len(text) > 1:
        yield StringChange("empty-string", text[:WINDOW], "", "")
