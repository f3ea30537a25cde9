"""Names the program derives are unique: two inputs that would derive one Kubernetes object or one Pulumi resource
are refused, naming both key paths (traffic_edge.config.names says why refusing beats renaming)."""

from __future__ import annotations

from collections.abc import Iterator

from traffic_edge.config.acme import (
    account_key_secret,
    acme_settings,
    ca_settings,
    dns01_solvers,
    tenant_acme_issuers,
    tenant_issuer_source,
)
from traffic_edge.config.errors import Issue
from traffic_edge.config.model import StackConfig
from traffic_edge.config.names import (
    TSIG_SECRET,
    certificate_grant_name,
    certificate_grant_resource,
    certificate_name,
    certificate_secret,
    redirect_name,
)
from traffic_edge.config.queries import namespace_owners, redirects_to_https
from traffic_edge.data.workloads import CERT_MANAGER

# (what, namespace or "" for a Pulumi resource under a gateway's component, name)
Identity = tuple[str, str, str]
# Where a name comes from: a gateway's name, or "" for the routes. Two names of one origin collide only where the
# origin repeats a name, which the gateway and route rules report already.
Source = tuple[str, str]  # (origin, key path)


def derived(config: StackConfig) -> Iterator[tuple[Identity, Source]]:
    """Every derived name with where it comes from; the user's own routes hold names too."""
    for g_index, gateway in enumerate(config.gateways):
        at = f"gateways[{g_index}]"
        origin = gateway.name
        for c_index, certificate in enumerate(gateway.certificates):
            path = f"{at}.certificates[{c_index}]"
            namespace = certificate.namespace or gateway.namespace
            name = certificate_name(gateway.name, certificate.name)
            yield ("Certificate", namespace, name), (origin, f"{path}.name")
            if certificate.secret_name is None:
                secret = certificate_secret(gateway.name, certificate.name)
                yield ("Secret", namespace, secret), (origin, f"{path}.name")
            else:  # a name of its own: it may repeat another of the same gateway
                yield ("Secret", namespace, certificate.secret_name), (f"{path}.secretName", f"{path}.secretName")
            yield ("Pulumi resource of Certificate", "", f"gateway-{name}"), (origin, f"{path}.name")
            if namespace != gateway.namespace:
                grant = certificate_grant_name(gateway.name, gateway.namespace)
                yield ("ReferenceGrant", namespace, grant), (origin, f"{path}.namespace")
                resource = f"gateway-{gateway.name}-{certificate_grant_resource(namespace)}"
                yield ("Pulumi resource of ReferenceGrant", "", resource), (origin, f"{path}.namespace")
        for l_index, listener in enumerate(gateway.listeners):
            if redirects_to_https(gateway, listener):
                name = redirect_name(gateway.name, listener.name)
                path = f"{at}.listeners[{l_index}].name"
                yield ("HTTPRoute", gateway.namespace, name), (origin, path)
                yield ("Pulumi resource of HTTPRoute", "", f"gateway-{name}"), (origin, path)
    for index, route in enumerate(config.routes):
        yield (route.kind, route.namespace, route.name), ("", f"routes[{index}].name")
    yield from issuer_secrets(config)


def issuer_secrets(config: StackConfig) -> Iterator[tuple[Identity, Source]]:
    """The Secrets beside the ClusterIssuers, in cert-manager's namespace: each ACME account key, the CA's key pair,
    and the TSIG key of an on-prem DNS-01 solver; each issuer is an origin of its own."""
    namespace = CERT_MANAGER.namespace
    solver = next(dns01_solvers(config), None)
    if solver is not None and config.dns.rfc2136 is not None:  # first: a name the user picks is the one to change
        yield ("Secret", namespace, TSIG_SECRET), ("dns.rfc2136", f"{solver.key('type')} (the TSIG key of dns.rfc2136)")
    for issuer in acme_settings(config):
        path = issuer.path if issuer.path == "issuers.acme" else f"{issuer.path}.accountKeySecret"
        yield ("Secret", namespace, issuer.account_key_secret), (issuer.name, path)
    ca = config.issuers.internal_ca
    if ca is not None:
        yield ("Secret", namespace, ca.secret_name), ("issuers.internalCa", "issuers.internalCa.secretName")
    owners = namespace_owners(config.tenants)
    for g_index, gateway in enumerate(config.gateways):
        if gateway.namespace not in owners:
            continue
        sources = {tenant_issuer_source(config, item.issuer) for item in gateway.certificates}
        names = [account_key_secret(name) for name in tenant_acme_issuers(config)] if "acme" in sources else []
        names += [ca_settings(config).secret_name] if "ca" in sources else []
        path = f"gateways[{g_index}].certificates (tenant {owners[gateway.namespace]}'s Issuers)"
        for name in names:
            yield ("Secret", gateway.namespace, name), (f"tenant issuer {name}", path)


def check(config: StackConfig) -> Iterator[Issue]:
    first: dict[Identity, Source] = {}
    reported: set[tuple[str, str]] = set()
    for identity, (origin, path) in derived(config):
        other_origin, other = first.setdefault(identity, (origin, path))
        if other_origin == origin or (path, other) in reported:
            continue
        reported.add((path, other))
        what, namespace, name = identity
        where = f" in namespace {namespace}" if namespace else ""
        yield Issue(path, f"derives the {what} {name}{where}, as {other} does", "rename one of them")
