"""python -m tools.mutate [MODULE...]: mutation testing of the modules that decide security.

Each mutant is one change to one module (rules.py, strings.py); it runs against the tests that cover its line
(coverage_map.py) in a fresh pytest process that sees the mutant through an import hook (runner.py, hook.py),
never through the files on disk. Prints every survivor as a diff and a score per module; --json FILE saves it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tools.mutate.coverage_map import TestMap, importers, load, selection
from tools.mutate.mutants import Mutant, generate
from tools.mutate.report import EQUIVALENT, Equivalent, load_equivalents, load_settings, print_report, to_json
from tools.mutate.runner import SURVIVED, Job, Outcome, Runner

DEFAULT_MODULES = (
    "traffic_edge/data/permissions",
    "traffic_edge/controllers/aws_load_balancer_controller.py",
    "traffic_edge/plan/admission.py",
    "traffic_edge/plan/vap.py",
    "traffic_edge/plan/guardrails.py",
    "traffic_edge/config/rules",
    "traffic_edge/config/queries.py",
    "traffic_edge/plan/routes.py",
    "traffic_edge/plan/gateways.py",
    "traffic_edge/offline/diff/replace_rules.py",
    "traffic_edge/offline/diff/compare.py",
    "traffic_edge/offline/diff/render.py",
)
OWN_TESTS = ("tests/test_mutate.py",)


def module_files(root: Path, names: Sequence[str]) -> list[str]:
    """Files and directories (every .py below) → sorted relative paths."""
    found: set[str] = set()
    for name in names:
        path = (root / name).resolve()
        if path.is_dir():
            found.update(p.relative_to(root).as_posix() for p in path.rglob("*.py") if "__pycache__" not in p.parts)
        elif path.suffix == ".py" and path.is_file():
            found.add(path.relative_to(root).as_posix())
        else:
            raise SystemExit(f"mutate: no module or directory {name}")
    return sorted(found)


def plan(root: Path, package: str, mutants: Sequence[Mutant], test_map: TestMap, equivalents: Sequence[Equivalent],
         timeout: float | None, tests_dir: str = "tests") -> tuple[list[Job], list[Outcome]]:
    """The jobs to run, and the outcomes known without running: equivalent, no test covers it, baseline failing."""
    listed = {(e.module, e.identity) for e in equivalents}
    consumers: dict[str, set[str]] = {}
    readers: dict[str, set[str]] = {}
    jobs: list[Job] = []
    known: list[Outcome] = []
    for mutant in mutants:
        if (mutant.module, mutant.identity) in listed:
            known.append(Outcome(mutant, "equivalent"))
            continue
        if mutant.name not in consumers:
            consumers[mutant.name] = importers(root, package, mutant.name)
            readers[mutant.name] = importers(root, tests_dir, mutant.name)
        covering = selection(test_map, mutant, consumers[mutant.name], readers[mutant.name])
        failing = {test for test in covering if test_map.tests[test]["failed"]}
        if not covering:
            known.append(Outcome(mutant, "no-coverage"))
        elif covering == failing:
            known.append(Outcome(mutant, "baseline-failing", len(failing), detail=", ".join(sorted(failing))[:300]))
        else:
            tests = test_map.order(covering - failing)
            budget = timeout or 30 + 3 * sum(test_map.tests[test]["seconds"] for test in tests)
            jobs.append(Job(mutant, tests, timeout=budget))
    return jobs, known


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tasks.py mutate", description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help="files or directories (default: the security"
                        " modules of issue 16)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="save every outcome, the scores and the diffs")
    parser.add_argument("--jobs", type=int, default=2, help="mutants at a time (default 2)")
    parser.add_argument("--timeout", type=float, help="seconds per mutant (default: 30 + 3 × its tests' time)")
    parser.add_argument("--rule", action="append", help="only mutants of this rule (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutants' identities and stop")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the project (default: here)")
    parser.add_argument("--package", default="traffic_edge", help="the measured package (default traffic_edge)")
    parser.add_argument("--tests", action="append", metavar="GLOB",
                        help="test files, a glob under root, or one test function by its pytest id"
                        " (file::name); repeatable, default tests/test_*.py")
    parser.add_argument("--reuse-map", action="store_true", help="use the cached line → tests map even if sources"
                        " or tests changed since (a map takes minutes to build)")
    parser.add_argument("--again", type=Path, metavar="FILE",
                        help="only the mutants that survived in a run saved with --json (by identity)")
    parser.add_argument("--equivalent", type=Path, default=EQUIVALENT, help="the equivalent-mutants file")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> list[Outcome]:
    root: Path = args.root.resolve()
    settings = load_settings()
    equivalents = load_equivalents(args.equivalent)
    mutants = [m for rel in module_files(root, args.modules or DEFAULT_MODULES) for m in generate(root, rel, settings)]
    mutants = [m for m in mutants if not args.rule or m.rule in args.rule]
    if args.again:
        saved = json.loads(args.again.read_text())["mutants"]
        survivors = {(m["module"], m["id"]) for m in saved if m["status"] in SURVIVED}
        mutants = [m for m in mutants if (m.module, m.identity) in survivors]
    if args.list:
        for mutant in mutants:
            print(f"{mutant.module}:{mutant.line}\t{mutant.identity}")
        return []
    globs = args.tests or ["tests/test_*.py"]
    tests = sorted({p.relative_to(root).as_posix() for pattern in globs if "::" not in pattern
                    for p in root.glob(pattern)} | {pattern for pattern in globs if "::" in pattern})
    cache = root / "build" / "mutate" / "map.json"
    test_map = load(root, args.package, cache, [t for t in tests if t not in OWN_TESTS], args.jobs,
                    reuse=args.reuse_map)
    tests_dir = globs[0].split("/", 1)[0]
    jobs, known = plan(root, args.package, mutants, test_map, equivalents, args.timeout, tests_dir)
    print(f"{len(mutants)} mutants in {len({m.module for m in mutants})} modules: {len(jobs)} to run, "
          f"{len(known)} settled without running", flush=True)
    finished: list[Outcome] = []

    def progress(outcome: Outcome) -> None:
        finished.append(outcome)
        m = outcome.mutant
        print(f"[{len(finished)}/{len(jobs)}] {outcome.status:<15} {m.module}:{m.line} {m.rule} "
              f"({outcome.tests} tests, {outcome.seconds:.1f}s)", flush=True)

    try:
        Runner(root, jobs=args.jobs).run(jobs, progress)
    except KeyboardInterrupt:
        print(f"\ninterrupted: the report covers the {len(finished)} of {len(jobs)} mutants run so far", flush=True)
        mutants = [m for m in mutants if m in {o.mutant for o in known + finished}]
        args.interrupted = True
    outcomes = known + finished
    order = {id(m): i for i, m in enumerate(mutants)}
    outcomes.sort(key=lambda o: order[id(o.mutant)])
    found = {(o.mutant.module, o.mutant.identity) for o in outcomes}
    stale = [e for e in equivalents if e.module in {m.module for m in mutants} and (e.module, e.identity) not in found]
    print_report(root, outcomes, stale)
    return outcomes


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    args.interrupted = False
    signal.signal(signal.SIGTERM, _interrupt)  # a stopped run still reports what it ran
    start = time.monotonic()
    try:
        outcomes = run(args)
    except KeyboardInterrupt:
        print("\nmutate: interrupted; the working tree was never modified", file=sys.stderr)
        return 130
    seconds = time.monotonic() - start
    if args.json is not None and outcomes:
        args.json.write_text(to_json(args.root.resolve(), outcomes, seconds))
    if not args.list:
        print(f"{len(outcomes)} mutants in {seconds:.0f}s")
    return 130 if args.interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
