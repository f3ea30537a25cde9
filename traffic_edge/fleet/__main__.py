"""`python -m traffic_edge.fleet`: preview or update many stacks and print one table of results.

    python -m traffic_edge.fleet preview                      every Pulumi.<stack>.yaml, non-production first
    python -m traffic_edge.fleet up --stacks dev,production   in this order: dev before production
    python -m traffic_edge.fleet preview --concurrency 4 --out build/fleet

Stacks start in list order, at most --concurrency (default 2) at a time; after a failed `up` the
stacks not yet started are skipped (--concurrency 1 makes an `up` strictly one stack after another).
--out DIR keeps each stack's full output in DIR/<stack>/: the engine log, or offline plan.json and
manifests/. Without a Pulumi CLI, `preview` renders offline and `up` refuses.
Exit status: 0 every stack ok, 1 any failed or skipped, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from traffic_edge import fleet


def _stack_list(text: str) -> list[str]:
    stacks = [stack.strip() for stack in text.split(",") if stack.strip()]
    if not stacks:
        raise argparse.ArgumentTypeError("name at least one stack")
    return stacks


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def main(argv: list[str] | None = None, opener: fleet.Opener = fleet.open_stack) -> int:
    parser = argparse.ArgumentParser(prog="python -m traffic_edge.fleet", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("action", choices=("preview", "up"))
    parser.add_argument("--stacks", type=_stack_list, help="comma-separated, in run order (default: every stack)")
    parser.add_argument("--concurrency", type=_positive, default=2, help="stacks run at once (default 2)")
    parser.add_argument("--out", type=Path, help="keep each stack's full output in OUT/<stack>/")
    args = parser.parse_args(argv)
    try:
        stacks = fleet.select(args.stacks)
    except fleet.FleetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if fleet.pulumi_cli() is not None:
        outcomes = fleet.run_automation(list(stacks), args.action, args.concurrency, args.out, opener)
    elif args.action == "up":
        print("error: `up` needs the Pulumi CLI, which is not on PATH (https://www.pulumi.com/docs/install/); "
              "nothing was changed", file=sys.stderr)
        return 2
    else:
        print("Pulumi CLI not found: previewing offline (no deployed state, so every resource counts as a create)")
        outcomes = fleet.run_offline(stacks, args.concurrency, args.out)
    print(fleet.table(outcomes))
    return 0 if all(outcome.status == "ok" for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
