"""Tenants: listeners admit only their owners' namespaces, tenant namespaces are labelled, a tenant's own
Gateway takes certificates from its own Issuer, and every cross-key mistake is an Issue with its fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT, Config, RenderStack, parse_config, set_key
from traffic_edge.config import ConfigError, Issue
from traffic_edge.config.queries import managed_namespaces
from traffic_edge.config.tenancy import SUFFIX_LABEL, TENANT_LABEL
from traffic_edge.offline.engine import Recording
from traffic_edge.offline.render import PROJECT_DIR
from traffic_edge.plan.gateways import listener_whitelists
from traffic_edge.plan.issuers import AcmeIssuer, AcmeSolver, CaChain, Http01Gateway, IssuerSet, tenant_issuers

STACK_FILE = PROJECT_DIR / "Pulumi.multitenant.yaml"
GW = "gateway.networking.k8s.io"
GATEWAY = f"kubernetes:{GW}/v1:Gateway"
DOMAIN = "edge.example.com"


def base() -> Config:
    config = yaml.safe_load(STACK_FILE.read_text())["config"]
    return {key.removeprefix(f"{PROJECT}:"): value for key, value in config.items()}


def issues_of(edit: Callable[[Config], None]) -> list[Issue]:
    config = base()
    edit(config)
    with pytest.raises(ConfigError) as raised:
        parse_config(config)
    return raised.value.issues


@pytest.fixture(scope="module")
def stack(render_stack: RenderStack) -> Recording:
    return render_stack(STACK_FILE)


def whitelist(gateway: dict[str, Any], listener: str) -> list[str]:
    [item] = [entry for entry in gateway["spec"]["listeners"] if entry["name"] == listener]
    selector = item["allowedRoutes"]["namespaces"]
    assert selector["from"] == "Selector"
    [expression] = selector["selector"]["matchExpressions"]
    assert (expression["key"], expression["operator"]) == ("kubernetes.io/metadata.name", "In")
    return list(expression["values"])


# ---------------------------------------------------------------------------------- whitelists


def test_a_tenants_own_listeners_admit_only_its_namespaces(stack: Recording) -> None:
    team_c = stack.named(GATEWAY, "edge-gateway-team-c").inputs
    assert whitelist(team_c, "https") == ["team-c", "team-c-api"]
    assert whitelist(team_c, "kube-api") == ["team-c", "team-c-api"]
    assert whitelist(team_c, "http") == ["team-c"]  # the redirect and ACME challenges only


def test_the_shared_gateway_admits_its_tenants_and_no_other(stack: Recording) -> None:
    edge = stack.named(GATEWAY, "edge-gateway-edge").inputs
    assert whitelist(edge, "https") == ["gateway", "team-a", "team-a-jobs", "team-b"]
    assert whitelist(edge, "http") == ["gateway"]


def test_whitelists_add_explicit_grants_but_never_another_tenant() -> None:
    raw = base()
    raw["namespaces"]["tools"] = {"gateways": ["team-c"]}
    raw["gateways"][1]["listeners"][1]["allowedRoutes"] = {"namespaces": ["monitoring"]}
    config = parse_config(raw)
    assert listener_whitelists(config, config.gateways[1]) == {
        "http": ["team-c"],
        "https": ["monitoring", "team-c", "team-c-api", "tools"],
        "kube-api": ["team-c", "team-c-api", "tools"],
    }


def test_a_tenant_cannot_attach_to_another_tenants_gateway() -> None:
    def hijack(config: Config) -> None:
        config["routes"].append({
            "name": "steal", "namespace": "team-a", "gateway": "team-c", "hostnames": [f"app.team-c.{DOMAIN}"],
            "rules": [{"backends": [{"service": "web", "port": 80}]}],
        })

    found = issues_of(hijack)
    assert Issue("routes[5].namespace", "namespace team-a may not attach routes to gateway team-c",
                 "add team-c to namespaces.team-a.gateways") in found
    assert Issue("routes[5].hostnames[0]", f"app.team-c.{DOMAIN} is outside tenant team-a's suffix team-a.{DOMAIN}",
                 f"use a name under team-a.{DOMAIN}") in found
    granted = issues_of(lambda config: config["namespaces"].update({"team-a": {"gateways": ["team-c"]}}))
    assert granted == [Issue(
        "namespaces.team-a.gateways[0]", "team-c is tenant team-c's gateway and team-a belongs to tenant team-a",
        "attach a namespace only to its own tenant's gateways or to shared ones",
    )]


# ---------------------------------------------------------------------------------- namespaces and issuers


def test_tenant_namespaces_are_created_with_their_labels(stack: Recording) -> None:
    namespaces = {r.inputs["metadata"]["name"]: r.inputs["metadata"].get("labels")
                  for r in stack.of_type("kubernetes:core/v1:Namespace")}
    assert namespaces == {
        "cert-manager": None,
        "envoy-gateway-system": None,
        "gateway": None,
        "team-a": {TENANT_LABEL: "team-a", SUFFIX_LABEL: f"team-a.{DOMAIN}"},
        "team-a-jobs": {TENANT_LABEL: "team-a", SUFFIX_LABEL: f"team-a.{DOMAIN}"},
        "team-b": {TENANT_LABEL: "team-b", SUFFIX_LABEL: f"team-b.{DOMAIN}"},
        "team-c": {TENANT_LABEL: "team-c", SUFFIX_LABEL: f"team-c.{DOMAIN}"},
        "team-c-api": {TENANT_LABEL: "team-c", SUFFIX_LABEL: f"team-c.{DOMAIN}"},
    }


def test_configured_labels_are_kept_beside_the_tenant_labels() -> None:
    raw = base()
    raw["namespaces"]["team-b"]["labels"] = {"cost-centre": "42"}
    config = parse_config(raw)
    labels = managed_namespaces(config)
    assert labels["team-b"] == {"cost-centre": "42", TENANT_LABEL: "team-b", SUFFIX_LABEL: f"team-b.{DOMAIN}"}


def test_a_tenants_own_gateway_takes_certificates_from_its_own_issuer(stack: Recording) -> None:
    [issuer] = stack.of_type("kubernetes:cert-manager.io/v1:Issuer")
    assert issuer.inputs["metadata"] == {"name": "letsencrypt-staging", "namespace": "team-c"}
    acme = issuer.inputs["spec"]["acme"]
    assert acme["email"] == "platform-team-c@example.com"
    assert acme["privateKeySecretRef"] == {"name": "letsencrypt-staging-account-key"}  # in team-c, its own account
    assert acme["solvers"] == [{"http01": {"gatewayHTTPRoute": {"parentRefs": [
        {"group": GW, "kind": "Gateway", "name": "team-c", "namespace": "team-c", "sectionName": "http"}]}}}]
    certificate = stack.named("kubernetes:cert-manager.io/v1:Certificate", "edge-gateway-team-c-app").inputs
    assert certificate["metadata"] == {"name": "team-c-app", "namespace": "team-c"}
    assert certificate["spec"]["issuerRef"] == {
        "name": "letsencrypt-staging", "kind": "Issuer", "group": "cert-manager.io"
    }
    shared = stack.named("kubernetes:cert-manager.io/v1:Certificate", "edge-gateway-edge-wildcard").inputs
    assert shared["spec"]["issuerRef"]["kind"] == "ClusterIssuer"
    cluster = sorted(r.inputs["metadata"]["name"] for r in stack.of_type("kubernetes:cert-manager.io/v1:ClusterIssuer"))
    assert cluster == ["internal-ca", "selfsigned-root"]  # no platform ACME account: only team-c has one


def test_a_tenants_own_ca_lives_in_its_namespace() -> None:
    raw = base()
    raw["gateways"][1]["certificates"][0]["issuer"] = "internal-ca"
    config = parse_config(raw)
    [found] = tenant_issuers(config)
    assert found == IssuerSet(
        key="team-c", namespace="team-c", kind="Issuer", acme=(),
        internal_ca=CaChain("internal-ca", "internal-ca-root", "traffic-edge tenant team-c CA", "87600h"),
    )
    [example] = tenant_issuers(parse_config(base()))
    assert (example.key, example.namespace, example.kind, example.internal_ca) == ("team-c", "team-c", "Issuer", None)
    assert example.acme == (AcmeIssuer(
        "letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory", "platform-team-c@example.com",
        "letsencrypt-staging-account-key", (AcmeSolver(Http01Gateway("team-c", "team-c", "http")),),
    ),)


def test_the_redirect_route_of_a_tenant_names_its_listener_hostname(stack: Recording) -> None:
    redirect = stack.named(f"kubernetes:{GW}/v1:HTTPRoute", "edge-gateway-team-c-http-redirect").inputs
    assert redirect["spec"]["hostnames"] == [f"*.team-c.{DOMAIN}"]
    shared = stack.named(f"kubernetes:{GW}/v1:HTTPRoute", "edge-gateway-edge-http-redirect").inputs
    assert "hostnames" not in shared["spec"]


# ---------------------------------------------------------------------------------- cross-key checks


def _route(index: int, key: str, value: Any) -> Callable[[Config], None]:
    return lambda config: set_key(config, f"routes[{index}].{key}", value)


def _edit(path: str, value: Any) -> Callable[[Config], None]:
    return lambda config: set_key(config, path, value)


def _both(*edits: Callable[[Config], None]) -> Callable[[Config], None]:
    def run(config: Config) -> None:
        for edit in edits:
            edit(config)

    return run


CASES: list[tuple[str, Callable[[Config], None], Issue]] = [
    ("namespace-owned-twice", _edit("tenants.team-b.namespaces", ["team-b", "team-a-jobs"]),
     Issue("tenants.team-b.namespaces[1]", "team-a-jobs is owned by tenant team-a already",
           "give each namespace one tenant")),
    ("suffix-inside-another", _edit("tenants.team-b.hostnameSuffix", f"eu.team-a.{DOMAIN}"),
     Issue("tenants.team-b.hostnameSuffix", f"eu.team-a.{DOMAIN} lies inside tenant team-a's suffix team-a.{DOMAIN}",
           "give each tenant a suffix outside the others', or make team-b its child: parent: team-a")),
    ("suffix-outside-domain", _edit("tenants.team-b.hostnameSuffix", "team-b.example.org"),
     Issue("tenants.team-b.hostnameSuffix", f"team-b.example.org is outside the domain {DOMAIN}",
           f"use a name under {DOMAIN}")),
    ("route-outside-suffix", _route(0, "hostnames", [f"shop.team-b.{DOMAIN}"]),
     Issue("routes[0].hostnames[0]", f"shop.team-b.{DOMAIN} is outside tenant team-a's suffix team-a.{DOMAIN}",
           f"use a name under team-a.{DOMAIN}")),
    ("route-without-hostnames", _route(2, "hostnames", []),
     Issue("routes[2].hostnames", "a route of tenant team-b must name its hostnames (none matches every name of the "
           "listener)", f"list names under team-b.{DOMAIN}")),
    ("tenant-listener-outside-suffix", _edit("gateways[1].listeners[1].hostname", f"app.team-a.{DOMAIN}"),
     Issue("gateways[1].listeners[1].hostname", f"app.team-a.{DOMAIN} is outside tenant team-c's suffix "
           f"team-c.{DOMAIN}", f"use a name under team-c.{DOMAIN}")),
    ("tenant-listener-without-hostname", lambda c: c["gateways"][1]["listeners"][0].pop("hostname"),
     Issue("gateways[1].listeners[0].hostname", f"tenant team-c's listeners need a hostname under team-c.{DOMAIN}",
           f"set hostname: '*.team-c.{DOMAIN}'")),
    ("tenant-listener-admits-all", _edit("gateways[1].listeners[1].allowedRoutes", {"all": True}),
     Issue("gateways[1].listeners[1].allowedRoutes.all", "a tenant's gateway admits only the namespaces it lists",
           "list them in allowedRoutes.namespaces")),
    ("tenant-listener-admits-other-tenant", _edit("gateways[1].listeners[1].allowedRoutes", {"namespaces": ["team-b"]}),
     Issue("gateways[1].listeners[1].allowedRoutes.namespaces[0]", "team-b belongs to tenant team-b",
           "admit only tenant team-c's namespaces or platform ones")),
    ("shared-listener-admits-all", _edit("gateways[0].listeners[1].allowedRoutes", {"all": True}),
     Issue("gateways[0].listeners[1].allowedRoutes.all", "admits routes from every namespace, other tenants' included",
           "list the namespaces instead")),
    ("tenant-certificate-outside-suffix", _edit("gateways[1].certificates[0].dnsNames", [f"www.{DOMAIN}"]),
     Issue("gateways[1].certificates[0].dnsNames[0]", f"www.{DOMAIN} is outside tenant team-c's suffix "
           f"team-c.{DOMAIN}", f"use a name under team-c.{DOMAIN}")),
    ("tenant-acme-wildcard", _edit("gateways[1].certificates[0].dnsNames", [f"*.team-c.{DOMAIN}"]),
     Issue("gateways[1].certificates[0].dnsNames[0]", "a tenant's ACME account solves HTTP-01, which cannot issue "
           "wildcard names", "list the names, or use issuer: internal-ca")),
    ("tenant-acme-without-email", lambda c: c["tenants"]["team-c"].pop("acmeEmail"),
     Issue("tenants.team-c.acmeEmail", "gateway team-c takes certificates from the tenant's own ACME account, which "
           "needs a contact", "set acmeEmail (or issuers.acme.email)")),
    ("tenant-acme-without-port-80", lambda c: c["gateways"][1]["listeners"].pop(0),
     Issue("gateways[1].listeners", "the tenant's ACME account solves HTTP-01 through gateway team-c, which has no "
           "HTTP listener on port 80", f"add {{protocol: HTTP, port: 80, hostname: '*.team-c.{DOMAIN}'}}")),
    ("tenant-without-gateway", lambda c: c["tenants"]["team-b"].pop("gateway"),
     Issue("tenants.team-b.gateway", "the tenant has no gateway",
           "name a shared gateway here, or add a gateway in one of the tenant's namespaces")),
    ("tenant-on-another-tenants-gateway", _edit("tenants.team-b.gateway", "team-c"),
     Issue("tenants.team-b.gateway", "team-c is tenant team-c's gateway",
           "attach to a shared gateway or add one in the tenant's namespaces")),
    ("tenant-unknown-gateway", _edit("tenants.team-b.gateway", "edgy"),
     Issue("tenants.team-b.gateway", "edgy is not a configured gateway", "use one of edge, team-c")),
    ("tenant-owns-platform-namespace", _edit("tenants.team-b.namespaces", ["team-b", "cert-manager"]),
     Issue("tenants.team-b.namespaces[1]", "cert-manager is a platform namespace", "use one of the tenant's own")),
    ("tenant-namespace-not-created", _edit("namespaces.team-b.create", False),
     Issue("namespaces.team-b.create", "tenant team-b's namespaces are created and labelled here",
           "remove `create: false` (adopt an existing namespace with `pulumi import`)")),
    ("reserved-label", _edit("namespaces.team-b.labels", {SUFFIX_LABEL: DOMAIN}),
     Issue("namespaces.team-b.labels", f"{SUFFIX_LABEL} is set by this program from `tenants`", "remove it")),
    ("no-platform-identity", _edit("guardrails.platformGroups", []),
     Issue("guardrails.platformGroups", "only the platform may change tenant labels, and no identity is named",
           "list the users or groups Pulumi deploys as (`kubectl auth whoami`) here or in platformUsers")),
    ("suffix-too-long-for-a-label", _both(
        _edit("tenants.team-b.hostnameSuffix", f"{'b' * 50}.{DOMAIN}"),
        _route(2, "hostnames", [f"payments.{'b' * 50}.{DOMAIN}"])),
     Issue("tenants.team-b.hostnameSuffix", "is longer than 63 characters, the limit of the label that carries it",
           "use a shorter suffix")),
    ("production-issuer-outside-production", _edit("gateways[1].certificates[0].issuer", "letsencrypt-production"),
     Issue("gateways[1].certificates[0].issuer", "letsencrypt-production is for production stacks and this one is "
           "not marked as such", "use letsencrypt-staging, set `production: true`, or decide so with "
           "issuers.acme.allowOutsideProduction: true")),
    # No tenant escape: each refusal names both parties.
    ("shared-certificate-in-a-tenant-namespace", _edit("gateways[0].certificates[0].namespace", "team-b"),
     Issue("gateways[0].certificates[0].namespace", "team-b is tenant team-b's namespace, and wildcard is the "
           "certificate of the shared gateway edge: its private key would be readable by tenant team-b",
           "issue it in a platform namespace, e.g. the gateway's own (gateway): remove `namespace`")),
    ("route-to-another-tenants-service", _route(0, "rules", [{"backends": [
        {"service": "ledger", "namespace": "team-b", "port": 8080}]}]),
     Issue("routes[0].rules[0].backends[0].namespace", "tenant team-a's route team-a/shop reaches the Service ledger "
           "in team-b, tenant team-b's namespace",
           "route to Services in tenant team-a's namespaces or in platform namespaces")),
    ("platform-route-in-a-tenant-suffix", lambda c: c["routes"].append({
        "name": "promo", "namespace": "gateway", "gateway": "edge", "hostnames": [f"promo.team-a.{DOMAIN}"],
        "rules": [{"backends": [{"service": "promo", "port": 80}]}]}),
     Issue("routes[5].hostnames[0]", f"promo.team-a.{DOMAIN} lies in tenant team-a's suffix team-a.{DOMAIN}, and "
           "gateway (of HTTPRoute promo) is no namespace of tenant team-a",
           "serve it from one of tenant team-a's namespaces, or use a name outside the tenants' suffixes")),
    ("tenant-on-a-shared-tcp-listener", _both(
        lambda c: c["gateways"][0]["listeners"].append({"name": "db", "protocol": "TCP", "port": 5432}),
        lambda c: c["routes"].append({"name": "db", "kind": "TCPRoute", "namespace": "team-b", "gateway": "edge",
                                      "listener": "db", "rules": [{"backends": [{"service": "db", "port": 5432}]}]})),
     Issue("routes[5].namespace", "team-b is tenant team-b's namespace, and the TCP listener db of the shared gateway "
           "edge checks no hostname: a tenant is admitted there only by name",
           "list team-b in gateways[0].listeners[2].allowedRoutes.namespaces")),
]


@pytest.mark.parametrize(("edit", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_cross_key_mistake_is_an_issue_with_its_fix(edit: Callable[[Config], None], expected: Issue) -> None:
    assert expected in issues_of(edit)


def test_a_shared_tcp_listener_admits_a_tenant_only_by_name() -> None:
    raw = base()
    raw["gateways"][0]["listeners"].append({"name": "db", "protocol": "TCP", "port": 5432})
    config = parse_config(raw)
    assert listener_whitelists(config, config.gateways[0])["db"] == ["gateway"]
    raw["gateways"][0]["listeners"][2]["allowedRoutes"] = {"namespaces": ["team-b"]}
    config = parse_config(raw)
    assert listener_whitelists(config, config.gateways[0])["db"] == ["gateway", "team-b"]


def test_the_example_itself_is_clean() -> None:
    config = parse_config(base())
    assert sorted(config.tenants) == ["team-a", "team-b", "team-c"]


@pytest.mark.parametrize(("path", "value", "message"), [
    ("tenants.team-b.hostnameSuffix", f"*.team-b.{DOMAIN}", "a suffix covers every name under it already"),
    ("tenants.team-b.hostnameSuffix", "Team_B", "must be a lowercase DNS name (a leading `*.` is allowed)"),
    ("tenants.team-b.acmeEmail", "team-b", "must be an email address"),
    ("namespaces.team-b.egress[0].to.cidrs[0]", "198.51.100.7/24", "198.51.100.7/24 is not a CIDR without host bits"),
])
def test_shape_errors_name_their_key(path: str, value: str, message: str) -> None:
    found = issues_of(_edit(path, value))
    assert [issue.path for issue in found] == [path]
    assert message in found[0].message


@pytest.mark.parametrize("index", [0, 1, 2], ids=["http", "https", "tls"])
def test_each_listener_of_a_tenants_gateway_names_a_hostname_in_its_suffix(index: int) -> None:
    """An HTTP, HTTPS or TLS listener without hostname, or outside the suffix, would serve other tenants' names."""
    at = f"gateways[1].listeners[{index}].hostname"
    suffix = f"team-c.{DOMAIN}"
    assert Issue(at, f"x.team-b.{DOMAIN} is outside tenant team-c's suffix {suffix}", f"use a name under {suffix}") in (
        issues_of(_edit(at, f"x.team-b.{DOMAIN}")))
    assert Issue(at, f"tenant team-c's listeners need a hostname under {suffix}", f"set hostname: '*.{suffix}'") in (
        issues_of(lambda config: config["gateways"][1]["listeners"][index].pop("hostname")))


@pytest.mark.parametrize("namespace", ["cert-manager", "external-dns", "aws-load-balancer-controller",
                                       "azure-alb-system", "envoy-gateway-system"])
def test_no_tenant_owns_a_namespace_of_the_edges_own_workloads(namespace: str) -> None:
    """cert-manager's, external-dns's, every controller's workload (whichever runs) and the active controller's."""
    assert Issue("tenants.team-b.namespaces[1]", f"{namespace} is a platform namespace",
                 "use one of the tenant's own") in issues_of(_edit("tenants.team-b.namespaces", ["team-b", namespace]))


def test_a_namespace_attaches_to_its_own_tenants_gateway_or_is_the_platforms() -> None:
    for namespace in ("team-c-api", "reports"):  # team-c's own, and one no tenant owns
        config = base()
        config["namespaces"][namespace] = {**config["namespaces"].get(namespace, {}), "gateways": ["team-c"]}
        parse_config(config)
    assert Issue("namespaces.team-b.gateways[0]", "team-c is tenant team-c's gateway and team-b belongs to tenant "
                 "team-b", "attach a namespace only to its own tenant's gateways or to shared ones") in issues_of(
        _edit("namespaces.team-b.gateways", ["team-c"]))


def test_a_suffix_fits_the_63_characters_of_its_label() -> None:
    """The suffix is a label value (config.tenancy.SUFFIX_LABEL): at most 63 characters."""
    longest = f"{'a' * (62 - len(DOMAIN))}.{DOMAIN}"
    too_long = Issue("tenants.team-b.hostnameSuffix", "is longer than 63 characters, the limit of the label that "
                     "carries it", "use a shorter suffix")
    assert len(longest) == 63
    assert too_long not in issues_of(_edit("tenants.team-b.hostnameSuffix", longest))
    assert too_long in issues_of(_edit("tenants.team-b.hostnameSuffix", "a" + longest))


def test_a_tenant_may_name_its_own_gateway() -> None:
    config = base()
    config["tenants"]["team-c"]["gateway"] = "team-c"
    parse_config(config)


def test_a_tenants_gateway_lists_its_own_and_platform_namespaces_and_issues_in_its_own() -> None:
    config = base()
    config["gateways"][1]["listeners"][1]["allowedRoutes"] = {"namespaces": ["team-c-api", "reports"]}
    config["gateways"][1]["certificates"][0]["namespace"] = "team-c"  # the gateway's own, written out
    parse_config(config)
    assert Issue("gateways[1].listeners[1].allowedRoutes.namespaces[0]", "team-b belongs to tenant team-b",
                 "admit only tenant team-c's namespaces or platform ones") in issues_of(
        _edit("gateways[1].listeners[1].allowedRoutes", {"namespaces": ["team-b"]}))
