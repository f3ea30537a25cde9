"""`python -m offline`: see exactly what a stack will create, with no Pulumi CLI, cloud or cluster.

    python -m offline preview --stack dev --out build/dev
    python -m offline preview --config path/to/Pulumi.lab.yaml --out build/lab
    python -m offline diff OLD NEW [--format markdown]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pulumi

from offline import diff
from offline.plan import write
from offline.render import PROJECT_DIR, StackFileError, render
from offline.tree import render_tree


def preview(args: argparse.Namespace) -> int:
    stack_file = Path(args.config) if args.config else PROJECT_DIR / f"Pulumi.{args.stack}.yaml"
    try:
        recording = render(stack_file.resolve())
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except pulumi.RunError as error:
        print(f"error: {stack_file.name} is not valid:\n{error}", file=sys.stderr)
        return 2
    try:
        plan_path, manifest_count = write(recording, Path(args.out))
    except OSError as error:
        print(f"error: cannot write --out {args.out}: {error.strerror}: {error.filename}", file=sys.stderr)
        return 2
    print(render_tree(recording))
    print(f"\nplan: {plan_path}\nmanifests: {manifest_count} in {plan_path.parent / 'manifests'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    preview_parser = commands.add_parser("preview", help="render a stack: plan.json, manifests and a resource tree")
    source = preview_parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="render Pulumi.<STACK>.yaml from the project directory")
    source.add_argument("--config", help="render this stack file (the stack is named after Pulumi.<stack>.yaml)")
    preview_parser.add_argument("--out", required=True, help="directory for plan.json and manifests/")
    preview_parser.set_defaults(handler=preview)
    diff_parser = commands.add_parser("diff", help="compare two previews or two git refs")
    diff.add_arguments(diff_parser)
    diff_parser.set_defaults(handler=diff.run)
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
