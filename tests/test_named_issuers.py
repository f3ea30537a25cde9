"""Issuers the user names: ACME issuers with their own servers, accounts and solvers, and a named internal CA.

The base is the GitOps environment as its users write it: staging and production Let's Encrypt issuers in a
non-production stack (production on purpose), DNS-01 for the wildcard and HTTP-01 for concrete names in one issuer,
a certificate Secret of their choosing, and a CA issuer `ca-issuer` from the CA `idp-demo-ca`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, cast

import pytest

from tests.conftest import Config, RenderStack, parse_config, write_stack
from tests.edits import edited, issues_of, plan_of, put
from tests.test_doctor import FakeCluster
from traffic_edge.components.issuers import acme_issuer_spec
from traffic_edge.config import ConfigError, Issue
from traffic_edge.config.acme import Solver, pick_solver
from traffic_edge.config.issuers import SolverSelector
from traffic_edge.conformance.validator import ManifestValidator, require_refdata
from traffic_edge.doctor.certificates import check_issuers
from traffic_edge.doctor.expected import Expected
from traffic_edge.doctor.live import Cluster
from traffic_edge.graph import graph_of
from traffic_edge.offline.plan import plan_document
from traffic_edge.plan.contracts import Dns01Solver
from traffic_edge.plan.issuers import ca_certificate
from traffic_edge.policy.plan import check_plan

DOMAIN = "dev.example.test"
CM = "cert-manager.io"
RFC2136 = {"rfc2136": {"nameserver": "10.0.0.53", "tsigKeyName": "edge-key.example.test",
                       "tsigAlgorithm": "HMACSHA256", "tsigSecretSecretRef": {"name": "rfc2136-tsig", "key": "k"}}}
BASE: Config = {
    "platform": {"kind": "onprem"},
    "domain": DOMAIN,
    "dns": {"rfc2136": {"nameserver": "10.0.0.53", "tsigKeyName": "edge-key.example.test"}},
    "tsigSecret": {"secure": "v1:c2VjcmV0"},
    "issuers": {
        "acmeIssuers": {
            "letsencrypt-staging": {"server": "staging", "email": "ops@example.test", "solvers": [
                {"type": "dns01", "selector": {"dnsNames": [f"*.{DOMAIN}"]}},
                {"type": "http01"},
            ]},
            "letsencrypt-prod": {"server": "production", "email": "ops@example.test", "allowOutsideProduction": True,
                                 "accountKeySecret": "le-prod-account",
                                 "solvers": [{"type": "dns01", "selector": {"dnsZones": [DOMAIN]}}]},
        },
        "internalCa": {"name": "ca-issuer", "commonName": "idp-demo-ca", "secretName": "idp-demo-ca"},
    },
    "namespaces": {"apps": {"gateways": ["edge"]}},
    "gateways": [{
        "name": "edge",
        "certificates": [
            {"name": "platform", "issuer": "letsencrypt-staging", "secretName": "platform-tls", "namespace": "apps",
             "dnsNames": [f"*.{DOMAIN}", f"api.{DOMAIN}"]},
            {"name": "lab", "issuer": "ca-issuer", "dnsNames": [f"*.lab.{DOMAIN}"]},
        ],
        "listeners": [
            {"name": "http", "protocol": "HTTP", "port": 80},
            {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": f"*.{DOMAIN}", "certificate": "platform"},
        ],
    }],
}


# ---------------------------------------------------------------------------------- which solver takes a name


def solver(name: str, type_: str = "dns01", **selector: Any) -> Solver:
    return Solver(type_, "edge" if type_ == "http01" else None,  # type: ignore[arg-type]
                  SolverSelector(**selector) if selector else None, name)


DEFAULT_HTTP = solver("default-http", "http01")
ZONE = solver("zone", dns_zones=[DOMAIN])
SUBZONE = solver("subzone", dns_zones=[f"sys.{DOMAIN}"])
NAMED = solver("named", dns_names=[f"www.sys.{DOMAIN}"])
LABELLED = solver("labelled", dns_zones=[DOMAIN], match_labels={"team": "a"})


@pytest.mark.parametrize(("solvers", "name", "labels", "picked"), [
    ([DEFAULT_HTTP, ZONE], f"www.{DOMAIN}", {}, "zone"),  # a matching selector beats the default
    ([ZONE, DEFAULT_HTTP], f"www.{DOMAIN}", {}, "zone"),  # the default only while nothing is picked
    ([ZONE, SUBZONE], f"www.sys.{DOMAIN}", {}, "subzone"),  # the longer zone
    ([NAMED, SUBZONE], f"www.sys.{DOMAIN}", {}, "named"),  # dnsNames beat dnsZones
    ([ZONE, LABELLED], f"www.{DOMAIN}", {"team": "a"}, "labelled"),  # more matching labels
    ([ZONE, LABELLED], f"www.{DOMAIN}", {}, "zone"),  # labels it lacks rule a solver out
    ([ZONE, solver("zone-again", dns_zones=[DOMAIN])], f"www.{DOMAIN}", {}, "zone"),  # a tie keeps the first
    ([DEFAULT_HTTP], f"*.{DOMAIN}", {}, None),  # HTTP-01 cannot prove a wildcard name
    ([DEFAULT_HTTP, solver("any-dns")], f"*.{DOMAIN}", {}, "any-dns"),
    ([SUBZONE], f"www.{DOMAIN}", {}, None),  # no solver selects it
], ids=["selector-over-default", "default-after", "longer-zone", "names-over-zones", "labels", "missing-label",
        "tie", "wildcard-http01", "wildcard-dns01", "unselected"])
def test_the_solver_for_a_name_is_the_one_cert_manager_picks(
    solvers: list[Solver], name: str, labels: dict[str, str], picked: str | None
) -> None:
    found = pick_solver(solvers, name, labels)
    assert (found.path if found else None) == picked


# ---------------------------------------------------------------------------------- rendered as cert-manager reads them


def test_named_acme_issuers_render_as_cert_manager_v1_21_reads_them() -> None:
    require_refdata()
    [cluster] = plan_of(BASE).issuers
    assert cluster.names == ["letsencrypt-staging", "letsencrypt-prod", "selfsigned-root", "ca-issuer"]
    staging, production = cluster.acme
    dns01 = Dns01Solver(solver=RFC2136)
    spec = acme_issuer_spec(staging, dns01)
    assert spec == {"acme": {
        "server": "https://acme-staging-v02.api.letsencrypt.org/directory",
        "email": "ops@example.test",
        "privateKeySecretRef": {"name": "letsencrypt-staging-account-key"},
        "solvers": [
            {"selector": {"dnsNames": [f"*.{DOMAIN}"]}, "dns01": RFC2136},
            {"http01": {"gatewayHTTPRoute": {"parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                                             "name": "edge", "namespace": "gateway",
                                                             "sectionName": "http"}]}}},
        ],
    }}
    assert acme_issuer_spec(production, dns01)["acme"]["privateKeySecretRef"] == {"name": "le-prod-account"}
    validator = ManifestValidator()
    for issuer in cluster.acme:
        manifest = {"apiVersion": f"{CM}/v1", "kind": "ClusterIssuer", "metadata": {"name": issuer.name},
                    "spec": acme_issuer_spec(issuer, dns01)}
        assert validator.validate(manifest) == [], issuer.name


def test_certificates_take_the_secret_and_labels_they_name() -> None:
    require_refdata()
    labelled = put("gateways[0].certificates[0].labels", {"team": "platform"})
    certificate = plan_of(BASE, labelled).gateways[0].certificates["platform"]
    assert certificate.metadata == {"name": "edge-platform", "namespace": "apps", "labels": {"team": "platform"}}
    assert certificate.spec["secretName"] == "platform-tls"
    assert certificate.spec["issuerRef"] == {"name": "letsencrypt-staging", "kind": "ClusterIssuer", "group": CM}
    listener = plan_of(BASE).gateways[0].gateway.spec["listeners"][1]
    assert listener["tls"]["certificateRefs"] == [{"group": "", "kind": "Secret", "name": "platform-tls",
                                                   "namespace": "apps"}]
    assert ManifestValidator().validate(certificate.manifest()) == []


def test_http01_names_admit_their_certificates_namespace_on_port_80() -> None:
    """api.<domain> is solved by HTTP-01, so cert-manager's challenge route in `apps` must attach to `http`."""
    http = plan_of(BASE).gateways[0].gateway.spec["listeners"][0]
    assert http["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]["values"] == ["apps", "gateway"]
    dns_only = put("gateways[0].certificates[0].dnsNames", [f"*.{DOMAIN}"])
    http = plan_of(BASE, dns_only).gateways[0].gateway.spec["listeners"][0]
    assert http["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]["values"] == ["gateway"]


def test_a_named_internal_ca_is_named_everywhere() -> None:
    plan = plan_of(BASE, put("certManager", {"expiryAlerts": {"enabled": True}}))
    [cluster] = plan.issuers
    assert cluster.internal_ca is not None
    certificate = ca_certificate(cluster, cluster.internal_ca)
    assert certificate.metadata == {"name": "ca-issuer", "namespace": "cert-manager"}
    assert (certificate.spec["commonName"], certificate.spec["secretName"]) == ("idp-demo-ca", "idp-demo-ca")
    assert plan.certificate_alerts is not None
    expiry = plan.certificate_alerts.spec["groups"][0]["rules"][0]["expr"]
    assert '{namespace="cert-manager",name=~"ca-issuer"}' in expiry  # the expiry alert follows the rename
    config = parse_config(edited(BASE))
    findings = list(check_issuers(Expected(config, plan, "lab"), cast(Cluster, FakeCluster())))
    assert [finding.object for finding in findings] == [f"ClusterIssuer {name}" for name in cluster.names]


# ---------------------------------------------------------------------------------- the rules, tripped and passed


def test_a_production_issuer_outside_production_is_the_users_decision() -> None:
    undecided = put("issuers.acmeIssuers.letsencrypt-prod.allowOutsideProduction", False)
    assert Issue("issuers.acmeIssuers.letsencrypt-prod.server", "is Let's Encrypt production, and this stack is not "
                 "marked production: its rate limits and real certificates belong to production",
                 "use server: staging, set `production: true`, or decide so with "
                 "issuers.acmeIssuers.letsencrypt-prod.allowOutsideProduction: true") in issues_of(BASE, undecided)
    assert plan_of(BASE, undecided, put("production", True)).issuers[0].acme[1].name == "letsencrypt-prod"


def test_the_one_account_of_acme_may_hold_production_outside_production_when_told() -> None:
    legacy = put("issuers", {"acme": {"email": "ops@example.test", "solver": "dns01"}, "internalCa": {}})
    on_production = put("gateways[0].certificates", [{"name": "platform", "issuer": "letsencrypt-production",
                                                      "dnsNames": [f"*.{DOMAIN}"]}])
    assert Issue("gateways[0].certificates[0].issuer", "letsencrypt-production is for production stacks and this "
                 "one is not marked as such", "use letsencrypt-staging, set `production: true`, or decide so with "
                 "issuers.acme.allowOutsideProduction: true") in issues_of(BASE, legacy, on_production)
    told = put("issuers.acme.allowOutsideProduction", True)
    plan = plan_of(BASE, legacy, on_production, told)
    assert plan.issuers[0].names == ["letsencrypt-staging", "letsencrypt-production", "selfsigned-root",
                                     "internal-ca"]


def test_each_cluster_issuer_name_is_declared_once() -> None:
    both = put("issuers.acme", {"email": "ops@example.test", "solver": "dns01"})
    assert Issue("issuers.acmeIssuers.letsencrypt-staging", "the ClusterIssuer letsencrypt-staging is declared by "
                 "issuers.acme too", "give this issuer another name") in issues_of(BASE, both)
    ca_named_alike = put("issuers.internalCa.name", "letsencrypt-prod")
    assert Issue("issuers.acmeIssuers.letsencrypt-prod", "the ClusterIssuer letsencrypt-prod is declared by "
                 "issuers.internalCa.name too", "give this issuer another name") in issues_of(BASE, ca_named_alike)
    root_named_alike = put("issuers.acmeIssuers.selfsigned-root", BASE["issuers"]["acmeIssuers"]["letsencrypt-prod"])
    assert Issue("issuers.acmeIssuers.selfsigned-root", "the ClusterIssuer selfsigned-root is declared by "
                 "issuers.internalCa (its self-signed root) too", "give this issuer another name") in issues_of(
        BASE, root_named_alike)


def test_a_certificate_names_an_issuer_of_the_stack() -> None:
    assert Issue("gateways[0].certificates[1].issuer", "internal-ca is no issuer of this stack",
                 "use one of letsencrypt-staging, letsencrypt-prod, ca-issuer, or declare it under "
                 "issuers.acmeIssuers") in issues_of(BASE, put("gateways[0].certificates[1].issuer", "internal-ca"))


def test_every_name_has_a_solver() -> None:
    http_only = put("issuers.acmeIssuers.letsencrypt-staging.solvers", [{"type": "http01"}])
    assert Issue("gateways[0].certificates[0].dnsNames[0]", f"no DNS-01 solver of issuer letsencrypt-staging takes "
                 f"*.{DOMAIN}, and HTTP-01 cannot prove a wildcard name",
                 "add a dns01 solver to issuers.acmeIssuers.letsencrypt-staging.solvers (selector dnsNames: "
                 f"['*.{DOMAIN}'] for only it)") in issues_of(BASE, http_only)
    selected_only = put("issuers.acmeIssuers.letsencrypt-staging.solvers",
                        [{"type": "dns01", "selector": {"dnsNames": [f"*.{DOMAIN}"]}}])
    assert Issue("gateways[0].certificates[0].dnsNames[1]", f"no solver of issuer letsencrypt-staging selects "
                 f"api.{DOMAIN}", f"add api.{DOMAIN} (or its zone) to a selector of "
                 "issuers.acmeIssuers.letsencrypt-staging.solvers, or a solver without selector") in \
        issues_of(BASE, selected_only)


def test_solvers_have_what_they_solve_through() -> None:
    no_port_80 = put("gateways[0].listeners[0].port", 8080)
    assert Issue("issuers.acmeIssuers.letsencrypt-staging.solvers[1].gateway", "gateway edge has no HTTP listener on "
                 "port 80 for HTTP-01", "add a listener {protocol: HTTP, port: 80} or use type: dns01") in \
        issues_of(BASE, no_port_80)
    no_dns = put("dns", {})

    def without_tsig(config: Config) -> None:
        del config["tsigSecret"]

    assert Issue("issuers.acmeIssuers.letsencrypt-prod.solvers[0].type", "dns01 on-prem needs an RFC 2136 server",
                 "configure dns.rfc2136 or use type: http01") in issues_of(BASE, no_dns, without_tsig)


def test_dns01_needs_a_zone_let_s_encrypt_can_read() -> None:
    cloud = {"platform": {"kind": "gke", "project": "acme-edge-prod"}, "cluster": {"ambient": True},
             "domain": "gke.example.com",
             "issuers": {"acmeIssuers": {"letsencrypt-prod": {"server": "production", "solvers": [{"type": "dns01"}]}}}}
    private = {"private": True, "networks": ["projects/p/global/networks/n"]}
    with pytest.raises(ConfigError) as raised:
        parse_config({**cloud, "dns": private})
    assert Issue("issuers.acmeIssuers.letsencrypt-prod.solvers[0].type", "DNS-01 needs a public zone: Let's Encrypt "
                 "cannot read a private one", "use type: http01, or a public zone") in raised.value.issues
    parse_config({**cloud, "production": True})


def test_secret_names_stay_unique_per_namespace() -> None:
    assert Issue("gateways[0].certificates[1].secretName", "derives the Secret platform-tls in namespace apps, as "
                 "gateways[0].certificates[0].secretName does", "rename one of them") in issues_of(
        BASE, put("gateways[0].certificates[1].namespace", "apps"), put("gateways[0].certificates[1].secretName",
                                                                   "platform-tls"))
    assert Issue("issuers.internalCa.secretName", "derives the Secret le-prod-account in namespace cert-manager, as "
                 "issuers.acmeIssuers.letsencrypt-prod.accountKeySecret does", "rename one of them") in issues_of(
        BASE, put("issuers.internalCa.secretName", "le-prod-account"))
    assert Issue("issuers.acmeIssuers.letsencrypt-prod.accountKeySecret", "derives the Secret rfc2136-tsig in "
                 "namespace cert-manager, as issuers.acmeIssuers.letsencrypt-staging.solvers[0].type (the TSIG key of "
                 "dns.rfc2136) does", "rename one of them") in issues_of(
        BASE, put("issuers.acmeIssuers.letsencrypt-prod.accountKeySecret", "rfc2136-tsig"))
    legacy = put("issuers", {"acme": {"email": "ops@example.test", "solver": "dns01"},
                             "internalCa": {"secretName": "letsencrypt-staging-account-key"}})
    assert Issue("issuers.internalCa.secretName", "derives the Secret letsencrypt-staging-account-key in namespace "
                 "cert-manager, as issuers.acme does", "rename one of them") in issues_of(BASE, legacy)
    parse_config(edited(BASE, put("gateways[0].certificates[1].secretName", "platform-tls")))  # another namespace


def test_a_tenants_gateway_takes_certificates_only_from_its_own_issuers() -> None:
    def tenant(config: Config) -> None:
        config["tenants"] = {"team-c": {"namespaces": ["team-c"], "hostnameSuffix": f"team-c.{DOMAIN}"}}
        config["guardrails"] = {"platformGroups": ["kubeadm:cluster-admins"]}
        config["gateways"].append({"name": "team-c", "namespace": "team-c", "certificates": [
            {"name": "app", "issuer": "letsencrypt-prod", "dnsNames": [f"app.team-c.{DOMAIN}"]}], "listeners": [
            {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": f"app.team-c.{DOMAIN}",
             "certificate": "app"}]})

    assert Issue("gateways[1].certificates[0].issuer", "letsencrypt-prod is no Issuer of the tenant's own: a tenant's "
                 "gateway takes certificates from Issuers in its namespace",
                 "use one of letsencrypt-staging, letsencrypt-production, ca-issuer") in issues_of(BASE, tenant)
    plan = plan_of(BASE, tenant, put("gateways[1].certificates[0].issuer", "ca-issuer"))
    [own] = plan.issuers[1:]
    assert (own.kind, own.namespace, own.names) == ("Issuer", "team-c", ["selfsigned-root", "ca-issuer"])
    assert own.internal_ca is not None
    assert own.internal_ca.secret == "idp-demo-ca"


# ---------------------------------------------------------------------------------- rendered, pictured and policed


RENDERED: Config = {
    "platform": {"kind": "onprem"},
    "domain": DOMAIN,
    "issuers": {
        "acmeIssuers": {"letsencrypt-prod": {"server": "production", "email": "ops@example.test",
                                             "allowOutsideProduction": True, "solvers": [{"type": "http01"}]}},
        "internalCa": {"name": "ca-issuer", "commonName": "idp-demo-ca", "secretName": "idp-demo-ca"},
    },
    "gateways": [{
        "name": "edge",
        "certificates": [{"name": "web", "issuer": "letsencrypt-prod", "secretName": "platform-tls",
                          "dnsNames": [f"www.{DOMAIN}"]},
                         {"name": "lab", "issuer": "ca-issuer", "dnsNames": [f"*.lab.{DOMAIN}"]}],
        "listeners": [
            {"name": "http", "protocol": "HTTP", "port": 80},
            {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": f"www.{DOMAIN}", "certificate": "web"},
            {"name": "lab", "protocol": "HTTPS", "port": 443, "hostname": f"*.lab.{DOMAIN}", "certificate": "lab"},
        ],
    }],
}
POLICY = "no-letsencrypt-production-outside-production"


def test_the_picture_and_the_policy_pack_read_the_names_the_stack_gives(
    tmp_path: Path, render_stack: RenderStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_policy_pack import engine_config  # noqa: PLC0415

    stack_file = write_stack(tmp_path, RENDERED)
    plan = json.loads(json.dumps(plan_document(render_stack(stack_file))))
    graph = graph_of(plan)
    edges = {(edge.source, edge.target, edge.label) for edge in graph.edges}
    assert ("ClusterIssuer/letsencrypt-prod", "Certificate/gateway/edge-web", "issues") in edges
    assert ("ClusterIssuer/letsencrypt-prod", "Listener/gateway/edge/http", "HTTP-01 challenges") in edges
    assert ("ClusterIssuer/ca-issuer", "Certificate/gateway/edge-lab", "issues") in edges
    monkeypatch.setenv("PULUMI_CONFIG", engine_config(stack_file))
    assert [v for v in check_plan(plan) if v.policy == POLICY] == []
    undecided = copy.deepcopy(RENDERED)
    undecided["issuers"]["acmeIssuers"]["letsencrypt-prod"]["allowOutsideProduction"] = False
    (tmp_path / "undecided").mkdir()
    monkeypatch.setenv("PULUMI_CONFIG", engine_config(write_stack(tmp_path / "undecided", undecided)))
    [violation] = [v for v in check_plan(plan) if v.policy == POLICY]
    assert violation.urn.endswith("::edge-issuers-letsencrypt-prod")
    assert "acmeIssuers.letsencrypt-prod.allowOutsideProduction" in violation.message


@pytest.mark.parametrize(("issuer", "secret", "collides"), [
    ("ca-issuer", "idp-demo-ca", True),  # the tenant's CA key pair
    ("letsencrypt-staging", "letsencrypt-staging-account-key", True),  # the tenant's ACME account key
    ("ca-issuer", "letsencrypt-staging-account-key", False),  # no ACME Issuer of the tenant's, so no such Secret
], ids=["ca-key-pair", "acme-account-key", "issuer-not-used"])
def test_a_tenant_certificates_secret_keeps_clear_of_its_own_issuers_secrets(
    issuer: str, secret: str, collides: bool
) -> None:
    def tenant(config: Config) -> None:
        config["tenants"] = {"team-c": {"namespaces": ["team-c"], "hostnameSuffix": f"team-c.{DOMAIN}"}}
        config["guardrails"] = {"platformGroups": ["kubeadm:cluster-admins"]}
        config["gateways"].append({"name": "team-c", "namespace": "team-c", "certificates": [
            {"name": "app", "issuer": issuer, "dnsNames": [f"app.team-c.{DOMAIN}"], "secretName": secret}],
            "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443, "hostname": f"app.team-c.{DOMAIN}",
                           "certificate": "app"}]})

    if not collides:
        plan_of(BASE, tenant)
        return
    assert str(issues_of(BASE, tenant)[0]) == (
        f"gateways[1].certificates (tenant team-c's Issuers): derives the Secret {secret} in namespace team-c, as "
        "gateways[1].certificates[0].secretName does (fix: rename one of them)")
