"""Diffs for people: text for a terminal, Markdown for a pull-request comment."""

from __future__ import annotations

import difflib
import hashlib
import html
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from traffic_edge.offline.diff.compare import (
    LABELS,
    MISSING,
    SECRET,
    SIGNS,
    UNKNOWN,
    Change,
    Plan,
    ResourceDiff,
    StackDiff,
)
from traffic_edge.offline.diff.losses import Loss

# A GitHub comment holds 65,536 characters; stay well under it.
MARKDOWN_LIMIT: Final = 60_000
# Values longer than this (or multi-line) are shown as a line diff rather than inline.
INLINE_LIMIT: Final = 60
# Strings longer than this are shown by size and digest.
DOCUMENT_LIMIT: Final = 20_000

# --- rendering ------------------------------------------------------------------------------


def _digest(text: str) -> str:
    """A document too long to read in a diff (a CRD bundle), named by its size and digest instead."""
    return f"({len(text.splitlines())} lines, sha256 {hashlib.sha256(text.encode()).hexdigest()})"


def _show(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    if isinstance(value, str) and len(value) > DOCUMENT_LIMIT:
        return _digest(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _pretty_lines(value: Any) -> list[str]:
    """Multi-line form for a line diff; JSON held in a string (an IAM policy) is expanded."""
    if value is MISSING:
        return []
    if isinstance(value, str) and len(value) > DOCUMENT_LIMIT:
        return [_digest(value)]
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value.splitlines()
        if isinstance(parsed, (dict, list)):
            value = parsed
        else:
            return value.splitlines()
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def _is_long(change: Change) -> bool:
    return any(len(shown) > INLINE_LIMIT or "\\n" in shown for shown in (_show(change.old), _show(change.new)))


def _line_diff(change: Change) -> list[str]:
    lines = difflib.unified_diff(_pretty_lines(change.old), _pretty_lines(change.new), lineterm="", n=2)
    return [line for line in lines if not line.startswith(("---", "+++"))]


def _parent_label(urn: str | None) -> str:
    if not urn:
        return "(stack)"
    parts = urn.split("::")
    return f"{'::'.join(parts[3:])} ({parts[2].split('$')[-1]})" if len(parts) >= 4 else urn


def render_text(diffs: list[StackDiff]) -> str:
    """For a terminal: a summary line per stack, then one line per resource and per changed input."""
    lines: list[str] = []
    for stack in diffs:
        if lines:
            lines.append("")
        lines.append(stack.summary())
        lines += [f"  {line}" for line in loss_lines(stack.losses)]
        for resource in stack.resources:
            lines.append(f"  {SIGNS[resource.kind]} {LABELS[resource.kind]} {resource.type} {resource.name}")
            if resource.kind == "reparent":
                parents = f"{_parent_label(resource.old_parent)} → {_parent_label(resource.new_parent)}"
                lines.append(f"      parent: {parents}")
                lines.append("      (a delete + create unless an alias maps the old URN)")
            if resource.old_key:
                lines.append(f"      was {resource.old_key} (an alias maps it: no delete, no create)")
            for change in resource.changes:
                lines += _text_change(change, indent="      ")
        if stack.outputs:
            lines.append("  outputs:")
            for change in stack.outputs:
                lines += _text_change(change, indent="      ")
    return "\n".join(lines)


FATE_WORDS: Final = {
    "deleted": "DELETES DATA: {what} ({how}: {type} {name})",
    "left in the cluster": "keeps {what} in the cluster: {how} in the stack only ({type} {name})",
    "protected": "STOPS: {type} {name} is protected, so `pulumi up` fails before deleting {what}",
}


def loss_lines(losses: Iterable[Loss]) -> list[str]:
    """One line per deletion that takes data with it, loudest first."""
    marks = {"deleted": "!!!", "protected": "!!!", "left in the cluster": "!"}
    return [f"{marks[loss.fate]} " + FATE_WORDS[loss.fate].format(**vars(loss)) for loss in losses]


def _markdown_losses(losses: tuple[Loss, ...]) -> list[str]:
    """GitHub alerts: a CAUTION for data a deploy deletes or stops at, a NOTE for data it leaves in the cluster."""
    out: list[str] = []
    for kind, fates, heading in (("CAUTION", ("deleted", "protected"), "This deploy deletes data"),
                                 ("NOTE", ("left in the cluster",), "Left in the cluster, no longer managed here")):
        lines = [FATE_WORDS[loss.fate].format(**{**vars(loss), "what": f"**{loss.what}**"})
                 for loss in losses if loss.fate in fates]
        if lines:
            escaped = [f"> - {html.escape(line, quote=False)}" for line in lines]
            out += ["", f"> [!{kind}]", f"> **{heading}:**", *escaped]
    return out


def _text_change(change: Change, indent: str) -> list[str]:
    forces = f"  [forces replacement: {change.forces.reason}]" if change.forces else ""
    if not _is_long(change):
        return [f"{indent}{change.path}: {_show(change.old)} → {_show(change.new)}{forces}"]
    return [f"{indent}{change.path}:{forces}"] + [f"{indent}  {line}" for line in _line_diff(change)]


def _code(text: str) -> str:
    """Inline code that survives a Markdown table cell."""
    return "<code>" + html.escape(text, quote=False).replace("|", "&#124;").replace("\n", " ") + "</code>"


MD_BADGES: Final = {
    "move": "↪️ moved (alias)",
    "replace": "🔴 **REPLACED**",
    "reparent": "🟠 **RE-PARENTED**",
    "delete": "➖ deleted",
    "add": "➕ added",
    "change": "✏️ changed",
}


# Markdown drawn from one stack's old and new plan (None: that side lacks the stack). traffic_edge.graph draws it;
# it lives in a layer above this one, so the command line hands it in.
PlanPicture = Callable[[Plan | None, Plan | None], str]
StackPicture = Callable[[StackDiff], str]
PICTURE_LEFT_OUT: Final = "_Picture left out to stay under GitHub's size limit: `python -m traffic_edge graph`._"


def stack_pictures(picture: PlanPicture, olds: Mapping[str, Plan], news: Mapping[str, Plan]) -> StackPicture:
    """Hand `picture` each stack's two plans, paired as diff_stacks pairs them."""
    if len(olds) == 1 and len(news) == 1 and olds.keys() != news.keys():
        return lambda _stack: picture(next(iter(olds.values())), next(iter(news.values())))
    return lambda stack: picture(olds.get(stack.stack), news.get(stack.stack))


def render_markdown(diffs: list[StackDiff], picture: StackPicture | None = None) -> str:
    """For a PR comment: a heading, summary and resource table per stack, then each change's inputs.

    With `picture`, each changed stack also gets its picture under the summary; pictures are the first to go
    when the comment would grow past the limit.
    """
    pictures: dict[int, str] = {}
    out = [
        "## Offline preview diff",
        "",
        "Rendered under Pulumi mocks by `python -m traffic_edge diff`: values a cloud computes show as "
        f"`{UNKNOWN}`, secrets as `{SECRET}`. A real `pulumi preview` against live state has the last word.",
    ]
    for stack in diffs:
        out += ["", f"### {stack.stack}", "", f"**{stack.summary()}**", *_markdown_losses(stack.losses)]
        if picture is not None and stack.changed:
            pictures[len(out) + 1] = picture(stack)
            out += ["", ""]  # the picture's place
        if stack.resources:
            out += ["", "| | Resource | Type |", "|---|---|---|"]
            out += [f"| {MD_BADGES[r.kind]} | {_code(r.name)} | {_code(r.type)} |" for r in stack.resources]
        for resource in stack.resources:
            if resource.kind in ("replace", "reparent", "change") or resource.changes:
                out += _markdown_resource(resource)
        if stack.outputs:
            out += ["", "#### Stack outputs", "", *_markdown_changes(stack.outputs)]
    return _truncate(_fit_pictures(out, pictures) + "\n")


def _fit_pictures(lines: list[str], pictures: Mapping[int, str]) -> str:
    """Put in the pictures that fit under the limit, smallest first; the others become a note."""
    budget = MARKDOWN_LIMIT - len("\n".join(lines)) - 1 - len(PICTURE_LEFT_OUT) * len(pictures)
    for index, picture in sorted(pictures.items(), key=lambda item: len(item[1])):
        if len(picture) - len(PICTURE_LEFT_OUT) <= budget:
            lines[index] = picture
            budget -= len(picture) - len(PICTURE_LEFT_OUT)
        else:
            lines[index] = PICTURE_LEFT_OUT
    return "\n".join(lines)


def _markdown_resource(resource: ResourceDiff) -> list[str]:
    out = ["", f"#### {MD_BADGES[resource.kind]} {_code(resource.name)} · {_code(resource.type)}", ""]
    if resource.kind == "reparent":
        out += [
            f"Parent {_code(_parent_label(resource.old_parent))} → {_code(_parent_label(resource.new_parent))}: "
            "the URN changes, so this is a delete + create unless an alias maps the old URN.",
            "",
        ]
    return out + _markdown_changes(resource.changes)


def _markdown_changes(changes: Iterable[Change]) -> list[str]:
    rows = ["| Path | Old | New | |", "|---|---|---|---|"]
    details: list[str] = []
    for change in changes:
        note = ""
        if change.forces:
            source = change.forces.source
            note = f"🔴 **forces replacement**: {html.escape(change.forces.reason, quote=False)} ([source]({source}))"
        if _is_long(change):
            rows.append(f"| {_code(change.path)} | _see below_ | _see below_ | {note} |")
            lines = _line_diff(change)
            fence = "`" * max([3, *(len(run) + 1 for line in lines for run in re.findall("`+", line))])
            details += [
                "",
                f"<details><summary>{_code(change.path)}</summary>",
                "",
                f"{fence}diff",
                *lines,
                fence,
                "",
                "</details>",
            ]
        else:
            rows.append(f"| {_code(change.path)} | {_code(_show(change.old))} | {_code(_show(change.new))} | {note} |")
    return rows + details


def _truncate(markdown: str) -> str:
    """Cut at a line under the comment limit, closing a code fence or <details> left open there."""
    if len(markdown) <= MARKDOWN_LIMIT:
        return markdown
    kept = markdown[: markdown.rfind("\n", 0, MARKDOWN_LIMIT - 500)].splitlines()
    fence = ""
    for line in kept:
        run = re.match(r"`{3,}", line)
        if run and not fence:
            fence = run.group()
        elif run and line.strip() == fence:
            fence = ""
    closing = [fence] if fence else []
    if sum(line.startswith("<details>") for line in kept) > kept.count("</details>"):
        closing += ["", "</details>"]
    note = f"_Truncated: the full diff is {len(markdown):,} characters. Run `python -m traffic_edge diff` locally._"
    return "\n".join([*kept, *closing, "", "---", note]) + "\n"
