#!/usr/bin/env python3
"""The project's entry points on a fresh machine with only Python 3.11+ and git.

    python3 tasks.py preview [STACK]   render a stack offline into build/STACK (plan.json, manifests/)
    python3 tasks.py check             lint, type-check, check the layer contract and run every test
    python3 tasks.py e2e [--config FILE ...]   the on-prem stacks through the real Pulumi engine and a real
                                       kube-apiserver (builds the toolchain from Go modules first; needs go)

Each creates .venv with the pinned requirements-dev.txt (the runtime lock requirements.txt plus the
checks) on first use, and again whenever either changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
LOCKS = (ROOT / "requirements.txt", ROOT / "requirements-dev.txt")
STAMP = VENV / ".requirements.sha256"
OLDEST_PYTHON = (3, 11)  # pyproject.toml requires-python; the pinned requirements need it


def ensure_venv() -> None:
    wanted = hashlib.sha256(b"".join(lock.read_bytes() for lock in LOCKS)).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not PYTHON.exists():
        print(f"creating {VENV.relative_to(ROOT)} ...", flush=True)
        try:  # clear: a .venv without a working python (moved, or half made) is rebuilt from scratch
            venv.create(VENV, clear=True, with_pip=True)
        except (OSError, subprocess.CalledProcessError) as error:
            shutil.rmtree(VENV, ignore_errors=True)  # else the next run would find a python without pip
            sys.exit(f"could not create {VENV}: {error}\n(on Debian/Ubuntu: apt install python3-venv)")
    print("installing pinned requirements ...", flush=True)
    run(str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(LOCKS[1]))
    STAMP.write_text(wanted)


def run(*command: str) -> None:
    completed = subprocess.run(command, cwd=ROOT, check=False)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


REFDATA = ROOT.parent / "shared" / "refdata"


def preview(args: list[str]) -> None:
    stack = args[0] if args else "dev"
    if (REFDATA / "gateway-api").is_dir():  # where GitHub (the release asset) is out of reach
        run(str(PYTHON), "-m", "traffic_edge", "bundle", "--sources", str(REFDATA / "gateway-api"))
    run(str(PYTHON), "-m", "traffic_edge", "preview", "--stack", stack, "--out", f"build/{stack}")


MERMAID = ROOT / "tools" / "mermaid"


def ensure_mermaid() -> None:
    """Mermaid's own parser, for the tests of the pictures (they skip, saying so, without node)."""
    if (MERMAID / "node_modules").is_dir() or shutil.which("npm") is None:
        return
    run("npm", "ci", "--prefix", str(MERMAID), "--no-audit", "--no-fund", "--loglevel=error")


def check(args: list[str]) -> None:
    ensure_mermaid()
    tool = str(VENV / "bin")
    run(f"{tool}/ruff", "check", ".")
    run(f"{tool}/mypy", ".")
    run(f"{tool}/lint-imports")
    run(f"{tool}/pytest", "-n", "2", *args)


def mutate(args: list[str]) -> None:
    """Mutation testing of the modules that decide security (tools/mutate); not part of `check`."""
    run(str(PYTHON), "-m", "tools.mutate", *args)


def e2e(args: list[str]) -> None:
    """The toolchain (a cache hit in seconds once built), then `python -m e2e`: see e2e/__init__.py."""
    build = subprocess.run(["bash", str(ROOT / "e2e" / "toolchain" / "build.sh")], cwd=ROOT, stdout=subprocess.PIPE,
                           text=True, env={**os.environ, "TRAFFIC_EDGE_PYTHON": str(PYTHON)}, check=False)
    if build.returncode != 0:
        sys.exit(build.returncode)
    run(str(PYTHON), "-m", "e2e", "--bin", build.stdout.strip().splitlines()[-1], *args)


COMMANDS = {"preview": preview, "check": check, "e2e": e2e, "mutate": mutate}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    if sys.version_info < OLDEST_PYTHON:  # the venv is made with this interpreter
        oldest = ".".join(map(str, OLDEST_PYTHON))
        sys.exit(f"tasks.py needs Python {oldest} or newer, not {sys.version.split()[0]}: try python{oldest} tasks.py")
    ensure_venv()
    COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
