"""Data the program reads: pinned versions, controller capabilities, workloads. No resources here."""
