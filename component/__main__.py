"""The component package's entry point: the engine runs it to construct TrafficEdge for other languages."""

import sys
from pathlib import Path

# The plugin directory sits in the project; the project root holds `traffic_edge`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi.provider.experimental import component_provider_host

from traffic_edge.package import TrafficEdge

if __name__ == "__main__":
    component_provider_host([TrafficEdge], name="traffic-edge", version="0.1.0")
