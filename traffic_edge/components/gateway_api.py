"""Gateway API CRDs from the release bundle, verified against the pinned digest, kept when the stack is destroyed.

The program reads the bundle itself (upstream release asset, a mirror or a local file) and hands the provider
the verified bytes: nothing unverified is ever applied. Verified bundles are kept in a cache keyed by digest
(`$TRAFFIC_EDGE_ARTIFACT_CACHE`, default ~/.cache/traffic-edge/artifacts), so a bundle is fetched once.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml

from traffic_edge.components.kube import PATCH_FORCE, kube_object
from traffic_edge.plan.objects import KubeObject
from traffic_edge.plan.sources import BundleLocation

DOWNLOAD_TIMEOUT = 60  # seconds


def artifact_cache() -> Path:
    default = Path.home() / ".cache" / "traffic-edge" / "artifacts"
    return Path(os.environ.get("TRAFFIC_EDGE_ARTIFACT_CACHE") or default)


def _read(location: BundleLocation) -> bytes:
    if location.file is not None:
        try:
            return Path(location.file).expanduser().read_bytes()
        except OSError as error:
            raise pulumi.RunError(f"artifacts.gatewayApi.file: cannot read {location.file}: {error.strerror}") from None
    assert location.url is not None
    try:
        with urllib.request.urlopen(location.url, timeout=DOWNLOAD_TIMEOUT) as response:
            return bytes(response.read())
    except (urllib.error.URLError, TimeoutError) as error:
        raise pulumi.RunError(
            f"cannot download the Gateway API bundle {location.url}: {error}; set artifacts.gatewayApi to a mirror "
            f"(url) or a local copy (file) of {location.channel}-install.yaml {location.version}"
        ) from None


def verified_bundle(location: BundleLocation) -> str:
    """The bundle's text, only if its sha256 is the one pinned for its release and channel."""
    cached = artifact_cache() / location.sha256
    if cached.is_file() and hashlib.sha256(cached.read_bytes()).hexdigest() == location.sha256:
        return cached.read_text()
    data = _read(location)
    digest = hashlib.sha256(data).hexdigest()
    if digest != location.sha256:
        where = location.file or location.url
        raise pulumi.RunError(
            f"the Gateway API bundle from {where} has sha256 {digest}, not the {location.sha256} pinned for "
            f"{location.version} {location.channel}: it is not that release's {location.channel}-install.yaml"
        )
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(data)
    return data.decode()


@dataclass(frozen=True)
class GatewayApiCrdsArgs:
    bundle: BundleLocation


class GatewayApiCrds(pulumi.ComponentResource):
    """Installs `<channel>-install.yaml` of one Gateway API release.

    Protected and retained on delete: deleting a CRD deletes every Gateway and route in the
    cluster, which no `pulumi destroy` of the edge should ever do.
    """

    def __init__(self, name: str, args: GatewayApiCrdsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:gateway_api:GatewayApiCrds", name, None, opts)
        bundle = args.bundle
        self.bundle = GatewayApiBundle(f"{name}-bundle", verified_bundle(bundle), pulumi.ResourceOptions(parent=self))
        self.release = f"{bundle.version} {bundle.channel}"
        self.sha256 = bundle.sha256
        self.register_outputs({"release": self.release, "sha256": self.sha256})


def forced(metadata: dict[str, Any]) -> dict[str, Any]:
    """The edge is the bundle's one owner once it installs or adopts it: its apply takes over fields another field
    manager set (an earlier install with `kubectl apply --server-side`, another stack), where server-side apply
    would refuse each changed field (measured by the e2e's crds phase: adopting failed on the safe-upgrades
    policy's spec.matchConstraints)."""
    return {**metadata, "annotations": {**(metadata.get("annotations") or {}), PATCH_FORCE: "true"}}


class GatewayApiBundle(pulumi.ComponentResource):
    """The bundle's objects (CRDs, and its safe-upgrades policy and binding), each registered by the program.

    The program, not the provider, registers them so that they keep their identity across refactors: the bundle
    was a `yaml/v2` ConfigFile (of the release URL) and then a ConfigGroup (of the verified text), whose objects the
    provider registered as `<bundle>:<object>` under it. Aliases given to such a provider-side component reach
    neither it nor its objects (measured by the e2e upgrade phase: every CRD would be deleted and created anew,
    which the CRDs' protect refuses); on this component they do, and its objects, named as the provider named
    them, inherit them.
    """

    def __init__(self, name: str, text: str, opts: pulumi.ResourceOptions) -> None:
        earlier = [pulumi.Alias(type_=f"kubernetes:yaml/v2:{kind}") for kind in ("ConfigFile", "ConfigGroup")]
        super().__init__("traffic-edge:gateway_api:GatewayApiBundle", name, None,
                         pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True, aliases=earlier)))
        keep = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
        self.objects = [
            kube_object(f"{name}:{document['metadata']['name']}", KubeObject(
                document["apiVersion"], document["kind"], forced(document["metadata"]), document.get("spec") or {}),
                keep)
            for document in yaml.safe_load_all(text) if document
        ]
        self.register_outputs({})
