"""The names the program derives from config for the objects it creates, in one place: the plan names objects with
them, and traffic_edge.config.rules.names refuses two inputs that would derive one name.

They join config names with `-`, which config names contain too, so they are not injective by themselves (gateway
`a` with certificate `b-c` and gateway `a-b` with certificate `c` both give `a-b-c`). Renaming them would replace
the objects of every existing stack; refusing the rare collision costs nothing.
"""

from __future__ import annotations

# The Secret holding the TSIG key of an RFC 2136 server, beside each consumer: cert-manager's issuers, external-dns.
TSIG_SECRET = "rfc2136-tsig"


def certificate_name(gateway: str, certificate: str) -> str:
    """The cert-manager Certificate of a gateway's certificate; its Pulumi resource is `<gateway component>-<it>`."""
    return f"{gateway}-{certificate}"


def certificate_secret(gateway: str, certificate: str) -> str:
    """The Secret cert-manager writes the certificate and its private key to."""
    return f"{gateway}-{certificate}-tls"


def redirect_name(gateway: str, listener: str) -> str:
    """The HTTPRoute answering an HTTP listener with a redirect to HTTPS, in the gateway's namespace."""
    return f"{gateway}-{listener}-redirect"


def certificate_grant_name(gateway: str, gateway_namespace: str) -> str:
    """The ReferenceGrant letting a gateway read its certificates' Secrets in another namespace."""
    return f"gateway-{gateway}-from-{gateway_namespace}"


def certificate_grant_resource(namespace: str) -> str:
    """That grant's Pulumi resource, `<gateway component>-<it>`, one per namespace holding certificates."""
    return f"grant-{namespace}"
