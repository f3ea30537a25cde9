"""Compare two offline previews and say what a deploy would do to each stack, before anyone runs it.

    python -m traffic_edge diff OLD NEW [--format text|markdown] [--stacks dev,prod] [--git]
    python -m traffic_edge diff origin/main --worktree --format markdown    # a PR against its base

OLD and NEW are each one of:

* a `plan.json` file, or a directory holding one (one stack);
* a directory of `<stack>/plan.json` (many stacks, as `preview --out DIR/<stack>` writes them);
* a git ref: anything `git rev-parse --verify REF^{commit}` accepts that is not an existing path
  (`--git` skips the path check). The ref's tree is exported to a temp dir and every
  `Pulumi.<stack>.yaml` there is rendered by that tree's own offline preview.

`--worktree` replaces NEW with the stacks in the current directory as they are on disk, rendered
the same way; refs are rendered from the same directory of their tree.

A change to an input listed in the replacement rules is reported as a replacement; a resource whose URN
changed is MOVED where one of its aliases maps the old URN (no delete, no create), else RE-PARENTED (a
delete + create). Values that are secret on either side print as `[secret]`. Exit status: 0 nothing
changed, 1 something changed, 2 usage error, missing plan or failed render.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from traffic_edge.offline.diff.compare import StackDiff, diff_stack, diff_stacks
from traffic_edge.offline.diff.render import render_markdown, render_text, stack_pictures
from traffic_edge.offline.diff.sources import DiffError, Sources

__all__ = ["DiffError", "StackDiff", "add_arguments", "diff_stack", "diff_stacks", "render_markdown",
           "render_text", "run"]


def _stack_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated stack names")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Compare two previews (plan directories or git refs) stack by stack."
    parser.add_argument("old", metavar="OLD", help="plan.json, a plan directory, a directory of <stack>/, or a git ref")
    parser.add_argument("new", metavar="NEW", nargs="?", help="as OLD; leave out with --worktree")
    parser.add_argument("--worktree", action="store_true", help="NEW is the working tree, rendered as it is on disk")
    parser.add_argument("--git", action="store_true", help="treat OLD and NEW as git refs even if such a path exists")
    parser.add_argument("--format", choices=("text", "markdown"), default="text", help="markdown for a PR comment")
    parser.add_argument("--stacks", type=_stack_list, help="only these stacks, comma-separated (default: all)")


def run(args: argparse.Namespace) -> int:
    """0: no changes; 1: changes; 2: usage error, missing plan or failed render."""
    try:
        report, changed = _run(args)
    except DiffError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        print(report)
    except BrokenPipeError:  # `... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1 if changed else 0


def _run(args: argparse.Namespace) -> tuple[str, bool]:
    """The report, and whether any stack changed."""
    if bool(args.new) == bool(args.worktree):
        raise DiffError("give NEW or --worktree (exactly one)")
    only = set(args.stacks) if args.stacks else None
    with tempfile.TemporaryDirectory(prefix="offline-diff-") as scratch:
        sources = Sources(Path.cwd(), Path(scratch), only)
        olds = sources.load(args.old, args.git)
        news = sources.worktree() if args.worktree else sources.load(args.new, args.git)
    if only is not None:
        if unknown := only - olds.keys() - news.keys():
            known = ", ".join(sorted(olds.keys() | news.keys())) or "none"
            raise DiffError(f"no such stack: {', '.join(sorted(unknown))} (known: {known})")
        olds = {name: plan for name, plan in olds.items() if name in only}
        news = {name: plan for name, plan in news.items() if name in only}
    if not olds and not news:
        raise DiffError("no stacks to compare on either side")
    diffs = diff_stacks(olds, news)
    picture = getattr(args, "picture", None)  # set by the command line: traffic_edge.graph's drawing
    pictures = stack_pictures(picture, olds, news) if picture else None
    report = render_markdown(diffs, pictures) if args.format == "markdown" else render_text(diffs)
    return report, any(d.changed for d in diffs)
