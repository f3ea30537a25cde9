"""Compare two offline previews and say what a deploy would do to each stack, before anyone runs it.

    python -m offline diff OLD NEW [--format text|markdown] [--stacks dev,prod] [--git]
    python -m offline diff origin/main --worktree --format markdown    # a PR against its base

OLD and NEW are each one of:

* a `plan.json` file, or a directory holding one (one stack);
* a directory of `<stack>/plan.json` (many stacks, as `preview --out DIR/<stack>` writes them);
* a git ref: anything `git rev-parse --verify REF^{commit}` accepts that is not an existing path
  (`--git` skips the path check). The ref's tree is exported to a temp dir and every
  `Pulumi.<stack>.yaml` there is rendered by that tree's own `python -m offline preview`.

`--worktree` replaces NEW with the stacks in the current directory as they are on disk, rendered
the same way; refs are rendered from the same directory of their tree.

Resources are matched by URN with the stack segment dropped, so `diff build/dev build/prod`
compares two environments. A change to an input listed in REPLACE_RULES is reported as a
replacement; a resource whose URN changed only because its parent chain did is RE-PARENTED (a
delete + create unless an alias maps the old URN). Values that are secret on either side print
as `[secret]`. Exit status: 0 nothing changed, 1 something changed, 2 usage error, missing plan
or failed render.
"""

from __future__ import annotations

import argparse
import difflib
import html
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Final

# How offline.engine writes values it cannot show; kept literal so a diff needs no Pulumi import.
SECRET: Final = "[secret]"
UNKNOWN: Final = "[unknown]"

# A GitHub comment holds 65,536 characters; stay well under it.
MARKDOWN_LIMIT: Final = 60_000
# Values longer than this (or multi-line) are shown as a line diff rather than inline.
INLINE_LIMIT: Final = 60

K8S_DIFF = "https://github.com/pulumi/pulumi-kubernetes/blob/master/provider/pkg/provider/diff.go"
CRD_VALIDATION = (
    "https://github.com/kubernetes/apiextensions-apiserver/blob/master/pkg/apis/apiextensions/validation/validation.go"
)
URN_FORMAT = "https://pkg.go.dev/github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
AZURE_NATIVE_DIFF = "https://github.com/pulumi/pulumi-azure-native/blob/master/provider/pkg/provider/diff.go"
AZURE_NATIVE_FORCE_NEW = "https://github.com/pulumi/pulumi-azure-native/blob/master/provider/pkg/gen/replacement.go"
TF_GOOGLE = "https://github.com/hashicorp/terraform-provider-google/blob/main/google"
TF_AWS = "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service"


class DiffError(Exception):
    """A user mistake or a failed render: reported on stderr with exit status 2, no traceback."""


class _Missing:
    """Marks a key or list item that one side does not have."""

    def __repr__(self) -> str:
        return "(absent)"


MISSING: Final = _Missing()


@dataclass(frozen=True)
class ReplaceRule:
    """Changing any of `paths` on a resource whose type matches `types` replaces it."""

    types: tuple[str, ...]  # fnmatch patterns over the Pulumi type token
    paths: tuple[str, ...]  # dotted input paths, as this module prints them
    reason: str
    source: str

    def forced_by(self, path: str) -> bool:
        """A change at `path` or below a listed path, or of a whole object holding one, counts."""
        return any(
            path == rule or path.startswith((rule + ".", rule + "[")) or rule.startswith(path + ".")
            for rule in self.paths
        )


def _rule(types: str | tuple[str, ...], paths: tuple[str, ...], reason: str, source: str) -> ReplaceRule:
    return ReplaceRule((types,) if isinstance(types, str) else types, paths, reason, source)


REPLACE_RULES: Final[tuple[ReplaceRule, ...]] = (
    # Kubernetes (pulumi-kubernetes: metadataForceNewProperties and the per-kind forceNew table).
    _rule(
        "kubernetes:*",
        ("metadata.name", "metadata.namespace"),
        "a Kubernetes object's name and namespace are its identity",
        K8S_DIFF,
    ),
    _rule(
        "kubernetes:*",
        ("apiVersion", "kind"),
        "group/version/kind are part of the type token and so of the URN",
        URN_FORMAT,
    ),
    _rule(
        "kubernetes:apiextensions.k8s.io/*:CustomResourceDefinition",
        ("spec.group", "spec.names.plural"),
        "immutable: they make up the CRD's name; replacing a CRD deletes all its objects",
        CRD_VALIDATION,
    ),
    _rule(
        "kubernetes:apiextensions.k8s.io/*:CustomResourceDefinition",
        ("spec.names.kind", "spec.scope"),
        "immutable once the CRD is established; replacing a CRD deletes all its objects",
        CRD_VALIDATION,
    ),
    _rule(
        "kubernetes:core/v1:ConfigMap",
        ("data", "binaryData"),
        "ConfigMaps are replaced, not patched, unless the provider sets enableConfigMapMutable",
        K8S_DIFF,
    ),
    _rule(
        "kubernetes:core/v1:Secret",
        ("type", "data", "stringData"),
        "Secrets are replaced, not patched, unless the provider sets enableSecretMutable",
        K8S_DIFF,
    ),
    _rule("kubernetes:core/v1:Service", ("spec.clusterIP",), "clusterIP is immutable", K8S_DIFF),
    _rule(
        ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"),
        ("spec.selector",),
        "the selector is immutable",
        K8S_DIFF,
    ),
    _rule(
        "kubernetes:apps/v1:StatefulSet",
        ("spec.serviceName", "spec.volumeClaimTemplates", "spec.podManagementPolicy"),
        "immutable StatefulSet fields",
        K8S_DIFF,
    ),
    _rule(
        (
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        ),
        ("roleRef",),
        "roleRef is immutable",
        K8S_DIFF,
    ),
    _rule(
        "kubernetes:batch/v1:Job",
        ("spec.template", "spec.selector", "spec.completions", "spec.parallelism"),
        "a Job's pod template is immutable",
        K8S_DIFF,
    ),
    _rule(
        "kubernetes:helm.sh/v3:Release",
        ("name", "namespace"),
        "a Helm release is addressed by namespace/name (forceNewFields in the Release Diff)",
        "https://github.com/pulumi/pulumi-kubernetes/blob/master/provider/pkg/provider/helm_release.go",
    ),
    # Google Cloud (terraform-provider-google, which pulumi-gcp bridges: ForceNew fields).
    _rule(
        "gcp:dns/managedZone:ManagedZone",
        ("name", "dnsName", "visibility", "project"),
        "ForceNew in google_dns_managed_zone",
        f"{TF_GOOGLE}/services/dns/resource_dns_managed_zone.go",
    ),
    _rule(
        "gcp:serviceaccount/account:Account",
        ("accountId", "project"),
        "ForceNew in google_service_account: the account id is part of its email",
        f"{TF_GOOGLE}/services/resourcemanager/resource_google_service_account.go",
    ),
    _rule(
        "gcp:projects/iAMMember:IAMMember",
        ("member", "role", "condition", "project"),
        "ForceNew in the IAM member base schema and for the parent id",
        f"{TF_GOOGLE}/tpgiamresource/resource_iam_member.go",
    ),
    _rule(
        "gcp:serviceaccount/iAMMember:IAMMember",
        ("member", "role", "condition", "serviceAccountId"),
        "ForceNew in the IAM member base schema and for the parent id",
        f"{TF_GOOGLE}/tpgiamresource/resource_iam_member.go",
    ),
    _rule(
        "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember",
        ("member", "role", "condition", "managedZone", "project"),
        "ForceNew in the IAM member base schema and for the parent id",
        f"{TF_GOOGLE}/tpgiamresource/resource_iam_member.go",
    ),
    # AWS (terraform-provider-aws, which pulumi-aws bridges: ForceNew / RequiresReplace).
    _rule(
        "aws:route53/zone:Zone",
        ("name",),
        "ForceNew in aws_route53_zone: a hosted zone cannot be renamed",
        f"{TF_AWS}/route53/zone.go",
    ),
    _rule(
        "aws:iam/role:Role",
        ("name", "namePrefix", "path"),
        "ForceNew in aws_iam_role: roles cannot be renamed",
        f"{TF_AWS}/iam/role.go",
    ),
    _rule(
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        ("clusterName", "namespace", "serviceAccount"),
        "RequiresReplace in aws_eks_pod_identity_association",
        f"{TF_AWS}/eks/pod_identity_association.go",
    ),
    # Azure (pulumi-azure-native: every parameter of the resource's URL path forces replacement).
    _rule(
        "azure-native:dns:Zone", ("resourceGroupName", "zoneName"), "path parameters of the ARM id", AZURE_NATIVE_DIFF
    ),
    _rule(
        ("azure-native:network:PrivateZone", "azure-native:privatedns:PrivateZone"),
        ("resourceGroupName", "privateZoneName"),
        "path parameters of the ARM id",
        AZURE_NATIVE_DIFF,
    ),
    _rule(
        "azure-native:managedidentity:FederatedIdentityCredential",
        ("resourceGroupName", "resourceName", "federatedIdentityCredentialResourceName"),
        "path parameters of the ARM id",
        AZURE_NATIVE_DIFF,
    ),
    _rule(
        "azure-native:managedidentity:UserAssignedIdentity",
        ("resourceGroupName", "resourceName"),
        "path parameters of the ARM id",
        AZURE_NATIVE_DIFF,
    ),
    _rule(
        "azure-native:managedidentity:UserAssignedIdentity",
        ("location",),
        "x-ms-mutability create/read: ARM cannot move a tracked resource",
        AZURE_NATIVE_FORCE_NEW,
    ),
    _rule(
        "azure-native:authorization:RoleAssignment",
        ("scope", "roleAssignmentName"),
        "path parameters of the ARM id",
        AZURE_NATIVE_DIFF,
    ),
    _rule(
        "azure-native:authorization:RoleAssignment",
        ("principalId",),
        "ARM answers RoleAssignmentUpdateNotPermitted; azure-native's forceNewMap lists it",
        AZURE_NATIVE_FORCE_NEW,
    ),
    _rule(
        "azure-native:authorization:RoleAssignment",
        ("roleDefinitionId",),
        "ARM does not update a role assignment's role in place (ForceNew in azurerm_role_assignment); "
        "azure-native would attempt an update that fails",
        "https://github.com/hashicorp/terraform-provider-azurerm/pull/775",
    ),
)


def replace_rules_for(type_: str, path: str) -> list[ReplaceRule]:
    """The rows of REPLACE_RULES under which a change at `path` replaces a `type_` resource."""
    return [
        rule
        for rule in REPLACE_RULES
        if any(fnmatchcase(type_, pattern) for pattern in rule.types) and rule.forced_by(path)
    ]


@dataclass(frozen=True)
class Change:
    """One changed value; `old`/`new` are MISSING where a side lacks it, masked if `secret`."""

    path: str
    old: Any
    new: Any
    secret: bool = False
    forces: ReplaceRule | None = None


@dataclass(frozen=True)
class ResourceDiff:
    kind: str  # one of KINDS
    type: str
    name: str
    key: str
    old_parent: str | None = None
    new_parent: str | None = None
    changes: tuple[Change, ...] = ()


# Display order, most consequential first.
KINDS: Final = ("replace", "reparent", "delete", "add", "change")
LABELS: Final = {
    "replace": "REPLACED",
    "reparent": "RE-PARENTED",
    "delete": "DELETED",
    "add": "ADDED",
    "change": "CHANGED",
}
SIGNS: Final = {"replace": "+-", "reparent": "+-", "delete": "-", "add": "+", "change": "~"}


@dataclass(frozen=True)
class StackDiff:
    stack: str
    resources: tuple[ResourceDiff, ...]
    outputs: tuple[Change, ...]
    note: str = ""  # "new stack" / "stack removed"

    @property
    def changed(self) -> bool:
        return bool(self.resources or self.outputs)

    def summary(self) -> str:
        """`dev: 2 to add, 1 to change, 1 to replace, 0 to delete`, or `dev: no changes`."""
        if not self.changed:
            return f"{self.stack}: no changes"
        counts = Counter(r.kind for r in self.resources)
        line = (
            f"{self.stack}: {counts['add']} to add, {counts['change']} to change, "
            f"{counts['replace']} to replace, {counts['delete']} to delete"
        )
        if counts["reparent"]:
            line += f", {counts['reparent']} re-parented"
        if self.outputs:
            line += f", {len(self.outputs)} output{'s' if len(self.outputs) != 1 else ''} changed"
        return line + (f" ({self.note})" if self.note else "")


Plan = dict[str, Any]  # one plan.json
Resource = dict[str, Any]  # one entry of its `resources`


# --- comparing ------------------------------------------------------------------------------


def _join(path: str, key: str) -> str:
    if re.fullmatch(r"[A-Za-z_$][\w$-]*", key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def value_changes(old: Any, new: Any, path: str = "") -> list[Change]:
    """Leaf-level differences between two JSON values, paths like `spec.listeners[1].port`.

    A secret on either side ends the walk at that path: the change is reported, both values masked,
    so nothing that was secret on one side is ever printed from the other.
    """
    if SECRET in (old, new):
        if old == new:
            return []
        return [Change(path, _masked(old), _masked(new), secret=True)]
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            change
            for key in sorted(old.keys() | new.keys())
            for change in value_changes(old.get(key, MISSING), new.get(key, MISSING), _join(path, key))
        ]
    if isinstance(old, list) and isinstance(new, list):
        return [
            change
            for index in range(max(len(old), len(new)))
            for change in value_changes(
                old[index] if index < len(old) else MISSING,
                new[index] if index < len(new) else MISSING,
                f"{path}[{index}]",
            )
        ]
    if type(old) is type(new) and old == new:
        return []
    return [Change(path, old, new)]


def _masked(value: Any) -> Any:
    return MISSING if value is MISSING else SECRET


def resource_key(urn: str) -> str:
    """A URN without its stack segment (`urn:pulumi:<stack>::project::type::name`)."""
    head, sep, rest = urn.partition("::")
    return rest if sep and head.startswith("urn:pulumi:") else urn


# Resource options worth a reviewer's eye, with their defaults; dependencies follow the inputs.
OPTIONS: Final[Mapping[str, Any]] = {"protect": False, "retainOnDelete": False, "provider": None}


def _option_changes(old: Resource, new: Resource) -> list[Change]:
    changes = []
    for option, default in OPTIONS.items():
        before, after = old.get(option, default), new.get(option, default)
        if option == "provider":  # `<provider urn>::<id>`; the stack segment is not a change
            before, after = before and resource_key(before), after and resource_key(after)
        if before != after:
            changes.append(Change(f"({option})", before, after))
    return changes


def _compare(type_: str, old: Resource, new: Resource) -> tuple[Change, ...]:
    changes = value_changes(old.get("inputs") or {}, new.get("inputs") or {})
    flagged = [
        Change(c.path, c.old, c.new, c.secret, next(iter(replace_rules_for(type_, c.path)), None)) for c in changes
    ]
    return tuple(flagged + _option_changes(old, new))


def diff_stack(stack: str, old: Plan | None, new: Plan | None) -> StackDiff:
    """What a deploy of `new` over `old` does; None stands for a stack one side does not have."""
    olds = {resource_key(r["urn"]): r for r in (old or {}).get("resources", [])}
    news = {resource_key(r["urn"]): r for r in (new or {}).get("resources", [])}
    diffs: list[ResourceDiff] = []
    for key in olds.keys() & news.keys():
        type_ = news[key]["type"]
        changes = _compare(type_, olds[key], news[key])
        if changes:
            kind = "replace" if any(c.forces for c in changes) else "change"
            diffs.append(ResourceDiff(kind, type_, news[key]["name"], key, changes=changes))
    gone = sorted(olds.keys() - news.keys())
    added = sorted(news.keys() - olds.keys())
    for key_old, key_new in _reparented(olds, news, gone, added):
        before, after = olds[key_old], news[key_new]
        gone.remove(key_old)
        added.remove(key_new)
        diffs.append(
            ResourceDiff(
                "reparent",
                after["type"],
                after["name"],
                key_new,
                old_parent=before.get("parent"),
                new_parent=after.get("parent"),
                changes=_compare(after["type"], before, after),
            )
        )
    diffs += [ResourceDiff("delete", olds[k]["type"], olds[k]["name"], k) for k in gone]
    diffs += [ResourceDiff("add", news[k]["type"], news[k]["name"], k) for k in added]
    diffs.sort(key=lambda d: (KINDS.index(d.kind), d.type, d.name, d.key))
    outputs = value_changes((old or {}).get("outputs") or {}, (new or {}).get("outputs") or {})
    note = "new stack" if old is None else "stack removed" if new is None else ""
    return StackDiff(stack, tuple(diffs), tuple(outputs), note)


def _reparented(
    olds: Mapping[str, Resource], news: Mapping[str, Resource], gone: list[str], added: list[str]
) -> list[tuple[str, str]]:
    """Pairs (old key, new key) with the same type and name, only where that pairing is unambiguous."""

    def by_identity(keys: Iterable[str], resources: Mapping[str, Resource]) -> dict[tuple[str, str], list[str]]:
        groups: dict[tuple[str, str], list[str]] = {}
        for key in keys:
            groups.setdefault((resources[key]["type"], resources[key]["name"]), []).append(key)
        return groups

    old_groups, new_groups = by_identity(gone, olds), by_identity(added, news)
    return [
        (old_keys[0], new_groups[identity][0])
        for identity, old_keys in sorted(old_groups.items())
        if len(old_keys) == 1 and len(new_groups.get(identity, [])) == 1
    ]


def diff_stacks(olds: Mapping[str, Plan], news: Mapping[str, Plan]) -> list[StackDiff]:
    """Stacks matched by name; a single plan on each side is compared whatever the names."""
    if len(olds) == 1 and len(news) == 1 and olds.keys() != news.keys():
        (old_name, old), (new_name, new) = *olds.items(), *news.items()
        return [diff_stack(f"{old_name} → {new_name}", old, new)]
    return [diff_stack(name, olds.get(name), news.get(name)) for name in sorted(olds.keys() | news.keys())]


# --- rendering ------------------------------------------------------------------------------


def _show(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _pretty_lines(value: Any) -> list[str]:
    """Multi-line form for a line diff; JSON held in a string (an IAM policy) is expanded."""
    if value is MISSING:
        return []
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value.splitlines()
        if isinstance(parsed, (dict, list)):
            value = parsed
        else:
            return value.splitlines()
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def _is_long(change: Change) -> bool:
    return any(len(shown) > INLINE_LIMIT or "\\n" in shown for shown in (_show(change.old), _show(change.new)))


def _line_diff(change: Change) -> list[str]:
    lines = difflib.unified_diff(_pretty_lines(change.old), _pretty_lines(change.new), lineterm="", n=2)
    return [line for line in lines if not line.startswith(("---", "+++"))]


def _parent_label(urn: str | None) -> str:
    if not urn:
        return "(stack)"
    parts = urn.split("::")
    return f"{'::'.join(parts[3:])} ({parts[2].split('$')[-1]})" if len(parts) >= 4 else urn


def render_text(diffs: list[StackDiff]) -> str:
    """For a terminal: a summary line per stack, then one line per resource and per changed input."""
    lines: list[str] = []
    for stack in diffs:
        if lines:
            lines.append("")
        lines.append(stack.summary())
        for resource in stack.resources:
            lines.append(f"  {SIGNS[resource.kind]} {LABELS[resource.kind]} {resource.type} {resource.name}")
            if resource.kind == "reparent":
                parents = f"{_parent_label(resource.old_parent)} → {_parent_label(resource.new_parent)}"
                lines.append(f"      parent: {parents}")
                lines.append("      (a delete + create unless an alias maps the old URN)")
            for change in resource.changes:
                lines += _text_change(change, indent="      ")
        if stack.outputs:
            lines.append("  outputs:")
            for change in stack.outputs:
                lines += _text_change(change, indent="      ")
    return "\n".join(lines)


def _text_change(change: Change, indent: str) -> list[str]:
    forces = f"  [forces replacement: {change.forces.reason}]" if change.forces else ""
    if not _is_long(change):
        return [f"{indent}{change.path}: {_show(change.old)} → {_show(change.new)}{forces}"]
    return [f"{indent}{change.path}:{forces}"] + [f"{indent}  {line}" for line in _line_diff(change)]


def _code(text: str) -> str:
    """Inline code that survives a Markdown table cell."""
    return "<code>" + html.escape(text, quote=False).replace("|", "&#124;").replace("\n", " ") + "</code>"


MD_BADGES: Final = {
    "replace": "🔴 **REPLACED**",
    "reparent": "🟠 **RE-PARENTED**",
    "delete": "➖ deleted",
    "add": "➕ added",
    "change": "✏️ changed",
}


def render_markdown(diffs: list[StackDiff]) -> str:
    """For a PR comment: a heading, summary and resource table per stack, then each change's inputs."""
    out = [
        "## Offline preview diff",
        "",
        "Rendered under Pulumi mocks by `python -m offline diff`: values a cloud computes show as "
        f"`{UNKNOWN}`, secrets as `{SECRET}`. A real `pulumi preview` against live state has the last word.",
    ]
    for stack in diffs:
        out += ["", f"### {stack.stack}", "", f"**{stack.summary()}**"]
        if stack.resources:
            out += ["", "| | Resource | Type |", "|---|---|---|"]
            out += [f"| {MD_BADGES[r.kind]} | {_code(r.name)} | {_code(r.type)} |" for r in stack.resources]
        for resource in stack.resources:
            if resource.kind in ("replace", "reparent", "change"):
                out += _markdown_resource(resource)
        if stack.outputs:
            out += ["", "#### Stack outputs", "", *_markdown_changes(stack.outputs)]
    return _truncate("\n".join(out) + "\n")


def _markdown_resource(resource: ResourceDiff) -> list[str]:
    out = ["", f"#### {MD_BADGES[resource.kind]} {_code(resource.name)} · {_code(resource.type)}", ""]
    if resource.kind == "reparent":
        out += [
            f"Parent {_code(_parent_label(resource.old_parent))} → {_code(_parent_label(resource.new_parent))}: "
            "the URN changes, so this is a delete + create unless an alias maps the old URN.",
            "",
        ]
    return out + _markdown_changes(resource.changes)


def _markdown_changes(changes: Iterable[Change]) -> list[str]:
    rows = ["| Path | Old | New | |", "|---|---|---|---|"]
    details: list[str] = []
    for change in changes:
        note = ""
        if change.forces:
            source = change.forces.source
            note = f"🔴 **forces replacement**: {html.escape(change.forces.reason, quote=False)} ([source]({source}))"
        if _is_long(change):
            rows.append(f"| {_code(change.path)} | _see below_ | _see below_ | {note} |")
            lines = _line_diff(change)
            fence = "`" * max([3, *(len(run) + 1 for line in lines for run in re.findall("`+", line))])
            details += [
                "",
                f"<details><summary>{_code(change.path)}</summary>",
                "",
                f"{fence}diff",
                *lines,
                fence,
                "",
                "</details>",
            ]
        else:
            rows.append(f"| {_code(change.path)} | {_code(_show(change.old))} | {_code(_show(change.new))} | {note} |")
    return rows + details


def _truncate(markdown: str) -> str:
    """Cut at a line under the comment limit, closing a code fence or <details> left open there."""
    if len(markdown) <= MARKDOWN_LIMIT:
        return markdown
    kept = markdown[: markdown.rfind("\n", 0, MARKDOWN_LIMIT - 500)].splitlines()
    fence = ""
    for line in kept:
        run = re.match(r"`{3,}", line)
        if run and not fence:
            fence = run.group()
        elif run and line.strip() == fence:
            fence = ""
    closing = [fence] if fence else []
    if sum(line.startswith("<details>") for line in kept) > kept.count("</details>"):
        closing += ["", "</details>"]
    note = f"_Truncated: the full diff is {len(markdown):,} characters. Run `python -m offline diff` locally._"
    return "\n".join([*kept, *closing, "", "---", note]) + "\n"


# --- loading plans --------------------------------------------------------------------------


def load_plan(path: Path) -> Plan:
    """Read and sanity-check one plan.json, so a wrong file is an error and not a silent no-op."""
    try:
        plan = json.loads(path.read_text())
    except OSError as error:
        raise DiffError(f"{path}: {error.strerror}") from None
    except ValueError as error:
        raise DiffError(f"{path}: not JSON: {error}") from None
    if not isinstance(plan, dict) or not _is_resource_list(plan.get("resources")):
        raise DiffError(f"{path}: not a preview plan (needs `resources`, each with urn, type and name)")
    return plan


def _is_resource_list(resources: Any) -> bool:
    return isinstance(resources, list) and all(
        isinstance(r, dict) and all(isinstance(r.get(k), str) for k in ("urn", "type", "name")) for r in resources
    )


def load_path(path: Path) -> dict[str, Plan]:
    """A plan.json, a directory holding one, or a directory of `<stack>/plan.json`."""
    single = path if path.is_file() else path / "plan.json"
    if single.is_file():
        plan = load_plan(single)
        return {str(plan.get("stack") or single.parent.name): plan}
    found = sorted(path.glob("*/plan.json"))
    if not found:
        raise DiffError(f"{path}: no plan.json here nor in any <stack>/ subdirectory")
    return {p.parent.name: load_plan(p) for p in found}


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise DiffError("git is not installed; give OLD and NEW as plan directories instead") from None


def resolve_commit(ref: str, cwd: Path) -> str | None:
    """The commit `ref` names, or None when it names none (or cwd is not in a repository)."""
    result = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    return result.stdout.strip() if result.returncode == 0 else None


def export_tree(commit: str, repo: Path, dest: Path) -> None:
    """Write the tree of `commit` under `dest`, as `git archive | tar -x` would, without touching repo."""
    dest.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryFile() as errors,
        subprocess.Popen(
            ["git", "archive", "--format=tar", commit], cwd=repo, stdout=subprocess.PIPE, stderr=errors
        ) as archive,
    ):
        try:
            with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
                tar.extractall(dest, filter="data")
        except tarfile.TarError as error:
            problem = str(error)
        else:
            problem = ""
        archive.wait()
        errors.seek(0)
        stderr = errors.read().decode(errors="replace").strip()
    if archive.returncode != 0 or problem:
        raise DiffError(f"git archive {commit} failed: {stderr or problem or f'exit {archive.returncode}'}")


def stack_files(project_dir: Path, only: set[str] | None) -> dict[str, Path]:
    """`Pulumi.<stack>.yaml` files by stack name."""
    files = {f.name[len("Pulumi.") : -len(".yaml")]: f for f in sorted(project_dir.glob("Pulumi.*.yaml"))}
    return {stack: f for stack, f in files.items() if only is None or stack in only}


def render_stacks(project_dir: Path, out_dir: Path, only: set[str] | None, label: str) -> dict[str, Plan]:
    """Render every stack of `project_dir` with the preview tool that lives in that tree."""
    stacks = stack_files(project_dir, only)
    # -m puts cwd first on sys.path, so the tree's own `offline` package renders it; PYTHONSAFEPATH
    # would drop that entry.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}

    def render(stack: str) -> subprocess.CompletedProcess[str]:
        command = [
            sys.executable,
            "-m",
            "offline",
            "preview",
            "--config",
            str(stacks[stack].resolve()),
            "--out",
            str(out_dir / stack),
        ]
        return subprocess.run(command, cwd=project_dir, env=env, capture_output=True, text=True, check=False)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = dict(zip(stacks, pool.map(render, stacks), strict=True))
    for stack, result in results.items():
        if result.returncode != 0:
            output = (result.stderr or result.stdout).strip()[-3000:]
            raise DiffError(f"{label}: rendering {stacks[stack].name} failed (exit {result.returncode}):\n{output}")
    return {stack: load_plan(out_dir / stack / "plan.json") for stack in stacks}


class Sources:
    """Turns OLD/NEW arguments into plans, rendering git refs and the working tree in a temp dir."""

    def __init__(self, workdir: Path, scratch: Path, only: set[str] | None) -> None:
        self.workdir = workdir
        self.scratch = scratch
        self.only = only
        self.renders = 0

    def _scratch(self, name: str) -> Path:
        self.renders += 1
        return self.scratch / f"{self.renders}-{name}"

    def load(self, spec: str, force_git: bool) -> dict[str, Plan]:
        if not force_git and Path(spec).exists():
            return load_path(Path(spec))
        commit = resolve_commit(spec, self.workdir)
        if commit is None:
            what = "a git commit" if force_git else "an existing path nor a git commit"
            raise DiffError(f"{spec!r} is not {what}")
        top = _git(["rev-parse", "--show-toplevel"], self.workdir).stdout.strip()
        prefix = _git(["rev-parse", "--show-prefix"], self.workdir).stdout.strip()
        tree = self._scratch("tree")
        export_tree(commit, Path(top), tree)
        return render_stacks(tree / prefix, self._scratch("plans"), self.only, f"{spec} ({commit[:12]})")

    def worktree(self) -> dict[str, Plan]:
        return render_stacks(self.workdir, self._scratch("plans"), self.only, "working tree")


# --- command line ---------------------------------------------------------------------------


def _stack_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated stack names")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Compare two previews (plan directories or git refs) stack by stack."
    parser.add_argument("old", metavar="OLD", help="plan.json, a plan directory, a directory of <stack>/, or a git ref")
    parser.add_argument("new", metavar="NEW", nargs="?", help="as OLD; leave out with --worktree")
    parser.add_argument("--worktree", action="store_true", help="NEW is the working tree, rendered as it is on disk")
    parser.add_argument("--git", action="store_true", help="treat OLD and NEW as git refs even if such a path exists")
    parser.add_argument("--format", choices=("text", "markdown"), default="text", help="markdown for a PR comment")
    parser.add_argument("--stacks", type=_stack_list, help="only these stacks, comma-separated (default: all)")


def run(args: argparse.Namespace) -> int:
    """0: no changes; 1: changes; 2: usage error, missing plan or failed render."""
    try:
        report, changed = _run(args)
    except DiffError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        print(report)
    except BrokenPipeError:  # `... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1 if changed else 0


def _run(args: argparse.Namespace) -> tuple[str, bool]:
    """The report, and whether any stack changed."""
    if bool(args.new) == bool(args.worktree):
        raise DiffError("give NEW or --worktree (exactly one)")
    only = set(args.stacks) if args.stacks else None
    with tempfile.TemporaryDirectory(prefix="offline-diff-") as scratch:
        sources = Sources(Path.cwd(), Path(scratch), only)
        olds = sources.load(args.old, args.git)
        news = sources.worktree() if args.worktree else sources.load(args.new, args.git)
    if only is not None:
        if unknown := only - olds.keys() - news.keys():
            known = ", ".join(sorted(olds.keys() | news.keys())) or "none"
            raise DiffError(f"no such stack: {', '.join(sorted(unknown))} (known: {known})")
        olds = {name: plan for name, plan in olds.items() if name in only}
        news = {name: plan for name, plan in news.items() if name in only}
    if not olds and not news:
        raise DiffError("no stacks to compare on either side")
    diffs = diff_stacks(olds, news)
    report = render_markdown(diffs) if args.format == "markdown" else render_text(diffs)
    return report, any(d.changed for d in diffs)
