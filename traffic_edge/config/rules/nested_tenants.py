"""Child tenants: a tenant names its `parent` and holds a suffix under the parent's; the names under the child's
suffix are the child's alone, so neither claims the other's (the admission policies judge the same by each
namespace's suffix label, traffic_edge.plan.admission)."""

from __future__ import annotations

from collections.abc import Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.queries import in_domain, namespace_owners, route_hostnames, suffix_owner
from traffic_edge.config.tenancy import Tenant


def ancestors(tenants: dict[str, Tenant], name: str) -> list[str]:
    """The tenant's parent, its parent's, and so on (stopping where the chain comes back round)."""
    found: list[str] = []
    parent = tenants[name].parent
    while parent is not None and parent in tenants and parent != name and parent not in found:
        found.append(parent)
        parent = tenants[parent].parent
    return found


def check_parent(config: StackConfig, name: str, tenant: Tenant) -> Iterator[Issue]:
    """A child names a tenant other than itself, outside any cycle, and holds a suffix strictly under its parent's."""
    if tenant.parent is None:
        return
    at = f"tenants.{name}.parent"
    parent = config.tenants.get(tenant.parent)
    if parent is None or tenant.parent == name:
        others = sorted(set(config.tenants) - {name})
        yield Issue(at, f"{tenant.parent} is {'the tenant itself' if parent else 'not a tenant'}",
                    f"name another tenant: one of {', '.join(others) or '(none defined)'}")
        return
    chain = ancestors(config.tenants, name)
    back = config.tenants[chain[-1]].parent
    if back in (name, *chain):
        yield Issue(at, f"the parents of {name} come back round ({' → '.join([name, *chain, str(back)])})",
                    "give the top tenant no parent")
    elif not tenant.hostname_suffix.endswith("." + parent.hostname_suffix):
        yield Issue(f"tenants.{name}.hostnameSuffix", f"{tenant.hostname_suffix} is not under the suffix "
                    f"{parent.hostname_suffix} of its parent {tenant.parent}",
                    f"use a name under {parent.hostname_suffix}, e.g. {name}.{parent.hostname_suffix}")


def check(config: StackConfig) -> Iterator[Issue]:
    """No tenant's route, listener or certificate names a hostname under a child tenant's suffix."""
    if not any(tenant.parent for tenant in config.tenants.values()):
        return
    owners = namespace_owners(config.tenants)
    suffixes = {tenant.hostname_suffix: name for name, tenant in config.tenants.items()}
    for r_index, route in enumerate(config.routes):
        for path, hostname in route_hostnames(route):
            yield from _claim(config, suffixes, owners.get(route.namespace), hostname, f"routes[{r_index}].{path}")
    for g_index, gateway in enumerate(config.gateways):
        owner = owners.get(gateway.namespace)
        for l_index, listener in enumerate(gateway.listeners):
            if listener.hostname is not None:
                yield from _claim(config, suffixes, owner, listener.hostname,
                                  f"gateways[{g_index}].listeners[{l_index}].hostname")
        for c_index, certificate in enumerate(gateway.certificates):
            for d_index, dns_name in enumerate(certificate.dns_names):
                yield from _claim(config, suffixes, owner, dns_name,
                                  f"gateways[{g_index}].certificates[{c_index}].dnsNames[{d_index}]")


def _claim(config: StackConfig, suffixes: dict[str, str], owner: str | None, hostname: str, at: str) -> Iterator[Issue]:
    """A name under the owner's suffix that lies under a child's instead (outside it, rules.tenants speaks)."""
    if owner is None or not in_domain(hostname, config.tenants[owner].hostname_suffix):
        return
    found = suffix_owner(suffixes, hostname)
    if found is not None and found[0] != owner:
        child, suffix = found
        yield Issue(at, f"{hostname} lies in the suffix {suffix} of tenant {child}, a child of tenant {owner}: its "
                    f"names are {child}'s alone", f"serve it from one of tenant {child}'s namespaces")
