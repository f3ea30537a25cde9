"""Validation the API server writes in Go for the built-in kinds the program creates, which no OpenAPI schema holds.

Found by the e2e's differential phase (a real kube-apiserver v1.37.2 judging broken manifests): NetworkPolicy
(kubernetes @ v1.37.2 : pkg/apis/networking/validation/validation.go `ValidateNetworkPolicySpec`), Namespace
finalizers (pkg/apis/core/validation/validation.go `validateFinalizerName`), Secret data (JSON base64 into bytes,
keys by `IsConfigMapKey`), and the admission-policy kinds (pkg/apis/admissionregistration/validation/
validation.go): their enums, and expressions that must compile with the names Kubernetes' CEL environment has
(the API server also type-checks them, which e2e/gaps.py records as a gap).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Iterator

from celpy.celparser import CELParseError

from traffic_edge.conformance import cel
from traffic_edge.conformance.admission import VARIABLES
from traffic_edge.conformance.field import ErrorType, FieldError, Json, child, index, show
from traffic_edge.conformance.meta import qualified_name

Manifest = dict[str, Json]
_PORT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})


def _not_supported(path: str, value: Json, supported: tuple[str, ...]) -> FieldError:
    shown = ", ".join(f'"{item}"' for item in supported)
    return FieldError(path, ErrorType.NOT_SUPPORTED, f"{show(value)}: supported values: {shown}")


def _port(value: Json, path: str) -> Iterator[FieldError]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        if not 1 <= value <= 65535:
            yield FieldError(path, ErrorType.INVALID, f"{show(value)}: must be between 1 and 65535, inclusive")
    elif not (len(value) <= 15 and _PORT_NAME.match(value) and "--" not in value and re.search("[a-z]", value)):
        yield FieldError(path, ErrorType.INVALID, f"{show(value)}: must be an IANA_SVC_NAME")


def _cidr(value: Json, path: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | FieldError:
    try:
        network = ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return FieldError(path, ErrorType.INVALID, f"{show(value)}: must be a valid CIDR value, (e.g. 10.9.8.0/24 or "
                                                   "2001:db8::/64)")
    if network.network_address != ipaddress.ip_interface(str(value)).ip:
        return FieldError(path, ErrorType.INVALID, f"{show(value)}: must not have bits set beyond the prefix length")
    return network


def _peer_errors(peer: Json, path: str) -> Iterator[FieldError]:
    block = peer.get("ipBlock") if isinstance(peer, dict) else None
    if not isinstance(block, dict):
        return
    network = _cidr(block.get("cidr"), child(child(path, "ipBlock"), "cidr"))
    if isinstance(network, FieldError):
        yield network
        return
    for i, text in enumerate(block.get("except") or []):
        where = index(child(child(path, "ipBlock"), "except"), i)
        excepted = _cidr(text, where)
        if isinstance(excepted, FieldError):
            yield excepted
        elif excepted.version != network.version or not excepted.subnet_of(network) or excepted == network:  # type: ignore[arg-type]
            yield FieldError(where, ErrorType.INVALID, f"{show(text)}: must be a strict subset of `cidr`")


def _rule_errors(rules: Json, path: str, peers: str) -> Iterator[FieldError]:
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        where = index(path, i)
        for j, port in enumerate((rule or {}).get("ports") or []):
            at = index(child(where, "ports"), j)
            protocol = port.get("protocol")
            if protocol is not None and protocol not in ("TCP", "UDP", "SCTP"):
                yield _not_supported(child(at, "protocol"), protocol, ("TCP", "UDP", "SCTP"))
            yield from _port(port.get("port"), child(at, "port"))
            end = port.get("endPort")
            if end is not None:
                if not isinstance(port.get("port"), int):
                    yield FieldError(child(at, "endPort"), ErrorType.REQUIRED, "may not be specified when `port` "
                                     "is non-numeric")
                elif end < port["port"]:
                    yield FieldError(child(at, "endPort"), ErrorType.INVALID, f"{show(end)}: must be greater than "
                                     "or equal to `port`")
        for j, peer in enumerate((rule or {}).get(peers) or []):
            yield from _peer_errors(peer, index(child(where, peers), j))


def network_policy(manifest: Manifest) -> Iterator[FieldError]:
    spec = manifest.get("spec") or {}
    yield from _rule_errors(spec.get("ingress"), "spec.ingress", "from")
    yield from _rule_errors(spec.get("egress"), "spec.egress", "to")
    types = spec.get("policyTypes") or []
    for i, kind in enumerate(types):
        if kind not in ("Ingress", "Egress"):
            yield _not_supported(index("spec.policyTypes", i), kind, ("Ingress", "Egress"))
    if len(types) > 2:
        yield FieldError("spec.policyTypes", ErrorType.INVALID, f"{show(types)}: may not specify more than two "
                         "policyTypes")


def namespace(manifest: Manifest) -> Iterator[FieldError]:
    for i, name in enumerate((manifest.get("spec") or {}).get("finalizers") or []):
        path = index("spec.finalizers", i)
        for message in qualified_name(str(name)):
            yield FieldError(path, ErrorType.INVALID, f"{show(name)}: {message}")
        if "/" not in str(name) and str(name) not in STANDARD_FINALIZERS:
            yield FieldError(path, ErrorType.INVALID, f"{show(name)}: name is neither a standard finalizer name nor "
                             "is it fully qualified")


def secret(manifest: Manifest) -> Iterator[FieldError]:
    for field in ("data", "stringData"):
        for name, value in (manifest.get(field) or {}).items():
            if len(name) > 253 or not _CONFIG_KEY.match(name):
                yield FieldError(f"{field}[{name}]", ErrorType.INVALID, f"{show(name)}: a valid config key must "
                                 "consist of alphanumeric characters, '-', '_' or '.'")
            if field == "data":
                try:
                    base64.b64decode(str(value), validate=True)
                except (binascii.Error, ValueError):
                    yield FieldError(f"{field}[{name}]", ErrorType.INVALID, "illegal base64 data")


ENUMS = {
    "ValidatingAdmissionPolicy": (("spec.failurePolicy", ("Fail", "Ignore")),
                                  ("spec.matchConstraints.matchPolicy", ("Exact", "Equivalent"))),
    "ValidatingAdmissionPolicyBinding": (("spec.paramRef.parameterNotFoundAction", ("Allow", "Deny")),),
}
REASONS = ("Unauthorized", "Forbidden", "Invalid", "RequestEntityTooLarge")
ACTIONS = ("Deny", "Warn", "Audit")


def _at(manifest: Manifest, path: str) -> Json:
    value: Json = manifest
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def admission_policy(manifest: Manifest) -> Iterator[FieldError]:
    for path, supported in ENUMS.get(manifest["kind"], ()):
        value = _at(manifest, path)
        if value is not None and value not in supported:
            yield _not_supported(path, value, supported)
    spec = manifest.get("spec") or {}
    if manifest["kind"] == "ValidatingAdmissionPolicyBinding":
        for i, action in enumerate(spec.get("validationActions") or []):
            if action not in ACTIONS:
                yield _not_supported(index("spec.validationActions", i), action, ACTIONS)
        ref = spec.get("paramRef") or {}
        if ref.get("name") and ref.get("selector") is not None:
            yield FieldError("spec.paramRef.name", ErrorType.FORBIDDEN, "name and selector are mutually exclusive")
        return
    for i, validation in enumerate(spec.get("validations") or []):
        where = index("spec.validations", i)
        if validation.get("reason") is not None and validation["reason"] not in REASONS:
            yield _not_supported(child(where, "reason"), validation["reason"], REASONS)
        for name in ("expression", "messageExpression"):
            if isinstance(validation.get(name), str):
                yield from _parses(validation[name], child(where, name))


def _parses(expression: str, path: str) -> Iterator[FieldError]:
    """Parsed, and every name it reads or calls one Kubernetes' CEL environment has (as far as ours knows)."""
    try:
        cel.compile_expression(expression, VARIABLES)
    except (CELParseError, cel.UnsupportedExpressionError) as error:
        shown = " ".join(str(error).split())
        yield FieldError(path, ErrorType.INVALID, f"{show(expression)}: compilation failed: {shown}")


CHECKS: dict[str, Callable[[Manifest], Iterator[FieldError]]] = {
    "NetworkPolicy": network_policy,
    "Namespace": namespace,
    "Secret": secret,
    "ValidatingAdmissionPolicy": admission_policy,
    "ValidatingAdmissionPolicyBinding": admission_policy,
}


def builtin_errors(manifest: Manifest) -> list[FieldError]:
    """The Go-written validation of `manifest`'s kind (empty for kinds without any here)."""
    check = CHECKS.get(str(manifest.get("kind")))
    return list(check(manifest)) if check is not None else []
