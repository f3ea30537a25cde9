"""DNS: published names resolve to their gateway, the zone answers for ACME's DNS-01, external-dns owns its records.

Through a resolver the user chooses (`--resolver`), else the system's. external-dns writes an ownership TXT record
per name (registry txt, kubernetes-sigs/external-dns @ v0.22.0 : registry/mapper/mapper.go `ToTXTName`): with a
`%{record_type}` prefix, `<prefix with the type>` + name; else the type joins the first label.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import dns.exception
import dns.resolver

from traffic_edge.doctor.expected import Expected
from traffic_edge.doctor.findings import EDGE, Finding, ok
from traffic_edge.doctor.live import Cluster
from traffic_edge.plan.routes import EXTERNAL_DNS_HOSTNAME

Lookup = Callable[[str, str], list[str] | None]  # (name, record type) → answers; None: no answer (NXDOMAIN)


class NoAnswerError(Exception):
    """The resolver gave no answer at all (timeout, SERVFAIL): the zone does not answer."""


def resolver_lookup(nameserver: str | None) -> Lookup:
    resolver = dns.resolver.Resolver(configure=nameserver is None)
    if nameserver is not None:
        resolver.nameservers = [nameserver]
    resolver.lifetime = 5.0

    def lookup(name: str, record_type: str) -> list[str] | None:
        try:
            return [answer.to_text().strip('"') for answer in resolver.resolve(name, record_type)]
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        except dns.exception.DNSException as error:
            raise NoAnswerError(str(error)) from None

    return lookup


def txt_name(prefix: str, record_type: str, name: str) -> str:
    if "%{record_type}" in prefix:
        return prefix.replace("%{record_type}", record_type.lower()) + name
    first, _, rest = name.partition(".")
    return f"{prefix}{record_type.lower()}-{first}.{rest}" if rest else f"{prefix}{record_type.lower()}-{first}"


def published(expected: Expected) -> list[tuple[str, str]]:
    """(hostname, `namespace/gateway`) of every concrete name external-dns publishes for the stack."""
    found = []
    for route in expected.plan.routes.routes.values():
        names = list(route.spec.get("hostnames") or [])
        annotation = (route.metadata.get("annotations") or {}).get(EXTERNAL_DNS_HOSTNAME)
        names += [annotation] if annotation else []
        for parent in route.spec.get("parentRefs", [])[:1]:
            group = f"{parent.get('namespace') or route.namespace}/{parent.get('name')}"
            found += [(str(name), group) for name in names if not str(name).startswith("*.")]
    return sorted(set(found))


def _addresses(cluster: Cluster, group: str) -> set[str]:
    namespace, name = group.split("/", 1)
    live = cluster.get("gateway.networking.k8s.io/v1", "Gateway", name, namespace) or {}
    return {str(item.get("value")) for item in (live.get("status") or {}).get("addresses") or []}


def check_dns(expected: Expected, cluster: Cluster, lookup: Lookup) -> Iterator[Finding]:
    settings = expected.plan.external_dns
    for hostname, group in published(expected):
        yield from _check_name(hostname, group, _addresses(cluster, group), lookup, settings.txt_prefix
                               if settings else None, settings.txt_owner_id if settings else None)
    acme = expected.config.issuers.acme
    if acme is not None and acme.solver == "dns01":
        name = f"_acme-challenge.{expected.config.domain}"
        try:
            lookup(name, "TXT")
            yield ok(EDGE, f"zone {expected.config.zone_name}", f"answers for {name}")
        except NoAnswerError as error:
            yield Finding("error", EDGE, f"zone {expected.config.zone_name}", f"no answer for {name}: {error}",
                          "DNS-01 needs the zone to answer: delegate the domain to the dnsZone output's name servers")


def _check_name(
    hostname: str, group: str, addresses: set[str], lookup: Lookup, prefix: str | None, owner: str | None
) -> Iterator[Finding]:
    obj = f"name {hostname}"
    try:
        answers = {*(lookup(hostname, "A") or []), *(lookup(hostname, "AAAA") or [])}
    except NoAnswerError as error:
        yield Finding("error", group, obj, f"no answer: {error}", "check the resolver and the zone's delegation")
        return
    if not answers:
        yield Finding("error", group, obj, "does not resolve",
                      "external-dns has not published it: check its logs and its identity's grants on the zone")
        return
    if addresses and not answers & addresses:
        yield Finding("error", group, obj, f"resolves to {', '.join(sorted(answers))}, not the gateway's "
                      f"{', '.join(sorted(addresses))}", "another record owns the name: see its TXT owner")
        return
    yield ok(group, obj, f"resolves to {', '.join(sorted(answers))}")
    if prefix is None or owner is None:
        return
    records = _ownership(hostname, prefix, lookup)
    if not any(f"external-dns/owner={owner}" in record for record in records):
        yield Finding("error", group, obj, f"no ownership record with owner {owner}",
                      "external-dns will not update or delete the name: another owner ID wrote it, or the TXT "
                      "prefix changed since")


def _ownership(hostname: str, prefix: str, lookup: Lookup) -> Sequence[str]:
    for record_type in ("A", "CNAME", "AAAA"):
        try:
            found = lookup(txt_name(prefix, record_type, hostname), "TXT")
        except NoAnswerError:
            found = None
        if found:
            return found
    return []
