"""`python -m traffic_edge doctor`: what the stack declares against what the cluster says, each finding with its fix."""
