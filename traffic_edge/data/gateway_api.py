"""The Gateway API release bundle as upstream builds it, so its digest can be reproduced from the tagged sources.

kubernetes-sigs/gateway-api hack/build-install-yaml.sh: the boilerplate (with YEAR replaced by the build year in
tags that still carry it), a channel header, then each config/crd/<channel>/gateway*.yaml in sorted order behind
a `---` and a comment naming the file.
"""

from __future__ import annotations

from pathlib import Path

# The year the release was built, for boilerplates that still say YEAR (v1.6.x say none).
BUILD_YEARS = {"v1.4.1": "2025"}


def build_bundle(sources: Path, version: str, channel: str) -> bytes:
    """`sources` holds boilerplate.sh.txt and <channel>/ of one tag (../shared/refdata/gateway-api/<tag>)."""
    text = (sources / "boilerplate.sh.txt").read_text().replace("YEAR", BUILD_YEARS.get(version, "YEAR"))
    text += f"#\n# Gateway API {channel.capitalize()} channel install\n#\n"
    for crd in sorted((sources / channel).glob("gateway*.yaml")):
        text += f"---\n#\n# config/crd/{channel}/{crd.name}\n#\n{crd.read_text()}"
    return text.encode()
