"""Differential: deliberately broken manifests, judged by the offline validator (traffic_edge.conformance) and by
the real API server (a dry-run create, unknown fields refused). Both must give the same verdict; what the schema
admits goes on to the stack's admission policies, offline through the evaluator.

The corpus is made from the objects the stack itself renders (one of each kind), each broken in one way: a wrong
type or enum, an unknown field, a CEL rule of the CRD, a limit, a missing required field, ObjectMeta, validation
written in Go for built-in kinds, and forms the API server accepts although they look wrong (nulls, 8080.0). A
disagreement is a bug in one of the two, unless it is listed in e2e/gaps.py with the reason the validator cannot
model it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from e2e.admission import Evaluator
from e2e.cluster import Cluster, Obj, dry_run
from e2e.gaps import KNOWN_GAPS
from traffic_edge.conformance.admission import UserInfo
from traffic_edge.conformance.validator import ManifestValidator

# The e2e's admin (e2e/controlplane.py): kind's and kubeadm's admin.conf identity.
ADMIN = UserInfo("kubernetes-admin", ("system:masters", "kubeadm:cluster-admins", "system:authenticated"))
Mutation = Callable[[Obj], Obj | None]  # the broken copy, or None where the object has nothing to break


@dataclass(frozen=True)
class Broken:
    id: str  # `<kind>/<mistake>`
    obj: Obj


@dataclass(frozen=True)
class Verdicts:
    case: Broken
    server: bool  # admitted by the API server
    offline: bool  # admitted by the validator
    detail: str

    @property
    def agree(self) -> bool:
        return self.server == self.offline


def _spec(obj: Obj) -> Obj:
    spec: Obj = obj.setdefault("spec", {})
    return spec


def _with(change: Callable[[Obj], Any]) -> Mutation:
    """A mutation from an in-place change; the change returns False where it does not apply."""

    def mutate(obj: Obj) -> Obj | None:
        copied = copy.deepcopy(obj)
        return None if change(copied) is False else copied

    return mutate


def _first(items: Any) -> Obj | None:
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else None


def _listener_hostname(obj: Obj, value: str) -> Any:
    listener = _first(_spec(obj).get("listeners"))
    if listener is None:
        return False
    listener["hostname"] = value
    return True


def _rules(obj: Obj) -> list[Obj]:
    rules: list[Obj] = _spec(obj).setdefault("rules", [{}])
    return rules


def _backend_port(obj: Obj, value: Any) -> Any:
    refs = [ref for rule in _rules(obj) for ref in rule.get("backendRefs") or []]
    if not refs:
        return False
    refs[0]["port"] = value
    return True


# Mistakes any object can have, then per kind. Each is one change of a valid object.
ANY_KIND: dict[str, Mutation] = {
    "unknown field": _with(lambda o: _spec(o).__setitem__("e2eUnknown", 1) if "spec" in o else False),
    "name with capitals": _with(lambda o: o["metadata"].__setitem__("name", "E2E_Broken")),
    "label value of 64 characters": _with(
        lambda o: o["metadata"].setdefault("labels", {}).__setitem__("e2e", "x" * 64)
    ),
    "annotation key with a space": _with(
        lambda o: o["metadata"].setdefault("annotations", {}).__setitem__("e2e key", "v")
    ),
}
BY_KIND: dict[str, dict[str, Mutation]] = {
    "Gateway": {
        "duplicate listener names": _with(
            lambda o: _spec(o)["listeners"].append(copy.deepcopy(_spec(o)["listeners"][0]))
        ),
        "hostname with a wildcard in the middle": _with(lambda o: _listener_hostname(o, "a.*.example.com")),
        "65 listeners": _with(
            lambda o: _spec(o).__setitem__(
                "listeners", [{"name": f"l{i}", "protocol": "TCP", "port": 10000 + i} for i in range(65)]
            )
        ),
        "missing gatewayClassName": _with(lambda o: _spec(o).pop("gatewayClassName")),
        "port 0": _with(lambda o: _spec(o)["listeners"][0].__setitem__("port", 0)),
        "port as 80.0": _with(
            lambda o: _spec(o)["listeners"][0].__setitem__("port", float(_spec(o)["listeners"][0]["port"]))
        ),
        "null addresses": _with(lambda o: _spec(o).__setitem__("addresses", None)),
    },
    "HTTPRoute": {
        "17 rules": _with(lambda o: _spec(o).__setitem__("rules", [copy.deepcopy(_rules(o)[0]) for _ in range(17)])),
        "hostname with a wildcard in the middle": _with(
            lambda o: _spec(o).__setitem__("hostnames", ["a.*.example.com"])
        ),
        "path not starting with /": _with(
            lambda o: _rules(o)[0].__setitem__("matches", [{"path": {"type": "PathPrefix", "value": "api"}}])
        ),
        "unknown path type": _with(
            lambda o: _rules(o)[0].__setitem__("matches", [{"path": {"type": "Glob", "value": "/api"}}])
        ),
        "Service backend without a port": _with(
            lambda o: _backend_port(o, None) and _rules(o)[0]["backendRefs"][0].pop("port")
        ),
        "negative weight": _with(
            lambda o: _rules(o)[0].get("backendRefs") and _rules(o)[0]["backendRefs"][0].__setitem__("weight", -1)
        ),
        "redirect with status 303": _with(
            lambda o: _rules(o)[0].__setitem__(
                "filters", [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 303}}]
            )
        ),
        "port as 8080.0": _with(lambda o: _backend_port(o, 8080.0)),
    },
    "GRPCRoute": {
        "method match naming neither service nor method": _with(
            lambda o: _rules(o)[0].__setitem__("matches", [{"method": {"type": "Exact"}}])
        ),
        "17 rules": _with(lambda o: _spec(o).__setitem__("rules", [copy.deepcopy(_rules(o)[0]) for _ in range(17)])),
    },
    "TLSRoute": {
        "hostname with a wildcard in the middle": _with(
            lambda o: _spec(o).__setitem__("hostnames", ["a.*.example.com"])
        ),
        "no rules": _with(lambda o: _spec(o).__setitem__("rules", [])),
    },
    "ReferenceGrant": {
        "empty from": _with(lambda o: _spec(o).__setitem__("from", [])),
        "missing to": _with(lambda o: _spec(o).pop("to")),
    },
    "Certificate": {
        "missing issuerRef": _with(lambda o: _spec(o).pop("issuerRef")),
        "private key algorithm misspelt": _with(lambda o: _spec(o).__setitem__("privateKey", {"algorithm": "ECDSAA"})),
        "duration that is no duration": _with(lambda o: _spec(o).__setitem__("duration", "ninety days")),
    },
    "NetworkPolicy": {
        "port 70000": _with(lambda o: _spec(o).__setitem__("ingress", [{"ports": [{"port": 70000}]}])),
        "protocol in lower case": _with(lambda o: _spec(o).__setitem__("ingress", [{"ports": [{"protocol": "tcp"}]}])),
        "unknown policy type": _with(lambda o: _spec(o).__setitem__("policyTypes", ["Sideways"])),
        "CIDR with host bits": _with(
            lambda o: _spec(o).__setitem__("egress", [{"to": [{"ipBlock": {"cidr": "10.0.0.1/8"}}]}])
        ),
    },
    "ValidatingAdmissionPolicy": {
        "failurePolicy misspelt": _with(lambda o: _spec(o).__setitem__("failurePolicy", "Sometimes")),
        "expression that does not parse": _with(
            lambda o: _spec(o)["validations"][0].__setitem__("expression", "object.spec.(")
        ),
        "expression calling no such function": _with(
            lambda o: _spec(o)["validations"][0].__setitem__("expression", "noSuchFunction(object)")
        ),
        "expression comparing a string with a number": _with(
            lambda o: _spec(o)["validations"][0].__setitem__("expression", "'a' == 1")
        ),
    },
    "ValidatingAdmissionPolicyBinding": {
        "validationActions misspelt": _with(lambda o: _spec(o).__setitem__("validationActions", ["Refuse"])),
        "paramRef with name and selector": _with(
            lambda o: _spec(o).__setitem__(
                "paramRef", {"name": "x", "selector": {}, "parameterNotFoundAction": "Allow"}
            )
        ),
    },
    "Secret": {
        "data that is not base64": _with(lambda o: o.__setitem__("data", {"key": "not base64!"})),
        "key with a space": _with(lambda o: o.__setitem__("data", {"a key": "dmFsdWU="})),
    },
    "Namespace": {
        "finalizer that is not a qualified name": _with(
            lambda o: _spec(o).__setitem__("finalizers", ["not a name/x/y"])
        ),
    },
}


def exemplars(registrations: Iterable[Mapping[str, Any]]) -> dict[str, Obj]:
    """One object of each kind the stack renders, as plan.json holds it (skipping any with unknown or secret parts;
    routes: one off the port-80 listener, which the stack's own admission policy guards)."""
    found: dict[str, Obj] = {}
    for registration in registrations:
        inputs = registration.get("inputs") or {}
        kind = inputs.get("kind")
        text = json.dumps(inputs)
        if not kind or kind in found or "[unknown]" in text or "[secret]" in text or "metadata" not in inputs:
            continue
        if kind.endswith("Route") and "RequestRedirect" in text:
            continue
        found[kind] = {key: inputs[key] for key in ("apiVersion", "kind", "metadata", "spec") if key in inputs}
    namespace = next(
        (obj["metadata"]["namespace"] for obj in found.values() if obj["metadata"].get("namespace")), "default"
    )
    found["Secret"] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "e2e", "namespace": namespace},
        "type": "Opaque",
        "data": {"key": "dmFsdWU="},
    }  # plan.json masks the stack's own
    return found


def corpus(objects: Mapping[str, Obj]) -> Iterator[Broken]:
    for kind, obj in sorted(objects.items()):
        base = copy.deepcopy(obj)
        base["metadata"] = {
            key: value
            for key, value in obj["metadata"].items()
            if key in ("name", "namespace", "labels", "annotations")
        }
        base["metadata"]["name"] = f"e2e-diff-{base['metadata']['name']}"[:63].rstrip("-.")
        for mistake, mutate in {**ANY_KIND, **BY_KIND.get(kind, {})}.items():
            broken = mutate(base)
            if broken is not None:
                yield Broken(f"{kind}/{mistake}", broken)


def judge(cluster: Cluster, admission: Evaluator, case: Broken) -> Verdicts:
    """The API server's verdict on the admin's dry-run create, against the validator's and then (for what the
    schema admits) the admission policies' as the offline evaluator gives them: the stack's own policies hold
    for the admin too, where they do not exempt the platform."""
    verdict = dry_run(cluster.dynamic, "CREATE", case.obj)
    errors = admission.validator.validate(case.obj)
    if not errors:
        errors = [str(denial) for denial in admission.decide("CREATE", case.obj, ADMIN).denials]
    detail = (
        f"API server: {'admitted' if verdict.allowed else verdict.message}; "
        f"offline: {'admitted' if not errors else '; '.join(errors)[:300]}"
    )
    return Verdicts(case, verdict.allowed, not errors, detail)


def run(
    cluster: Cluster, validator: ManifestValidator, registrations: Iterable[Mapping[str, Any]]
) -> tuple[list[Verdicts], list[str], list[str]]:
    """(every verdict pair, disagreements that are bugs, disagreements that are known gaps)."""
    admission = Evaluator(cluster, validator)
    results = [judge(cluster, admission, case) for case in corpus(exemplars(registrations))]
    bugs: list[str] = []
    gaps: list[str] = []
    for result in results:
        if result.agree:
            continue
        line = f"{result.case.id}: {result.detail}"
        (gaps if result.case.id in KNOWN_GAPS else bugs).append(line)
    return results, bugs, gaps
