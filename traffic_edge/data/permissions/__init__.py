"""What each in-cluster workload may do in each cloud: one module per cloud, rows with their upstream source."""
