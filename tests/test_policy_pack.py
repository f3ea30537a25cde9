"""The policy pack: every example stack passes it, and each policy flags the violation it exists for.

Plans come from offline renders; traffic_edge/policy/plan.py turns their resources into the `pulumi_policy` argument
objects the analyzer builds, and the stack's config reaches the policies through PULUMI_CONFIG as the
engine passes it to policy packs.
"""

from __future__ import annotations

import copy
import json
import os
import runpy
import select
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import grpc  # type: ignore[import-untyped]  # grpcio ships no stubs
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from tests.conftest import STACK_FILES, RenderStack, write_stack
from traffic_edge.controllers import CONTROLLERS
from traffic_edge.data.permissions.azure import AZURE, AzureScope
from traffic_edge.offline.plan import plan_document
from traffic_edge.offline.render import PROJECT_DIR, render
from traffic_edge.offline.stackfile import read_project, read_stack_config
from traffic_edge.plan.routes import EXTERNAL_DNS_HOSTNAME
from traffic_edge.policy.plan import Violation, check_plan
from traffic_edge.policy.rules import AZURE_DOCUMENTED, AZURE_SCOPE_SHAPES, POLICIES

Plan = dict[str, Any]
MULTITENANT = PROJECT_DIR / "Pulumi.multitenant.yaml"
DOMAIN = "edge.example.com"
ZONE_ARN = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"
ROLES = f"{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions"
DNS_ZONE_CONTRIBUTOR = f"{ROLES}/befefa01-2a29-4197-83a8-272ff33ce314"
READER = f"{ROLES}/acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONFIGURATION_MANAGER = f"{ROLES}/fbc52c3f-28ad-4303-a892-8a056630b8f1"
NETWORK_CONTRIBUTOR = f"{ROLES}/4d97b98b-1d4f-4787-a291-c67834d212e7"
ZONE_SCOPE = f"{SUBSCRIPTION}/resourceGroups/dns/providers/Microsoft.Network/dnszones/{DOMAIN}"
SUBNET = f"{SUBSCRIPTION}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/lab/subnets/alb"
NODE_GROUP = f"{SUBSCRIPTION}/resourceGroups/MC_edge_edge_westeurope"
CUSTOM_ROLE = "projects/p/roles/traffic_edge_prod_dns_records"
# What the program itself grants beyond a zone: its rows (external-dns's Reader on the zone's group, the AGC
# controller's roles), in the pack's words.
BEYOND_A_ZONE = ("AppGw for Containers Configuration Manager on the alb resource group, Network Contributor on the "
                 "alb subnet, Reader on the node resource group, Reader on the zone resource group")


def engine_config(stack_file: Path) -> str:
    """PULUMI_CONFIG as the engine hands it to a policy pack: project defaults and stack values, as strings."""
    return json.dumps(read_stack_config(stack_file, read_project(PROJECT_DIR)).values)


def rendered_plan(stack_file: Path, render_stack: RenderStack, monkeypatch: pytest.MonkeyPatch) -> Plan:
    """A copy of the stack's plan (tests edit it); then its config goes where the engine puts it for the pack.
    (After rendering: the program reads PULUMI_CONFIG too.)"""
    plan = copy.deepcopy(plan_document(render_stack(stack_file)))
    monkeypatch.setenv("PULUMI_CONFIG", engine_config(stack_file))
    return plan


@pytest.fixture
def multitenant(render_stack: RenderStack, monkeypatch: pytest.MonkeyPatch) -> Plan:
    return rendered_plan(MULTITENANT, render_stack, monkeypatch)


def resource(plan: Plan, name: str) -> dict[str, Any]:
    """The resource of that name other than the project's own components (an EdgeGateway and its Gateway share one)."""
    matches: list[dict[str, Any]] = [
        item for item in plan["resources"] if item["name"] == name and not item["type"].startswith("traffic-edge:")
    ]
    [found] = matches
    return found


def add(plan: Plan, type_: str, name: str, inputs: dict[str, Any], protect: bool = False) -> str:
    urn = f"urn:pulumi:multitenant::traffic-edge::{type_}::{name}"
    plan["resources"].append({"urn": urn, "type": type_, "name": name, "parent": None, "custom": True,
                              "inputs": inputs, "dependencies": [], "provider": None, "protect": protect,
                              "retainOnDelete": False, "aliases": []})
    return urn


def violations_of(plan: Plan, policy: str, config: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """(resource name, message) of each violation of one policy, in that order."""
    names = {item["urn"]: item["name"] for item in plan["resources"]}
    found = check_plan(plan, {policy: config or {}})
    return sorted((names.get(v.urn, v.urn), v.message) for v in found if v.policy == policy)


# ---------------------------------------------------------------------------------- the examples


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=[path.name for path in STACK_FILES])
def test_every_example_stack_passes_the_pack(
    stack_file: Path, render_stack: RenderStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert check_plan(rendered_plan(stack_file, render_stack, monkeypatch)) == []


def test_the_pack_names_each_policy_once_and_starts_from_its_main(monkeypatch: pytest.MonkeyPatch) -> None:
    packs: list[dict[str, Any]] = []
    monkeypatch.setattr("pulumi_policy.PolicyPack", lambda **kwargs: packs.append(kwargs))
    runpy.run_path(str(PROJECT_DIR / "policy" / "__main__.py"), run_name="__main__")
    [pack] = packs
    assert pack["name"] == "traffic-edge"
    assert [policy.name for policy in pack["policies"]] == [
        "hostnames-in-domain", "tls-listeners-have-certificates", "no-letsencrypt-production-outside-production",
        "zones-and-crds-protected", "dns-grants-least-privilege",
    ]
    assert len({policy.name for policy in POLICIES}) == len(POLICIES)
    project = yaml.safe_load((PROJECT_DIR / "policy" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    # Its own virtualenv (policy/venv), made from policy/requirements.txt: the project's runtime lock, which the
    # rules import traffic_edge with, and the pulumi-policy the tests run it with.
    options = project["runtime"]["options"]
    assert (options["toolchain"], options["virtualenv"]) == ("pip", "venv")
    requirements = (PROJECT_DIR / "policy" / "requirements.txt").read_text().splitlines()
    assert "-r ../requirements.txt" in requirements
    [policy_pin] = [line for line in requirements if line.lower().startswith("pulumi_policy==")]
    assert policy_pin in (PROJECT_DIR / "requirements-dev.txt").read_text().splitlines()


# ---------------------------------------------------------------------------------- hostnames-in-domain


def test_names_outside_the_domain_are_flagged(multitenant: Plan) -> None:
    resource(multitenant, "edge-gateway-team-c")["inputs"]["spec"]["listeners"][1]["hostname"] = "app.example.org"
    resource(multitenant, "edge-routes-team-a.shop")["inputs"]["spec"]["hostnames"] = ["shop.example.org"]
    resource(multitenant, "edge-gateway-edge-wildcard")["inputs"]["spec"]["dnsNames"].append("*.example.org")
    metadata = resource(multitenant, "edge-routes-team-b.payments")["inputs"]["metadata"]
    annotations = metadata.setdefault("annotations", {})
    annotations[EXTERNAL_DNS_HOSTNAME] = f"db.{DOMAIN}, DB.EXAMPLE.ORG"  # the key the program writes
    annotations["external-dns.alpha.kubernetes.io/hostname"] = "legacy.example.org"  # the key v0.21.0 read
    outside = f"is outside the environment's domain {DOMAIN}"
    assert violations_of(multitenant, "hostnames-in-domain") == [
        ("edge-gateway-edge-wildcard", f"spec.dnsNames[3]: *.example.org {outside}"),
        ("edge-gateway-team-c", f"spec.listeners[1].hostname: app.example.org {outside}"),
        ("edge-routes-team-a.shop", f"spec.hostnames[0]: shop.example.org {outside}"),
        ("edge-routes-team-b.payments",
         f"metadata.annotations[external-dns.alpha.kubernetes.io/hostname]: legacy.example.org {outside}"),
        ("edge-routes-team-b.payments", f"metadata.annotations[{EXTERNAL_DNS_HOSTNAME}]: db.example.org {outside}"),
    ]


def test_the_policy_config_domain_wins_over_the_stack_config(multitenant: Plan) -> None:
    found = violations_of(multitenant, "hostnames-in-domain", {"domain": f"team-a.{DOMAIN}"})
    assert ("edge-routes-team-a.shop", "spec.hostnames[0]: shop.team-a.edge.example.com is outside the environment's "
            f"domain team-a.{DOMAIN}") not in found
    assert ("edge-routes-team-b.payments", "spec.hostnames[0]: payments.team-b.edge.example.com is outside the "
            f"environment's domain team-a.{DOMAIN}") in found


# ---------------------------------------------------------------------------------- tls-listeners-have-certificates


def test_tls_listeners_without_a_certificate_are_flagged(multitenant: Plan) -> None:
    edge = resource(multitenant, "edge-gateway-edge")["inputs"]["spec"]["listeners"][1]
    del edge["tls"]["certificateRefs"]
    team_c = resource(multitenant, "edge-gateway-team-c")["inputs"]["spec"]["listeners"]
    team_c[1]["tls"]["certificateRefs"][0]["name"] = "hand-made-tls"
    team_c[2]["tls"]["mode"] = "Terminate"  # the passthrough listener, now terminating without a certificate
    assert violations_of(multitenant, "tls-listeners-have-certificates") == [
        ("edge-gateway-edge", "Gateway gateway/edge listener https terminates TLS without a certificate"),
        ("edge-gateway-team-c", "Gateway team-c/team-c listener https: Secret team-c/hand-made-tls is issued by no "
                           "Certificate of this stack"),
        ("edge-gateway-team-c", "Gateway team-c/team-c listener kube-api terminates TLS without a certificate"),
    ]


def test_an_acm_certificate_in_the_load_balancer_configuration_counts(multitenant: Plan) -> None:
    gateway = resource(multitenant, "edge-gateway-edge")["inputs"]
    del gateway["spec"]["listeners"][1]["tls"]
    gateway["spec"]["infrastructure"] = {"parametersRef": {
        "group": "gateway.k8s.aws", "kind": "LoadBalancerConfiguration", "name": "edge"}}
    assert violations_of(multitenant, "tls-listeners-have-certificates") == [
        ("edge-gateway-edge", "Gateway gateway/edge listener https terminates TLS without a certificate")]
    add(multitenant, "kubernetes:gateway.k8s.aws/v1beta1:LoadBalancerConfiguration", "edge-parameters", {
        "metadata": {"name": "edge", "namespace": "gateway"},
        "spec": {"listenerConfigurations": [{"protocolPort": "HTTPS:443", "defaultCertificate": "arn:aws:acm:x"}]}})
    assert violations_of(multitenant, "tls-listeners-have-certificates") == []


# ---------------------------------------------------------------------------------- production issuers


def production_issuer(plan: Plan) -> None:
    issuer = resource(plan, "edge-issuers-team-c-letsencrypt-staging")["inputs"]
    issuer["spec"]["acme"]["server"] = "https://acme-v02.api.letsencrypt.org/directory"


def test_a_production_issuer_is_flagged_outside_production(multitenant: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    production_issuer(multitenant)
    message = ("a Let's Encrypt production issuer in a stack not marked production (traffic-edge:production); its "
               "rate limits and real certificates belong to production only, unless the stack says so "
               "(traffic-edge:issuers: acmeIssuers.letsencrypt-staging.allowOutsideProduction, or "
               "acme.allowOutsideProduction for letsencrypt-production)")
    policy = "no-letsencrypt-production-outside-production"
    assert violations_of(multitenant, policy) == [("edge-issuers-team-c-letsencrypt-staging", message)]
    assert violations_of(multitenant, policy, {"production": True}) == []
    config = json.loads(engine_config(MULTITENANT))
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({**config, "traffic-edge:production": "true"}))
    assert violations_of(multitenant, policy) == []


# ---------------------------------------------------------------------------------- protection


PROTECTED = [
    ("gcp:dns/managedZone:ManagedZone", "a Cloud DNS zone"),
    ("aws:route53/zone:Zone", "a Route 53 hosted zone"),
    ("azure-native:dns:Zone", "an Azure DNS zone"),
    ("azure-native:privatedns:PrivateZone", "an Azure private DNS zone"),
    ("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", "a CRD (deleting it deletes all its objects)"),
]


def test_unprotected_zones_and_crds_are_flagged(multitenant: Plan) -> None:
    crd = resource(multitenant, "edge-gateway-api-bundle:gateways.gateway.networking.k8s.io")
    assert crd["type"] == "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"  # each object of the bundle
    crd["protect"] = False
    add(multitenant, "kubernetes:yaml/v2:ConfigGroup", "group-bundle",
        {"yaml": "# Gateway API Standard channel install"})
    # as the bundle was created before the program verified it: a ConfigFile of the release URL
    release = "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml"
    add(multitenant, "kubernetes:yaml/v2:ConfigFile", "file-bundle", {"file": release})
    add(multitenant, "kubernetes:yaml/v2:ConfigGroup", "other-config", {"yaml": "kind: ConfigMap"})
    for index, (type_, _) in enumerate(PROTECTED):
        add(multitenant, type_, f"unprotected-{index}", {"name": "zone"})
        add(multitenant, type_, f"protected-{index}", {"name": "zone"}, protect=True)
    assert violations_of(multitenant, "zones-and-crds-protected") == [
        ("edge-gateway-api-bundle:gateways.gateway.networking.k8s.io",
         "a CRD (deleting it deletes all its objects) must be created with protect=True"),
        ("file-bundle", "the Gateway API CRD bundle must be created with protect=True"),
        ("group-bundle", "the Gateway API CRD bundle must be created with protect=True"),
        *[(f"unprotected-{index}", f"{what} must be created with protect=True") for index, (_, what) in
          enumerate(PROTECTED)],
    ]


# ---------------------------------------------------------------------------------- DNS grants


def aws_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


GRANTS: list[tuple[str, dict[str, Any], str | None]] = [
    ("aws:iam/rolePolicy:RolePolicy", aws_policy(
        {"Effect": "Allow", "Action": ["route53:ChangeResourceRecordSets"], "Resource": [ZONE_ARN]},
        {"Effect": "Allow", "Action": ["route53:ListHostedZones", "route53:ListResourceRecordSets"], "Resource": "*"},
        {"Effect": "Allow", "Action": "route53:GetChange", "Resource": "arn:aws:route53:::change/*"},
    ), None),
    ("aws:iam/rolePolicy:RolePolicy", aws_policy(
        {"Effect": "Allow", "Action": "route53:ChangeResourceRecordSets", "Resource": "arn:aws:route53:::hostedzone/*"},
    ), "Statement[0] grants route53:changeresourcerecordsets on ['arn:aws:route53:::hostedzone/*'], wider than one "
       "hosted zone"),
    ("aws:iam/policy:Policy", aws_policy({"Effect": "Allow", "Action": "route53:*", "Resource": "*"}),
     "Statement[0] grants route53:* on ['*'], wider than one hosted zone"),
    ("aws:iam/policy:Policy", aws_policy({"Effect": "Deny", "Action": "route53:*", "Resource": "*"}), None),
    ("aws:iam/policy:Policy", aws_policy(
        {"Effect": "Allow", "Action": "route53:ChangeResourceRecordSets", "Resource": [ZONE_ARN, f"{ZONE_ARN}X"]}),
     f"Statement[0] grants route53:changeresourcerecordsets on ['{ZONE_ARN}', '{ZONE_ARN}X'], wider than one hosted "
     "zone"),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
     {"policyArn": "arn:aws:iam::aws:policy/AmazonRoute53FullAccess", "role": "x"},
     "arn:aws:iam::aws:policy/AmazonRoute53FullAccess grants Route 53 changes on every zone; grant one hosted zone "
     "instead"),
    ("gcp:projects/iAMMember:IAMMember", {"role": "roles/dns.admin", "project": "p", "member": "serviceAccount:x"},
     "roles/dns.admin on a whole projects writes every zone in it; bind record-set permissions on the managed zone "
     "(gcp:dns/dnsManagedZoneIamMember) and roles/dns.reader on the project"),
    ("gcp:projects/iAMMember:IAMMember", {"role": "roles/dns.reader", "project": "p", "member": "serviceAccount:x"},
     None),
    ("gcp:projects/iAMMember:IAMMember", {"role": CUSTOM_ROLE, "project": "p", "member": "serviceAccount:x"},
     f"{CUSTOM_ROLE} on a whole projects writes every zone in it; bind record-set permissions on the managed zone "
     "(gcp:dns/dnsManagedZoneIamMember) and roles/dns.reader on the project"),
    ("gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember", {"role": "roles/dns.admin", "managedZone": "z"},
     "roles/dns.admin on a managed zone can also update and delete the zone itself; bind a custom role with only its "
     "record-set and change permissions"),
    ("gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember", {"role": CUSTOM_ROLE, "managedZone": "z"}, None),
    ("gcp:projects/iAMCustomRole:IAMCustomRole", {"roleId": "r", "permissions": [
        "dns.changes.create", "dns.resourceRecordSets.update", "dns.managedZones.list"]}, None),
    ("gcp:projects/iAMCustomRole:IAMCustomRole", {"roleId": "r", "permissions": [
        "dns.changes.create", "dns.managedZones.delete", "dns.managedZones.update", "dns.policies.update"]},
     "the custom role grants dns.managedZones.delete, dns.managedZones.update, dns.policies.update: more than a zone's "
     "record sets and changes"),
    ("azure-native:authorization:RoleAssignment", {"scope": ZONE_SCOPE, "roleDefinitionId": DNS_ZONE_CONTRIBUTOR},
     None),
    ("azure-native:authorization:RoleAssignment",
     {"scope": f"{SUBSCRIPTION}/resourceGroups/dns", "roleDefinitionId": READER}, None),
    ("azure-native:authorization:RoleAssignment", {"scope": NODE_GROUP, "roleDefinitionId": CONFIGURATION_MANAGER},
     None),
    ("azure-native:authorization:RoleAssignment", {"scope": SUBNET, "roleDefinitionId": NETWORK_CONTRIBUTOR}, None),
    ("azure-native:authorization:RoleAssignment", {"scope": NODE_GROUP, "roleDefinitionId": NETWORK_CONTRIBUTOR},
     f"role assignment on {NODE_GROUP} is wider than one DNS zone (beyond a zone, only: {BEYOND_A_ZONE})"),
    ("azure-native:authorization:RoleAssignment",
     {"scope": f"{SUBSCRIPTION}/resourceGroups/dns", "roleDefinitionId": DNS_ZONE_CONTRIBUTOR},
     f"role assignment on {SUBSCRIPTION}/resourceGroups/dns is wider than one DNS zone (beyond a zone, only: "
     f"{BEYOND_A_ZONE})"),
    ("azure-native:authorization:RoleAssignment", {"scope": SUBSCRIPTION, "roleDefinitionId": READER},
     f"role assignment on {SUBSCRIPTION} is wider than one DNS zone (beyond a zone, only: {BEYOND_A_ZONE})"),
]


def test_dns_grants_wider_than_one_zone_are_flagged(multitenant: Plan) -> None:
    expected = []
    for index, (type_, inputs, message) in enumerate(GRANTS):
        add(multitenant, type_, f"grant-{index}", inputs)
        if message is not None:
            expected.append((f"grant-{index}", message))
    assert violations_of(multitenant, "dns-grants-least-privilege") == sorted(expected)


def test_the_grants_beyond_a_zone_are_the_ones_the_program_rows_document() -> None:
    """The pack reads them from the rows, so the program and its guard cannot disagree: a controller row that grants
    a new role (or a new scope) is accepted by the pack exactly where the platform resolves it."""
    rows = [*AZURE.values(), *(row.azure for row in CONTROLLERS.values() if row.azure is not None)]
    assert AZURE_DOCUMENTED == {(g.role, g.scope) for row in rows for g in row.grants if g.scope != "zone"} == {
        ("Reader", "zone_resource_group"), ("Reader", "node_resource_group"),
        ("AppGw for Containers Configuration Manager", "alb_resource_group"), ("Network Contributor", "alb_subnet"),
    }
    assert set(get_args(AzureScope)) == set(AZURE_SCOPE_SHAPES), "every scope a row may name has its ARM ID shape"


AGC_SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
AGC_SETTINGS = {
    "managed": {"mode": "managed", "subnetId": f"/subscriptions/{AGC_SUBSCRIPTION}/resourceGroups/net/providers/"
                                               "Microsoft.Network/virtualNetworks/lab/subnets/alb"},
    "byo": {"mode": "byo", "subnetId": f"/subscriptions/{AGC_SUBSCRIPTION}/resourceGroups/net/providers/"
                                       "Microsoft.Network/virtualNetworks/lab/subnets/alb",
            "albId": f"/subscriptions/{AGC_SUBSCRIPTION}/resourceGroups/agc/providers/Microsoft.ServiceNetworking/"
                     "trafficControllers/edge", "frontend": "edge-frontend"},
}


@pytest.mark.parametrize("mode", sorted(AGC_SETTINGS))
def test_an_azure_alb_stack_passes_the_pack(mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The AKS example with Application Gateway for Containers: the controller's Configuration Manager and Network
    Contributor grants are the program's own, so the mandatory least-privilege policy accepts them (it refused the
    Configuration Manager role on the node resource group before, failing every such stack)."""
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.aks.yaml").read_text())["config"]
    config = {key.split(":", 1)[1]: value for key, value in stack.items()}
    config["controller"] = {"name": "azure-alb", "applicationGateway": AGC_SETTINGS[mode]}
    stack_file = write_stack(tmp_path, config, f"alb-{mode}")
    plan = plan_document(render(stack_file, PROJECT_DIR))
    monkeypatch.setenv("PULUMI_CONFIG", engine_config(stack_file))
    granted = {(item["name"], item["inputs"]["roleDefinitionId"].rsplit("/", 1)[1]) for item in plan["resources"]
               if item["type"] == "azure-native:authorization:RoleAssignment" and "alb-controller" in item["name"]}
    assert {role for _, role in granted} == {"acdd72a7-3385-48ef-bd42-f606fba81ae7",
                                             "fbc52c3f-28ad-4303-a892-8a056630b8f1",
                                             "4d97b98b-1d4f-4787-a291-c67834d212e7"}
    assert check_plan(plan) == []


def test_a_grant_not_known_until_deploy_is_reported_as_the_analyzer_does(multitenant: Plan) -> None:
    """Reading an unknown raises in the SDK's proxy; the analyzer turns that into an advisory diagnostic."""
    urn = add(multitenant, "aws:iam/rolePolicy:RolePolicy", "later", {"policy": "[unknown]"})
    assert [v for v in check_plan(multitenant) if v.policy == "dns-grants-least-privilege"] == [Violation(
        "dns-grants-least-privilege", urn, "can't run during preview: string value at .policy can't be known during "
        "preview", advisory=True)]


def test_values_the_offline_preview_masks_are_not_judged(multitenant: Plan) -> None:
    add(multitenant, "aws:iam/rolePolicy:RolePolicy", "masked", {"policy": "[secret]"})
    add(multitenant, "azure-native:authorization:RoleAssignment", "masked-too", {"scope": "[secret]"})
    assert violations_of(multitenant, "dns-grants-least-privilege") == []


# ---------------------------------------------------------------------------------- one bad plan


BAD_EDITS: list[Callable[[Plan], Any]] = [
    lambda plan: resource(plan, "edge-routes-team-a.shop")["inputs"]["spec"].update(hostnames=["x.example.org"]),
    lambda plan: resource(plan, "edge-gateway-edge")["inputs"]["spec"]["listeners"][1].pop("tls"),
    production_issuer,
    lambda plan: resource(plan, "edge-gateway-api-bundle:gateways.gateway.networking.k8s.io").update(protect=False),
    lambda plan: add(plan, GRANTS[2][0], "wide", GRANTS[2][1]),
]


def test_one_bad_plan_is_flagged_by_every_policy(multitenant: Plan) -> None:
    """What the config checks cannot see (cloud grants, protection, objects changed outside the config) is the
    pack's to catch: one plan with one mistake per policy, each against the resource it is on."""
    for edit in BAD_EDITS:
        edit(multitenant)
    names = {item["urn"]: item["name"] for item in multitenant["resources"]}
    found = sorted((violation.policy, names[violation.urn]) for violation in check_plan(multitenant))
    assert found == [
        ("dns-grants-least-privilege", "wide"),
        ("hostnames-in-domain", "edge-routes-team-a.shop"),
        ("no-letsencrypt-production-outside-production", "edge-issuers-team-c-letsencrypt-staging"),
        ("tls-listeners-have-certificates", "edge-gateway-edge"),
        ("zones-and-crds-protected", "edge-gateway-api-bundle:gateways.gateway.networking.k8s.io"),
    ]


# ---------------------------------------------------------------------------------- the real analyzer


def test_the_pack_answers_as_an_analyzer_over_grpc(tmp_path: Path) -> None:
    """Start the pack the way the CLI does (`python -m pulumi.policy <engine> .` in policy/, stack config in
    PULUMI_CONFIG) and ask it over gRPC on loopback; the process is stopped by its handle."""
    env = {**os.environ, "PULUMI_CONFIG": json.dumps({"traffic-edge:domain": DOMAIN})}
    command = [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:9", "."]
    with (tmp_path / "stderr").open("w") as stderr, subprocess.Popen(
        command, cwd=PROJECT_DIR / "policy", env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
    ) as analyzer:
        try:
            output = analyzer.stdout
            assert output is not None
            ready, _, _ = select.select([output], [], [], 30)
            assert ready, (tmp_path / "stderr").read_text()
            port = int(output.readline())
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = analyzer_pb2_grpc.AnalyzerStub(channel)
                info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=10)
                properties = struct_pb2.Struct()
                properties.update({"spec": {"hostnames": [f"ok.{DOMAIN}", "www.example.org"]}})
                type_ = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
                answer = stub.Analyze(analyzer_pb2.AnalyzeRequest(
                    type=type_, properties=properties, urn=f"urn:pulumi:dev::traffic-edge::{type_}::web", name="web",
                ), timeout=10)
        finally:
            analyzer.terminate()
            analyzer.wait(timeout=10)
    assert info.name == "traffic-edge"
    assert [policy.name for policy in info.policies] == [policy.name for policy in POLICIES]
    assert [(d.policyName, d.message.splitlines()[-1]) for d in answer.diagnostics] == [
        ("hostnames-in-domain", f"spec.hostnames[1]: www.example.org is outside the environment's domain {DOMAIN}"),
    ]
