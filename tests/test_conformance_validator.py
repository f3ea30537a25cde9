"""Tests of the offline API-server stand-in: each case must be able to fail.

The `gap:` tests each fix one measured difference from the API server (shared/notes/validator-gaps.md), with an
object it refuses and one it accepts.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from traffic_edge.conformance import refdata
from traffic_edge.conformance.cel import UnsupportedExpressionError, compile_expression, evaluate, to_cel
from traffic_edge.conformance.crds import OTHER_CRD_FILES, crds_in, gateway_api_pins, loaded_crds
from traffic_edge.conformance.defaults import apply_defaults
from traffic_edge.conformance.helm import coalesce_values
from traffic_edge.conformance.openapi import UnsupportedFormatError, compile_schema, parse_ip_sloppy
from traffic_edge.conformance.refdata import locate_refdata
from traffic_edge.conformance.validator import (
    REFDATA,
    ManifestValidator,
    require_refdata,
    validate_against_schema,
    validate_helm_values,
)

Manifest = dict[str, Any]

GATEWAY: Manifest = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "Gateway",
    "metadata": {"name": "edge", "namespace": "infra"},
    "spec": {
        "gatewayClassName": "nginx",
        "listeners": [
            {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}},
            {
                "name": "https",
                "port": 443,
                "protocol": "HTTPS",
                "hostname": "*.example.com",
                "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "wildcard-tls"}]},
                "allowedRoutes": {"namespaces": {"from": "All"}},
            },
        ],
    },
}

HTTP_ROUTE: Manifest = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "HTTPRoute",
    "metadata": {"name": "app", "namespace": "apps"},
    "spec": {
        "parentRefs": [{"name": "edge", "namespace": "infra", "sectionName": "https"}],
        "hostnames": ["app.example.com"],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
                "backendRefs": [{"name": "app", "port": 8080}],
            }
        ],
    },
}

CLUSTER_ISSUER: Manifest = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "ClusterIssuer",
    "metadata": {"name": "letsencrypt"},
    "spec": {
        "acme": {
            "server": "https://acme-v02.api.letsencrypt.org/directory",
            "email": "ops@example.com",
            "privateKeySecretRef": {"name": "letsencrypt-account"},
            "solvers": [
                {"http01": {"gatewayHTTPRoute": {"parentRefs": [
                    {"name": "edge", "namespace": "infra", "kind": "Gateway", "sectionName": "http"}
                ]}}}
            ],
        }
    },
}

CERTIFICATE: Manifest = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "Certificate",
    "metadata": {"name": "wildcard", "namespace": "infra"},
    "spec": {
        "secretName": "wildcard-tls",
        "dnsNames": ["app.example.com"],
        "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer", "group": "cert-manager.io"},
    },
}

TCP_ROUTE_V1ALPHA2: Manifest = {
    "apiVersion": "gateway.networking.k8s.io/v1alpha2",
    "kind": "TCPRoute",
    "metadata": {"name": "db", "namespace": "apps"},
    "spec": {"parentRefs": [{"name": "edge"}], "rules": [{"backendRefs": [{"name": "db", "port": 5432}]}]},
}

NETWORK_POLICY: Manifest = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "allow-gateway", "namespace": "apps"},
    "spec": {
        "podSelector": {"matchLabels": {"app": "app"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "infra"}}}]}],
    },
}

CERT_MANAGER_VALUES: dict[str, Any] = {
    "crds": {"enabled": True},
    "config": {
        "apiVersion": "controller.config.cert-manager.io/v1alpha1",
        "kind": "ControllerConfiguration",
        "gatewayAPI": {"enabled": True},
    },
}


SYNTHETIC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
        "note": {"type": "string", "nullable": True},
        "mode": {"type": "string", "default": "auto"},
        "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 3}},
        "template": {
            "type": "object",
            "x-kubernetes-embedded-resource": True,
            "properties": {
                "spec": {"type": "object", "properties": {"replicas": {"type": "integer", "default": 1}}}
            },
        },
        "min": {"type": "integer", "default": 1},
        "max": {"type": "integer", "default": 5},
    },
    "x-kubernetes-validations": [
        {
            "rule": "self.min <= self.max",
            "messageExpression": "'min ' + string(self.min) + ' exceeds max ' + string(self.max)",
            "fieldPath": ".min",
        },
        {"rule": "self.template.spec.replicas == 1 && self.mode == 'auto'"},
    ],
}
SYNTHETIC_OK: dict[str, Any] = {
    "port": "http",
    "note": None,
    "mode": None,
    "tags": ["a", "b"],
    "extra": {"any": {"thing": 1}},
    "labels": {"a": "xyz"},
    "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}},
}


NAMESPACE: Manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "infra"}}
SECRET: Manifest = {
    "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "infra"}, "type": "Opaque",
}
ADMISSION_POLICY: Manifest = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingAdmissionPolicy",
    "metadata": {"name": "traffic-edge-route-hostnames"},
    "spec": {
        "failurePolicy": "Fail",
        "matchConstraints": {"resourceRules": [{"apiGroups": ["gateway.networking.k8s.io"], "apiVersions": ["*"],
                                                "operations": ["CREATE"], "resources": ["httproutes"]}]},
        "validations": [{"expression": "has(object.spec.hostnames)", "message": "routes name hostnames"}],
    },
}
ADMISSION_BINDING: Manifest = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingAdmissionPolicyBinding",
    "metadata": {"name": "traffic-edge-route-hostnames"},
    "spec": {"policyName": "traffic-edge-route-hostnames", "validationActions": ["Deny"]},
}


def test_refdata_absent_skips_with_reason(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "no-refdata"
    monkeypatch.setattr(refdata, "REFDATA", missing)
    with pytest.raises(pytest.skip.Exception, match=re.escape(str(missing))):
        require_refdata()


def test_refdata_is_found_from_the_working_directory_not_the_package(tmp_path: Path) -> None:
    """Beside the nearest directory with Pulumi.yaml, as the Pulumi CLI finds its project; the variable wins."""
    project = tmp_path / "work" / "project"
    (project / "docs").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: x\n")
    assert locate_refdata({}, project / "docs") == tmp_path / "work" / "shared" / "refdata"
    assert locate_refdata({"TRAFFIC_EDGE_REFDATA": str(tmp_path / "elsewhere")}, project) == tmp_path / "elsewhere"


def _one_error(errors: list[str], *fragments: str) -> str:
    matching = [e for e in errors if all(f in e for f in fragments)]
    assert matching, f"no error containing {fragments} in {errors}"
    return matching[0]


def test_structural_schema_features() -> None:
    assert validate_against_schema(SYNTHETIC_SCHEMA, SYNTHETIC_OK) == []
    bad = {
        **SYNTHETIC_OK,
        "note": 3,
        "tags": ["a", "a"],
        "labels": {"a": "long"},
        "template": {"kind": "Pod", "metadata": {"name": "P/1"}, "spec": {"x": 1}},
    }
    errors = validate_against_schema(SYNTHETIC_SCHEMA, bad)
    for fragment in (
        "note: Invalid value: 3: must be of type string",
        'tags[1]: Duplicate value: "a"',
        "labels[a]: Too long",
        "template.spec.x: unknown field",
        "template.apiVersion: Required value",
        "template.metadata.name: Invalid value",  # embedded names need only be URL path segments: no '/'
    ):
        _one_error(errors, fragment)
    _one_error(validate_against_schema(SYNTHETIC_SCHEMA, {**SYNTHETIC_OK, "port": True}),
               "port: Invalid value: true: must be of type integer or string")


def test_embedded_resource_names_follow_the_api_server() -> None:
    """An embedded object's name only has to be a path segment, unlike a resource's own (a DNS subdomain)."""
    template = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "P!"}, "spec": {}}
    assert validate_against_schema(SYNTHETIC_SCHEMA, {**SYNTHETIC_OK, "template": template}) == []


def test_cel_message_expression_field_path_and_default_rule() -> None:
    assert validate_against_schema(SYNTHETIC_SCHEMA, {**SYNTHETIC_OK, "min": 9}) == [
        "min: Invalid value: min 9 exceeds max 5"]
    errors = validate_against_schema(SYNTHETIC_SCHEMA, {**SYNTHETIC_OK, "mode": "manual"})
    assert errors == ["<root>: Invalid value: failed rule: self.template.spec.replicas == 1 && self.mode == 'auto'"]


@pytest.fixture
def validator() -> ManifestValidator:
    require_refdata()
    return ManifestValidator(gateway_api_version="v1.6.1", channel="standard")


@pytest.mark.parametrize("manifest", [GATEWAY, HTTP_ROUTE, CLUSTER_ISSUER, CERTIFICATE], ids=lambda m: m["kind"])
def test_valid_objects_pass(validator: ManifestValidator, manifest: Manifest) -> None:
    assert validator.validate(manifest) == []


def test_typo_is_reported_with_its_path(validator: ManifestValidator) -> None:
    gateway = copy.deepcopy(GATEWAY)
    gateway["spec"]["listeners"][0]["hostnme"] = "app.example.com"
    error = _one_error(validator.validate(gateway), "spec.listeners[0].hostnme")
    assert error == "Gateway/infra/edge: spec.listeners[0].hostnme: unknown field"


def test_unknown_metadata_key_and_bad_name(validator: ManifestValidator) -> None:
    route = copy.deepcopy(HTTP_ROUTE)
    route["metadata"].update(name="App_1", label={"a": "b"})
    errors = validator.validate(route)
    _one_error(errors, "metadata.label: unknown field")
    _one_error(errors, "metadata.name: Invalid value")


def test_bad_port_is_reported(validator: ManifestValidator) -> None:
    gateway = copy.deepcopy(GATEWAY)
    gateway["spec"]["listeners"][1]["port"] = 70000
    _one_error(validator.validate(gateway), "spec.listeners[1].port", "65535")


def test_wrong_type_blocks_cel_like_the_api_server(validator: ManifestValidator) -> None:
    gateway = copy.deepcopy(GATEWAY)
    gateway["spec"]["listeners"][0]["port"] = "80"
    errors = validator.validate(gateway)
    _one_error(errors, "spec.listeners[0].port", "must be of type integer")
    _one_error(errors, "validation rules were not checked")


def test_unsupported_enum_value_blocks_cel_too(validator: ManifestValidator) -> None:
    """The API server's blocking errors are wrong types, required, enum, too long and too many; not patterns."""
    gateway = copy.deepcopy(GATEWAY)
    gateway["spec"]["listeners"][1]["tls"]["mode"] = "terminate"
    errors = validator.validate(gateway)
    _one_error(errors, "spec.listeners[1].tls.mode: Unsupported value", '"Terminate", "Passthrough"')
    _one_error(errors, "validation rules were not checked")
    gateway["spec"]["listeners"][1]["tls"]["mode"] = "Terminate"
    gateway["spec"]["listeners"][1]["name"] = "Not A Section"
    assert not [e for e in validator.validate(gateway) if "not checked" in e]


def test_cel_rule_on_listeners(validator: ManifestValidator) -> None:
    gateway = copy.deepcopy(GATEWAY)
    gateway["spec"]["listeners"][0]["tls"] = {"certificateRefs": [{"name": "x"}]}
    _one_error(validator.validate(gateway), "spec.listeners:", "tls must not be specified for protocols")


def test_https_listener_with_empty_tls(validator: ManifestValidator) -> None:
    """tls.mode defaults to Terminate, which needs certificateRefs or options."""
    gateway = copy.deepcopy(GATEWAY)
    gateway["spec"]["listeners"][1]["tls"] = {"options": {}}
    _one_error(
        validator.validate(gateway),
        "spec.listeners[1].tls:",
        "certificateRefs or options must be specified when mode is Terminate",
    )


def test_https_listener_without_tls_is_not_a_crd_error(validator: ManifestValidator) -> None:
    """No CRD rule requires tls on HTTPS: the controller reports it in status, not the API server."""
    gateway = copy.deepcopy(GATEWAY)
    del gateway["spec"]["listeners"][1]["tls"]
    assert validator.validate(gateway) == []


def test_redirect_and_rewrite_conflict(validator: ManifestValidator) -> None:
    route = copy.deepcopy(HTTP_ROUTE)
    route["spec"]["rules"] = [
        {
            "filters": [
                {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}},
                {"type": "URLRewrite", "urlRewrite": {"hostname": "other.example.com"}},
            ]
        }
    ]
    _one_error(
        validator.validate(route),
        "HTTPRoute/apps/app: spec.rules[0].filters: ",
        "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both",
    )


def test_cel_sees_escaped_property_names(validator: ManifestValidator) -> None:
    """Rules read `namespace` as `__namespace__`: the same Gateway name in two namespaces is fine."""
    route = copy.deepcopy(HTTP_ROUTE)
    route["spec"]["parentRefs"] = [
        {"name": "edge", "namespace": "a", "sectionName": "https"},
        {"name": "edge", "namespace": "b", "sectionName": "https"},
    ]
    assert validator.validate(route) == []
    route["spec"]["parentRefs"][1]["namespace"] = "a"
    _one_error(validator.validate(route), "spec.parentRefs:", "sectionName must be unique")


def test_duplicate_listener_names(validator: ManifestValidator) -> None:
    gateway = copy.deepcopy(GATEWAY)
    gateway["spec"]["listeners"][1]["name"] = "http"
    errors = validator.validate(gateway)
    _one_error(errors, "spec.listeners[1]: Duplicate value", '"name": "http"')
    _one_error(errors, "Listener name must be unique within the Gateway")


def test_unserved_version(validator: ManifestValidator) -> None:
    _one_error(validator.validate(TCP_ROUTE_V1ALPHA2), "v1alpha2", "not served")


def test_kind_absent_from_channel() -> None:
    require_refdata()
    errors = ManifestValidator("v1.4.1", "standard").validate(TCP_ROUTE_V1ALPHA2)
    _one_error(errors, "TCPRoute", "v1.4.1 standard channel", "experimental")
    assert ManifestValidator("v1.4.1", "experimental").validate(TCP_ROUTE_V1ALPHA2) == []


def test_unknown_pin() -> None:
    require_refdata()
    with pytest.raises(ValueError, match=re.escape("v9.9.9")):
        ManifestValidator("v9.9.9", "standard")


def test_unknown_kind(validator: ManifestValidator) -> None:
    _one_error(validator.validate({**GATEWAY, "kind": "Gateways"}), "Gateways", "absent")
    error = _one_error(validator.validate({**GATEWAY, "apiVersion": "example.com/v1"}), "no CRD for example.com/v1")
    assert error.endswith("in the reference data")  # what tests/test_examples.py counts as unchecked


def test_defaulting_fills_path_match(validator: ManifestValidator) -> None:
    route = copy.deepcopy(HTTP_ROUTE)
    del route["spec"]["rules"][0]["matches"]
    result = validator.check(route)
    assert result.errors == []
    assert result.defaulted is not None
    rule = result.defaulted["spec"]["rules"][0]
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    assert rule["backendRefs"][0] == {"name": "app", "port": 8080, "group": "", "kind": "Service", "weight": 1}
    assert "matches" not in route["spec"]["rules"][0], "the caller's manifest must not be mutated"


def test_apply_defaults_only_below_existing_parents(validator: ManifestValidator) -> None:
    schema = validator.schema_for("gateway.networking.k8s.io/v1", "Gateway")
    obj = apply_defaults(schema, {"spec": {"listeners": [{"name": "a", "tls": None}]}})
    listener = obj["spec"]["listeners"][0]
    assert listener["allowedRoutes"] == {"namespaces": {"from": "Same"}}
    assert "tls" not in listener, "a non-nullable null without default is pruned, not defaulted"
    assert "infrastructure" not in obj["spec"]


def test_transition_rules_are_skipped_not_failed(validator: ManifestValidator) -> None:
    gateway_class = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GatewayClass",
        "metadata": {"name": "nginx"},
        "spec": {"controllerName": "gateway.nginx.org/nginx-gateway-controller"},
    }
    result = validator.check(gateway_class)
    assert result.errors == []
    assert result.skipped_rules == ["spec.controllerName: self == oldSelf"]


def test_core_objects(validator: ManifestValidator) -> None:
    for manifest in (NAMESPACE, NETWORK_POLICY, SECRET, ADMISSION_POLICY, ADMISSION_BINDING):
        assert validator.validate(manifest) == []


def test_core_object_typo_fails_strict(validator: ManifestValidator) -> None:
    policy = copy.deepcopy(NETWORK_POLICY)
    policy["spec"]["ingres"] = policy["spec"].pop("ingress")
    _one_error(validator.validate(policy), "NetworkPolicy/apps/allow-gateway: spec:", "ingres")


def test_core_object_name_rules(validator: ManifestValidator) -> None:
    _one_error(validator.validate({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a.b"}}),
               "metadata.name: Invalid value")
    _one_error(validator.validate({"apiVersion": "v1", "kind": "Namespace", "metadata": {}}),
               "metadata.name: Required value")
    assert validator.validate({**NETWORK_POLICY, "metadata": {"name": "a.b", "namespace": "apps"}}) == []


# ---------------------------------------------------------------------------------- gap: CRDs not loaded

ENVOY_PROXY: Manifest = {
    "apiVersion": "gateway.envoyproxy.io/v1alpha1",
    "kind": "EnvoyProxy",
    "metadata": {"name": "proxy", "namespace": "envoy-gateway-system"},
    "spec": {"provider": {"type": "Kubernetes", "kubernetes": {"envoyService": {"type": "LoadBalancer"}}}},
}
CILIUM_CONFIG: Manifest = {
    "apiVersion": "cilium.io/v2alpha1",
    "kind": "CiliumGatewayClassConfig",
    "metadata": {"name": "traffic-edge", "namespace": "kube-system"},
    "spec": {"service": {"type": "NodePort"}},
}
AWS_LOAD_BALANCER: Manifest = {
    "apiVersion": "gateway.k8s.aws/v1beta1",
    "kind": "LoadBalancerConfiguration",
    "metadata": {"name": "edge", "namespace": "infra"},
    "spec": {"scheme": "internet-facing"},
}


@pytest.mark.parametrize(("manifest", "path", "value", "error"), [
    (ENVOY_PROXY, ("spec", "provider", "kubernetes", "envoyService", "type"), "LoadBalancr", "Unsupported value"),
    (CILIUM_CONFIG, ("spec", "service", "nodePort"), 30080, "unknown field"),  # it has no field for node ports
    (AWS_LOAD_BALANCER, ("spec", "scheme"), "public", "Unsupported value"),
], ids=["envoy-gateway", "cilium", "aws-load-balancer-controller"])
def test_gap_controller_crds_are_loaded(
    validator: ManifestValidator, manifest: Manifest, path: tuple[str, ...], value: Any, error: str
) -> None:
    assert validator.validate(manifest) == []
    broken = copy.deepcopy(manifest)
    target = broken
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    _one_error(validator.validate(broken), ".".join(path), error)


def test_gap_every_refdata_crd_file_is_loaded() -> None:
    require_refdata()
    loaded = {source for source, _, _ in loaded_crds("v1.6.1", "standard")}
    for pattern in OTHER_CRD_FILES:
        files = {str(path.relative_to(REFDATA)) for path in REFDATA.glob(pattern)}
        crd_files = {crd.source for crd in crds_in(pattern)}
        assert crd_files, pattern
        assert crd_files <= loaded
        assert files == crd_files, "a file there holds no CRD"


# ---------------------------------------------------------------------------------- gap: ObjectMeta of built-ins


@pytest.mark.parametrize(("manifest", "metadata", "fragment"), [
    (NAMESPACE, {"name": "infra", "labels": {"team": "Platform Team"}}, "metadata.labels[team]: Invalid value"),
    (NETWORK_POLICY, {"name": "allow-gateway", "namespace": "Apps"}, "metadata.namespace: Invalid value"),
    (SECRET, {"name": "s", "namespace": "infra", "labels": {"-team": "a"}}, "metadata.labels: Invalid value"),
    (SECRET, {"name": "s", "namespace": "infra", "annotations": {"a/b/c": "x"}}, "metadata.annotations: Invalid"),
    (ADMISSION_POLICY, {"name": "Route_Hostnames"}, "metadata.name: Invalid value"),
    (ADMISSION_BINDING, {"name": "b", "labels": {"x": "y" * 64}}, "must be no more than 63 characters"),
    (NETWORK_POLICY, {"name": "a", "namespace": "apps", "finalizers": ["a/b/c"]}, "metadata.finalizers[0]"),
], ids=["namespace-label-value", "policy-namespace", "secret-label-key", "secret-annotation-key",
        "admission-policy-name", "binding-label-length", "finalizer"])
def test_gap_object_meta_of_builtin_kinds(
    validator: ManifestValidator, manifest: Manifest, metadata: dict[str, Any], fragment: str
) -> None:
    assert validator.validate(manifest) == []
    _one_error(validator.validate({**manifest, "metadata": metadata}), fragment)


def test_gap_object_meta_accepts_what_the_api_server_accepts(validator: ManifestValidator) -> None:
    metadata = {"name": "s", "namespace": "infra", "labels": {"app.kubernetes.io/name": "edge", "empty": ""},
                "annotations": {"External-DNS.alpha.kubernetes.io/Hostname": "a b c"},
                "finalizers": ["example.com/cleanup"], "generateName": "s-"}
    assert validator.validate({**SECRET, "metadata": metadata}) == []
    assert validator.validate({**SECRET, "metadata": {"generateName": "s-", "namespace": "infra"}}) == []


# ---------------------------------------------------------------------------------- gap: nulls


def test_gap_nulls_are_dropped_where_not_nullable(validator: ManifestValidator) -> None:
    """The API server removes a non-nullable null (in string maps too) before defaulting and validation."""
    gateway = copy.deepcopy(GATEWAY)
    gateway["spec"]["infrastructure"] = {"labels": {"team": None, "app": "edge"}, "annotations": None}
    gateway["spec"]["listeners"][0]["hostname"] = None
    result = validator.check(gateway)
    assert result.errors == []
    assert result.defaulted is not None
    assert result.defaulted["spec"]["infrastructure"] == {"labels": {"app": "edge"}}
    assert "hostname" not in result.defaulted["spec"]["listeners"][0]
    gateway["spec"]["listeners"][0]["allowedRoutes"]["kinds"] = [None]  # list items are not dropped
    _one_error(validator.validate(gateway), "spec.listeners[0].allowedRoutes.kinds[0]", "must be of type object")


def test_gap_nulls_in_synthetic_string_map_and_nullable_fields() -> None:
    assert validate_against_schema(SYNTHETIC_SCHEMA, {**SYNTHETIC_OK, "labels": {"a": None}}) == []
    _one_error(validate_against_schema(SYNTHETIC_SCHEMA, {**SYNTHETIC_OK, "tags": [None]}), "tags[0]", "string")


# ---------------------------------------------------------------------------------- gap: numbers


def test_gap_integral_floats_are_integers(validator: ManifestValidator) -> None:
    """kube-openapi accepts 80.0 where an integer is expected; 80.5 is still no integer."""
    gateway = copy.deepcopy(GATEWAY)
    gateway["spec"]["listeners"][0]["port"] = 80.0
    route = copy.deepcopy(HTTP_ROUTE)
    route["spec"]["rules"][0]["backendRefs"][0]["port"] = 8080.0  # a rule reads has(self.port)
    assert validator.validate(gateway) == []
    assert validator.validate(route) == []
    gateway["spec"]["listeners"][0]["port"] = 80.5
    _one_error(validator.validate(gateway), "spec.listeners[0].port", "must be of type integer")
    gateway["spec"]["listeners"][0]["port"] = float(2**60)  # beyond what a JSON number holds exactly
    _one_error(validator.validate(gateway), "spec.listeners[0].port", "must be of type integer")


# ---------------------------------------------------------------------------------- gap: IP formats


@pytest.mark.parametrize(("address", "accepted"), [
    ("10.0.0.1", True),
    ("010.000.000.001", True),  # ParseIPSloppy: leading zeros are still decimal
    ("2001:db8::1", True),
    ("::ffff:10.0.0.1", True),
    ("fe80::1%eth0", False),  # no zones
    ("10.0.0.256", False),
    ("10.0.0", False),
], ids=["ipv4", "leading-zeros", "ipv6", "mapped", "zone", "octet", "short"])
def test_gap_ip_address_formats(validator: ManifestValidator, address: str, accepted: bool) -> None:
    gateway = {**GATEWAY, "spec": {**GATEWAY["spec"], "addresses": [{"type": "IPAddress", "value": address}]}}
    errors = validator.validate(gateway)
    assert (errors == []) == accepted, errors
    if not accepted:
        _one_error(errors, "spec.addresses[0].value", "must be of type ipv")


def test_sloppy_ip_parsing_matches_go() -> None:
    assert str(parse_ip_sloppy("001.2.3.4")) == "1.2.3.4"
    assert str(parse_ip_sloppy("::ffff:001.2.3.4")) == "::ffff:102:304"
    assert parse_ip_sloppy("1.2.3.4%eth0") is None
    assert parse_ip_sloppy("localhost") is None


def test_formats_the_validator_cannot_check_fail_loudly() -> None:
    schema = {"type": "object", "properties": {"when": {"type": "string", "format": "duration"}}}
    with pytest.raises(UnsupportedFormatError, match="duration"):
        compile_schema(schema)
    assert compile_schema({"type": "string", "format": "not-a-kubernetes-format"}).errors("x") == []


# ---------------------------------------------------------------------------------- CEL


def test_every_crd_converts_and_every_cel_rule_compiles() -> None:
    """Every schema and rule of every CRD any pin loads must convert, parse and use only functions we supply."""
    require_refdata()
    pins = gateway_api_pins()
    assert ("v1.6.1", "standard") in pins

    def rules_in(node: Any) -> list[str]:
        if isinstance(node, dict):
            rules = node.get("x-kubernetes-validations", ())
            own = [t for r in rules for t in (r["rule"], r.get("messageExpression")) if t]
            return own + [r for value in node.values() for r in rules_in(value)]
        if isinstance(node, list):
            return [r for value in node for r in rules_in(value)]
        return []

    failures: list[str] = []
    compiled = 0
    for version, channel in pins:
        for source, kind, schema in loaded_crds(version, channel):
            try:
                compile_schema(schema)
            except UnsupportedFormatError as exc:
                failures.append(f"{source} {kind}: {exc}")
            for rule in rules_in(schema):
                try:
                    compile_expression(rule, ("self", "oldSelf"))
                    compiled += 1
                except Exception as exc:  # report every failing rule at once
                    failures.append(f"{source} {kind}: {exc}")
    assert failures == []
    assert compiled > 500


def test_unsupported_cel_function_fails_loudly() -> None:
    with pytest.raises(UnsupportedExpressionError, match="indexOf"):
        compile_expression("self.indexOf('a') == 0", ("self",))
    with pytest.raises(UnsupportedExpressionError, match="authorizer"):
        compile_expression("authorizer.group('').check('get').allowed()", ("object",))


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        ("self.all(h, !isIP(h))", ["10.0.0.1"], False),
        ("self.all(h, !isIP(h))", ["::ffff:10.0.0.1", "fe80::1%eth0", "010.0.0.1", "app.example.com"], True),
        ('self.split("/")[0].size() < 3', "ab/cdef", True),
        ('self.split("/", 2) == ["a", "b/c"]', "a/b/c", True),
        ('self.split("", 2) == ["a", "bc"]', "abc", True),
        ("self.substring(2) == 'example.com'", "*.example.com", True),
        ("self.substring(0, 1) == '*'", "*.example.com", True),
        ("self.trim() == 'a b'", " \ta b\n", True),
        ("self.lowerAscii() == 'héllo'", "HéLLO", True),
        ("self.upperAscii() in ['POST', 'PUT']", "post", True),
        ("self.matches('^v1\\\\.[0-5]\\\\.')", "v1.4.1", True),
        ("size(self) == 0 || format.dns1123Label().validate(self) == null", "grpc-web", True),
        ("size(self) == 0 || format.dns1123Label().validate(self) == null", "Grpc_Web", False),
        ("format.qualifiedName().validate(self) == null", "example.com/Name", True),
        ("format.labelValue().validate(self) != null", "-x", True),
        ("self == null", {"a": 1}, False),  # cel-go's heterogeneous equality, not celpy's overload error
        ("self != null && self.a == 1.0", {"a": 1}, True),
        ("self.a == 'a'", {"a": 1}, False),
    ],
)
def test_kubernetes_cel_library(rule: str, value: Any, expected: bool) -> None:
    assert bool(evaluate(rule, {"self": to_cel(value)})) is expected


def test_cel_errors_are_values_not_exceptions() -> None:
    assert "out of range" in str(evaluate("self.substring(5) == ''", {"self": to_cel("abc")}))
    assert "invalid regular expression" in str(evaluate("self.matches('(')", {"self": to_cel("abc")}))


# ---------------------------------------------------------------------------------- Helm values


def test_helm_cert_manager_values() -> None:
    require_refdata()
    assert validate_helm_values("cert-manager", "v1.21.1", CERT_MANAGER_VALUES) == []
    typo = validate_helm_values("cert-manager", "1.21.1", {"crds": {"enabeld": True}})
    assert typo is not None
    assert typo[0].startswith("crds:")
    assert "enabeld" in typo[0]
    wrong_type = validate_helm_values("cert-manager", "v1.21.1", {"crds": {"enabled": "yes"}})
    assert wrong_type is not None
    assert wrong_type[0].startswith("crds.enabled:")


def test_helm_external_dns_values() -> None:
    require_refdata()
    values = {"provider": {"name": "rfc2136"}, "sources": ["gateway-httproute"]}
    assert validate_helm_values("external-dns", "1.21.1", values) == []
    errors = validate_helm_values("external-dns", "v1.21.1", {**values, "sources": "gateway-httproute"})
    assert errors is not None
    assert errors[0].startswith("sources:")


def test_helm_charts_without_schema_and_unknown_versions() -> None:
    require_refdata()
    assert validate_helm_values("envoy-gateway", "v1.9.0", {}) is None
    assert validate_helm_values("aws-load-balancer-controller", "3.5.0", {}) is None
    assert validate_helm_values("nginx-gateway-fabric", "2.6.7", {}) == []
    with pytest.raises(ValueError, match="cert-manager"):
        validate_helm_values("cert-manager", "v9.9.9", {})


def test_coalesce_values_like_helm() -> None:
    defaults = {"a": {"b": 1, "c": 2}, "d": [1], "e": "x"}
    merged = coalesce_values(defaults, {"a": {"c": 3}, "d": [2], "e": None, "f": {"g": None}})
    assert merged == {"a": {"b": 1, "c": 3}, "d": [2], "f": {"g": None}}
    assert defaults["a"] == {"b": 1, "c": 2}
