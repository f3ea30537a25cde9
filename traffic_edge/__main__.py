"""`python -m traffic_edge`: see, compare and document what stacks create (`--help` lists the commands)."""

import sys

from traffic_edge.cli import main

sys.exit(main())
