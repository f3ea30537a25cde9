"""User mistakes in a stack file: each is refused with its key path and fix, before any resource exists."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Config, Rejection, RenderStack, delete_key, parse_config, set_key, write_stack
from traffic_edge.cli import main
from traffic_edge.config import ConfigError

RFC2136 = {"nameserver": "10.0.0.53", "tsigKeyName": "edge-key.example.test"}

# A valid lab stack that exercises every rule below; each case changes one thing in it.
BASE: Config = {
    "platform": {"kind": "onprem"},
    "domain": "example.test",
    "issuers": {"acme": {"email": "ops@example.test"}, "internalCa": {}},
    "namespaces": {"apps": {"gateways": ["edge"]}},
    "gateways": [
        {
            "name": "edge",
            "certificates": [{"name": "wildcard", "issuer": "internal-ca", "dnsNames": ["*.example.test"]}],
            "listeners": [
                {"name": "http", "protocol": "HTTP", "port": 80},
                {
                    "name": "https",
                    "protocol": "HTTPS",
                    "port": 443,
                    "hostname": "*.example.test",
                    "certificate": "wildcard",
                },
                {"name": "db", "protocol": "TCP", "port": 5432},
            ],
        }
    ],
    "routes": [
        {
            "name": "web",
            "namespace": "apps",
            "gateway": "edge",
            "hostnames": ["www.example.test"],
            "rules": [
                {"matches": [{"path": "/api"}], "rewritePrefix": "/", "backends": [{"service": "web", "port": 8080}]},
            ],
        },
        {
            "name": "db",
            "kind": "TCPRoute",
            "namespace": "apps",
            "gateway": "edge",
            "listener": "db",
            "rules": [{"backends": [{"service": "postgres", "port": 5432}]}],
        },
    ],
}

Edit = Callable[[Config], None]


def put(path: str, value: object) -> Edit:
    return lambda config: set_key(config, path, copy.deepcopy(value))


def drop(path: str) -> Edit:
    return lambda config: delete_key(config, path)


def rename(old: str, new: str) -> Edit:
    def edit(config: Config) -> None:
        config[new] = config.pop(old)

    return edit


def append(path: str, value: object) -> Edit:
    def edit(config: Config) -> None:
        target = config[path]
        target.append(copy.deepcopy(value))

    return edit


def edited(*edits: Edit) -> Config:
    config = copy.deepcopy(BASE)
    for edit in edits:
        edit(config)
    return config


# id, edits, and the issue line the user must see: `<key path>: <what is wrong>`, with the fix where it helps.
CASES: list[tuple[str, list[Edit], str]] = [
    ("typo-top-level-key", [rename("gateways", "gateway")],
     "gateway: unknown key (fix: did you mean `gateways`?)"),
    ("typo-nested-key", [put("gateways[0].listeners[1].hostnames", ["a.example.test"])],
     "gateways[0].listeners[1].hostnames: unknown key (fix: did you mean `hostname`?)"),
    ("typo-key-of-route-kind", [put("routes[1].hostnames", ["db.example.test"])],
     "routes[1].hostnames: unknown key (fix: did you mean `hostname`?)"),
    ("port-not-a-number", [put("routes[0].rules[0].backends[0].port", "abc")],
     "routes[0].rules[0].backends[0].port: input should be a valid integer"),
    ("backend-port-70000", [put("routes[0].rules[0].backends[0].port", 70000)],
     "routes[0].rules[0].backends[0].port: must be 1-65535"),
    ("listener-port-0", [put("gateways[0].listeners[2].port", 0)],
     "gateways[0].listeners[2].port: must be 1-65535"),
    ("scalar-for-list", [put("gateways", "edge")],
     "gateways: input should be a valid list, not a string (fix: write one `- ` line per item)"),
    ("scalar-for-object", [put("issuers", "acme")],
     "issuers: must be an object of `key: value` lines, not a string (fix: indent its keys under it)"),
    ("platform-as-bare-kind", [put("platform", "onprem")],
     "platform: must be an object with a `kind` (fix: write `platform: {kind: onprem}`)"),
    ("missing-domain", [drop("domain")],
     "domain: is required (fix: add `domain`)"),
    ("route-host-outside", [put("routes[0].hostnames[0]", "www.example.org")],
     "routes[0].hostnames[0]: www.example.org is outside the domain example.test"),
    ("listener-host-outside", [put("gateways[0].listeners[1].hostname", "*.example.org")],
     "gateways[0].listeners[1].hostname: *.example.org is outside the domain example.test"),
    ("certificate-name-outside", [put("gateways[0].certificates[0].dnsNames", ["*.example.test", "example.org"])],
     "gateways[0].certificates[0].dnsNames[1]: example.org is outside the domain example.test"),
    ("route-host-not-served", [put("gateways[0].listeners[1].hostname", "app.example.test")],
     "routes[0].hostnames[0]: www.example.test matches no listener hostname"),
    ("route-to-missing-gateway", [put("routes[0].gateway", "edg")],
     "routes[0].gateway: edg is not a configured gateway"),
    ("route-to-missing-listener", [put("routes[0].listener", "https2")],
     "routes[0].listener: gateway edge has no listener https2"),
    ("httproute-on-http-listener", [put("routes[0].listener", "http")],
     "routes[0].listener: listener http of gateway edge only redirects to HTTPS"),
    ("namespace-not-whitelisted", [put("routes[0].namespace", "shop")],
     "routes[0].namespace: namespace shop may not attach routes to gateway edge "
     "(fix: add edge to namespaces.shop.gateways)"),
    ("tcproute-namespace-not-whitelisted", [put("routes[1].namespace", "shop")],
     "routes[1].namespace: namespace shop may not attach routes to gateway edge"),  # not a tenant: no tenant words
    ("ip-address-as-listener-hostname", [put("gateways[0].listeners[1].hostname", "10.0.0.1")],
     "gateways[0].listeners[1].hostname: 10.0.0.1 is an IP address"),
    ("ip-address-as-certificate-name", [put("gateways[0].certificates[0].dnsNames", ["*.example.test", "10.0.0.1"])],
     "gateways[0].certificates[0].dnsNames[1]: 10.0.0.1 is an IP address"),
    ("namespace-grant-unknown-gateway", [put("namespaces.apps.gateways", ["edge", "egde"])],
     "namespaces.apps.gateways[1]: egde is not a configured gateway (fix: use one of edge)"),
    ("httproute-on-tcp-listener", [put("routes[0].listener", "db")],
     "routes[0].listener: a HTTPRoute attaches to HTTPS or HTTP listeners (fix: attach it to a HTTPS or HTTP "
     "listener of gateway edge)"),
    ("https-without-certificate", [drop("gateways[0].listeners[1].certificate")],
     "gateways[0].listeners[1].certificate: a HTTPS listener that terminates TLS needs a certificate (fix: name one "
     "of gateways[0].certificates)"),
    ("certificate-not-on-gateway", [put("gateways[0].listeners[1].certificate", "other")],
     "gateways[0].listeners[1].certificate: other is not a certificate of gateway edge (fix: add it to certificates "
     "or use one of wildcard)"),
    ("certificate-on-gateway-without-any", [put("gateways[0].listeners[1].certificate", "other"),
                                            put("gateways[0].certificates", [])],
     "gateways[0].listeners[1].certificate: other is not a certificate of gateway edge (fix: add it to certificates "
     "or use one of (none defined))"),
    ("certificate-on-http", [put("gateways[0].listeners[0].certificate", "wildcard")],
     "gateways[0].listeners[0].certificate: a HTTP listener takes no certificate"),
    ("issuer-not-configured", [drop("issuers.internalCa")],
     "gateways[0].certificates[0].issuer: internal-ca is not configured (fix: configure issuers.internalCa)"),
    ("duplicate-listener", [put("gateways[0].listeners[2].name", "https")],
     "gateways[0].listeners: listener name https is used twice"),
    ("duplicate-gateway", [append("gateways", BASE["gateways"][0])],
     "gateways: gateway name edge is used twice"),
    ("duplicate-route", [append("routes", BASE["routes"][0])],
     "routes: HTTPRoute apps/web is defined twice"),
    ("uppercase-name", [put("gateways[0].name", "Edge")],
     "gateways[0].name: must be a DNS-1123 label: lowercase letters, digits and '-'"),
    ("rewrite-with-exact", [put("routes[0].rules[0].matches[0].pathType", "Exact")],
     "routes[0].rules[0].rewritePrefix: a prefix rewrite needs PathPrefix matches"),
    ("rule-without-backends", [put("routes[0].rules[0].backends", [])],
     "routes[0].rules[0].backends: list should have at least 1 item"),
    ("gateway-without-listeners", [append("gateways", {**BASE["gateways"][0], "name": "edge2", "listeners": []})],
     "gateways[1].listeners: list should have at least 1 item"),
    ("unknown-route-kind", [put("routes[0].kind", "HttpRoute")],
     "routes[0].kind: unknown kind; must be one of 'HTTPRoute'"),
    ("unknown-platform", [put("platform.kind", "openshift")],
     "platform.kind: unknown kind; must be one of 'onprem'"),
    ("platform-without-kind", [put("platform", {})],
     "platform.kind: is required; must be one of onprem"),
    ("dns01-without-rfc2136", [put("issuers.acme.solver", "dns01")],
     "issuers.acme.solver: dns01 on-prem needs an RFC 2136 server"),
    ("rfc2136-without-tsig", [put("dns", {"rfc2136": RFC2136})],
     "tsigSecret: is required with dns.rfc2136 (fix: pulumi config set --secret tsigSecret"),
    ("tsig-in-clear-text", [put("dns", {"rfc2136": RFC2136}), put("tsigSecret", "c2VjcmV0")],
     "tsigSecret: is stored in clear text (fix: pulumi config set --secret tsigSecret <value>)"),
    ("zone-not-covering-domain", [put("dns", {"zone": "other.test"})],
     "dns.zone: zone other.test does not cover the domain example.test"),
    ("http01-without-port-80", [put("gateways[0].listeners[0].port", 8080)],
     "issuers.acme.gateway: gateway edge has no HTTP listener on port 80 for HTTP-01"),
    ("invalid-email", [put("issuers.acme.email", "ops.example.test")],
     "issuers.acme.email: must be an email address"),
    ("invalid-hostname", [put("domain", "Example_Test")],
     "domain: must be a lowercase DNS name (a leading `*.` is allowed)"),
    ("domain-of-one-label", [put("domain", 5)],
     "domain: 5 is not a DNS domain; use at least two labels and no wildcard, e.g. dev.example.com"),
    ("wildcard-domain", [put("domain", "*.example.test")],
     "domain: *.example.test is not a DNS domain; use at least two labels and no wildcard, e.g. dev.example.com"),
    ("unknown-controller", [put("controller", {"name": "no-such-controller"})],
     "controller.name: unknown controller 'no-such-controller'; choose one of"),
    ("unknown-chart", [put("versions", {"charts": {"no-such-chart": "1.0.0"}})],
     "versions.charts: unknown chart no-such-chart; pinned charts are"),
    ("unknown-gateway-api", [put("versions", {"gatewayApi": "v0.9.9"})],
     "versions.gatewayApi: Gateway API v0.9.9 is not one this program knows"),
    ("hostname-on-tcp-listener", [put("gateways[0].listeners[2].hostname", "db.example.test")],
     "gateways[0].listeners[2].hostname: TCP listeners carry no hostname"),
    ("hostname-on-udp-listener", [put("gateways[0].listeners[2].protocol", "UDP"),
                                  put("gateways[0].listeners[2].hostname", "dns.example.test")],
     "gateways[0].listeners[2].hostname: UDP listeners carry no hostname"),
    ("tls-listener-without-mode", [put("gateways[0].listeners[2].protocol", "TLS")],
     "gateways[0].listeners[2].tlsMode: a TLS listener needs a mode"),
    ("http01-gateway-unknown", [put("issuers.acme.gateway", "edg")],
     "issuers.acme.gateway: http01 needs a gateway to serve challenges; edg is not one (fix: name one of `gateways`)"),
    ("header-matched-twice", [put("routes[0].rules[0].matches[0].headers", [{"name": "X-Env", "value": "a"},
                                                                              {"name": "x-env", "value": "b"}])],
     "routes[0].rules[0].matches[0].headers[1].name: x-env is matched already by headers[0]"),
    ("header-name-too-long", [put("routes[0].rules[0].matches[0].headers", [{"name": "x" * 257, "value": "a"}])],
     "routes[0].rules[0].matches[0].headers[0].name: is longer than 256 characters"),
    ("header-value-empty", [put("routes[0].rules[0].matches[0].headers", [{"name": "x-env", "value": ""}])],
     "routes[0].rules[0].matches[0].headers[0].value: must be 1 to 4096 characters"),
    ("header-value-too-long", [put("routes[0].rules[0].matches[0].headers", [{"name": "x-env", "value": "v" * 4097}])],
     "routes[0].rules[0].matches[0].headers[0].value: must be 1 to 4096 characters (fix: match the header's value"),
    ("apex-ownership-outside-zone", [put("dns", {"rfc2136": RFC2136}), put("tsigSecret", {"secure": "v1:c2VjcmV0"}),
                                     put("externalDns", {"txtPrefix": "edns-"}),
                                     put("routes[0].hostnames[0]", "example.test")],
     "externalDns.txtPrefix: routes[0].hostnames[0] publishes the zone apex example.test, whose ownership record the "
     "prefix 'edns-' would put outside the zone"),
    ("secret-and-acm-certificate", [put("gateways[0].listeners[1].certificateArn",
                                        "arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100")],
     "gateways[0].listeners[1].certificateArn: names an ACM certificate beside `certificate`"),
]
MISTAKES = [pytest.param(edits, expected, id=name) for name, edits, expected in CASES]


def issue_strings(config: Config) -> list[str]:
    """The issues a config is refused for, each as the user reads it; none for one that passes."""
    try:
        parse_config(config)
    except ConfigError as error:
        return [str(issue) for issue in error.issues]
    return []


def issue_lines(message: str) -> list[str]:
    return [line.removeprefix("  - ") for line in message.splitlines() if line.startswith("  - ")]


def test_base_stack_is_valid(tmp_path: Path, render_stack: RenderStack) -> None:
    """Every case below fails because of its one edit, not because the base is wrong."""
    parse_config(BASE)
    parse_config(edited(put("dns", {"rfc2136": RFC2136}), put("tsigSecret", {"secure": "v1:c2VjcmV0"})))
    assert render_stack(write_stack(tmp_path, BASE))


@pytest.mark.parametrize(("edits", "expected"), MISTAKES)
def test_mistake_is_refused_before_any_resource(
    edits: list[Edit], expected: str, tmp_path: Path, render_rejected: Callable[[Path], Rejection]
) -> None:
    rejection = render_rejected(write_stack(tmp_path, edited(*edits)))
    lines = issue_lines(rejection.message)
    assert any(line.startswith(expected) for line in lines), rejection.message
    assert rejection.stack_urn, "the program never ran"
    assert rejection.registered == {}


def test_mistakes_are_distinct() -> None:
    """Each case is a different mistake, so no two expect the same line."""
    expected = [line for _, _, line in CASES]
    assert len(CASES) >= 25
    assert len(set(expected)) == len(expected)


# Shape mistakes are all found by one validation pass; rule mistakes by the next, once the shape is right.
SHAPE_MISTAKES = (
    [rename("gateways", "gateway"), put("routes[0].rules[0].backends[0].port", 70000),
     put("issuers.acme.email", "ops"), put("namespaces", {"Apps": {}}), put("tsigSecret", "c2VjcmV0")],
    [
        "gateway: unknown key (fix: did you mean `gateways`?)",
        "issuers.acme.email: must be an email address",
        "namespaces.Apps: must be a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters",
        "routes[0].rules[0].backends[0].port: must be 1-65535 (fix: use a port number between 1 and 65535)",
        "tsigSecret: is stored in clear text (fix: pulumi config set --secret tsigSecret <value>)",
    ],
)
RULE_MISTAKES = (
    [put("routes[0].namespace", "shop"), put("routes[1].gateway", "edg"),
     put("gateways[0].certificates[0].dnsNames", ["*.example.test", "example.org"]),
     put("gateways[0].listeners[2].hostname", "db.example.test")],
    [
        "gateways[0].certificates[0].dnsNames[1]: example.org is outside the domain example.test "
        "(fix: use a name under example.test)",
        "gateways[0].listeners[2].hostname: TCP listeners carry no hostname (fix: remove it)",
        "routes[0].namespace: namespace shop may not attach routes to gateway edge "
        "(fix: add edge to namespaces.shop.gateways)",
        "routes[1].gateway: edg is not a configured gateway (fix: use one of edge)",
    ],
)


@pytest.mark.parametrize(("edits", "expected"), [SHAPE_MISTAKES, RULE_MISTAKES], ids=["shape", "rules"])
def test_every_mistake_is_reported_at_once(
    edits: list[Edit], expected: list[str], tmp_path: Path, render_rejected: Callable[[Path], Rejection]
) -> None:
    rejection = render_rejected(write_stack(tmp_path, edited(*edits)))
    assert rejection.message.splitlines()[0] == f"{len(expected)} config errors under `traffic-edge:`:"
    assert issue_lines(rejection.message) == expected
    assert rejection.registered == {}


def test_cli_refuses_invalid_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    stack_file = write_stack(tmp_path, edited(*RULE_MISTAKES[0]))
    assert main(["preview", "--config", str(stack_file), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[:2] == [
        "error: Pulumi.lab.yaml is not valid:",
        "4 config errors under `traffic-edge:`:",
    ]
    for line in RULE_MISTAKES[1]:
        assert f"  - {line}" in captured.err.splitlines()
    assert "Traceback" not in captured.err
    assert not out.exists()



def _listener(name: str, port: int, hostname: str | None, certificate: str) -> Config:
    return {"name": name, "protocol": "HTTPS", "port": port, "certificate": certificate,
            **({"hostname": hostname} if hostname else {})}


def _on_gateway(key: str, item: Config) -> Edit:
    return lambda config: config["gateways"][0][key].append(copy.deepcopy(item))


NAME = "a.b.example.test"  # one label below the reach of the wildcard certificate *.example.test


@pytest.mark.parametrize(("wide", "specific", "dns_names", "name", "covered"), [
    ("*.b.example.test", _listener("api", 443, NAME, "api"), [NAME], NAME, True),  # an exact name beats a wildcard
    (None, _listener("b", 443, "*.b.example.test", "api"), ["*.b.example.test"], NAME, True),  # a wildcard: none
    ("*.b.example.test", _listener("api", 8443, NAME, "api"), [NAME], NAME, False),  # another port takes nothing
    ("*.b.example.test", _listener("b", 443, "*.example.test", "api"), ["*.example.test"], NAME, False),  # wider
    ("*.b.example.test", _listener("c", 443, "c.b.example.test", "api"), ["c.b.example.test"], NAME, False),  # another
    ("*.example.test", _listener("b", 443, "*.b.example.test", "api"), ["*.b.example.test"], "a.xb.example.test",
     False),  # a suffix look-alike
], ids=["exact-over-wildcard", "wildcard-over-none", "other-port", "less-specific", "other-exact-name", "look-alike"])
def test_a_name_a_more_specific_listener_takes_needs_no_cover_from_the_wider_one(
    wide: str | None, specific: Config, dns_names: list[str], name: str, covered: bool
) -> None:
    """Gateway API v1.6.1 GatewaySpec.Listeners: a request goes to the most specific listener on its port (an exact
    name, then more dots, then no hostname), which presents its own certificate: the wider one's need not name it."""
    config = edited(put("gateways[0].listeners[1]", _listener("https", 443, wide, "wildcard")),
                    _on_gateway("listeners", specific),
                    _on_gateway("certificates", {"name": "api", "issuer": "internal-ca", "dnsNames": dns_names}),
                    put("routes[0].hostnames", [name]))
    assert issue_strings(config) == ([] if covered else [
        f"routes[0].hostnames[0]: {name} is served by listener https of gateway edge, whose certificate wildcard "
        f"does not cover it (it names *.example.test): every TLS handshake for it would fail (fix: add {name} to "
        "gateways[0].certificates[0].dnsNames)"])


@pytest.mark.parametrize(("listener", "route", "dns_names", "covered"), [
    ("a.example.test", "*.example.test", ["a.example.test"], True),  # the listener's one name, as long as the route
    ("*.example.test", "*.b.example.test", ["*.b.example.test"], True),  # the route's narrower wildcard
    ("*.example.test", "*.c.example.test", ["*.b.example.test"], False),
    ("*.example.test", "*.example.test", ["a.example.test"], False),  # the listener's own wildcard, judged here
], ids=["exact-listener", "narrower-route", "uncovered", "listeners-wildcard"])
def test_a_wildcard_route_needs_cover_only_for_the_names_its_listener_takes(
    listener: str, route: str, dns_names: list[str], covered: bool
) -> None:
    """Where a route's and a listener's hostnames meet, the listener serves the narrower of the two."""
    config = edited(put("gateways[0].listeners[1]", _listener("https", 443, listener, "api")),
                    _on_gateway("certificates", {"name": "api", "issuer": "internal-ca", "dnsNames": dns_names}),
                    put("routes[0].hostnames", [route]))
    assert issue_strings(config) == ([] if covered else [
        f"routes[0].hostnames[0]: {route} is served by listener https of gateway edge, whose certificate api does "
        f"not cover it (it names {dns_names[0]}): every TLS handshake for it would fail (fix: add {route} to "
        "gateways[0].certificates[1].dnsNames)"])


@pytest.mark.parametrize(("match", "apart"), [
    ({"path": "/api", "pathType": "Exact"}, True),
    ({"path": "/web"}, True),
    ({"path": "/api", "method": "POST"}, True),
    ({"path": "/api", "headers": [{"name": "x-env", "value": "b"}]}, True),
    ({"path": "/api", "headers": [{"name": "x-env", "value": "b", "type": "RegularExpression"}]}, True),
    ({"path": "/api"}, False),
], ids=["path-type", "path", "method", "header", "header-type", "same"])
def test_two_routes_on_one_name_are_told_apart_by_any_part_of_their_match(match: Config, apart: bool) -> None:
    """routes[0] asks for PathPrefix /api on www.example.test; a second route asking the same is never served."""
    other = {"name": "web2", "namespace": "apps", "gateway": "edge", "hostnames": ["www.example.test"],
             "rules": [{"matches": [match], "backends": [{"service": "web2", "port": 8080}]}]}
    config = edited(append("routes", other))
    assert issue_strings(config) == ([] if apart else [
        "routes[2].rules[0].matches[0]: asks for what routes[0].rules[0].matches[0] asks for, on listener https of "
        "gateway edge for www.example.test: only the older route would be served (fix: merge the two, or tell them "
        "apart by hostname, path, method or header)"])


CHARGE = {"service": "pay.v1.Pay", "method": "Charge"}
ENV_B = {"name": "x-env", "value": "b"}


@pytest.mark.parametrize(("kind", "first", "second", "apart"), [
    ("GRPCRoute", [CHARGE], {**CHARGE, "method": "Refund"}, True),
    ("GRPCRoute", [CHARGE], {**CHARGE, "service": "pay.v1.Other"}, True),
    ("GRPCRoute", [CHARGE], {**CHARGE, "headers": [{"name": "x-env", "value": "b"}]}, True),
    ("GRPCRoute", [CHARGE], CHARGE, False),
    ("GRPCRoute", [{**CHARGE, "headers": [ENV_B]}], {**CHARGE, "headers": [{**ENV_B, "name": "x-team"}]}, True),
    ("GRPCRoute", [{**CHARGE, "headers": [ENV_B]}], {**CHARGE, "headers": [{**ENV_B, "value": "c"}]}, True),
    ("GRPCRoute", [{**CHARGE, "headers": [ENV_B]}], {**CHARGE, "headers": [{**ENV_B, "type": "RegularExpression"}]},
     True),
    ("GRPCRoute", [{**CHARGE, "headers": [ENV_B]}], {**CHARGE, "headers": [{**ENV_B, "name": "X-Env"}]}, False),
    ("GRPCRoute", None, {}, False),  # a rule without matches asks for every call, as an empty match does
    ("GRPCRoute", None, {"service": "pay.v1.Pay"}, True),
    ("HTTPRoute", None, {"path": "/"}, False),  # ... and for every request, as PathPrefix / does
    ("HTTPRoute", None, {"path": "/", "method": "GET"}, True),
], ids=["grpc-method", "grpc-service", "grpc-header", "grpc-same", "header-name", "header-value", "header-type",
        "header-name-case", "grpc-all", "grpc-all-and-one-service", "http-all",
        "http-all-and-get"])
def test_what_a_route_asks_for_is_its_matches_or_everything(
    kind: str, first: list[Config] | None, second: Config, apart: bool
) -> None:
    def route(name: str, matches: list[Config] | None) -> Config:
        return {"name": name, "kind": kind, "namespace": "apps", "gateway": "edge", "listener": "https",
                "hostnames": ["api.example.test"],
                "rules": [{"backends": [{"service": name, "port": 8080}], **({"matches": matches} if matches else {})}]}

    config = edited(append("routes", route("one", first)), append("routes", route("two", [second])))
    asked = "routes[2].rules[0].matches[0]" if first else "routes[2].rules[0]"
    assert [line.split(": only")[0] for line in issue_strings(config)] == ([] if apart else [
        f"routes[3].rules[0].matches[0]: asks for what {asked} asks for, on listener https of gateway edge for "
        "api.example.test"])


@pytest.mark.parametrize(("http", "grpc", "reported"), [
    ("a.b.example.test", "*.b.example.test", "routes[0].hostnames[0]: a.b.example.test meets the hostnames of "
                                             "routes[2].hostnames[0]"),  # at the name the other's takes in
    ("*.b.example.test", "a.b.example.test", "routes[2].hostnames[0]: a.b.example.test meets the hostnames of "
                                             "routes[0].hostnames[0]"),
    ("*.b.example.test", "*.b.example.test", "routes[2].hostnames[0]: *.b.example.test meets the hostnames of "
                                             "routes[0].hostnames[0]"),  # once
    ("b.example.test", "*.b.example.test", None),  # a wildcard takes in a label more, not its own suffix
    ("a.example.test", "*.b.example.test", None),
    (None, "a.example.test", "routes[2].hostnames[0]: a.example.test meets the hostnames of routes[0].hostnames"),
], ids=["exact-under-wildcard", "wildcard-over-exact", "same-wildcard", "suffix-itself", "apart", "every-name"])
def test_an_http_and_a_grpc_route_meet_where_one_hostname_takes_in_the_other(
    http: str | None, grpc: str, reported: str | None
) -> None:
    """None: an HTTPRoute without hostnames, on a listener without one: every name."""
    api = {"name": "api", "kind": "GRPCRoute", "namespace": "apps", "gateway": "edge", "listener": "https",
           "hostnames": [grpc], "rules": [{"backends": [{"service": "api", "port": 8080}]}]}
    names = ["*.example.test", "*.b.example.test", "b.example.test"]
    every_name = (put("gateways[0].listeners[1]", _listener("https", 443, None, "wildcard")),
                  put("routes[0].hostnames", []))
    config = edited(put("gateways[0].certificates[0].dnsNames", names), append("routes", api),
                    *(every_name if http is None else [put("routes[0].hostnames", [http])]))
    assert issue_strings(config) == ([] if reported is None else [
        f"{reported} on listener https of gateway edge, and of an HTTPRoute and a GRPCRoute meeting there only one is "
        "accepted (fix: give the gRPC service a hostname of its own)"])


def _second_gateway(config: Config) -> None:
    config["gateways"].append({**copy.deepcopy(BASE["gateways"][0]), "name": "edge2"})
    config["namespaces"]["apps"]["gateways"].append("edge2")


@pytest.mark.parametrize(("edits", "refused"), [
    ([], 1),  # the same request once, however many names the two share
    ([put("routes[2].hostnames", ["api.example.test"])], 0),
    ([put("routes[2].gateway", "edge2"), _second_gateway], 0),
    ([put("routes[0].listener", "https"), put("routes[2].listener", "https2"),
      _on_gateway("listeners", _listener("https2", 8443, "*.example.test", "wildcard"))], 0),
], ids=["both-names", "other-name", "other-gateway", "other-listener"])
def test_the_same_match_twice_is_refused_only_where_both_meet(edits: list[Edit], refused: int) -> None:
    shared = ["www.example.test", "app.example.test"]
    other = {"name": "web2", "namespace": "apps", "gateway": "edge", "hostnames": shared,
             "rules": [{"matches": [{"path": "/api"}], "backends": [{"service": "web2", "port": 8080}]}]}
    config = edited(put("routes[0].hostnames", shared), append("routes", other), *edits)
    assert [line.split(":")[0] for line in issue_strings(config)] == ["routes[2].rules[0].matches[0]"] * refused


@pytest.mark.parametrize(("count", "named"), [
    (7, "n0.example.test, n1.example.test, n2.example.test, n3.example.test, n4.example.test and 2 more"),
    (6, "n0.example.test, n1.example.test, n2.example.test, n3.example.test, n4.example.test and 1 more"),
    (5, "n0.example.test, n1.example.test, n2.example.test, n3.example.test, n4.example.test"),
])
def test_a_listeners_own_name_uncovered_is_reported_once_at_the_listener(count: int, named: str) -> None:
    names = [f"n{n}.example.test" for n in range(count)]
    config = edited(put("gateways[0].listeners[1]", _listener("https", 443, "a.example.test", "api")),
                    _on_gateway("certificates", {"name": "api", "issuer": "internal-ca", "dnsNames": names}),
                    put("routes[0].hostnames", ["a.example.test"]))
    with pytest.raises(ConfigError) as raised:
        parse_config(config)
    assert [str(issue).split(": every")[0] for issue in raised.value.issues] == [
        "gateways[0].listeners[1].hostname: a.example.test is served by listener https of gateway edge, whose "
        f"certificate api does not cover it (it names {named})"]


@pytest.mark.parametrize(("prefix", "rfc2136", "refused"), [
    ("edns-%{record_type}.", True, False),  # the default: the apex's TXT record stays inside the zone
    ("edns-%{record_type}", True, True),  # no trailing dot
    ("edns.", True, True),  # no record type
    ("edns-%{record_type.", True, True),  # no template without its closing brace
    ("edns-", False, False),  # external-dns does not run: nothing is published
], ids=["default", "no-dot", "no-record-type", "unclosed-template", "external-dns-off"])
def test_the_zone_apex_is_published_only_with_a_prefix_that_keeps_its_ownership_inside(
    prefix: str, rfc2136: bool, refused: bool
) -> None:
    """kubernetes-sigs/external-dns @ v0.22.0 : docs/registry/txt.md: for an apex, %{record_type} and a trailing dot."""
    dns = (put("dns", {"rfc2136": RFC2136}), put("tsigSecret", {"secure": "v1:c2VjcmV0"})) if rfc2136 else ()
    config = edited(*dns, put("externalDns", {"txtPrefix": prefix}), put("routes[0].hostnames[0]", "example.test"),
                    put("gateways[0].listeners[1].hostname", "example.test"),
                    put("gateways[0].certificates[0].dnsNames", ["example.test"]))
    assert [line.split(",")[0] for line in issue_strings(config)] == ([] if not refused else [
        "externalDns.txtPrefix: routes[0].hostnames[0] publishes the zone apex example.test"])


def _gateway_with_certificate_in_apps(name: str, namespace: str) -> Config:
    return {"name": name, "namespace": namespace,
            "certificates": [{"name": "site", "issuer": "internal-ca", "dnsNames": ["*.example.test"],
                              "namespace": "apps"}],
            "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443, "hostname": "*.example.test",
                           "certificate": "site"}]}


def _redirecting_gateway(name: str, namespace: str, http_listener: str) -> Config:
    return {"name": name, "namespace": namespace,
            "certificates": [{"name": "site", "issuer": "internal-ca", "dnsNames": ["*.example.test"]}],
            "listeners": [{"name": http_listener, "protocol": "HTTP", "port": 80},
                          {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": "*.example.test",
                           "certificate": "site"}]}


def _gateway_with_certificate(name: str, certificate: str) -> Config:
    return {"name": name,
            "certificates": [{"name": certificate, "issuer": "internal-ca", "dnsNames": ["*.example.test"]}],
            "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443, "hostname": "*.example.test",
                           "certificate": certificate}]}


API_CERTIFICATE = {"name": "api", "issuer": "internal-ca", "dnsNames": ["api.example.test"],
                   "secretName": "edge-wildcard-tls"}
ONLY_GATEWAYS = [put("routes", []), put("namespaces", {}), put("issuers", {"internalCa": {}})]
GRANT_INTO_B_GRANT_APPS = _gateway_with_certificate_in_apps("a", "gateway")
GRANT_INTO_B_GRANT_APPS["certificates"][0]["namespace"] = "b-grant-apps"


@pytest.mark.parametrize(("edits", "issue"), [
    ([_on_gateway("certificates", API_CERTIFICATE)],
     "gateways[0].certificates[1].secretName: derives the Secret edge-wildcard-tls in namespace gateway, as "
     "gateways[0].certificates[0].name does"),  # a Secret named like another certificate's
    ([_on_gateway("certificates", {**API_CERTIFICATE, "namespace": "apps"})], None),  # in another namespace
    ([put("gateways", [_gateway_with_certificate_in_apps("a", "b-from-c"),
                       _gateway_with_certificate_in_apps("a-from-b", "c")]), *ONLY_GATEWAYS],
     "gateways[1].certificates[0].namespace: derives the ReferenceGrant gateway-a-from-b-from-c in namespace apps, as "
     "gateways[0].certificates[0].namespace does"),  # two gateways' grants into one namespace
    ([put("gateways", [GRANT_INTO_B_GRANT_APPS, _gateway_with_certificate_in_apps("a-grant-b", "gateway")]),
      *ONLY_GATEWAYS],
     "gateways[1].certificates[0].namespace: derives the Pulumi resource of ReferenceGrant "
     "gateway-a-grant-b-grant-apps, as gateways[0].certificates[0].namespace does"),  # two namespaces, one Pulumi name
    ([put("gateways", [_redirecting_gateway("a", "x", "b-http"), _redirecting_gateway("a-b", "y", "http")]),
      *ONLY_GATEWAYS],
     "gateways[1].listeners[0].name: derives the Pulumi resource of HTTPRoute gateway-a-b-http-redirect, as "
     "gateways[0].listeners[0].name does"),  # redirects in two namespaces, one Pulumi name
    ([put("gateways", [_gateway_with_certificate("a", "b-c"), _gateway_with_certificate("a-b", "c")]),
      *ONLY_GATEWAYS],
     "gateways[1].certificates[0].name: derives the Certificate a-b-c in namespace gateway, as "
     "gateways[0].certificates[0].name does"),  # its Secret and Pulumi name too: one pair, said once
], ids=["secret-name-of-another", "other-namespace", "grant", "grant-resource", "redirect-resource", "once"])
def test_a_derived_name_is_refused_only_where_two_objects_would_share_it(edits: list[Edit], issue: str | None) -> None:
    config = edited(*edits)
    assert issue_strings(config) == ([] if issue is None else [f"{issue} (fix: rename one of them)"])


def test_listeners_sharing_a_port_are_named_all_in_one_line() -> None:
    tcp = [{"name": f"db{n}", "protocol": "TCP", "port": 5432} for n in (2, 3)]
    with pytest.raises(ConfigError) as raised:
        parse_config(edited(*(_on_gateway("listeners", listener) for listener in tcp)))
    assert [str(issue).split(", and")[0] for issue in raised.value.issues] == [
        "gateways[0].listeners[2].port: db (listeners[2], TCP), db2 (listeners[3], TCP) and db3 (listeners[4], TCP) "
        "share port 5432"]


@pytest.mark.parametrize(("namespace", "refused"), [("default", False), ("kube-system", True)])
def test_an_egress_allow_list_is_the_users_in_default_and_no_one_elses_in_the_clusters_own(
    namespace: str, refused: bool
) -> None:
    """default holds users' workloads; kube-system, kube-public and kube-node-lease hold the cluster's own."""
    egress = [{"name": "internal-https", "to": {"cidrs": ["10.0.0.0/8"]}, "ports": [443]}]
    config = edited(put(f"namespaces.{namespace}", {"create": False, "egress": egress}))
    assert [line.split(":")[0] for line in issue_strings(config)] == [f"namespaces.{namespace}.egress"] * refused


@pytest.mark.parametrize(("owner", "refused"), [("platform", True), ("adopt", False), ("install", False)])
def test_a_bundle_source_is_for_crds_this_stack_installs_or_adopts(owner: str, refused: bool) -> None:
    config = edited(put("versions", {"gatewayApiCrds": owner}),
                    put("artifacts", {"gatewayApi": {"file": "/srv/mirror/standard-install.yaml"}}))
    assert issue_strings(config) == ([] if not refused else [
        "artifacts.gatewayApi: this stack leaves the Gateway API CRDs to the platform (fix: remove it)"])


def test_tcp_and_udp_share_a_port_number_on_their_own_transports() -> None:
    """UDP listeners are told apart from TCP-borne ones by transport: port 53 for both is two sockets, not a clash."""
    parse_config(edited(_on_gateway("listeners", {"name": "dns", "protocol": "UDP", "port": 5432})))
