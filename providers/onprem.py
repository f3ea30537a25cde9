"""On-prem: no cloud account; DNS through RFC 2136 with a TSIG key, or no managed DNS at all."""

from __future__ import annotations

import pulumi

from providers.base import Dns01Solver, DnsZone, ExternalDnsProvider, Platform, SecretSpec, WorkloadIdentity

TSIG_SECRET_NAME = "rfc2136-tsig"
TSIG_SECRET_KEY = "tsig-secret-key"


class OnPrem(Platform):
    def provision(self, opts: pulumi.ResourceOptions | None = None) -> None:
        """Nothing to create outside the cluster: the DNS server and its TSIG key already exist."""

    def dns_zone(self) -> DnsZone | None:
        return DnsZone(name=self.config.zone_name) if self.config.dns.rfc2136 else None

    def workload_identity(self, workload: str) -> WorkloadIdentity:
        return WorkloadIdentity()

    def _tsig_secret(self) -> SecretSpec:
        assert self.config.tsig_secret is not None  # stackconfig.checks requires it with rfc2136
        value = pulumi.Config().require_secret(self.config.tsig_secret.key)
        return SecretSpec(name=TSIG_SECRET_NAME, key=TSIG_SECRET_KEY, value=value)

    def dns01_solver(self) -> Dns01Solver | None:
        rfc2136 = self.config.dns.rfc2136
        if rfc2136 is None:
            return None
        solver = {
            "rfc2136": {
                "nameserver": rfc2136.nameserver,
                "tsigKeyName": rfc2136.tsig_key_name,
                "tsigAlgorithm": rfc2136.tsig_algorithm,
                "tsigSecretSecretRef": {"name": TSIG_SECRET_NAME, "key": TSIG_SECRET_KEY},
            }
        }
        return Dns01Solver(solver=solver, secrets=[self._tsig_secret()])

    def external_dns_provider(self) -> ExternalDnsProvider | None:
        rfc2136 = self.config.dns.rfc2136
        if rfc2136 is None:
            return None
        host, _, port = rfc2136.nameserver.partition(":")
        values = {
            "provider": {"name": "rfc2136"},
            "extraArgs": [
                f"--rfc2136-host={host}",
                f"--rfc2136-port={port or 53}",
                f"--rfc2136-zone={self.config.zone_name}",
                f"--rfc2136-tsig-keyname={rfc2136.tsig_key_name}",
                f"--rfc2136-tsig-secret-alg={rfc2136.tsig_algorithm.lower().replace('hmac', 'hmac-')}",
                "--rfc2136-tsig-axfr",
            ],
            "env": [
                {
                    "name": "EXTERNAL_DNS_RFC2136_TSIG_SECRET",
                    "valueFrom": {"secretKeyRef": {"name": TSIG_SECRET_NAME, "key": TSIG_SECRET_KEY}},
                }
            ],
        }
        return ExternalDnsProvider(values=values, secrets=[self._tsig_secret()])
