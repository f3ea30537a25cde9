"""AWS Load Balancer Controller v3.5.0: ALB (L7) and NLB (L4) classes, ACM certificates, an IAM role."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from traffic_edge.controllers.base import (
    CLOUD_LOAD_BALANCER,
    L4_PROTOCOLS,
    L4_ROUTES,
    L7_PROTOCOLS,
    L7_ROUTES,
    ControllerRow,
    GatewayClassRow,
    GatewayFacts,
    ParametersObject,
    Upstream,
    ValuesContext,
)
from traffic_edge.data.permissions.aws import ANY_RESOURCE, AwsRow, AwsStatement
from traffic_edge.data.versions import ChartPin
from traffic_edge.data.workloads import Workload

CHART = ChartPin(
    name="aws-load-balancer-controller",
    chart="aws-load-balancer-controller",
    version="3.5.0",
    repo="https://aws.github.io/eks-charts",
    source="https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/installation/",
)
# https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/installation/
WORKLOAD = Workload(
    name="aws-load-balancer-controller",
    namespace="aws-load-balancer-controller",
    service_account="aws-load-balancer-controller",
)


def _elb_arn(resource: str) -> str:
    return f"arn:{{partition}}:elasticloadbalancing:*:*:{resource}"


_LBC_CLUSTER_TAG = "elbv2.k8s.aws/cluster"
_LBC_REQUEST_TAG = f"aws:RequestTag/{_LBC_CLUSTER_TAG}"
_LBC_RESOURCE_TAG = f"aws:ResourceTag/{_LBC_CLUSTER_TAG}"
_LBC_OWNED = {"Null": {_LBC_RESOURCE_TAG: "false"}}
_LBC_TAGGING_OWNED = {"Null": {_LBC_REQUEST_TAG: "true", _LBC_RESOURCE_TAG: "false"}}
_LBC_LOAD_BALANCERS = (_elb_arn("targetgroup/*/*"), _elb_arn("loadbalancer/net/*/*"), _elb_arn("loadbalancer/app/*/*"))
_LBC_SECURITY_GROUPS = ("arn:{partition}:ec2:*:*:security-group/*",)


# https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/main/docs/install/iam_policy.json
IAM = AwsRow(
    statements=(
        AwsStatement(
            ("iam:CreateServiceLinkedRole",), (ANY_RESOURCE,),
            {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        ),
        AwsStatement(
            (
                "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage",
                "ec2:DescribeCoipPools", "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools",
                "ec2:DescribeRouteTables", "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeListenerCertificates", "elasticloadbalancing:DescribeSSLPolicies",
                "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTrustStores",
                "elasticloadbalancing:DescribeListenerAttributes",
                "elasticloadbalancing:DescribeCapacityReservation",
            ),
            (ANY_RESOURCE,),
        ),
        AwsStatement(
            ("cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate",
             "iam:ListServerCertificates", "iam:GetServerCertificate", "waf-regional:GetWebACL",
             "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL",
             "waf-regional:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource",
             "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "shield:GetSubscriptionState",
             "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection"),
            (ANY_RESOURCE,),
        ),
        AwsStatement(("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"), (ANY_RESOURCE,)),
        AwsStatement(("ec2:CreateSecurityGroup",), (ANY_RESOURCE,)),
        AwsStatement(
            ("ec2:CreateTags",), _LBC_SECURITY_GROUPS,
            {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, "Null": {_LBC_REQUEST_TAG: "false"}},
        ),
        AwsStatement(("ec2:CreateTags", "ec2:DeleteTags"), _LBC_SECURITY_GROUPS, _LBC_TAGGING_OWNED),
        AwsStatement(
            ("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"),
            (ANY_RESOURCE,), _LBC_OWNED,
        ),
        AwsStatement(
            ("elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"),
            (ANY_RESOURCE,), {"Null": {_LBC_REQUEST_TAG: "false"}},
        ),
        AwsStatement(
            ("elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
             "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"),
            (ANY_RESOURCE,),
        ),
        AwsStatement(
            ("elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"), _LBC_LOAD_BALANCERS,
            _LBC_TAGGING_OWNED,
        ),
        AwsStatement(
            ("elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"),
            (_elb_arn("listener/net/*/*/*"), _elb_arn("listener/app/*/*/*"),
             _elb_arn("listener-rule/net/*/*/*"), _elb_arn("listener-rule/app/*/*/*")),
        ),
        AwsStatement(
            ("elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
             "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
             "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
             "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
             "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyCapacityReservation",
             "elasticloadbalancing:ModifyIpPools"),
            (ANY_RESOURCE,), _LBC_OWNED,
        ),
        AwsStatement(
            ("elasticloadbalancing:AddTags",), _LBC_LOAD_BALANCERS,
            {"StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]},
             "Null": {_LBC_REQUEST_TAG: "false"}},
        ),
        AwsStatement(
            ("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"),
            (_elb_arn("targetgroup/*/*"),),
        ),
        AwsStatement(
            ("elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
             "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
             "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities"),
            (ANY_RESOURCE,),
        ),
    ),
    source="https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/main/docs/install/iam_policy.json",
)


def values(context: ValuesContext) -> Mapping[str, Any]:
    """The cluster name (required by the chart) and, where pods cannot read the instance metadata service, the VPC.

    helm/aws-load-balancer-controller/values.yaml @ v3.5.0 (L134-135) `clusterName` "A non-empty value is
    required"; (L177-178) `vpcId` "Set this manually when your pods are unable to use the metadata service".
    """
    values: dict[str, Any] = {
        "clusterName": context.cluster_name,
        "serviceAccount": {"name": WORKLOAD.service_account},
        "controllerConfig": {"featureGates": {"ALBGatewayAPI": True, "NLBGatewayAPI": True}},
    }
    if context.region:
        values["region"] = context.region
    if context.vpc_id is not None:
        values["vpcId"] = context.vpc_id
    return values


LBC_DOCS = "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/gateway/gateway/"


def load_balancer_configuration(context: ValuesContext, gateway: GatewayFacts) -> ParametersObject:
    """The load balancer's scheme, and the ACM certificates of its TLS listeners.

    LBC ignores listener certificateRefs; certificates are ARNs in listenerConfigurations. `gateway.k8s.aws/v1` is
    the storage version (chart crds/gateway-crds.yaml @ v3.5.0, L918 and L1257-1258; v1beta1 is still served,
    L1268 and L1607-1608), `scheme` one of internal and internet-facing (L1191-1197).
    """
    spec: dict[str, Any] = {"scheme": context.scheme}
    configurations = [
        {"protocolPort": f"{listener.protocol}:{listener.port}", "defaultCertificate": listener.certificate_arn}
        for listener in gateway.listeners if listener.certificate_arn
    ]
    if configurations:
        spec["listenerConfigurations"] = configurations
    return ParametersObject(
        "gateway.k8s.aws/v1", "LoadBalancerConfiguration", gateway.name, gateway.namespace, spec,
        earlier_api_versions=("gateway.k8s.aws/v1beta1",),
    )


ROW = ControllerRow(
    name="aws-load-balancer-controller",
    classes=(
        GatewayClassRow("aws-alb", "gateway.k8s.aws/alb", L7_PROTOCOLS, L7_ROUTES),
        GatewayClassRow("aws-nlb", "gateway.k8s.aws/nlb", L4_PROTOCOLS, L4_ROUTES),
    ),
    chart=CHART,
    namespace=WORKLOAD.namespace,
    values=values,
    workload=WORKLOAD,
    aws=IAM,
    certificates="acm",
    shares_l4_l7=False,
    url_rewrite=False,
    service_types=CLOUD_LOAD_BALANCER,
    gateway_parameters=load_balancer_configuration,
    platform="eks",
    cluster_facts=frozenset({"clusterName", "vpcId"}),
    config_keys=frozenset({"scheme"}),
    declines={
        "addresses": Upstream(
            "reads no Gateway spec.addresses: the load balancer's DNS name becomes the Gateway's address",
            "kubernetes-sigs/aws-load-balancer-controller @ v3.5.0 : controllers/gateway/gateway_controller.go "
            "(L479-486)",
        ),
        "dataPlane": Upstream("runs no proxy in the cluster: the data plane is an AWS load balancer", LBC_DOCS),
        "minTlsVersion": Upstream(
            "takes TLS protocols as a named ELB security policy (LoadBalancerConfiguration "
            "listenerConfigurations[].sslPolicy), which this program does not choose for you",
            "kubernetes-sigs/aws-load-balancer-controller @ v3.5.0 : docs/guide/gateway/spec.md (L366-372)",
        ),
    },
    # kubernetes-sigs/aws-load-balancer-controller @ v3.5.0 : go.mod (L52) `sigs.k8s.io/gateway-api v1.6.0`; every
    # route loader lists its kind from `sigs.k8s.io/gateway-api/apis/v1` (pkg/gateway/routeutils/tcp.go L140, tls.go
    # L138, udp.go L138, http.go L166, grpc.go L165): all five route kinds at v1.
    built_against="v1.6.0",
    source=LBC_DOCS,
)
