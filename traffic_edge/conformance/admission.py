"""ValidatingAdmissionPolicies evaluated offline, as the API server's admission plugin evaluates them.

A policy applies when its matchConstraints match the request; each binding naming it (whose matchResources, if
any, match too) runs it once per param its paramRef collects from the policy's paramKind: matchConditions (any
false skips), variables, then validations over `object`, `oldObject`, `request`, `namespaceObject`, `params` and
`variables`. Errors (a CEL error, params not found under `Deny`, a paramRef the scope forbids) follow the policy's
failurePolicy; failed validations follow the binding's validationActions. Expressions go through the same CEL
library as CRD rules; anything it lacks (e.g. `authorizer`) fails loudly instead of being skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from celpy import celtypes
from celpy.evaluation import CELEvalError

from traffic_edge.conformance import cel
from traffic_edge.conformance.field import Json

Manifest = dict[str, Any]
# What expressions may read; matchConditions see all but `variables`.
VARIABLES = ("object", "oldObject", "request", "namespaceObject", "params", "variables")


@dataclass(frozen=True)
class UserInfo:
    username: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    """One admission request; group, version and kind come from the object (or, on DELETE, the old one)."""

    operation: str  # CREATE, UPDATE, DELETE or CONNECT
    resource: str  # the plural, with "/<subresource>" if any, e.g. "namespaces/status"
    obj: Json | None
    user: UserInfo
    old: Json | None = None
    namespace_object: Json | None = None  # the Namespace a namespaced object is in

    @property
    def _subject(self) -> Manifest:
        subject = self.obj if self.obj is not None else self.old
        return subject if isinstance(subject, dict) else {}

    @property
    def group_version(self) -> tuple[str, str]:
        group, _, version = str(self._subject.get("apiVersion", "")).rpartition("/")
        return group, version

    @property
    def namespace(self) -> str:
        """The request's namespace: the object's, or, for a Namespace other than on create, its own name."""
        meta = self._subject.get("metadata") or {}
        if self.resource.partition("/")[0] == "namespaces":
            return "" if self.operation == "CREATE" else str(meta.get("name", ""))
        return str(meta.get("namespace") or "")

    def to_cel(self) -> cel.Value:
        """The `request` variable (admission.k8s.io AdmissionRequest, without options)."""
        (group, version), (resource, _, sub) = self.group_version, self.resource.partition("/")
        kind = {"group": group, "version": version, "kind": self._subject.get("kind", "")}
        resource_id = {"group": group, "version": version, "resource": resource}
        return cel.to_cel({
            "kind": kind, "resource": resource_id, "subResource": sub, "requestKind": kind,
            "requestResource": resource_id, "requestSubResource": sub,
            "name": (self._subject.get("metadata") or {}).get("name", ""), "namespace": self.namespace,
            "operation": self.operation, "dryRun": False,
            "userInfo": {"username": self.user.username, "groups": list(self.user.groups)},
        })


class ParamError(Exception):
    """A binding's params cannot be collected: a configuration error, judged by the policy's failurePolicy."""


def _labels(obj: Json) -> dict[str, str]:
    labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
    return {str(k): str(v) for k, v in labels.items()}


def selected(selector: Json, labels: Mapping[str, str]) -> bool:
    """A metav1.LabelSelector against labels; null or `{}` selects everything."""
    if not selector:
        return True
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    return all(_requirement_holds(item, labels) for item in selector.get("matchExpressions") or ())


def _requirement_holds(requirement: Json, labels: Mapping[str, str]) -> bool:
    name, operator, values = requirement["key"], requirement["operator"], requirement.get("values") or []
    match operator:
        case "In":
            return name in labels and labels[name] in values
        case "NotIn":
            return name not in labels or labels[name] not in values
        case "Exists":
            return name in labels
        case "DoesNotExist":
            return name not in labels
    raise ValueError(f"unknown label selector operator {operator!r}")


@dataclass(frozen=True)
class ParamStore:
    """What paramRefs can find: the scope of each kind the cluster serves, and the objects that exist."""

    namespaced: Mapping[tuple[str, str], bool]  # (group, kind) → namespace-scoped
    objects: Sequence[Manifest] = ()

    def collect(self, param_kind: Json, param_ref: Json, namespace: str) -> list[Manifest | None]:
        """The params a binding evaluates its policy with, as the API server's CollectParams finds them."""
        if param_kind is None or param_ref is None:
            return [None]
        group, kind = str(param_kind["apiVersion"]).rpartition("/")[0], param_kind["kind"]
        if (group, kind) not in self.namespaced:
            raise ParamError(f"paramKind kind `{param_kind['apiVersion']}, Kind={kind}` not known")
        in_namespace = param_ref.get("namespace") or ""
        if self.namespaced[(group, kind)]:
            in_namespace = in_namespace or namespace
            if not in_namespace:
                raise ParamError("cannot use namespaced paramRef in policy binding that matches cluster-scoped "
                                 "resources")
        elif in_namespace:
            raise ParamError("paramRef.namespace must not be provided for a cluster-scoped `paramKind`")
        candidates = [obj for obj in self.objects if obj.get("kind") == kind
                      and str(obj.get("apiVersion", "")).rpartition("/")[0] == group
                      and (obj.get("metadata") or {}).get("namespace", "") == in_namespace]
        found = _by_name_or_selector(candidates, param_ref)
        if not found and param_ref.get("parameterNotFoundAction") == "Deny":
            raise ParamError("no params found for policy binding with `Deny` parameterNotFoundAction")
        return list(found)


def _by_name_or_selector(candidates: list[Manifest], param_ref: Json) -> list[Manifest]:
    if param_ref.get("name"):
        if param_ref.get("selector") is not None:
            raise ParamError("paramRef.name and paramRef.selector are mutually exclusive")
        return [obj for obj in candidates if obj["metadata"].get("name") == param_ref["name"]]
    if param_ref.get("selector") is not None:
        return [obj for obj in candidates if selected(param_ref["selector"], _labels(obj))]
    raise ParamError("one of name or selector must be provided")


def _rule_matches(rule: Json, request: Request) -> bool:
    """A RuleWithOperations: `*` matches any; `x/*` any subresource of x, `*/s` subresource s of anything."""
    group, version = request.group_version
    resource, _, sub = request.resource.partition("/")

    def allows(field: str, value: str) -> bool:
        values = rule.get(field) or ()
        return "*" in values or value in values

    def resource_matches(pattern: str) -> bool:
        name, _, subresource = pattern.partition("/")
        return name in ("*", resource) and subresource in ("*", sub)

    scope = rule.get("scope", "*")
    cluster = resource == "namespaces" or not request.namespace
    return (allows("apiGroups", group) and allows("apiVersions", version) and allows("operations", request.operation)
            and any(resource_matches(pattern) for pattern in rule.get("resources") or ())
            and (scope == "*" or (scope == "Cluster") == cluster))


def _namespace_selected(selector: Json, request: Request) -> bool:
    if request.resource.partition("/")[0] == "namespaces":
        return selected(selector, _labels(request.obj if request.obj is not None else request.old))
    return not request.namespace or selected(selector, _labels(request.namespace_object))


def resources_match(match: Json, request: Request) -> bool:
    """MatchResources (a policy's matchConstraints, a binding's matchResources); absent parts constrain nothing."""
    if "resourceRules" in match and not any(_rule_matches(rule, request) for rule in match["resourceRules"]):
        return False
    if any(_rule_matches(rule, request) for rule in match.get("excludeResourceRules") or ()):
        return False
    objects = [obj for obj in (request.obj, request.old) if obj is not None]
    object_selector = match.get("objectSelector")
    return _namespace_selected(match.get("namespaceSelector"), request) and (
        not object_selector or any(selected(object_selector, _labels(obj)) for obj in objects))


@dataclass(frozen=True)
class Denial:
    policy: str
    binding: str
    message: str
    reason: str = "Invalid"

    def __str__(self) -> str:
        return f"ValidatingAdmissionPolicy '{self.policy}' with binding '{self.binding}' denied request: {self.message}"


@dataclass(frozen=True)
class Decision:
    """The answer to one request: refused when any binding denies; warnings are returned to the client."""

    denials: tuple[Denial, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.denials


def _passed(result: cel.Value) -> bool:
    return isinstance(result, (bool, celtypes.BoolType)) and bool(result)


def _message(validation: Json, activation: dict[str, cel.Value]) -> str:
    """messageExpression's one-line string if it yields one, else message, else the failed expression."""
    if "messageExpression" in validation:
        message = cel.evaluate(validation["messageExpression"], activation)
        if isinstance(message, str) and message.strip() and "\n" not in message:
            return str(message)
    return validation.get("message") or f"failed expression: {validation['expression'].strip()}"


def _match_conditions(spec: Json, activation: dict[str, cel.Value]) -> bool | str:
    """True when all hold, False when one is false (errors then do not count), else the error message.

    The API server gives matchConditions no `namespaceObject` (k8s.io/apiserver v0.37.2 :
    pkg/admission/plugin/webhook/matchconditions/matcher.go L82-85), so neither does this."""
    activation = {**activation, "namespaceObject": cel.to_cel(None)}
    errors: list[str] = []
    for condition in spec.get("matchConditions") or ():
        result = cel.evaluate(condition["expression"], activation)
        if isinstance(result, CELEvalError):
            errors.append(f"matchCondition '{condition['name']}' resulted in error: {cel.error_text(result)}")
        elif not _passed(result):
            return False
    return "; ".join(errors) or True


def evaluate_policy(spec: Json, activation: dict[str, cel.Value]) -> list[tuple[str, str]]:
    """(message, reason) of each deny decision of one evaluation, errors already judged by failurePolicy."""
    fail = spec.get("failurePolicy", "Fail") == "Fail"
    matched = _match_conditions(spec, activation)
    if matched is not True:
        return [(matched, "InternalError")] if isinstance(matched, str) and fail else []
    variables = celtypes.MapType()
    activation = {**activation, "variables": variables}
    for variable in spec.get("variables") or ():  # in order: each may read the ones before it
        variables[celtypes.StringType(variable["name"])] = cel.evaluate(variable["expression"], activation)
    decisions: list[tuple[str, str]] = []
    for validation in spec.get("validations") or ():
        result = cel.evaluate(validation["expression"], activation)
        if isinstance(result, CELEvalError):
            if fail:
                decisions.append((f"expression '{validation['expression']}' resulted in error: "
                                  f"{cel.error_text(result)}", "InternalError"))
        elif not _passed(result):
            decisions.append((_message(validation, activation), validation.get("reason", "Invalid")))
    return decisions


def _activation(request: Request, params: Json) -> dict[str, cel.Value]:
    return {"object": cel.to_cel(request.obj), "oldObject": cel.to_cel(request.old), "request": request.to_cel(),
            "namespaceObject": cel.to_cel(request.namespace_object), "params": cel.to_cel(params)}


def _run_binding(policy: Manifest, binding: Manifest, store: ParamStore, request: Request) -> Decision:
    spec, names = policy["spec"], (policy["metadata"]["name"], binding["metadata"]["name"])
    try:
        params = store.collect(spec.get("paramKind"), binding["spec"].get("paramRef"), request.namespace)
    except ParamError as error:
        failed = spec.get("failurePolicy", "Fail") == "Fail"
        return Decision((Denial(*names, f"failed to configure binding: {error}", "InternalError"),) if failed else ())
    actions = binding["spec"].get("validationActions") or ()
    decisions = [d for param in params for d in evaluate_policy(spec, _activation(request, param))]
    denials = tuple(Denial(*names, message, reason) for message, reason in decisions if "Deny" in actions)
    warnings = tuple(str(Denial(*names, message)) for message, _ in decisions if "Warn" in actions)
    return Decision(denials, warnings)


def admit(policies: Sequence[Manifest], bindings: Sequence[Manifest], params: ParamStore,
          request: Request) -> Decision:
    """What the API server answers `request`, given every policy and binding in the cluster."""
    denials: list[Denial] = []
    warnings: list[str] = []
    for policy in policies:
        if not resources_match(policy["spec"].get("matchConstraints") or {}, request):
            continue
        for binding in bindings:
            spec = binding["spec"]
            if spec["policyName"] == policy["metadata"]["name"] and resources_match(spec.get("matchResources") or {},
                                                                                     request):
                decision = _run_binding(policy, binding, params, request)
                denials += decision.denials
                warnings += decision.warnings
    return Decision(tuple(denials), tuple(warnings))


def policy_expressions(policy: Manifest) -> list[tuple[str, tuple[str, ...]]]:
    """Every CEL expression of a policy with the variables it may read (what the API server compiles)."""
    spec = policy["spec"]
    conditions = [(c["expression"], VARIABLES[:-1]) for c in spec.get("matchConditions") or ()]
    rest = [item["expression"] for item in (*(spec.get("variables") or ()), *(spec.get("validations") or ()))]
    rest += [v["messageExpression"] for v in spec.get("validations") or () if "messageExpression" in v]
    return conditions + [(expression, VARIABLES) for expression in rest]


def compile_policy(policy: Manifest) -> None:
    """Parse every expression and check its names, as far as offline CEL can (no type checking)."""
    for expression, variables in policy_expressions(policy):
        cel.compile_expression(expression, variables)
