"""Facts about upstream software at the pinned versions, each with its source; imports nothing of this program."""
