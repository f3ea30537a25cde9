"""Local stand-ins for what the on-prem stacks download: Helm charts and the Gateway API release bundle.

Chart repositories, OCI registries and GitHub are unreachable here, so each chart the program installs
on-prem is replaced by a **stand-in chart** generated from ../shared/refdata: the pinned name and version,
the chart's real CRDs (where refdata holds them, placed as upstream places them) and the real
`values.yaml` and `values.schema.json`, so Helm still validates the program's values. The stand-ins render
no Deployments, Services, webhooks or hooks: no pod could run on the test control plane anyway. The
Gateway API bundle is rebuilt byte for byte as upstream's hack/build-install-yaml.sh builds it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
REFDATA = PROJECT_DIR.parent / "shared" / "refdata"

# sha256 of the published release assets, where known (refdata/README.md); a rebuilt bundle must match.
BUNDLE_DIGESTS = {
    ("v1.6.1", "standard"): "24d931f22abd8e40c973264319ead7cfa09d0fb7716b7ab1ee2ff174cb063a73",
}
# Older boilerplates say YEAR, which upstream replaces with the year the bundle was built (the tag's year).
BUNDLE_YEARS = {"v1.4.1": "2025"}


class RefdataError(Exception):
    """../shared/refdata lacks something a stand-in needs."""


def _ref(relative: str) -> Path:
    path = REFDATA / relative
    if not path.exists():
        raise RefdataError(f"{path} is missing: the e2e stand-ins are built from ../shared/refdata")
    return path


def gateway_api_bundle(version: str, channel: str, out_dir: Path) -> Path:
    """`<channel>-install.yaml` of a Gateway API release: the boilerplate, a channel header, then every
    config/crd/<channel>/gateway*.yaml in sorted order, each after a `---` and a header naming it."""
    source = _ref(f"gateway-api/{version}")
    boilerplate = (source / "boilerplate.sh.txt").read_text()
    if "YEAR" in boilerplate:
        if version not in BUNDLE_YEARS:
            raise RefdataError(f"gateway-api {version}: the boilerplate says YEAR and its build year is unknown")
        boilerplate = boilerplate.replace("YEAR", BUNDLE_YEARS[version])
    parts = [boilerplate.encode(), f"#\n# Gateway API {channel.capitalize()} channel install\n#\n".encode()]
    for file in sorted(_ref(f"gateway-api/{version}/{channel}").glob("gateway*.yaml")):
        parts += [f"---\n#\n# config/crd/{channel}/{file.name}\n#\n".encode(), file.read_bytes()]
    bundle = b"".join(parts)
    digest = hashlib.sha256(bundle).hexdigest()
    expected = BUNDLE_DIGESTS.get((version, channel))
    if expected is not None and digest != expected:
        raise RefdataError(f"gateway-api {version} {channel}: rebuilt bundle has sha256 {digest}, upstream {expected}")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"gateway-api-{version}-{channel}-install.yaml"
    path.write_bytes(bundle)
    return path


def _write_yaml(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _chart_yaml(upstream: str | None, name: str, version: str) -> dict[str, Any]:
    """Upstream's Chart.yaml where refdata has it (kubeVersion and dependencies matter to Helm), else a
    minimal one; either way with the pinned version, as the published chart carries it."""
    chart: dict[str, Any] = (
        yaml.safe_load(_ref(upstream).read_text()) if upstream else {"apiVersion": "v2", "name": name}
    )
    if chart["name"] != name:
        raise RefdataError(f"{upstream}: chart {chart['name']}, expected {name}")
    return {**chart, "version": version, "appVersion": chart.get("appVersion") or version}


def _copy_tree(source: Path, target: Path) -> None:
    """Contents only: refdata is read-only, and copied modes would make the temp dir hard to remove."""
    for file in sorted(source.rglob("*")):
        if file.is_file():
            (target / file.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target / file.relative_to(source))


def _copy_values(chart_dir: Path, chart_ref: str, schema: bool) -> None:
    shutil.copyfile(_ref(f"{chart_ref}/values.yaml"), chart_dir / "values.yaml")
    if schema:
        json.loads(_ref(f"{chart_ref}/values.schema.json").read_text())  # fail here, not inside Helm
        shutil.copyfile(_ref(f"{chart_ref}/values.schema.json"), chart_dir / "values.schema.json")


def _cert_manager(root: Path) -> Path:
    """CRDs as templates, as upstream renders them: only with `crds.enabled`, kept on uninstall with `crds.keep`."""
    chart = root / "cert-manager"
    _write_yaml(chart / "Chart.yaml", _chart_yaml(None, "cert-manager", "v1.21.1"))
    _copy_values(chart, "cert-manager/v1.21.1/chart", schema=True)
    (chart / "templates").mkdir()
    keep = "  annotations:\n{{- if .Values.crds.keep }}\n    helm.sh/resource-policy: keep\n{{- end }}\n"
    for crd in sorted(_ref("cert-manager/v1.21.1/crds").glob("*.yaml")):
        text = crd.read_text()
        if "{{" in text or text.count("\nmetadata:\n  annotations:\n") != 1:
            raise RefdataError(f"{crd}: not the plain CRD shape the template wrapper expects")
        body = text.replace("\nmetadata:\n  annotations:\n", "\nmetadata:\n" + keep, 1)
        template = "{{- if .Values.crds.enabled }}\n" + body + "{{- end }}\n"
        (chart / "templates" / f"crd-{crd.name}").write_text(template)
    return chart


def _envoy_gateway(root: Path) -> Path:
    """Envoy's own CRDs in the `crds` subchart's crds/ directory (condition `crds.enabled`), as upstream.

    Upstream's subchart also carries the Gateway API CRDs in crds/ and a templated safe-upgrades policy;
    refdata has neither. Helm skips crds/ files that exist, and the program installs the bundle first and
    turns the policy off, so the release behaves the same without them.
    """
    ref = "envoy-gateway/v1.9.0/gateway-helm"
    chart = root / "gateway-helm"
    _write_yaml(chart / "Chart.yaml", _chart_yaml(f"{ref}/Chart.yaml", "gateway-helm", "v1.9.0"))
    shutil.copyfile(_ref(f"{ref}/values.yaml"), chart / "values.yaml")
    _copy_tree(_ref(f"{ref}/charts/crds"), chart / "charts" / "crds")
    _write_yaml(chart / "charts" / "crds" / "Chart.yaml", {"apiVersion": "v2", "name": "crds", "version": "0.0.0"})
    return chart


def _envoy_gateway_crds(root: Path) -> Path:
    """Envoy's own CRDs as templates under `crds.envoyGateway.enabled`, as upstream's gateway-crds-helm renders them
    (envoyproxy/gateway @ v1.9.0 : charts/gateway-crds-helm/templates/generated/); its Gateway API templates
    (`crds.gatewayAPI.enabled`, which the program leaves off) are not in refdata."""
    chart = root / "gateway-crds-helm"
    _write_yaml(chart / "Chart.yaml", _chart_yaml(None, "gateway-crds-helm", "v1.9.0"))
    _write_yaml(chart / "values.yaml", {"crds": {"gatewayAPI": {"enabled": False, "channel": "experimental"},
                                                 "envoyGateway": {"enabled": False}}})
    generated = _ref("envoy-gateway/v1.9.0/gateway-helm/charts/crds/crds/generated")
    (chart / "templates").mkdir(parents=True)
    for crd in sorted(generated.glob("*.yaml")):
        body = crd.read_text()
        (chart / "templates" / crd.name).write_text("{{- if .Values.crds.envoyGateway.enabled }}\n" + body
                                                   + "{{- end }}\n")
    return chart


def _external_dns(root: Path) -> Path:
    ref = "external-dns/external-dns-helm-chart-1.21.1"
    chart = root / "external-dns"
    _write_yaml(chart / "Chart.yaml", _chart_yaml(f"{ref}/chart/Chart.yaml", "external-dns", "1.21.1"))
    _copy_values(chart, f"{ref}/chart", schema=True)
    _copy_tree(_ref(f"{ref}/crds"), chart / "crds")
    return chart


def _nginx_gateway_fabric(root: Path) -> Path:
    """Values and schema only: NGF's CRDs live outside its chart (deploy/crds.yaml) and are not in refdata."""
    ref = "nginx-gateway-fabric/v2.6.7/chart"
    chart = root / "nginx-gateway-fabric"
    _write_yaml(chart / "Chart.yaml", _chart_yaml(f"{ref}/Chart.yaml", "nginx-gateway-fabric", "2.6.7"))
    _copy_values(chart, ref, schema=True)
    return chart


@dataclass(frozen=True)
class StubChart:
    """A stand-in for the chart the program names `<name>` (last segment of its repo or OCI reference)."""

    name: str
    version: str
    build: Callable[[Path], Path]


STUB_CHARTS = (
    StubChart("cert-manager", "v1.21.1", _cert_manager),
    StubChart("gateway-helm", "v1.9.0", _envoy_gateway),
    StubChart("gateway-crds-helm", "v1.9.0", _envoy_gateway_crds),
    StubChart("external-dns", "1.21.1", _external_dns),
    StubChart("nginx-gateway-fabric", "2.6.7", _nginx_gateway_fabric),
)


def build_stub_charts(out_dir: Path) -> dict[tuple[str, str], Path]:
    """(chart name, version) → directory of its stand-in chart, generated under `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return {(stub.name, stub.version): stub.build(out_dir) for stub in STUB_CHARTS}
