"""Names of cloud identities, derived injectively from their parts within the cloud's length limit."""

from __future__ import annotations

import hashlib
import re


def identity_name(parts: tuple[str, ...], limit: int) -> str:
    """A cloud identity's name from its parts, lowercase `[a-z0-9-]`; a hash keeps it unique when cut to `limit`."""
    name = re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: limit - len(digest) - 1].rstrip('-')}-{digest}"
