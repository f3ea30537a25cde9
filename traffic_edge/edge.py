"""TrafficEdge: the whole edge as one component, importable by any Pulumi program.

It reads no program state (no `pulumi.Config()`, project or stack name): the config, the secrets and who
deploys it come in as args, so two edges can live in one stack. Children are named `<edge>-<role>`; each
carries an alias to the name and root parent it had before the edge was one component, so existing stacks
move under it without replacement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from traffic_edge.components.admission import AdmissionPolicies, AdmissionPoliciesArgs
from traffic_edge.components.cert_manager import CertManager, CertManagerArgs
from traffic_edge.components.external_dns import ExternalDns, ExternalDnsArgs
from traffic_edge.components.gateway import EdgeGateway, EdgeGatewayArgs
from traffic_edge.components.gateway_api import GatewayApiCrds, GatewayApiCrdsArgs
from traffic_edge.components.gateway_controller import GatewayController, GatewayControllerArgs
from traffic_edge.components.issuers import Issuers, IssuersArgs
from traffic_edge.components.namespaces import Namespaces, NamespacesArgs
from traffic_edge.components.network_policies import NetworkPolicies, NetworkPoliciesArgs
from traffic_edge.components.routes import Routes, RoutesArgs
from traffic_edge.config import StackConfig, parse
from traffic_edge.config.load import SECRET_KEYS
from traffic_edge.data.workloads import CERT_MANAGER, EXTERNAL_DNS
from traffic_edge.plan import Deployment, edge_plan
from traffic_edge.platforms import PlatformArgs, platform_for


@dataclass(frozen=True)
class TrafficEdgeArgs:
    config: StackConfig | Mapping[str, Any]  # the validated model, or a mapping the same model validates
    deployment: Deployment  # names cloud identities and the DNS owner: unique per edge
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # secret config values by key


def _resolved(args: TrafficEdgeArgs) -> tuple[StackConfig, dict[str, pulumi.Input[str]]]:
    """The validated config and its secrets; in a mapping, a secret key may hold its Pulumi secret directly."""
    secrets = dict(args.secrets)
    if isinstance(args.config, StackConfig):
        return args.config, secrets
    raw = dict(args.config)
    for key in SECRET_KEYS:
        if isinstance(raw.get(key), pulumi.Output):
            secrets[key] = raw.pop(key)
    return parse({**raw, **{key: "" for key in secrets}}, set(secrets)), secrets


class TrafficEdge(pulumi.ComponentResource):
    """Outputs: `gateways` (name → namespace), `gateway_class`, `cluster_issuers`, `dns_zone` (name and name
    servers, or None where this program writes no DNS)."""

    gateways: dict[str, str]
    gateway_class: str
    cluster_issuers: list[str]
    dns_zone: dict[str, Any] | None

    def __init__(self, name: str, args: TrafficEdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:index:TrafficEdge", name, None, opts)
        config, secrets = _resolved(args)
        self.config = config
        plan = edge_plan(config, args.deployment)
        tsig = secrets.get("tsigSecret")
        platform = platform_for(
            PlatformArgs(
                settings=config.platform,
                dns=config.dns,
                zone_name=config.zone_name,
                domain=config.domain,
                deployment=args.deployment,
                identities=plan.identities,
                tsig_secret=pulumi.Output.secret(tsig) if tsig is not None else None,
            )
        )
        provisioned = platform.provision(f"{name}-platform", self._child("platform"))
        namespaces = Namespaces(f"{name}-namespaces", NamespacesArgs(labels=plan.namespaces), self._child("namespaces"))
        crds: list[pulumi.Resource] = []
        if plan.gateway_api is not None:
            version, channel = plan.gateway_api
            crds = [GatewayApiCrds(f"{name}-gateway-api", GatewayApiCrdsArgs(version, channel),
                                   self._child("gateway-api"))]
        cert_manager = CertManager(
            f"{name}-cert-manager",
            CertManagerArgs(
                version=plan.cert_manager.version,
                values=plan.cert_manager.values,
                identity=provisioned.identity(CERT_MANAGER.name),
                extra_values=plan.cert_manager.extra_values,
                depends_on=[*crds, *namespaces.needed_by(CERT_MANAGER.namespace)],
            ),
            self._child("cert-manager"),
        )
        row = plan.controller.row
        controller = GatewayController(
            f"{name}-{row.name}",
            GatewayControllerArgs(
                row=row,
                context=plan.controller.context,
                chart_version=plan.controller.chart_version,
                extra_values=plan.controller.extra_values,
                identity=provisioned.identity(row.workload.name) if row.workload else provisioned.identity(""),
                crds=crds,
                namespace=namespaces.needed_by(row.namespace),
            ),
            self._child(row.name),
        )
        issuers = []
        for issuer_set in plan.issuers:
            role = f"issuers-{issuer_set.key}" if issuer_set.key else "issuers"
            issuers.append(Issuers(
                f"{name}-{role}",
                IssuersArgs(
                    issuers=issuer_set,
                    dns01=provisioned.dns01 if issuer_set.kind == "ClusterIssuer" else None,
                    depends_on=[cert_manager, *namespaces.needed_by(issuer_set.namespace)]
                    if issuer_set.kind == "Issuer" else [cert_manager],
                ),
                self._child(role),
            ))
        gateways = [
            EdgeGateway(
                f"{name}-gateway-{gateway.name}",
                EdgeGatewayArgs(
                    plan=gateway,
                    crds=crds,
                    cert_manager=[cert_manager],
                    namespaces=namespaces.needed_by,
                    controller=[controller.release] if controller.release else [],
                ),
                self._child(f"gateway-{gateway.name}"),
            )
            for gateway in plan.gateways
        ]
        Routes(f"{name}-routes", RoutesArgs(plan=plan.routes, crds=crds, namespaces=namespaces.needed_by),
               self._child("routes"))
        if plan.external_dns is not None and provisioned.external_dns is not None:
            external_dns = plan.external_dns
            ExternalDns(
                f"{name}-external-dns",
                ExternalDnsArgs(
                    provider=provisioned.external_dns,
                    zone=external_dns.zone,
                    sources=external_dns.sources,
                    image=external_dns.image,
                    policy=external_dns.policy,
                    txt_owner_id=external_dns.txt_owner_id,
                    txt_prefix=external_dns.txt_prefix,
                    version=external_dns.version,
                    identity=provisioned.identity(EXTERNAL_DNS.name),
                    extra_values=external_dns.extra_values,
                    depends_on=[*crds, *namespaces.needed_by(EXTERNAL_DNS.namespace)],
                ),
                self._child("external-dns"),
            )
        AdmissionPolicies(f"{name}-admission", AdmissionPoliciesArgs(objects=plan.admission, crds=crds),
                          self._child("admission"))
        NetworkPolicies(
            f"{name}-network-policies",
            NetworkPoliciesArgs(objects=plan.network_policies, namespaces=namespaces.needed_by),
            self._child("network-policies"),
        )
        zone = provisioned.zone
        self.gateways = {gateway.gateway_name: gateway.gateway_namespace for gateway in gateways}
        self.gateway_class = controller.class_name
        self.cluster_issuers = issuers[0].names
        self.dns_zone = {"name": zone.name, "nameServers": zone.name_servers} if zone else None
        self.register_outputs({
            "gateways": self.gateways,
            "gateway_class": self.gateway_class,
            "cluster_issuers": self.cluster_issuers,
            "dns_zone": self.dns_zone,
        })

    def _child(self, role: str) -> pulumi.ResourceOptions:
        """A direct child, aliased to the root-level resource `role` it was before the edge was one component."""
        return pulumi.ResourceOptions(
            parent=self, aliases=[pulumi.Alias(name=role, parent=pulumi.ROOT_STACK_RESOURCE)]
        )
