"""TrafficEdge: the whole edge as one component, importable by any Pulumi program.

It reads no program state (no `pulumi.Config()`, project or stack name): the config, the secrets and who
deploys it come in as args, so two edges can live in one stack. Children are named `<edge>-<role>`; each
carries an alias to the name and root parent it had before the edge was one component, so existing stacks
move under it without replacement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

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
from traffic_edge.config import ConfigError, StackConfig, parse
from traffic_edge.config.load import SECRET_KEYS
from traffic_edge.controllers.base import ValuesContext
from traffic_edge.data.workloads import CERT_MANAGER, EXTERNAL_DNS
from traffic_edge.plan import Deployment, EdgePlan, edge_plan, uses_platform_gateway_api
from traffic_edge.plan.contracts import WorkloadIdentity
from traffic_edge.plan.preflight import preflight
from traffic_edge.plan.secrets import secret_parts
from traffic_edge.plan.sources import ClusterConnection
from traffic_edge.platforms import PlatformArgs, platform_for
from traffic_edge.platforms.base import Provisioned
from traffic_edge.platforms.probe import ProbeError, read_cluster


@dataclass(frozen=True)
class TrafficEdgeArgs:
    config: StackConfig | Mapping[str, Any]  # the validated model, or a mapping the same model validates
    deployment: Deployment  # names cloud identities and the DNS owner: unique per edge
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # secret config values by key
    preflight: bool = True  # read the cluster first and refuse what it contradicts; off: say it was not checked
    secret_keys: frozenset[str] = frozenset()  # top-level config keys stored as secrets: what reads them is secret


def _resolved(args: TrafficEdgeArgs) -> tuple[StackConfig, dict[str, pulumi.Input[str]]]:
    """The validated config and its secrets; in a mapping, a secret key may hold its Pulumi secret directly."""
    secrets = dict(args.secrets)
    if isinstance(args.config, StackConfig):
        return args.config, secrets
    raw = dict(args.config)
    for key in SECRET_KEYS:
        if isinstance(raw.get(key), pulumi.Output):
            secrets[key] = raw.pop(key)
    return parse({**raw, **dict.fromkeys(secrets, "")}, set(secrets)), secrets


def _namespaces_args(plan: EdgePlan) -> NamespacesArgs:
    """The namespaces to create, and those of them to leave in the cluster when they leave the stack."""
    return NamespacesArgs(plan.namespaces, plan.retained_namespaces)


def secret_inputs(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
    """Every input a secret, but a Kubernetes object's apiVersion and kind (its type, from the program)."""
    props = {
        key: value if key in ("apiVersion", "kind", "api_version") else pulumi.Output.secret(value)
        for key, value in args.props.items()
    }
    return pulumi.ResourceTransformationResult(props, args.opts)


class TrafficEdge(pulumi.ComponentResource):
    """Outputs: `gateways` (name → namespace), `gateway_class`, `cluster_issuers`, `dns_zone` (name and name
    servers, or None where this program writes no DNS)."""

    cluster: pulumi.Output[str]
    gateways: pulumi.Output[dict[str, str]]
    gateway_class: pulumi.Output[str]
    cluster_issuers: pulumi.Output[list[str]]
    dns_zone: pulumi.Output[dict[str, Any] | None]

    def __init__(self, name: str, args: TrafficEdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("traffic-edge:index:TrafficEdge", name, None, opts)
        self.name = name
        config, secrets = _resolved(args)
        self.config = config
        self.secret_parts = secret_parts(args.secret_keys)
        plan = edge_plan(config, args.deployment)
        self.cluster = pulumi.Output.from_input(plan.cluster.describe())
        check = self._preflight(config, plan) if args.preflight else None
        if check is None:
            pulumi.log.warn(f"{name}: preflight not run: Kubernetes ≥1.30 and the Gateway API CRDs on the cluster "
                            "were not checked", self)
        self.kubernetes = self._kubernetes(plan.cluster, check)
        provisioned = self._provision(config, plan, args, secrets)
        namespaces = Namespaces(f"{name}-namespaces", _namespaces_args(plan), self._child("namespaces"))
        crds: list[pulumi.Resource] = []
        if plan.gateway_api is not None:
            crds = [GatewayApiCrds(f"{name}-gateway-api", GatewayApiCrdsArgs(plan.gateway_api),
                                   self._child("gateway-api"))]
        cert_manager = self._cert_manager(plan, provisioned, namespaces, crds)
        controller = self._controller(plan, provisioned, namespaces, crds)
        issuers = self._issuers(plan, provisioned, namespaces, cert_manager)
        gateways = self._gateways(plan, provisioned, namespaces, crds, (cert_manager, controller))
        Routes(f"{name}-routes", RoutesArgs(plan=plan.routes, crds=crds, namespaces=namespaces.needed_by),
               self._child("routes"))
        self._external_dns(plan, provisioned, namespaces, crds)
        AdmissionPolicies(f"{name}-admission", AdmissionPoliciesArgs(objects=plan.admission, crds=crds),
                          self._child("admission"))
        NetworkPolicies(
            f"{name}-network-policies",
            NetworkPoliciesArgs(objects=plan.network_policies, namespaces=namespaces.needed_by),
            self._child("network-policies"),
        )
        zone = provisioned.zone
        by_name = {gateway.gateway_name: gateway.gateway_namespace for gateway in gateways}
        self.gateways = pulumi.Output.from_input(by_name)
        self.gateway_class = pulumi.Output.from_input(controller.class_name)
        self.cluster_issuers = pulumi.Output.from_input(issuers[0].names)
        zone_facts = {"name": zone.name, "nameServers": zone.name_servers} if zone else None
        self.dns_zone = pulumi.Output.from_input(zone_facts)
        self.register_outputs({  # last: the edge is complete once its outputs are
            "cluster": self.cluster,
            "gateways": self.gateways,
            "gateway_class": self.gateway_class,
            "cluster_issuers": self.cluster_issuers,
            "dns_zone": self.dns_zone,
        })

    def _gateways(
        self,
        plan: EdgePlan,
        provisioned: Provisioned,
        namespaces: Namespaces,
        crds: list[pulumi.Resource],
        installs: tuple[CertManager, GatewayController],
    ) -> list[EdgeGateway]:
        """One component per gateway, after cert-manager and the controller's release (`installs`), its namespaces
        and what the platform made for it (the SSL policy its policy names)."""
        cert_manager, release = installs[0], installs[1].release
        return [
            EdgeGateway(
                f"{self.name}-gateway-{gateway.name}",
                EdgeGatewayArgs(
                    plan=gateway,
                    crds=crds,
                    cert_manager=[cert_manager],
                    namespaces=namespaces.needed_by,
                    controller=[release] if release else [],
                    cloud=[provisioned.ssl_policies[gateway.ssl_policy]] if gateway.ssl_policy else [],
                ),
                self._child(f"gateway-{gateway.name}", "gateways"),
            )
            for gateway in plan.gateways
        ]

    def _provision(
        self, config: StackConfig, plan: EdgePlan, args: TrafficEdgeArgs, secrets: Mapping[str, pulumi.Input[str]]
    ) -> Provisioned:
        """The platform side (zone, identities), under its own component; it checks the cluster through its cloud
        where the edge's preflight runs."""
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
                preflight=args.preflight,
                platform_gateway_api=uses_platform_gateway_api(config),
                ssl_policies=plan.ssl_policies,
            )
        )
        return platform.provision(f"{self.name}-platform", self._child("platform"))

    def _cert_manager(
        self, plan: EdgePlan, provisioned: Provisioned, namespaces: Namespaces, crds: list[pulumi.Resource]
    ) -> CertManager:
        return CertManager(
            f"{self.name}-cert-manager",
            CertManagerArgs(
                chart=plan.cert_manager.chart,
                values=plan.cert_manager.values,
                identity=provisioned.identity(CERT_MANAGER.name),
                extra_values=plan.cert_manager.extra_values,
                depends_on=[*crds, *namespaces.needed_by(CERT_MANAGER.namespace)],
                expiry_alerts=plan.certificate_alerts,
            ),
            self._child("cert-manager"),
        )

    def _controller(
        self, plan: EdgePlan, provisioned: Provisioned, namespaces: Namespaces, crds: list[pulumi.Resource]
    ) -> GatewayController:
        row = plan.controller.row
        return GatewayController(
            f"{self.name}-{row.name}",
            GatewayControllerArgs(
                row=row,
                context=self._with_cluster_facts(plan, provisioned),
                chart=plan.controller.chart,
                crd_chart=plan.controller.crd_chart,
                extra_values=plan.controller.extra_values,
                identity=provisioned.identity(row.workload.name) if row.workload else WorkloadIdentity(),
                crds=crds,
                namespace=namespaces.needed_by(row.namespace),
            ),
            self._child(row.name, "controller"),
        )

    @staticmethod
    def _with_cluster_facts(plan: EdgePlan, provisioned: Provisioned) -> ValuesContext:
        """The controller's values context with the cluster facts its chart takes, from config or the cluster's
        stack: only the platform reads the stack."""
        context, wanted, facts = plan.controller.context, plan.controller.row.cluster_facts, provisioned.cluster
        if facts is None or not wanted:
            return context
        configured_name = context.cluster_name if isinstance(context.cluster_name, str) else None
        configured_vpc = context.vpc_id if isinstance(context.vpc_id, str) else None
        return replace(
            context,
            cluster_name=facts.get("clusterName", configured_name) if "clusterName" in wanted else None,
            vpc_id=facts.optional("vpcId", configured_vpc) if "vpcId" in wanted else None,
        )

    def _issuers(
        self, plan: EdgePlan, provisioned: Provisioned, namespaces: Namespaces, cert_manager: CertManager
    ) -> list[Issuers]:
        """ClusterIssuers first (DNS-01 through the platform), then each tenant's Issuers in its namespace."""
        created = []
        for issuers in plan.issuers:
            role = f"issuers-{issuers.key}" if issuers.key else "issuers"
            cluster = issuers.kind == "ClusterIssuer"
            created.append(Issuers(
                f"{self.name}-{role}",
                IssuersArgs(
                    issuers=issuers,
                    dns01=provisioned.dns01 if cluster else None,
                    depends_on=[cert_manager] if cluster else [cert_manager, *namespaces.needed_by(issuers.namespace)],
                ),
                self._child(role, "issuers"),
            ))
        return created

    def _external_dns(
        self, plan: EdgePlan, provisioned: Provisioned, namespaces: Namespaces, crds: list[pulumi.Resource]
    ) -> None:
        settings, provider = plan.external_dns, provisioned.external_dns
        if settings is None or provider is None:
            return
        ExternalDns(
            f"{self.name}-external-dns",
            ExternalDnsArgs(
                provider=provider,
                zone=settings.zone,
                sources=settings.sources,
                image=settings.image,
                policy=settings.policy,
                txt_owner_id=settings.txt_owner_id,
                txt_prefix=settings.txt_prefix,
                chart=settings.chart,
                identity=provisioned.identity(EXTERNAL_DNS.name),
                extra_values=settings.extra_values,
                depends_on=[*crds, *namespaces.needed_by(EXTERNAL_DNS.namespace)],
            ),
            self._child("external-dns"),
        )

    def _preflight(self, config: StackConfig, plan: EdgePlan) -> Callable[[str | None], None]:
        """Refuses, before anything is created, what the live cluster contradicts (plan.preflight).

        Run now where the connection is known now; for a cluster stack's kubeconfig, run by the provider's
        kubeconfig input, so that no object is created before it passes.
        """

        def check(kubeconfig_text: str | None) -> None:
            try:
                state = read_cluster(plan.cluster, kubeconfig_text)
            except ProbeError as error:
                raise pulumi.RunError(
                    f"preflight: {error} (to deploy without the checks: TRAFFIC_EDGE_PREFLIGHT=off)"
                ) from None
            issues = preflight(config, state, policies=bool(plan.admission))
            if issues:
                raise ConfigError(issues)

        if plan.cluster.via != "stack":
            check(None)
        return check

    def _kubernetes(self, cluster: ClusterConnection, check: Callable[[str | None], None] | None) -> k8s.Provider:
        """The one connection every Kubernetes object goes through.

        Objects that already exist are adopted (updated in place) rather than refused: pulumi-kubernetes 4.25 and
        older always did so, 4.29 and newer only with `upsertExistingObjects`, set here so that both behave alike.
        What must not be adopted blindly is checked first (the Gateway API CRDs' channel and release).
        """
        kubeconfig: pulumi.Input[str] | None = cluster.kubeconfig
        if cluster.via == "stack":
            assert cluster.stack is not None
            reference = pulumi.StackReference(f"{self.name}-cluster", stack_name=cluster.stack,
                                              opts=pulumi.ResourceOptions(parent=self))
            text = reference.require_output("kubeconfig").apply(str)
            kubeconfig = text.apply(lambda value: (check(value), value)[1]) if check else text
        secret = "kubernetes" in self.secret_parts
        return k8s.Provider(
            f"{self.name}-kubernetes",
            kubeconfig=pulumi.Output.secret(kubeconfig) if secret and kubeconfig is not None else kubeconfig,
            context=pulumi.Output.secret(cluster.context) if secret and cluster.context else cluster.context,
            cluster_identifier=cluster.identifier,
            enable_server_side_apply=True,
            upsert_existing_objects=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _child(self, role: str, part: str | None = None) -> pulumi.ResourceOptions:
        """A direct child, aliased to the root-level resource `role` it was before the edge was one component.

        Where the part (`part`, else `role`) reads a config key stored as a secret, every input of every resource
        under it is a secret.
        """
        secret = (part or role) in self.secret_parts
        return pulumi.ResourceOptions(
            parent=self,
            aliases=[pulumi.Alias(name=role, parent=pulumi.ROOT_STACK_RESOURCE)],
            providers=[self.kubernetes],
            transformations=[secret_inputs] if secret else None,
        )
