"""Admission: each ValidatingAdmissionPolicy the stack deployed denies its hijack and admits the legitimate request
beside it, sent by an application team's user (impersonated; not the platform) to the real API server as a
dry run, and traffic_edge.conformance.admission gives the same verdict on the same request.

The cases come from the stack's own config (its tenants, gateways and routes), so any stack file gets them; a
policy without cases fails the phase. The offline evaluator sees what the API server's admission sees: the
policies and bindings as stored (defaults filled in), the request object after CRD defaulting, the live
Namespace, and the live Gateways as params.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kubernetes.dynamic import DynamicClient

from e2e.cluster import Cluster, Obj, dry_run
from traffic_edge.config.model import StackConfig
from traffic_edge.config.tenancy import SUFFIX_LABEL
from traffic_edge.conformance.admission import Decision, ParamStore, Request, UserInfo, admit
from traffic_edge.conformance.validator import ManifestValidator
from traffic_edge.plan.routes import EXTERNAL_DNS_HOSTNAME

GW = "gateway.networking.k8s.io"
PROBE_NAMESPACE = "e2e-platform"  # an application namespace no tenant owns, made for the cases that need one
USER = UserInfo("e2e-app-developer", ("e2e-app-developers", "system:authenticated"))
POLICY = ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy")
BINDING = ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding")
# What an application team may do: write routes, Gateways, Services and namespace labels (as a cluster admin grants).
APP_TEAM_RULES = [
    {"apiGroups": [GW], "resources": ["*"], "verbs": ["get", "list", "create", "update", "patch"]},
    {"apiGroups": [""], "resources": ["services", "namespaces"], "verbs": ["get", "list", "create", "update", "patch"]},
]


@dataclass(frozen=True)
class Case:
    policy: str  # without the traffic-edge- prefix
    name: str
    operation: str  # CREATE or UPDATE
    obj: Obj
    denied: bool  # what the policy must answer


@dataclass(frozen=True)
class Outcome:
    case: Case
    server: bool  # the API server denied
    offline: bool  # the evaluator denied
    message: str

    @property
    def failures(self) -> list[str]:
        want = "denied" if self.case.denied else "admitted"
        found = []
        if self.server != self.case.denied:
            found.append(f"the API server {'denied' if self.server else 'admitted'} it ({self.message or 'no message'})"
                         f", the policy must have it {want}")
        elif self.server and f"traffic-edge-{self.case.policy}" not in self.message:
            found.append(f"denied by another than the policy under test: {self.message}")
        if self.offline != self.server:
            found.append(f"the offline evaluator {'denied' if self.offline else 'admitted'} it, the API server did not")
        return [f"{self.case.policy} / {self.case.name}: {line}" for line in found]


def route(namespace: str, name: str, parent: Obj, hostnames: list[str]) -> Obj:
    """An HTTPRoute as an application's chart writes it (no group or kind in its parentRef)."""
    return {"apiVersion": f"{GW}/v1", "kind": "HTTPRoute", "metadata": {"name": name, "namespace": namespace},
            "spec": {"parentRefs": [parent], "hostnames": hostnames,
                     "rules": [{"backendRefs": [{"name": "e2e-app", "port": 8080}]}]}}


def _tenant(config: StackConfig) -> tuple[str, str, str] | None:
    """(first namespace, hostname suffix, "namespace/name" of its Gateway) of the first tenant, if any: its shared
    Gateway, else its own (one in its namespaces)."""
    for _, tenant in sorted(config.tenants.items()):
        gateway = next((g for g in config.gateways if g.name == tenant.gateway
                        or (tenant.gateway is None and g.namespace in tenant.namespaces)), None)
        if gateway is not None:
            return tenant.namespaces[0], tenant.hostname_suffix, f"{gateway.namespace}/{gateway.name}"
    return None


def _https_listener(config: StackConfig, namespace: str, name: str) -> str:
    gateway = next(g for g in config.gateways if (g.namespace, g.name) == (namespace, name))
    return next((item.name for item in gateway.listeners if item.port != 80), gateway.listeners[0].name)


def admitted_namespace(gateway: Obj, fallback: str) -> str | None:
    """A namespace whose routes a port-80 listener of `gateway` admits (`fallback` where it admits all); None where
    no port-80 listener admits routes from anywhere."""
    for listener in gateway["spec"]["listeners"]:
        if listener["port"] != 80:
            continue
        namespaces = (listener.get("allowedRoutes") or {}).get("namespaces") or {}
        if namespaces.get("from", "Same") == "Same":
            return str(gateway["metadata"]["namespace"])
        if namespaces["from"] == "All":
            return fallback
        names = [value for expression in (namespaces.get("selector") or {}).get("matchExpressions") or []
                 if expression["key"] == "kubernetes.io/metadata.name" and expression["operator"] == "In"
                 for value in expression["values"]]
        if names:
            return str(sorted(names)[0])
    return None


def http_listener_cases(config: StackConfig, gateway: Obj) -> Iterator[Case]:
    """In a namespace a port-80 listener admits: a route left to attach to every listener (no sectionName, no group
    or kind: as an application's chart writes it), and the same route naming the HTTPS listener."""
    namespace, name = gateway["metadata"]["namespace"], gateway["metadata"]["name"]
    declared = next((r for r in config.routes if r.gateway == name), None)
    where = admitted_namespace(gateway, declared.namespace if declared is not None else namespace)
    if where is None:
        return
    tenant = next((t for t in config.tenants.values() if where in t.namespaces), None)
    hostnames = [f"e2e.{tenant.hostname_suffix if tenant is not None else config.domain}"]
    parent = {"name": name, "namespace": namespace}
    yield Case("http-listener-routes", f"{namespace}/{name}, from {where}: no sectionName", "CREATE",
               route(where, "e2e-everywhere", parent, hostnames), True)
    section = {**parent, "sectionName": _https_listener(config, namespace, name)}
    yield Case("http-listener-routes", f"{namespace}/{name}, from {where}: the HTTPS listener", "CREATE",
               route(where, "e2e-https", section, hostnames), False)


def gateway(namespace: str, hostname: str, admitted: str) -> Obj:
    """A Gateway a team writes: one HTTPS listener with its hostname, admitting routes from one namespace by name."""
    selector = {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": [admitted]}]}
    listener = {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": hostname,
                "tls": {"mode": "Terminate", "certificateRefs": [{"name": "e2e-tls"}]},
                "allowedRoutes": {"namespaces": {"from": "Selector", "selector": selector}}}
    return {"apiVersion": f"{GW}/v1", "kind": "Gateway", "metadata": {"name": "e2e-gateway", "namespace": namespace},
            "spec": {"gatewayClassName": "e2e", "listeners": [listener]}}


def domain_cases(config: StackConfig) -> Iterator[Case]:
    """A route naming a hostname outside the stack's domain, and one inside, from a namespace no tenant owns: the
    first Gateway's, else (every Gateway in a tenant's namespace, where the tenant policies would answer first)
    PROBE_NAMESPACE."""
    tenants = {namespace for tenant in config.tenants.values() for namespace in tenant.namespaces}
    first = next((g for g in config.gateways if g.namespace not in tenants), config.gateways[0])
    namespace = first.namespace if first.namespace not in tenants else PROBE_NAMESPACE
    parent = {"name": first.name, "namespace": first.namespace,
              "sectionName": _https_listener(config, first.namespace, first.name)}
    for hostname, denied in (("hijack.example.invalid", True), (f"e2e.{config.domain}", False)):
        yield Case("domain-hostnames", hostname, "CREATE", route(namespace, "e2e-domain", parent, [hostname]),
                   denied)


def tenant_cases(config: StackConfig, live_namespace: Callable[[str], Obj]) -> Iterator[Case]:
    """The tenant guardrails, in the first tenant's first namespace."""
    found = _tenant(config)
    if found is None:
        return
    namespace, suffix, gateway_ref = found
    gw_namespace, gw_name = gateway_ref.split("/")
    parent = {"name": gw_name, "namespace": gw_namespace,
              "sectionName": _https_listener(config, gw_namespace, gw_name)}
    for hostname, denied in ((f"hijack.{config.domain}", True), (f"e2e.{suffix}", False)):
        yield Case("route-hostnames", hostname, "CREATE", route(namespace, "e2e-route", parent, [hostname]), denied)
        wildcard = f"*.{hostname.split('.', 1)[1]}"
        yield Case("gateway-hostnames", wildcard, "CREATE", gateway(namespace, wildcard, namespace), denied)
        service = {"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "e2e-db", "namespace": namespace,
                                "annotations": {EXTERNAL_DNS_HOSTNAME: hostname}},
                   "spec": {"ports": [{"port": 5432}]}}
        yield Case("dns-hostname-annotations", hostname, "CREATE", service, denied)
    others = [ns for name, tenant in sorted(config.tenants.items()) for ns in tenant.namespaces
              if namespace not in tenant.namespaces]
    if others:
        for admitted, denied in ((others[0], True), (namespace, False)):
            yield Case("gateway-tenant-namespaces", f"admits {admitted}", "CREATE",
                       gateway(namespace, f"*.{suffix}", admitted), denied)
    current = live_namespace(namespace)
    for label, value, denied in ((SUFFIX_LABEL, config.domain, True), ("cost-centre", "42", False)):
        changed = copy.deepcopy(current)
        changed["metadata"].setdefault("labels", {})[label] = value
        yield Case("tenant-labels", f"{label}={value}", "UPDATE", changed, denied)


def cases(config: StackConfig, bindings: list[Obj], gateways: list[Obj], live_namespace: Callable[[str], Obj]
          ) -> list[Case]:
    found = [*domain_cases(config), *tenant_cases(config, live_namespace)]
    by_name = {(g["metadata"]["namespace"], g["metadata"]["name"]): g for g in gateways}
    for binding in bindings:
        ref = binding["spec"].get("paramRef") or {}
        gateway = by_name.get((ref.get("namespace"), ref.get("name")))
        if binding["spec"]["policyName"] == "traffic-edge-http-listener-routes" and gateway is not None:
            found += http_listener_cases(config, gateway)
    return found


class Evaluator:
    """The offline evaluator over what the API server's admission sees: the policies, bindings and Gateways as
    stored (defaults filled in), the request object after CRD defaulting, and the live Namespace."""

    def __init__(self, cluster: Cluster, validator: ManifestValidator) -> None:
        self.cluster = cluster
        self.validator = validator
        self.policies = self._list(*POLICY)
        self.bindings = self._list(*BINDING)
        self.gateways = self._list(f"{GW}/v1", "Gateway")
        self.params = ParamStore({(GW, "Gateway"): True}, self.gateways)

    def _list(self, api_version: str, kind: str) -> list[Obj]:
        items = self.cluster.dynamic.resources.get(api_version=api_version, kind=kind).get().to_dict()["items"]
        return [dict(item) for item in items]

    def namespace(self, name: str) -> Obj:
        found = self.cluster.get("v1", "Namespace", name)
        if found is None:
            raise KeyError(f"namespace {name} is not on the server")
        return found

    def decide(self, operation: str, obj: Obj, user: UserInfo) -> Decision:
        checked = self.validator.check(obj)
        subject = checked.defaulted if checked.defaulted is not None else obj
        resource = self.cluster.dynamic.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        namespace = obj["metadata"].get("namespace")
        old = self.namespace(obj["metadata"]["name"]) if operation == "UPDATE" else None
        request = Request(operation, resource.name, subject, user, old=old,
                          namespace_object=self.namespace(namespace) if namespace else None)
        return admit(self.policies, self.bindings, self.params, request)


class Judge(Evaluator):
    """Sends each case to the API server as the application team's user and to the offline evaluator."""

    def __init__(self, cluster: Cluster, validator: ManifestValidator) -> None:
        super().__init__(cluster, validator)
        cluster.grant("e2e-app-team", USER.username, APP_TEAM_RULES)
        self.user: DynamicClient = cluster.as_user(USER.username, USER.groups[0])

    def judge(self, case: Case) -> Outcome:
        verdict = dry_run(self.user, case.operation, case.obj)
        return Outcome(case, not verdict.allowed, not self.decide(case.operation, case.obj, USER).allowed,
                       verdict.message)

    def deployed_policies(self) -> set[str]:
        return {p["metadata"]["name"].removeprefix("traffic-edge-") for p in self.policies
                if p["metadata"]["name"].startswith("traffic-edge-")}


def run(cluster: Cluster, config: StackConfig, validator: ManifestValidator) -> tuple[list[Outcome], list[str]]:
    """(every outcome, every failure): each deployed policy needs cases, each case the verdicts it must have."""
    cluster.ensure_namespace(PROBE_NAMESPACE)
    judge = Judge(cluster, validator)
    found = cases(config, judge.bindings, judge.gateways, judge.namespace)
    outcomes = [judge.judge(case) for case in found]
    failures = [line for outcome in outcomes for line in outcome.failures]
    for policy in sorted(judge.deployed_policies() - {case.policy for case in found}):
        failures.append(f"{policy}: deployed, but the e2e has no hijack and legitimate case for it")
    return outcomes, failures
