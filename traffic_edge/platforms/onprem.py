"""On-prem: no cloud account; DNS through RFC 2136 with a TSIG key, or no managed DNS at all."""

from __future__ import annotations

import pulumi

from traffic_edge.config.names import TSIG_SECRET
from traffic_edge.plan.contracts import Dns01Solver, DnsZone, ExternalDnsProvider, SecretSpec
from traffic_edge.platforms.base import Platform, Provisioned

TSIG_SECRET_KEY = "tsig-secret-key"


class OnPrem(Platform):
    def provision(self, name: str, opts: pulumi.ResourceOptions) -> Provisioned:
        """Nothing to create outside the cluster: the DNS server and its TSIG key already exist."""
        rfc2136 = self.args.dns.rfc2136
        if rfc2136 is None:
            return Provisioned(zone=None)
        assert self.args.tsig_secret is not None  # the dns rules require it with rfc2136
        tsig = SecretSpec(name=TSIG_SECRET, key=TSIG_SECRET_KEY, value=self.args.tsig_secret)
        solver = {
            "rfc2136": {
                "nameserver": rfc2136.nameserver,
                "tsigKeyName": rfc2136.tsig_key_name,
                "tsigAlgorithm": rfc2136.tsig_algorithm,
                "tsigSecretSecretRef": {"name": TSIG_SECRET, "key": TSIG_SECRET_KEY},
            }
        }
        host, port = rfc2136.host, rfc2136.port  # an IPv6 address unbracketed: external-dns joins host and port
        values = {
            "provider": {"name": "rfc2136"},
            "extraArgs": [
                f"--rfc2136-host={host}",
                f"--rfc2136-port={port}",
                f"--rfc2136-zone={self.args.zone_name}",
                f"--rfc2136-tsig-keyname={rfc2136.tsig_key_name}",
                f"--rfc2136-tsig-secret-alg={rfc2136.tsig_algorithm.lower().replace('hmac', 'hmac-')}",
                "--rfc2136-tsig-axfr",
            ],
            "env": [
                {
                    "name": "EXTERNAL_DNS_RFC2136_TSIG_SECRET",
                    "valueFrom": {"secretKeyRef": {"name": TSIG_SECRET, "key": TSIG_SECRET_KEY}},
                }
            ],
        }
        return Provisioned(
            zone=DnsZone(name=self.args.zone_name),
            dns01=Dns01Solver(solver=solver, secrets=[tsig]),
            external_dns=ExternalDnsProvider(values=values, secrets=[tsig]),
        )
