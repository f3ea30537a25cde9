"""`python -m traffic_edge graph`: draw a stack's edge from a fresh render or a saved plan.json.

    python -m traffic_edge graph --stack dev                       Mermaid on stdout
    python -m traffic_edge graph --stack gke --format svg --out gke.svg   (needs Graphviz's `dot`)
    python -m traffic_edge graph --plan build/dev                  a saved preview
    python -m traffic_edge graph --stack dev --readme              rewrite the README's picture
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pulumi

from traffic_edge.graph.build import graph_of
from traffic_edge.graph.dot import GraphvizError, to_dot, to_svg
from traffic_edge.graph.mermaid import mermaid
from traffic_edge.graph.pictures import with_readme_block
from traffic_edge.graph.source import Plan
from traffic_edge.offline.diff.sources import DiffError, load_path
from traffic_edge.offline.plan import plan_document
from traffic_edge.offline.render import PROJECT_DIR, render
from traffic_edge.offline.stackfile import StackFileError


class GraphError(Exception):
    """A user mistake or a failed render: one line on stderr, exit 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Draw a stack's edge as traffic sees it: listeners, routes, backends, grants, TLS, DNS."
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="render Pulumi.<STACK>.yaml from the project directory")
    source.add_argument("--config", help="render this stack file")
    source.add_argument("--plan", help="draw a saved preview: a plan.json or a directory holding one")
    parser.add_argument("--format", choices=("mermaid", "svg"), default="mermaid",
                        help="svg lays the picture out with Graphviz's `dot`, where it is installed")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--out", help="write here instead of stdout")
    output.add_argument("--readme", action="store_true", help="rewrite the picture between the README's markers")


def run(args: argparse.Namespace) -> int:
    try:
        if args.readme and args.format != "mermaid":
            raise GraphError("--readme writes Mermaid; leave out --format svg")
        plan = _plan(args)
        if args.readme:
            readme = PROJECT_DIR / "README.md"
            try:
                readme.write_text(with_readme_block(readme.read_text(), plan))
            except ValueError as error:
                raise GraphError(str(error)) from None
            print(f"updated the picture of {plan.get('stack')} in {readme.name}")
            return 0
        drawing = mermaid(graph_of(plan)) if args.format == "mermaid" else to_svg(to_dot(graph_of(plan)))
        if args.out:
            Path(args.out).write_text(drawing)
        else:
            sys.stdout.write(drawing)
    except (GraphError, GraphvizError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    return 0


def _plan(args: argparse.Namespace) -> Plan:
    if args.plan:
        try:
            plans = load_path(Path(args.plan))
        except DiffError as error:
            raise GraphError(str(error)) from None
        if len(plans) != 1:
            raise GraphError(f"{args.plan} holds plans of {len(plans)} stacks ({', '.join(plans)}); name one of them")
        return next(iter(plans.values()))
    stack_file = Path(args.config) if args.config else PROJECT_DIR / f"Pulumi.{args.stack}.yaml"
    try:
        return plan_document(render(stack_file.resolve()))
    except StackFileError as error:
        raise GraphError(str(error)) from None
    except pulumi.RunError as error:
        raise GraphError(f"{stack_file.name} is not valid:\n{error}") from None
