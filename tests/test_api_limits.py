"""The limits and shapes the config checks (traffic_edge.data.api_limits) are the CRDs' own, at every release the
program installs that ../shared/refdata holds, for the apiVersion the program writes."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import parse_config
from tests.edits import edited, issues_of, put
from tests.test_bad_config import BASE
from traffic_edge.conformance.refdata import REFDATA, require_refdata
from traffic_edge.data import api_limits
from traffic_edge.data.api_limits import LIST_LIMITS
from traffic_edge.data.versions import GATEWAY_API_VERSION, ROUTE_API_VERSIONS

PINS = [(release, channel) for release, channel in ROUTE_API_VERSIONS if (REFDATA / "gateway-api" / release).is_dir()]
ROWS = [(release, channel, row) for release, channel in PINS for row in LIST_LIMITS[release].values()
        if row.kind in ROUTE_API_VERSIONS[(release, channel)]]


@cache
def crd_schema(release: str, channel: str, kind: str) -> dict[str, Any]:
    """The openAPIV3Schema of `kind` at the apiVersion the program writes for this release and channel."""
    path = REFDATA / "gateway-api" / release / channel / f"gateway.networking.k8s.io_{kind.lower()}s.yaml"
    document = yaml.safe_load(Path(path).read_text())
    written = ROUTE_API_VERSIONS[(release, channel)][kind]
    [version] = [item for item in document["spec"]["versions"] if item["name"] == written]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def at(schema: dict[str, Any], path: str) -> dict[str, Any]:
    """`spec.rules[].matches` → that node of the schema."""
    node = schema
    for part in path.split("."):
        node = node["properties"][part.removesuffix("[]")]
        if part.endswith("[]"):
            node = node["items"]
    return node


@pytest.mark.parametrize(("release", "channel", "row"), ROWS,
                         ids=[f"{release}-{channel}-{row.kind}-{row.path}" for release, channel, row in ROWS])
def test_each_list_limit_is_the_crds(release: str, channel: str, row: api_limits.ListLimit) -> None:
    require_refdata()
    assert at(crd_schema(release, channel, row.kind), row.path)["maxItems"] == row.max_items


def rules_at(node: dict[str, Any]) -> list[str]:
    return [str(item["rule"]) for item in node.get("x-kubernetes-validations", [])]


@pytest.mark.parametrize(("release", "channel"), PINS)
def test_header_and_path_shapes_are_the_crds(release: str, channel: str) -> None:
    require_refdata()
    match = at(crd_schema(release, channel, "HTTPRoute"), "spec.rules[].matches[]")
    header = at(match, "headers[]")
    assert header["properties"]["name"]["pattern"].replace("\\x60", "`") == api_limits.HEADER_NAME
    assert header["properties"]["name"]["maxLength"] == api_limits.HEADER_NAME_MAX
    assert (header["properties"]["value"]["minLength"], header["properties"]["value"]["maxLength"]) == (
        1, api_limits.HEADER_VALUE_MAX)
    assert at(match, "headers")["x-kubernetes-list-map-keys"] == ["name"]
    path = at(match, "path")
    assert path["properties"]["value"]["maxLength"] == api_limits.PATH_MAX
    rules = " ".join(rules_at(path))
    for forbidden in api_limits.PATH_FORBIDDEN:
        assert f"!self.value.contains('{forbidden}')" in rules
    for ending in api_limits.PATH_FORBIDDEN_ENDINGS:
        assert f"!self.value.endsWith('{ending}')" in rules
    assert f'matches(r"""{api_limits.PATH_CHARACTERS}""")' in rules
    rewrite = at(crd_schema(release, channel, "HTTPRoute"), "spec.rules[].filters[].urlRewrite.path.replacePrefixMatch")
    assert rewrite["maxLength"] == api_limits.REWRITE_MAX


@pytest.mark.parametrize(("release", "channel"), PINS)
def test_grpc_names_and_match_totals_are_the_crds(release: str, channel: str) -> None:
    require_refdata()
    schema = crd_schema(release, channel, "GRPCRoute")
    method = at(schema, "spec.rules[].matches[].method")
    rules = " ".join(rules_at(method))
    assert api_limits.GRPC_SERVICE in rules
    assert api_limits.GRPC_METHOD in rules
    assert method["properties"]["service"]["maxLength"] == api_limits.GRPC_NAME_MAX
    assert method["properties"]["method"]["maxLength"] == api_limits.GRPC_NAME_MAX
    for kind in ("HTTPRoute", "GRPCRoute"):
        rules_of_rules = rules_at(at(crd_schema(release, channel, kind), "spec.rules"))
        [total] = [rule for rule in rules_of_rules if ".matches.size()" in rule]
        assert re.search(rf"<= {api_limits.MATCHES_PER_ROUTE}$", total.strip()), total


def test_every_release_the_program_installs_has_limits() -> None:
    assert {release for release, _ in ROUTE_API_VERSIONS} == set(LIST_LIMITS)


# -------------------------------------------------------------------------------- the limits as the rules apply them

BACKENDS = [{"service": "web", "port": 8080}]


def _rule(index: int, matches: int) -> dict[str, Any]:
    return {"backends": BACKENDS, **({"matches": [{"path": f"/r{index}/p{n}"} for n in range(matches)]} if matches
                                      else {})}


@pytest.mark.parametrize(("matches", "total"), [
    ([64, 64], None),  # at the limit
    ([64, 64, 0], 129),  # a rule without matches counts: the API server fills in one
], ids=["at-limit", "empty-rule-counts"])
def test_matches_count_across_a_route_as_the_api_server_counts_them(matches: list[int], total: int | None) -> None:
    edit = put("routes[0].rules", [_rule(index, count) for index, count in enumerate(matches)])
    if total is None:
        parse_config(edited(BASE, edit))
        return
    assert [str(issue) for issue in issues_of(BASE, edit)] == [
        f"routes[0].rules: {total} matches in all, and a HTTPRoute takes at most {api_limits.MATCHES_PER_ROUTE} "
        "(fix: split the route in two)"]


@pytest.mark.parametrize(("duration", "refused"), [("1h", False), ("2562047h", False), ("0h", True),
                                                   ("2562048h", True)])
def test_the_ca_lives_as_long_as_cert_manager_and_a_go_duration_allow(duration: str, refused: bool) -> None:
    """cert-manager @ v1.21.1 refuses under one hour; Go's time.ParseDuration holds at most 2562047h."""
    edit = put("issuers.internalCa", {"duration": duration})
    if not refused:
        parse_config(edited(BASE, edit))
        return
    assert [str(issue) for issue in issues_of(BASE, edit)] == [
        f"issuers.internalCa.duration: {duration} is outside what cert-manager takes (1h to 2562047h) (fix: use e.g. "
        "87600h (ten years))"]


@pytest.mark.parametrize("over", [False, True], ids=["at-limit", "over"])
def test_header_matches_and_the_rewrite_stay_within_the_crds_limits(over: bool) -> None:
    headers = LIST_LIMITS[GATEWAY_API_VERSION][("HTTPRoute", "spec.rules[].matches[].headers")].max_items + over
    longest = {"name": "x" * api_limits.HEADER_NAME_MAX, "value": "v" * api_limits.HEADER_VALUE_MAX}
    match = {"path": "/api", "headers": [*({"name": f"x-h{n}", "value": "1"} for n in range(headers - 1)), longest]}
    edits = (put("routes[0].rules[0].matches", [match]),
             put("routes[0].rules[0].rewritePrefix", "/" + "r" * (api_limits.REWRITE_MAX - 1 + over)))
    if not over:
        parse_config(edited(BASE, *edits))
        return
    assert [str(issue) for issue in issues_of(BASE, *edits)] == [
        f"routes[0].rules[0].matches[0].headers: {headers} items, and a HTTPRoute takes at most {headers - 1} in "
        "spec.rules[].matches[].headers (fix: match on fewer headers)",
        f"routes[0].rules[0].rewritePrefix: is longer than {api_limits.REWRITE_MAX} characters"]


@pytest.mark.parametrize("over", [False, True], ids=["at-limit", "over"])
def test_a_path_stays_within_the_crds_length(over: bool) -> None:
    edit = put("routes[0].rules[0].matches[0].path", "/" + "p" * (api_limits.PATH_MAX - 1 + over))
    if not over:
        parse_config(edited(BASE, edit))
        return
    assert [str(issue) for issue in issues_of(BASE, edit)] == [
        f"routes[0].rules[0].matches[0].path: is longer than {api_limits.PATH_MAX} characters"]


@pytest.mark.parametrize("over", [False, True], ids=["at-limit", "over"])
def test_a_grpc_service_name_stays_within_the_crds_length(over: bool) -> None:
    service = "a" * (api_limits.GRPC_NAME_MAX + over)
    grpc = {"name": "api", "kind": "GRPCRoute", "namespace": "apps", "gateway": "edge", "listener": "https",
            "hostnames": ["grpc.example.test"],
            "rules": [{"matches": [{"service": service}], "backends": [{"service": "api", "port": 8080}]}]}
    edit = put("routes", [*BASE["routes"], grpc])
    if not over:
        parse_config(edited(BASE, edit))
        return
    assert [str(issue).split(" is not")[0] for issue in issues_of(BASE, edit)] == [
        f"routes[2].rules[0].matches[0].service: '{service}'"]
