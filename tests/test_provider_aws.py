"""EKS: the Route 53 zone, IRSA and Pod Identity roles, and what cert-manager and external-dns are given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from tests.conftest import (
    PLATFORM,
    WORKLOADS,
    Config,
    RenderStack,
    depends_on,
    export_provisioned,
    parse_config,
    provision_platform,
    record_component,
)
from traffic_edge.config import ConfigError
from traffic_edge.conformance import REFDATA
from traffic_edge.conformance.validator import require_refdata, validate_helm_values
from traffic_edge.controllers import aws_load_balancer_controller
from traffic_edge.data.permissions.aws import AWS, aws_policy_document, irsa_trust_policy, pod_identity_trust_policy
from traffic_edge.offline import fakes
from traffic_edge.offline.engine import Recording
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.plan import identity_requests

ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
OIDC_PROVIDER_ARN = f"arn:aws:iam::111122223333:oidc-provider/{ISSUER}"
ZONE_ID = fakes.AWS_ZONE_ID
ZONE_ARN = f"arn:aws:route53:::hostedzone/{ZONE_ID}"
IRSA: Config = {
    "platform": {"kind": "eks", "region": "eu-west-1", "oidcProviderArn": OIDC_PROVIDER_ARN},
    "cluster": {"ambient": True},
    "domain": "eks.example.com",
    "issuers": {"acme": {"email": "ops@example.com", "solver": "dns01"}},
}
POD_IDENTITY: Config = {
    **IRSA,
    "platform": {"kind": "eks", "region": "eu-west-1", "identity": "podIdentity", "clusterName": "edge"},
}
HTTP_LISTENER = {"name": "http", "protocol": "HTTP", "port": 80}
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
ZONE = "aws:route53/zone:Zone"

# The documents upstream gives, verbatim (IAM writes one value as a string, several as a list).
# cert-manager/website : content/docs/configuration/acme/dns01/route53.md (L23-57),
# https://cert-manager.io/docs/configuration/acme/dns01/route53/#set-up-an-iam-role
UPSTREAM_CERT_MANAGER: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "route53:GetChange", "Resource": "arn:aws:route53:::change/*"},
        {
            "Effect": "Allow",
            "Action": ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
            "Resource": "arn:aws:route53:::hostedzone/*",
            "Condition": {"ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]}},
        },
        {"Effect": "Allow", "Action": "route53:ListHostedZonesByName", "Resource": "*"},
    ],
}
# kubernetes-sigs/external-dns @ v0.22.0 : docs/tutorials/aws.md (L12-38),
# https://github.com/kubernetes-sigs/external-dns/blob/v0.22.0/docs/tutorials/aws.md#iam-policy
UPSTREAM_EXTERNAL_DNS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets",
                       "route53:ListTagsForResources"],
            "Resource": ["arn:aws:route53:::hostedzone/*"],
        },
        {"Effect": "Allow", "Action": ["route53:ListHostedZones"], "Resource": ["*"]},
    ],
}
# awsdocs/amazon-eks-user-guide : latest/ug/manage-access/aws-access/pod-id-role.adoc,
# https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
UPSTREAM_POD_IDENTITY_TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "AllowEksAuthToAssumeRoleForPodIdentity",
        "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {
            "aws:RequestTag/kubernetes-namespace": ["<Namespace>"],
            "aws:RequestTag/kubernetes-service-account": ["<ServiceAccount>"],
        }},
    }],
}
# The LBC's own policy per partition: kubernetes-sigs/aws-load-balancer-controller @ v3.5.0 :
# docs/install/iam_policy{,_cn,_us-gov}.json, as ../shared/refdata holds them.
LBC_POLICIES = {"aws": "iam_policy.json", "aws-cn": "iam_policy_cn.json", "aws-us-gov": "iam_policy_us-gov.json"}


def normalized(document: dict[str, Any]) -> dict[str, Any]:
    """An IAM document as IAM reads it: one value or a list alike, statements in any order."""
    def listed(value: Any) -> list[Any]:
        return sorted([value] if isinstance(value, str) else value)

    statements = []
    for statement in document["Statement"]:
        plain = {key: listed(value) if key in ("Action", "Resource") else value for key, value in statement.items()}
        if "Condition" in statement:
            plain["Condition"] = {operator: {key: listed(value) for key, value in pairs.items()}
                                  for operator, pairs in statement["Condition"].items()}
        statements.append(plain)
    statements.sort(key=lambda statement: json.dumps(statement, sort_keys=True))
    return {"Version": document["Version"], "Statement": statements}


def on_the_zone(document: dict[str, Any], zone_arn: str = ZONE_ARN) -> dict[str, Any]:
    """Upstream's document scoped to one hosted zone, as both docs advise instead of hostedzone/*."""
    scoped: dict[str, Any] = json.loads(json.dumps(document).replace("arn:aws:route53:::hostedzone/*", zone_arn))
    return scoped


def without(document: dict[str, Any], action: str) -> dict[str, Any]:
    """Upstream's document without the statement granting only `action`."""
    return {**document, "Statement": [s for s in document["Statement"] if s["Action"] != action]}


# cert-manager's note: "The `route53:ListHostedZonesByName` statement can be removed if you specify the (optional)
# `hostedZoneID`", which the program always does (the solver's hostedZoneID).
CERT_MANAGER_POLICY = on_the_zone(without(UPSTREAM_CERT_MANAGER, "route53:ListHostedZonesByName"))
EXTERNAL_DNS_POLICY = on_the_zone(UPSTREAM_EXTERNAL_DNS)


def pod_identity_trust(namespace: str, service_account: str, cluster: str) -> dict[str, Any]:
    """The EKS docs' trust policy for one service account, and the cluster: the agent tags each session with
    eks-cluster-name too (pod-id-abac.adoc, "Enable session tags"), so no other cluster's association matches."""
    document: dict[str, Any] = json.loads(json.dumps(UPSTREAM_POD_IDENTITY_TRUST).replace("<Namespace>", namespace)
                                          .replace("<ServiceAccount>", service_account))
    document["Statement"][0]["Condition"]["StringEquals"]["aws:RequestTag/eks-cluster-name"] = [cluster]
    return document


# What may be granted beyond the zone: listing zones and waiting for changes, as the upstream docs ask.
BEYOND_THE_ZONE = {
    ("route53:GetChange", "arn:aws:route53:::change/*"),
    ("route53:ListHostedZones", "*"),
}


def provision(raw: Config, preflight: bool = True) -> Recording:
    """Provision EKS as a program (as the edge does) and export what the components are handed; its cloud look-ups
    are answered by traffic_edge.offline.fakes."""
    config = parse_config(raw)
    assert config.platform.kind == "eks"

    def program() -> None:
        provisioned = provision_platform(config, preflight=preflight)
        export_provisioned(config, provisioned)
        assert provisioned.external_dns is not None
        pulumi.export("externalDnsSecrets", len(provisioned.external_dns.secrets))

    recording = record_component(program)
    [component] = recording.of_type("traffic-edge:aws:Eks")
    assert component.name == PLATFORM
    return recording


def irsa_trust(provider_arn: str, namespace: str, service_account: str) -> dict[str, Any]:
    """The IRSA trust policy of the EKS docs, written out here rather than built by traffic_edge.data.permissions."""
    issuer = provider_arn.split(":oidc-provider/", 1)[1]
    return {
        "Statement": [
            {
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:aud": "sts.amazonaws.com",
                        f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                    }
                },
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
            }
        ],
        "Version": "2012-10-17",
    }


def policy_of(recording: Recording, workload: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(recording.named(POLICY, f"{PLATFORM}-{workload}-policy").inputs["policy"])
    return document


def trust_of(recording: Recording, workload: str) -> dict[str, Any]:
    role = recording.named(ROLE, f"{PLATFORM}-{workload}-role")
    document: dict[str, Any] = json.loads(role.inputs["assumeRolePolicy"])
    return document


def test_irsa_trust_policy_names_one_service_account_and_sts() -> None:
    assert irsa_trust_policy(OIDC_PROVIDER_ARN, "cert-manager", "cert-manager") == {
        "Statement": [
            {
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{ISSUER}:aud": "sts.amazonaws.com",
                        f"{ISSUER}:sub": "system:serviceaccount:cert-manager:cert-manager",
                    }
                },
                "Effect": "Allow",
                "Principal": {"Federated": OIDC_PROVIDER_ARN},
            }
        ],
        "Version": "2012-10-17",
    }


def test_pod_identity_trust_is_the_documented_one_for_one_service_account_of_one_cluster() -> None:
    """Without conditions (as before), anyone who may create an association in the account could hand the role to
    any service account of any cluster."""
    trust = pod_identity_trust_policy("cert-manager", "cert-manager", "edge")
    assert normalized(trust) == normalized(pod_identity_trust("cert-manager", "cert-manager", "edge"))
    # No unverified conditions: aws:SourceAccount / aws:SourceArn are not documented for pods.eks.amazonaws.com.
    assert set(trust["Statement"][0]["Condition"]) == {"StringEquals"}
    assert set(trust["Statement"][0]["Condition"]["StringEquals"]) == {
        "aws:RequestTag/eks-cluster-name", "aws:RequestTag/kubernetes-namespace",
        "aws:RequestTag/kubernetes-service-account",
    }


def test_cert_manager_may_change_only_txt_records_of_its_zone() -> None:
    """cert-manager's documented policy, on the zone, without listing zones: the solver names hostedZoneID
    (cert-manager @ v1.21.1 : pkg/issuer/acme/dns/route53/route53.go L316-318)."""
    document = aws_policy_document(AWS["cert-manager"], "aws", ZONE_ID)
    assert normalized(document) == normalized(CERT_MANAGER_POLICY)
    [changes] = [s for s in document["Statement"] if "route53:ChangeResourceRecordSets" in s["Action"]]
    txt_only = {"ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]}}
    assert changes["Condition"] == txt_only
    assert changes["Resource"] == [ZONE_ARN]
    assert "route53:ListHostedZonesByName" not in json.dumps(document)


def test_external_dns_follows_its_v0_22_tutorial_on_the_zone() -> None:
    document = aws_policy_document(AWS["external-dns"], "aws", ZONE_ID)
    assert normalized(document) == normalized(EXTERNAL_DNS_POLICY)
    assert {"Action": ["route53:ListHostedZones"], "Effect": "Allow", "Resource": ["*"]} in document["Statement"]


def test_documents_name_the_partition_of_the_region() -> None:
    china = aws_policy_document(AWS["cert-manager"], "aws-cn", "Z1")
    assert [statement["Resource"] for statement in china["Statement"]] == [
        ["arn:aws-cn:route53:::change/*"], ["arn:aws-cn:route53:::hostedzone/Z1"],
    ]


@pytest.mark.parametrize("partition", sorted(LBC_POLICIES))
def test_load_balancer_controller_policy_is_upstreams_in_each_partition(partition: str) -> None:
    """The whole document, statement for statement, against the controller's own file for that partition."""
    require_refdata()
    upstream = json.loads((REFDATA / "aws-load-balancer-controller" / "v3.5.0" / "iam" / LBC_POLICIES[partition])
                          .read_text())
    ours = aws_policy_document(aws_load_balancer_controller.IAM, partition, ZONE_ID)
    assert normalized(ours) == normalized(upstream)


def test_policy_documents_are_plain_sorted_data() -> None:
    for row in (*AWS.values(), aws_load_balancer_controller.IAM):
        document = aws_policy_document(row, "aws", ZONE_ID)
        assert json.loads(json.dumps(document)) == document
        assert list(document) == sorted(document)
        for statement in document["Statement"]:
            assert list(statement) == sorted(statement)
            assert statement["Action"] == sorted(statement["Action"])


def test_irsa_roles_policies_and_annotations() -> None:
    recording = provision(IRSA)
    assert sorted(r.name for r in recording.of_type(ROLE)) == [f"{PLATFORM}-cert-manager-role",
                                                              f"{PLATFORM}-external-dns-role"]
    for workload in ("cert-manager", "external-dns"):
        role = recording.named(ROLE, f"{PLATFORM}-{workload}-role")
        assert role.inputs["name"] == f"traffic-edge-test-{workload}"
        assert trust_of(recording, workload) == irsa_trust(OIDC_PROVIDER_ARN, workload, workload)
        policy = recording.named(POLICY, f"{PLATFORM}-{workload}-policy")
        assert (policy.inputs["name"], policy.inputs["role"]) == (workload, f"traffic-edge-test-{workload}")
    assert normalized(policy_of(recording, "cert-manager")) == normalized(CERT_MANAGER_POLICY)
    assert normalized(policy_of(recording, "external-dns")) == normalized(EXTERNAL_DNS_POLICY)
    assert recording.of_type(ASSOCIATION) == []
    identities = recording.outputs["identities"]
    for workload in ("cert-manager", "external-dns"):
        assert identities[workload]["annotations"] == {
            "eks.amazonaws.com/role-arn": f"arn:aws:iam::123456789012:role/traffic-edge-test-{workload}"
        }
        assert identities[workload]["labels"] == {}
        assert identities[workload]["ready"] == [recording.named(POLICY, f"{PLATFORM}-{workload}-policy").urn]


def test_zone_is_created_protected_and_its_name_servers_exported() -> None:
    recording = provision(IRSA)
    zone = recording.named(ZONE, f"{PLATFORM}-dns-zone")
    assert zone.protect
    assert zone.inputs == {"name": "eks.example.com", "comment": "traffic-edge test: eks.example.com"}
    assert recording.outputs["zone"] == {
        "name": "eks.example.com", "id": ZONE_ID, "nameServers": fakes.AWS_NAME_SERVERS,
    }
    unprotected = provision({**IRSA, "dns": {"protect": False}})
    assert not unprotected.named(ZONE, f"{PLATFORM}-dns-zone").protect


def test_solver_and_external_dns_settings() -> None:
    recording = provision(IRSA)
    assert recording.outputs["solver"] == {"route53": {"region": "eu-west-1", "hostedZoneID": ZONE_ID}}
    assert recording.outputs["externalDns"] == {
        "provider": {"name": "aws"},
        "env": [{"name": "AWS_DEFAULT_REGION", "value": "eu-west-1"}],
        "domainFilters": ["eks.example.com"],
        "extraArgs": ["--aws-zone-type=public", f"--zone-id-filter={ZONE_ID}"],
    }
    assert recording.outputs["externalDnsSecrets"] == 0
    chart = recording.outputs["externalDnsChart"]
    assert chart["serviceAccount"] == {
        "name": "external-dns",
        "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/traffic-edge-test-external-dns"},
    }
    assert chart["extraArgs"][:2] == ["--aws-zone-type=public", f"--zone-id-filter={ZONE_ID}"]
    assert recording.outputs["identities"]["external-dns"]["ready"] == [
        recording.named(POLICY, f"{PLATFORM}-external-dns-policy").urn
    ]
    require_refdata()
    assert validate_helm_values("external-dns", "1.21.1", chart) == []


def test_pod_identity_associates_each_role_with_its_service_account() -> None:
    recording = provision(POD_IDENTITY)
    for workload in ("cert-manager", "external-dns"):
        where = WORKLOADS[workload]
        assert trust_of(recording, workload) == pod_identity_trust(where.namespace, where.service_account, "edge")
        association = recording.named(ASSOCIATION, f"{PLATFORM}-{workload}-pod-identity")
        assert association.inputs == {
            "clusterName": "edge",
            "namespace": WORKLOADS[workload].namespace,
            "serviceAccount": WORKLOADS[workload].service_account,
            "roleArn": f"arn:aws:iam::123456789012:role/traffic-edge-test-{workload}",
        }
        identity = recording.outputs["identities"][workload]
        assert identity["annotations"] == {}
        assert identity["ready"] == [recording.named(POLICY, f"{PLATFORM}-{workload}-policy").urn, association.urn]
    assert "serviceAccount" not in recording.outputs["externalDns"]
    assert recording.outputs["externalDnsChart"]["serviceAccount"] == {"name": "external-dns"}


@pytest.mark.parametrize(("region", "partition"), [("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn")])
def test_partition_follows_the_region_without_asking_aws(
    region: str, partition: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_lookup(_args: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("the partition follows from the region; a dry run needs no AWS credentials for it")

    monkeypatch.setitem(fakes.CALL_RESULTS, "aws:index/getPartition:getPartition", no_lookup)
    arn = OIDC_PROVIDER_ARN.replace("arn:aws:", f"arn:{partition}:")
    recording = provision({**IRSA, "platform": {"kind": "eks", "region": region, "oidcProviderArn": arn}})
    for workload, document in (("cert-manager", CERT_MANAGER_POLICY), ("external-dns", EXTERNAL_DNS_POLICY)):
        in_partition = json.loads(json.dumps(document).replace("arn:aws:", f"arn:{partition}:"))
        assert normalized(policy_of(recording, workload)) == normalized(in_partition)


def test_every_aws_resource_and_look_up_goes_through_the_platform_region(invokes: list[tuple[str, str]]) -> None:
    """One explicit provider, built from platform.region and named after the platform: the stack's `aws:region`
    (which nothing cross-checked) plays no part."""
    recording = provision({**POD_IDENTITY, "dns": {"adopt": {"id": "Z0ADOPTED0000"}}})
    provider = recording.named("pulumi:providers:aws", f"{PLATFORM}-aws")
    assert provider.inputs["region"] == "eu-west-1"
    assert provider.parent == recording.named("traffic-edge:aws:Eks", PLATFORM).urn
    reference = f"{provider.urn}::{provider.name}-id"
    aws_resources = [r for r in recording.resources.values() if r.type.startswith("aws:")]
    assert {r.type for r in aws_resources} == {ROLE, POLICY, ASSOCIATION}
    assert {r.provider for r in aws_resources} == {reference}
    assert sorted(invokes) == [
        ("aws:eks/getAddon:getAddon", reference),
        ("aws:eks/getCluster:getCluster", reference),
        ("aws:route53/getZone:getZone", reference),
    ]


def test_pod_identity_needs_its_agent_on_the_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(args: dict[str, Any]) -> dict[str, Any]:
        raise Exception(f"reading EKS Add-On ({args['clusterName']}:{args['addonName']}): couldn't find resource")

    assert provision(POD_IDENTITY).warnings == []  # the fake cluster runs the add-on
    monkeypatch.setitem(fakes.CALL_RESULTS, "aws:eks/getAddon:getAddon", not_installed)
    with pytest.raises(ConfigError) as refused:
        provision(POD_IDENTITY)
    assert [str(issue) for issue in refused.value.issues] == [
        "platform.clusterName: EKS cluster edge runs no Pod Identity Agent (reading EKS Add-On "
        "(edge:eks-pod-identity-agent): couldn't find resource), so no pod can assume its role (fix: aws eks "
        "create-addon --cluster-name edge --addon-name eks-pod-identity-agent --region eu-west-1)"
    ]
    cluster = fakes.CALL_RESULTS["aws:eks/getCluster:getCluster"]
    monkeypatch.setitem(fakes.CALL_RESULTS, "aws:eks/getCluster:getCluster",
                        lambda args: {**cluster(args), "computeConfigs": [{"enabled": True}]})
    assert provision(POD_IDENTITY).of_type(ASSOCIATION), "EKS Auto Mode has the agent built in"
    assert provision(IRSA).warnings == [], "IRSA needs no agent"


def test_pod_identity_on_an_unknown_cluster_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_cluster(args: dict[str, Any]) -> dict[str, Any]:
        raise Exception(f"reading EKS Cluster ({args['name']}): couldn't find resource")

    monkeypatch.setitem(fakes.CALL_RESULTS, "aws:eks/getCluster:getCluster", no_cluster)
    with pytest.raises(ConfigError, match=r"platform\.clusterName: no EKS cluster edge in eu-west-1 could be looked "
                                          r"up \(reading EKS Cluster \(edge\): couldn't find resource\)"):
        provision(POD_IDENTITY)


def test_without_preflight_the_agent_is_reported_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(_args: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("no look-up without the preflight")

    monkeypatch.setitem(fakes.CALL_RESULTS, "aws:eks/getCluster:getCluster", unreachable)
    recording = provision(POD_IDENTITY, preflight=False)
    assert recording.warnings == [
        f"{PLATFORM}: preflight not run: the EKS Pod Identity Agent on the cluster: not checked"
    ]


def test_http01_leaves_cert_manager_without_a_role() -> None:
    recording = provision({**IRSA, "issuers": {"acme": {"email": "ops@example.com", "solver": "http01"}},
                           "gateways": [{"name": "edge", "listeners": [HTTP_LISTENER]}]})
    assert [r.name for r in recording.of_type(ROLE)] == [f"{PLATFORM}-external-dns-role"]
    assert recording.outputs["identities"]["cert-manager"] == {"annotations": {}, "labels": {}, "ready": []}


def test_adopting_a_zone_by_id_creates_none() -> None:
    recording = provision({**IRSA, "dns": {"adopt": {"id": "Z0ADOPTED0000"}}})
    assert recording.of_type(ZONE) == []
    assert "arn:aws:route53:::hostedzone/Z0ADOPTED0000" in json.dumps(policy_of(recording, "cert-manager"))
    assert recording.outputs["zone"]["id"] == "Z0ADOPTED0000"
    assert recording.outputs["zone"]["nameServers"] == fakes.AWS_NAME_SERVERS


def test_an_adopted_zone_for_another_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    lookup = fakes.CALL_RESULTS["aws:route53/getZone:getZone"]
    monkeypatch.setitem(fakes.CALL_RESULTS, "aws:route53/getZone:getZone",
                        lambda args: {**lookup(args), "name": "other.example.com."})
    with pytest.raises(pulumi.RunError, match=r"dns\.adopt: the adopted zone serves other\.example\.com, "
                                              r"not eks\.example\.com"):
        provision({**IRSA, "dns": {"adopt": {"id": "Z0ADOPTED0000"}}})


def test_private_zone_is_attached_to_its_vpcs_and_offers_no_acme() -> None:
    recording = provision({**IRSA, "issuers": {}, "dns": {"private": True, "networks": ["vpc-0123456789abcdef0"]}})
    vpcs = recording.named(ZONE, f"{PLATFORM}-dns-zone").inputs["vpcs"]
    assert vpcs == [{"vpcId": "vpc-0123456789abcdef0", "vpcRegion": "eu-west-1"}]
    assert recording.outputs["solver"] == "none"
    assert recording.outputs["zone"]["nameServers"] == "none"
    assert "--aws-zone-type=private" in recording.outputs["externalDns"]["extraArgs"]


def test_cluster_facts_come_from_the_cluster_stack() -> None:
    stack = {"kind": "eks", "region": "us-east-1", "identity": "podIdentity", "clusterStack": "acme/eks/prod"}
    recording = provision({**IRSA, "platform": stack})
    assert recording.named(ASSOCIATION, f"{PLATFORM}-cert-manager-pod-identity").inputs["clusterName"] == "fake-cluster"
    trust = trust_of(recording, "cert-manager")["Statement"][0]["Condition"]["StringEquals"]
    assert trust["aws:RequestTag/eks-cluster-name"] == ["fake-cluster"]
    irsa = provision({**IRSA, "platform": {**stack, "identity": "irsa"}})
    assert trust_of(irsa, "external-dns") == irsa_trust(
        fakes.CLUSTER_STACK_OUTPUTS["oidcProviderArn"], "external-dns", "external-dns"
    )


@pytest.mark.parametrize("config", [IRSA, POD_IDENTITY], ids=["irsa", "pod-identity"])
def test_no_identity_reaches_beyond_its_zone(config: Config) -> None:
    recording = provision(config)
    iam = [r for r in recording.resources.values() if r.type.startswith(("aws:iam/", "aws:eks/"))]
    assert {r.type for r in iam} <= {ROLE, POLICY, ASSOCIATION}
    for policy in recording.of_type(POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            assert statement["Effect"] == "Allow"
            if "Condition" in statement:  # narrows what may change, never widens
                assert statement["Condition"] == UPSTREAM_CERT_MANAGER["Statement"][1]["Condition"], policy.name
            for resource in statement["Resource"]:
                if resource != ZONE_ARN:
                    assert {(action, resource) for action in statement["Action"]} <= BEYOND_THE_ZONE, policy.name
    for role in recording.of_type(ROLE):
        assert {"managedPolicyArns", "inlinePolicies", "permissionsBoundary"}.isdisjoint(role.inputs)


def test_load_balancer_controller_role_follows_the_controller() -> None:
    """The controller's row is data: its policy is the upstream one, in the account's partition."""
    document = aws_policy_document(aws_load_balancer_controller.IAM, "aws-cn", ZONE_ID)
    resources = {resource for statement in document["Statement"] for resource in statement["Resource"]}
    assert "arn:aws-cn:ec2:*:*:security-group/*" in resources
    assert not any("route53" in resource or "{" in resource for resource in resources)
    assert len(json.dumps(document, separators=(",", ":"))) < 10_240  # IAM's inline policy limit per role
    assert aws_load_balancer_controller.ROW.aws is aws_load_balancer_controller.IAM
    assert aws_load_balancer_controller.ROW.workload is aws_load_balancer_controller.WORKLOAD
    assert "aws-load-balancer-controller" not in {request.workload.name for request in identity_requests(
        parse_config(IRSA))}, "another controller's stack gives it no role"


def test_a_controller_workload_gets_its_role_from_its_rows_alone() -> None:
    lbc = "aws-load-balancer-controller"
    listener = {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": "*.eks.example.com",
                "certificateArn": "arn:aws:acm:eu-west-1:111122223333:certificate/0000-1111"}
    recording = provision({
        **IRSA,
        "platform": {**IRSA["platform"], "clusterName": "edge"},
        "controller": {"name": lbc},
        "gateways": [{"name": "edge", "listeners": [listener]}],
    })
    assert recording.named(ROLE, f"{PLATFORM}-{lbc}-role").inputs["name"] == f"traffic-edge-test-{lbc}"
    assert trust_of(recording, lbc) == irsa_trust(OIDC_PROVIDER_ARN, lbc, lbc)
    assert policy_of(recording, lbc) == aws_policy_document(aws_load_balancer_controller.IAM, "aws", ZONE_ID)
    assert recording.outputs["identities"][lbc]["annotations"] == {
        "eks.amazonaws.com/role-arn": f"arn:aws:iam::123456789012:role/traffic-edge-test-{lbc}"
    }


def test_cert_manager_waits_for_its_role(render_stack: RenderStack) -> None:
    for stack in ("eks", "eks-pod-identity"):
        recording = render_stack(PROJECT_DIR / f"Pulumi.{stack}.yaml")
        release = recording.named("kubernetes:helm.sh/v3:Release", "edge-cert-manager")
        assert depends_on(recording, release, recording.named(POLICY, f"{PLATFORM}-cert-manager-policy"))
        if stack == "eks-pod-identity":
            assert depends_on(recording, release, recording.named(ASSOCIATION, f"{PLATFORM}-cert-manager-pod-identity"))
            assert recording.of_type(ZONE) == []
        require_refdata()
        assert validate_helm_values("cert-manager", release.inputs["version"], release.inputs["values"]) == []


def test_example_stacks_exist() -> None:
    assert {path.name for path in Path(PROJECT_DIR).glob("Pulumi.eks*.yaml")} >= {
        "Pulumi.eks.yaml", "Pulumi.eks-pod-identity.yaml"
    }
