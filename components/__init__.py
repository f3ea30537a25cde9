"""Cloud-agnostic ComponentResources, one per concern; each takes a typed args object."""
