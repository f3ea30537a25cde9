"""The policy pack's entry point: the engine runs `python -m pulumi.policy <engine> .` in this directory.

Constructing the PolicyPack starts the analyzer server and blocks, so it happens only here; the policies
themselves live in traffic_edge/policy/rules.py, importable by tests.
"""

import sys
from pathlib import Path

# The engine runs this file with policy/ as the working directory; the project root holds `traffic_edge`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack

from traffic_edge.policy.rules import POLICIES

PolicyPack(name="traffic-edge", policies=list(POLICIES))
