"""`python -m traffic_edge`: see exactly what a stack will create, with no Pulumi CLI, cloud or cluster.

    python -m traffic_edge preview --stack dev --out build/dev
    python -m traffic_edge preview --config path/to/Pulumi.lab.yaml --out build/lab
    python -m traffic_edge diff OLD NEW [--format markdown]
    python -m traffic_edge schema        write schema/stack.schema.json (for `# yaml-language-server: $schema=`)
    python -m traffic_edge reference     rewrite the config reference between the README's markers
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pulumi

from traffic_edge.config.reference import README_END, README_START, reference_markdown
from traffic_edge.config.schema import stack_file_schema
from traffic_edge.offline import diff
from traffic_edge.offline.plan import write
from traffic_edge.offline.render import PROJECT_DIR, StackFileError, render
from traffic_edge.offline.tree import render_tree


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


def schema(_: argparse.Namespace) -> int:
    path = PROJECT_DIR / "schema" / "stack.schema.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(stack_file_schema(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {path.relative_to(PROJECT_DIR)}")
    return 0


def reference(_: argparse.Namespace) -> int:
    readme = PROJECT_DIR / "README.md"
    text = readme.read_text()
    head, _, rest = text.partition(README_START)
    _, _, tail = rest.partition(README_END)
    readme.write_text(f"{head}{README_START}\n{reference_markdown()}\n{README_END}{tail}")
    print(f"updated the config reference in {readme.name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m traffic_edge", description=__doc__.splitlines()[0])
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
    commands.add_parser("schema", help="write schema/stack.schema.json").set_defaults(handler=schema)
    commands.add_parser("reference", help="rewrite the README's config reference").set_defaults(handler=reference)
    args = parser.parse_args(argv)
    return int(args.handler(args))

