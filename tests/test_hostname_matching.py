"""Hostname matching as the Gateway API defines it, on every branch: which routes a listener takes, and what lies in
the domain.

A route attaches to a listener when their hostnames intersect (Gateway API v1.6.1, apis/v1/httproute_types.go,
HTTPRouteSpec.Hostnames): an exact name matches only itself; a leading `*.` label stands for one or more labels, so
`*.example.com` takes `a.example.com` and `a.b.example.com` but neither `example.com` nor `badexample.com`. Every
rule that asks "may this route land on that listener" (conflicts, tenant names, attachments) asks
traffic_edge.config.queries.hostnames_intersect; "is this name ours" asks in_domain.
"""

from __future__ import annotations

import pytest

from traffic_edge.config.queries import hostnames_intersect, in_domain


@pytest.mark.parametrize(("listener", "route", "intersect"), [
    # exact listener, exact route
    ("a.example.com", "a.example.com", True),
    ("a.example.com", "b.example.com", False),  # same parent, another name
    ("a.example.com", "xa.example.com", False),  # ends with the listener's text
    # exact listener, wildcard route
    ("a.example.com", "*.example.com", True),
    ("a.b.example.com", "*.example.com", True),  # the wildcard spans labels
    ("example.com", "*.example.com", False),  # the wildcard needs at least one label
    ("badexample.com", "*.example.com", False),  # a suffix look-alike
    ("a.example.org", "*.example.com", False),
    # wildcard listener, exact route
    ("*.example.com", "a.example.com", True),
    ("*.example.com", "a.b.example.com", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "badexample.com", False),
    ("*.example.com", "a.example.org", False),
    # wildcard listener, wildcard route: one contains the other
    ("*.example.com", "*.example.com", True),
    ("*.example.com", "*.a.example.com", True),  # the route's names are a subset of the listener's
    ("*.a.example.com", "*.example.com", True),  # the listener's names are a subset of the route's
    ("*.example.com", "*.badexample.com", False),
    ("*.badexample.com", "*.example.com", False),
    ("*.example.com", "*.example.org", False),
    # a listener without hostname takes every name
    (None, "a.example.com", True),
    (None, "*.example.com", True),
], ids=str)
def test_a_route_lands_only_on_listeners_whose_hostnames_it_shares(
    listener: str | None, route: str, intersect: bool
) -> None:
    assert hostnames_intersect(listener, route) is intersect


@pytest.mark.parametrize(("hostname", "inside"), [
    ("example.com", True),  # the apex
    ("a.example.com", True),
    ("a.b.example.com", True),
    ("*.example.com", True),
    ("*.a.example.com", True),
    ("badexample.com", False),  # a suffix look-alike
    ("*.badexample.com", False),
    ("example.com.evil.org", False),  # the domain as a label of another
    ("*xexample.com", False),  # a `*` not followed by `.` is no wildcard label (an object the policy pack reads)
    ("*.com", False),  # wider than the domain
    ("example.org", False),
], ids=str)
def test_a_name_is_in_the_domain_only_at_or_below_it(hostname: str, inside: bool) -> None:
    assert in_domain(hostname, "example.com") is inside
