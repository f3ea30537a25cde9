"""`python -m traffic_edge`: see exactly what a stack will create, with no Pulumi CLI, cloud or cluster.

    python -m traffic_edge preview --stack dev --out build/dev
    python -m traffic_edge preview --config path/to/Pulumi.lab.yaml --out build/lab
    python -m traffic_edge diff OLD NEW [--format markdown]
    python -m traffic_edge graph --stack dev [--format mermaid|svg] [--out FILE]   a picture of the edge
    python -m traffic_edge doctor --stack dev [--format json] [--strict]   the deployed edge against the stack
    python -m traffic_edge schema        write schema/stack.schema.json (for `# yaml-language-server: $schema=`)
    python -m traffic_edge reference     rewrite the config reference between the README's markers
    python -m traffic_edge package-schema   write component/schema.json, the component package's schema
    python -m traffic_edge bundle --sources DIR   build Gateway API bundles from tagged sources into the cache
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

import pulumi

from traffic_edge.components.gateway_api import artifact_cache
from traffic_edge.config.reference import README_END, README_START, reference_markdown
from traffic_edge.config.schema import stack_file_schema
from traffic_edge.data.gateway_api import build_bundle
from traffic_edge.data.versions import GATEWAY_API_BUNDLE_SHA256
from traffic_edge.doctor import command as doctor_command
from traffic_edge.graph import command as graph_command
from traffic_edge.graph import diff_picture
from traffic_edge.offline import diff
from traffic_edge.offline.plan import write
from traffic_edge.offline.render import PROJECT_DIR, render
from traffic_edge.offline.stackfile import StackFileError
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
    for warning in recording.warnings:
        print(f"warning: {warning}")
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
    head, _start, rest = text.partition(README_START)
    _old, _end, tail = rest.partition(README_END)
    readme.write_text(f"{head}{README_START}\n{reference_markdown()}\n{README_END}{tail}")
    print(f"updated the config reference in {readme.name}")
    return 0


def package_schema(_args: argparse.Namespace) -> int:
    from pulumi.provider.experimental.component import ComponentProvider  # noqa: PLC0415 - only this command

    from traffic_edge.package import TrafficEdge  # noqa: PLC0415 - only this command

    path = PROJECT_DIR / "component" / "schema.json"
    schema = json.loads(str(ComponentProvider([TrafficEdge], "traffic-edge", version="0.1.0").schema))
    path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    print(f"wrote {path.relative_to(PROJECT_DIR)}")
    return 0


def bundle(args: argparse.Namespace) -> int:
    """For hosts without the release asset: rebuild it from a tag's config/crd (as upstream builds it), keep it in
    the artifact cache only where it has the pinned digest."""
    built = []
    for (version, channel), sha256 in sorted(GATEWAY_API_BUNDLE_SHA256.items()):
        sources = Path(args.sources) / version
        if not (sources / channel).is_dir():
            continue
        data = build_bundle(sources, version, channel)
        if hashlib.sha256(data).hexdigest() != sha256:
            print(f"error: {sources / channel} does not build the pinned {version} {channel} bundle", file=sys.stderr)
            return 2
        path = artifact_cache() / sha256
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        built.append(f"{version} {channel}")
    print(f"cached {', '.join(built) or 'nothing'} in {artifact_cache()}")
    return 0 if built else 2


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
    diff_parser.set_defaults(handler=diff.run, picture=diff_picture)  # Markdown gets each changed stack's picture
    graph_parser = commands.add_parser("graph", help="draw a stack's edge: Mermaid, or SVG through Graphviz")
    graph_command.add_arguments(graph_parser)
    graph_parser.set_defaults(handler=graph_command.run)
    doctor_parser = commands.add_parser("doctor", help="check the deployed edge against its stack, with fixes")
    doctor_command.add_arguments(doctor_parser)
    doctor_parser.set_defaults(handler=doctor_command.run)
    commands.add_parser("schema", help="write schema/stack.schema.json").set_defaults(handler=schema)
    commands.add_parser("reference", help="rewrite the README's config reference").set_defaults(handler=reference)
    commands.add_parser("package-schema", help="write component/schema.json").set_defaults(handler=package_schema)
    bundle_parser = commands.add_parser("bundle", help="build Gateway API bundles from tagged sources, verified")
    bundle_parser.add_argument("--sources", required=True, help="a directory of <tag>/{boilerplate.sh.txt,<channel>/}")
    bundle_parser.set_defaults(handler=bundle)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except BrokenPipeError:  # `... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0

