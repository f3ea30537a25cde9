#!/usr/bin/env python3
"""The project's two entry points on a fresh machine with only Python 3.11+ and git.

    python3 tasks.py preview   render the dev stack offline into build/dev (plan.json, manifests/)
    python3 tasks.py check     lint, type-check and run every test

Each creates .venv with the pinned requirements.txt on first use, and again whenever it changes.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".requirements.sha256"


def ensure_venv() -> None:
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not PYTHON.exists():
        print(f"creating {VENV.relative_to(ROOT)} ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("installing pinned requirements ...", flush=True)
    run(str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS))
    STAMP.write_text(wanted)


def run(*command: str) -> None:
    completed = subprocess.run(command, cwd=ROOT, check=False)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def preview(args: list[str]) -> None:
    stack = args[0] if args else "dev"
    run(str(PYTHON), "-m", "offline", "preview", "--stack", stack, "--out", f"build/{stack}")


def check(args: list[str]) -> None:
    tool = str(VENV / "bin")
    run(f"{tool}/ruff", "check", ".")
    run(f"{tool}/mypy", ".")
    run(f"{tool}/pytest", "-n", "2", *args)


COMMANDS = {"preview": preview, "check": check}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    ensure_venv()
    COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
