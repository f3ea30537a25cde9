"""`python -m stackconfig schema|reference`: the config model for editors and for the README.

    python -m stackconfig schema      write schema/stack.schema.json (for `# yaml-language-server: $schema=`)
    python -m stackconfig reference   rewrite the config reference between the README's markers
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from stackconfig.reference import README_END, README_START, reference_markdown, stack_file_schema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "schema" / "stack.schema.json"
README_PATH = ROOT / "README.md"


def main(argv: list[str]) -> int:
    if argv == ["schema"]:
        SCHEMA_PATH.parent.mkdir(exist_ok=True)
        SCHEMA_PATH.write_text(json.dumps(stack_file_schema(), indent=2, sort_keys=True) + "\n")
        print(f"wrote {SCHEMA_PATH.relative_to(ROOT)}")
        return 0
    if argv == ["reference"]:
        text = README_PATH.read_text()
        head, _, rest = text.partition(README_START)
        _, _, tail = rest.partition(README_END)
        README_PATH.write_text(f"{head}{README_START}\n{reference_markdown()}\n{README_END}{tail}")
        print(f"updated the config reference in {README_PATH.name}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
