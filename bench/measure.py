"""One measurement in a fresh process, so peak RSS is this render's alone (run by `python -m bench`).

    python -m bench.measure program STACK_FILE OBJECTS_OUT   render the project's program for a stack file
    python -m bench.measure baseline OBJECTS_FILE            register those objects as bare CustomResources

Both import the same SDKs and the same offline engine before the clock starts and print one JSON object.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi_kubernetes as k8s

from traffic_edge.offline.engine import Recording, record
from traffic_edge.offline.plan import manifest_of
from traffic_edge.offline.render import prepare


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _timed(run: Callable[[], Recording]) -> tuple[Recording, dict[str, float]]:
    """Wall and CPU time (CPU time is steadier on a busy machine), and peak RSS before and after."""
    start_mb = _peak_mb()
    start, start_cpu = time.perf_counter(), time.process_time()
    recording = run()
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    return recording, {"seconds": seconds, "cpu": cpu, "start_mb": start_mb, "peak_mb": _peak_mb()}


def program(stack_file: Path, objects_out: Path) -> dict[str, Any]:
    """Time the program from config to registrations, as traffic_edge.offline.render runs it. The stack file is read
    before the clock starts: in a real deploy the Pulumi CLI parses it, not the program."""
    recording, figures = _timed(prepare(stack_file))
    objects = [
        [registration.name, manifest]
        for registration in recording.resources.values()
        if (manifest := manifest_of(registration)) is not None
    ]
    objects_out.write_text(json.dumps(objects))
    return {**figures, "resources": len(recording.resources), "objects": len(objects)}


def baseline(objects_file: Path) -> dict[str, Any]:
    objects: list[tuple[str, dict[str, Any]]] = json.loads(objects_file.read_text())

    def bare() -> None:
        for name, manifest in objects:
            k8s.apiextensions.CustomResource(
                name,
                api_version=manifest["apiVersion"],
                kind=manifest["kind"],
                metadata=manifest.get("metadata"),
                spec=manifest.get("spec"),
            )

    recording, figures = _timed(lambda: record(bare, project="traffic-edge", stack="bench"))
    return {**figures, "resources": len(recording.resources), "objects": len(objects)}


def main(argv: list[str]) -> int:
    if argv[:1] == ["program"] and len(argv) == 3:
        result = program(Path(argv[1]), Path(argv[2]))
    elif argv[:1] == ["baseline"] and len(argv) == 2:
        result = baseline(Path(argv[1]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
