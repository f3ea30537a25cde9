"""Gateways: unique names, listeners whose TLS settings fit their protocol, hostnames in the domain (listeners' ports
and hostnames: traffic_edge.config.rules.listeners)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from traffic_edge.config.errors import Issue
from traffic_edge.config.model import Gateway, Listener, StackConfig
from traffic_edge.config.queries import in_domain, redirects_to_https

LISTENER_TLS: dict[str, str] = {
    "HTTP": "none",
    "HTTPS": "certificate",
    "TLS": "mode",
    "TCP": "none",
    "UDP": "none",
}


def check(config: StackConfig) -> Iterator[Issue]:
    for name in duplicates(g.name for g in config.gateways):
        yield Issue("gateways", f"gateway name {name} is used twice", "give each gateway its own name")
    for g_index, gateway in enumerate(config.gateways):
        at = f"gateways[{g_index}]"
        for name in duplicates(listener.name for listener in gateway.listeners):
            yield Issue(f"{at}.listeners", f"listener name {name} is used twice", "give each listener its own name")
        for name in duplicates(certificate.name for certificate in gateway.certificates):
            yield Issue(f"{at}.certificates", f"certificate name {name} is used twice", "rename one")
        for c_index, certificate in enumerate(gateway.certificates):
            for d_index, dns_name in enumerate(certificate.dns_names):
                if not in_domain(dns_name, config.domain):
                    yield Issue(
                        f"{at}.certificates[{c_index}].dnsNames[{d_index}]",
                        f"{dns_name} is outside the domain {config.domain}",
                        f"use a name under {config.domain}",
                    )
        for l_index, listener in enumerate(gateway.listeners):
            yield from _listener(config, gateway, listener, f"{at}.listeners[{l_index}]")
            yield from _http_mode(gateway, listener, f"{at}.listeners[{l_index}]")


def _listener(config: StackConfig, gateway: Gateway, listener: Listener, at: str) -> Iterator[Issue]:
    certificates = {certificate.name for certificate in gateway.certificates}
    tls = LISTENER_TLS[listener.protocol]
    if listener.hostname is not None:
        if listener.protocol in ("TCP", "UDP"):
            yield Issue(f"{at}.hostname", f"{listener.protocol} listeners carry no hostname", "remove it")
        elif not in_domain(listener.hostname, config.domain):
            yield Issue(
                f"{at}.hostname",
                f"{listener.hostname} is outside the domain {config.domain}",
                f"use a name under {config.domain}",
            )
    needs_certificate = tls == "certificate" or (tls == "mode" and listener.tls_mode == "Terminate")
    if needs_certificate and listener.certificate is None and listener.certificate_arn is None:
        yield Issue(
            f"{at}.certificate",
            f"a {listener.protocol} listener that terminates TLS needs a certificate",
            f"name one of {at.rsplit('.', 1)[0]}.certificates",
        )
    if listener.certificate is not None and listener.certificate_arn is not None:
        yield Issue(
            f"{at}.certificateArn",
            "names an ACM certificate beside `certificate`: the load balancer serves the ACM one, the Secret would "
            "go unused",
            "keep one of certificate and certificateArn",
        )
    if listener.certificate is not None:
        if not needs_certificate:
            yield Issue(
                f"{at}.certificate",
                f"a {listener.protocol} listener{' in Passthrough mode' if tls == 'mode' else ''} takes no certificate",
                "remove it",
            )
        elif listener.certificate not in certificates:
            yield Issue(
                f"{at}.certificate",
                f"{listener.certificate} is not a certificate of gateway {gateway.name}",
                f"add it to certificates or use one of {', '.join(sorted(certificates)) or '(none defined)'}",
            )
    if tls == "mode" and listener.tls_mode is None:
        yield Issue(f"{at}.tlsMode", "a TLS listener needs a mode", "set tlsMode: Passthrough or Terminate")
    if tls != "mode" and listener.tls_mode is not None:
        yield Issue(f"{at}.tlsMode", f"only TLS listeners take a mode, not {listener.protocol}", "remove it")


def _http_mode(gateway: Gateway, listener: Listener, at: str) -> Iterator[Issue]:
    """Only HTTP listeners redirect or carry routes; a redirect needs an HTTPS listener to send clients to."""
    if listener.protocol != "HTTP":
        if listener.http_mode is not None:
            yield Issue(f"{at}.httpMode", f"only HTTP listeners take httpMode, not {listener.protocol}", "remove it")
        return
    if redirects_to_https(gateway, listener) and not any(item.protocol == "HTTPS" for item in gateway.listeners):
        default = "" if listener.http_mode else " (the default beside a TLS-terminating listener)"
        yield Issue(
            f"{at}.httpMode",
            f"{listener.name} redirects to HTTPS{default}, and gateway {gateway.name} has no HTTPS listener to "
            "redirect to",
            "set httpMode: routes to serve routes there in clear text, or add an HTTPS listener",
        )


def duplicates(values: Iterable[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)
