"""external-dns: sources for exactly the published route kinds, the image that can read them, the platform's
provider and identity, and nothing at all when it is off or there is no DNS to write."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from tests.conftest import SECRET_PLACEHOLDER, Config, RenderStack, record_component, write_stack
from traffic_edge.components.external_dns import ExternalDns, ExternalDnsArgs, external_dns_values
from traffic_edge.config.model import StackConfig
from traffic_edge.conformance.validator import require_refdata, validate_helm_values
from traffic_edge.data.versions import CHARTS, EXTERNAL_DNS_IMAGES, external_dns_image
from traffic_edge.offline.engine import Recording, Registration
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.plan import Deployment, external_dns_plan, external_dns_sources
from traffic_edge.plan.contracts import ExternalDnsProvider, SecretSpec, WorkloadIdentity
from traffic_edge.plan.sources import chart_location

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
COMPONENT = "traffic-edge:external_dns:ExternalDns"
NAMESPACE = "kubernetes:core/v1:Namespace"
FUNCTIONS = PROJECT_DIR / "Pulumi.functions.yaml"
DOMAIN = "lab.example.test"


def stack_config(path: Path) -> Config:
    raw = yaml.safe_load(path.read_text())["config"]
    return {key.split(":", 1)[1]: value for key, value in raw.items()}


def release(recording: Recording, name: str = "edge-external-dns") -> Registration:
    """The external-dns release: `edge-external-dns` in a rendered stack (under the edge `edge`)."""
    return recording.named(RELEASE, name)


def every_kind(**external_dns: Any) -> StackConfig:
    route: Config = {"namespace": "apps", "gateway": "edge", "rules": [{"backends": [{"service": "s", "port": 1}]}]}
    return StackConfig.model_validate({
        "platform": {"kind": "onprem"},
        "domain": DOMAIN,
        "dns": {"rfc2136": {"nameserver": "10.0.0.53", "tsigKeyName": f"edge-key.{DOMAIN}"}},
        "externalDns": external_dns,
        "routes": [
            {**route, "name": "web", "hostnames": [f"web.{DOMAIN}"]},
            {**route, "name": "grpc", "kind": "GRPCRoute"},
            {**route, "name": "tls", "kind": "TLSRoute", "hostnames": [f"tls.{DOMAIN}"]},
            {**route, "name": "db", "kind": "TCPRoute", "hostname": f"db.{DOMAIN}"},
            {**route, "name": "dns", "kind": "UDPRoute"},
        ],
    })


def test_sources_are_the_route_kinds_with_a_name_to_publish() -> None:
    """The UDPRoute has no `hostname`, so external-dns need not watch UDPRoutes at all."""
    assert external_dns_sources(every_kind()) == (
        "gateway-httproute", "gateway-grpcroute", "gateway-tlsroute", "gateway-tcproute",
    )
    assert external_dns_sources(every_kind(sources=["service"]))[-1] == "service"
    plan = external_dns_plan(every_kind(), Deployment("traffic-edge", "lab"))
    assert plan is not None
    assert plan.sources == external_dns_sources(every_kind())


@pytest.mark.parametrize(("listeners", "sources"), [
    ([{"name": "https", "protocol": "HTTPS", "port": 443, "certificate": "c"}], ("gateway-httproute",)),
    ([{"name": "http", "protocol": "HTTP", "port": 80}], ("gateway-httproute",)),  # carries routes: no HTTPS
    ([{"name": "http", "protocol": "HTTP", "port": 80, "httpMode": "redirect"},
      {"name": "api", "protocol": "TLS", "port": 6443, "hostname": f"api.{DOMAIN}", "tlsMode": "Passthrough"}], ()),
], ids=["https", "http-routes", "redirect-and-passthrough"])
def test_httproutes_of_application_charts_are_published_where_a_listener_serves_httproutes(
    listeners: list[Config], sources: tuple[str, ...]
) -> None:
    """A stack with no routes of its own (the charts bring theirs, as in Pulumi.craft-gke.yaml) still watches
    HTTPRoutes; without any --source external-dns would not start."""
    config = StackConfig.model_validate({
        "platform": {"kind": "onprem"},
        "domain": DOMAIN,
        "dns": {"rfc2136": {"nameserver": "10.0.0.53", "tsigKeyName": f"edge-key.{DOMAIN}"}},
        "gateways": [{"name": "edge", "listeners": listeners,
                      "certificates": [{"name": "c", "issuer": "internal-ca", "dnsNames": [f"*.{DOMAIN}"]}]}],
    })
    assert external_dns_sources(config) == sources


@pytest.mark.parametrize(
    ("version", "channel", "kinds", "tag"),
    [
        ("v1.6.1", "standard", {"HTTPRoute", "TLSRoute"}, "v0.22.0"),
        ("v1.6.1", "experimental", {"TCPRoute", "UDPRoute"}, "v0.22.0"),
        ("v1.4.1", "experimental", {"HTTPRoute", "TLSRoute"}, "v0.21.0"),
        ("v1.4.1", "standard", {"HTTPRoute"}, "v0.22.0"),
    ],
)
def test_image_reads_the_installed_route_versions(version: str, channel: str, kinds: set[str], tag: str) -> None:
    assert external_dns_image(version, channel, frozenset(kinds)).tag == tag


def test_images_are_pinned_newest_first() -> None:
    assert [image.tag for image in EXTERNAL_DNS_IMAGES] == ["v0.22.0", "v0.21.0"]
    assert CHARTS["external-dns"].version == "1.21.1"


def txt_owner_id(config: StackConfig, project: str, stack: str) -> str:
    plan = external_dns_plan(config, Deployment(project, stack))
    assert plan is not None
    return plan.txt_owner_id


def test_owner_id_defaults_to_project_and_stack() -> None:
    assert txt_owner_id(every_kind(), "traffic-edge", "prod") == "traffic-edge-prod"
    assert txt_owner_id(every_kind(txtOwnerId="cluster-a"), "traffic-edge", "prod") == "cluster-a"


PROVIDER = ExternalDnsProvider(values={"provider": {"name": "google"}, "extraArgs": ["--google-project=lab-project"]})
IDENTITY = WorkloadIdentity(
    service_account_annotations={"iam.gke.io/gcp-service-account": "external-dns@lab-project.iam.gserviceaccount.com"},
    pod_labels={"team": "edge"},
)


def args(**overrides: Any) -> ExternalDnsArgs:
    base: dict[str, Any] = {
        "provider": PROVIDER,
        "zone": DOMAIN,
        "sources": ["gateway-httproute", "gateway-tlsroute"],
        "image": EXTERNAL_DNS_IMAGES[0],
        "policy": "sync",
        "txt_owner_id": "traffic-edge-lab",
        "txt_prefix": "edns-",
        "chart": chart_location(every_kind(), "external-dns"),
        "identity": IDENTITY,
    }
    return ExternalDnsArgs(**{**base, **overrides})


def test_values() -> None:
    assert external_dns_values(args()) == {
        "image": {"repository": "registry.k8s.io/external-dns/external-dns", "tag": "v0.22.0"},
        "serviceAccount": {"name": "external-dns", "annotations": dict(IDENTITY.service_account_annotations)},
        "podLabels": {"team": "edge"},
        "sources": ["gateway-httproute", "gateway-tlsroute"],
        "domainFilters": [DOMAIN],
        "policy": "sync",
        "registry": "txt",
        "txtOwnerId": "traffic-edge-lab",
        "txtPrefix": "edns-",
        "annotationPrefix": "external-dns.kubernetes.io/",
        "provider": {"name": "google"},
        "extraArgs": ["--google-project=lab-project", "--txt-wildcard-replacement=wildcard"],
    }


def test_values_validate_against_the_chart_schema() -> None:
    require_refdata()
    assert validate_helm_values("external-dns", "1.21.1", external_dns_values(args())) == []
    assert validate_helm_values("external-dns", "1.21.1", external_dns_values(args(policy="delete-all")))


def test_escape_hatch_wins() -> None:
    values = external_dns_values(args(extra_values={"interval": "5m", "provider": {"name": "webhook"}}))
    assert (values["interval"], values["provider"]) == ("5m", {"name": "webhook"})


def test_component_creates_the_provider_secrets_beside_it_and_waits_for_the_identity() -> None:
    def build() -> None:
        ready = pulumi.CustomResource("test:index:RoleBinding", "identity-ready")
        secret = SecretSpec("provider-credentials", "key", pulumi.Output.secret("s3cr3t"))
        provider = ExternalDnsProvider(values=PROVIDER.values, secrets=[secret])
        identity = WorkloadIdentity(IDENTITY.service_account_annotations, IDENTITY.pod_labels, ready=[ready])
        ExternalDns("external-dns", args(provider=provider, identity=identity))

    recording = record_component(build)
    [secret] = recording.of_type(SECRET)
    assert secret.inputs == {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "provider-credentials", "namespace": "external-dns"},
        "stringData": "[secret]",
    }
    chart = release(recording, "external-dns")
    assert (chart.inputs["chart"], chart.inputs["version"], chart.inputs["namespace"]) == (
        "external-dns", "1.21.1", "external-dns"
    )
    assert chart.inputs["repositoryOpts"] == {"repo": "https://kubernetes-sigs.github.io/external-dns/"}
    [ready] = recording.of_type("test:index:RoleBinding")
    assert {secret.urn, ready.urn} <= set(chart.dependencies)


def test_on_prem_release_with_the_tsig_secret(render_stack: RenderStack) -> None:
    recording = render_stack(FUNCTIONS)
    values = release(recording).inputs["values"]
    assert values["sources"] == ["gateway-httproute"]
    assert values["txtOwnerId"] == "traffic-edge-functions"
    assert values["policy"] == "sync"
    assert values["env"] == [{"name": "EXTERNAL_DNS_RFC2136_TSIG_SECRET",
                              "valueFrom": {"secretKeyRef": {"name": "rfc2136-tsig", "key": "tsig-secret-key"}}}]
    [secret] = [r for r in recording.of_type(SECRET) if r.parent == recording.named(COMPONENT, "edge-external-dns").urn]
    assert secret.inputs["metadata"] == {"name": "rfc2136-tsig", "namespace": "external-dns"}
    assert secret.inputs["stringData"] == "[secret]"
    assert SECRET_PLACEHOLDER not in str(recording.resources)
    require_refdata()
    assert validate_helm_values("external-dns", "1.21.1", values) == []


@pytest.mark.parametrize(
    "change",
    [{"externalDns": {"enabled": False}}, {"dns": {}, "tsigSecret": None}],
    ids=["disabled", "no-dns-server"],
)
def test_creates_nothing_without_external_dns(change: Config, tmp_path: Path, render_stack: RenderStack) -> None:
    config = copy.deepcopy(stack_config(FUNCTIONS))
    config.update(change)
    config = {key: value for key, value in config.items() if value is not None}
    recording = render_stack(write_stack(tmp_path, config, stack="nodns"))
    assert recording.of_type(COMPONENT) == []
    assert [r for r in recording.resources.values() if "external-dns" in r.name] == []
    assert "edge-namespaces-external-dns" not in [r.name for r in recording.of_type(NAMESPACE)]


@pytest.mark.parametrize("stack", ["gke", "eks", "eks-pod-identity", "aks"])
def test_a_disabled_external_dns_gets_no_cloud_identity(stack: str, tmp_path: Path, render_stack: RenderStack) -> None:
    """No identity, role, policy, binding or federated credential with DNS rights for a controller that is not there."""
    config = copy.deepcopy(stack_config(PROJECT_DIR / f"Pulumi.{stack}.yaml"))
    config["externalDns"] = {"enabled": False}
    recording = render_stack(write_stack(tmp_path, config, stack=f"{stack}-nodns"))
    cloud = [r for r in recording.resources.values() if not r.type.startswith(("kubernetes:", "traffic-edge:"))]
    assert cloud, "the stack creates its cloud identities"
    assert [r.name for r in cloud if "external-dns" in r.name] == []


CLOUDS: dict[str, tuple[Config, dict[str, str], dict[str, str], str]] = {
    # platform → (platform config, service-account annotation keys → value prefix, pod labels, provider name)
    "gke": ({"kind": "gke", "project": "lab-project"}, {"iam.gke.io/gcp-service-account": ""}, {}, "google"),
    "eks": ({"kind": "eks", "region": "eu-west-1", "clusterName": "lab",
             "oidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/AB12"},
            {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/"}, {}, "aws"),
    "aks": ({"kind": "aks", "subscriptionId": "00000000-0000-0000-0000-000000000000", "resourceGroup": "lab",
             "location": "westeurope", "oidcIssuerUrl": "https://oidc.example.test/lab"},
            {"azure.workload.identity/client-id": ""}, {"azure.workload.identity/use": "true"}, "azure"),
}


@pytest.mark.parametrize("platform", CLOUDS, ids=list(CLOUDS))
def test_clouds_wire_the_platform_identity(platform: str, tmp_path: Path, render_stack: RenderStack) -> None:
    settings, annotations, labels, provider = CLOUDS[platform]
    config: Config = {
        "platform": settings,
        "cluster": {"ambient": True},
        "domain": DOMAIN,
        "issuers": {"internalCa": {}, "acme": {"email": "ops@example.test", "solver": "dns01"}},
        "namespaces": {"apps": {"gateways": ["edge"]}},
        "gateways": [{"name": "edge",
                      "certificates": [{"name": "w", "issuer": "internal-ca", "dnsNames": [f"*.{DOMAIN}"]}],
                      "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443, "certificate": "w"}]}],
        "routes": [{"name": "web", "namespace": "apps", "gateway": "edge", "hostnames": [f"web.{DOMAIN}"],
                    "rules": [{"backends": [{"service": "web", "port": 8080}]}]}],
    }
    recording = render_stack(write_stack(tmp_path, config, stack=platform))
    chart = release(recording)
    values = chart.inputs["values"]
    assert values["provider"] == {"name": provider}
    assert values["sources"] == ["gateway-httproute"]
    assert values["domainFilters"] == [DOMAIN]
    assert sorted(values["serviceAccount"]["annotations"]) == sorted(annotations)
    assert all(values["serviceAccount"]["annotations"][key].startswith(prefix) for key, prefix in annotations.items())
    assert values.get("podLabels", {}) == labels
    clouds = ("aws", "gcp", "azure-native")
    platform_resources = {r.urn for r in recording.resources.values() if r.type.split(":")[0] in clouds}
    assert set(chart.dependencies) & platform_resources  # the identity exists before external-dns starts
    require_refdata()
    assert validate_helm_values("external-dns", "1.21.1", values) == []
