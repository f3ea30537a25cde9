"""A stack as its user would have it: a scratch project dir holding Pulumi.yaml and a copy of the stack file, on a
file backend of its own, driven through the Automation API by the toolchain's CLI."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

# The example stacks' passphrase (Pulumi.functions.yaml); a user's stack with ciphertext needs its own
# PULUMI_CONFIG_PASSPHRASE, or its secrets are noted and replaced by test values.
DEFAULT_PASSPHRASE = "traffic-edge-example"
# Test values for the secrets the e2e has to set itself (see `Workspace.stack`).
TEST_SECRETS = {"tsigSecret": "ZTJlLXRlc3QtdHNpZy1rZXktMzItYnl0ZXMtbG9uZyE="}


def stack_name(stack_file: Path) -> str:
    """`Pulumi.<stack>.yaml` → `<stack>`."""
    return stack_file.name.split(".", 1)[1].rsplit(".", 1)[0]


def environment(state: Path, bin_dir: Path, kubeconfig: Path | None) -> dict[str, str]:
    """What the Pulumi CLI, its providers and the program see: an offline engine on a file backend, and, where
    given, a control plane as the current cluster (programs without a `cluster` key reach it that way)."""
    path = os.environ.get("PATH", "/usr/bin:/bin")
    env = {
        "PULUMI_BACKEND_URL": f"file://{state}",
        "PULUMI_CONFIG_PASSPHRASE": os.environ.get("PULUMI_CONFIG_PASSPHRASE", DEFAULT_PASSPHRASE),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PATH": path if path.startswith(f"{bin_dir}:") else f"{bin_dir}:{path}",
    }
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    return env


def _secure(value: Any) -> bool:
    """A stack-file value written `{secure: <ciphertext>}`."""
    return isinstance(value, dict) and set(value) == {"secure"}


def project_name(project_dir: Path) -> str:
    return str(yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"])


@dataclass
class Workspace:
    """One stack's scratch project dir (`dir`) and backend (`state`), copied from `stack_file`'s project."""

    stack_file: Path
    dir: Path
    state: Path
    bin_dir: Path
    kubeconfig: Path | None = None
    notes: list[str] = field(default_factory=list)  # what had to be changed to run the stack here

    @property
    def name(self) -> str:
        return stack_name(self.stack_file)

    @property
    def file(self) -> Path:
        """The scratch copy of the stack file, which the CLI reads and writes."""
        return self.dir / self.stack_file.name

    def env(self) -> dict[str, str]:
        return environment(self.state, self.bin_dir, self.kubeconfig)

    def options(self) -> auto.LocalWorkspaceOptions:
        return auto.LocalWorkspaceOptions(
            work_dir=str(self.dir),
            pulumi_home=str(self.state.parent / "pulumi-home"),
            env_vars=self.env(),
            pulumi_command=auto.PulumiCommand(root=str(self.bin_dir.parent)),
        )

    def select(self, program: Callable[[], None]) -> auto.Stack:
        """The stack, with another program (same config, same state)."""
        return auto.select_stack(self.name, project_name=project_name(self.dir), program=program, opts=self.options())

    def stack(self, program: Callable[[], None]) -> auto.Stack:
        """Creates the stack from a fresh copy of the stack file. Ciphertext the CLI cannot decrypt (another
        passphrase's, or a placeholder) is noted and set again as a user would (`pulumi config set --secret`)."""
        self.dir.mkdir(parents=True)
        self.state.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.stack_file.parent / "Pulumi.yaml", self.dir / "Pulumi.yaml")
        shutil.copyfile(self.stack_file, self.file)
        project = project_name(self.dir)
        try:
            stack = auto.create_stack(self.name, project_name=project, program=program, opts=self.options())
        except auto.CommandError as error:  # an encryption salt of another passphrase
            self.notes.append(f"stack file's encryption salt: {first_error(error)}")
            self._drop([key for key, value in self.config().items() if _secure(value)], salt=True)
            stack = auto.create_stack(self.name, project_name=project, program=program, opts=self.options())
        self.readable_secrets(stack)
        return stack

    def readable_secrets(self, stack: auto.Stack) -> None:
        """Secure values the CLI cannot decrypt are set again as a user would, with test values."""
        secure = [key for key, value in self.config().items() if _secure(value)]
        if secure:
            try:
                stack.get_all_config()
            except auto.CommandError as error:
                self.notes.append(f"stack file's secure values: {first_error(error)}; set again with test values")
                self._drop(secure)
                for key in secure:
                    short = key.split(":", 1)[-1]
                    stack.set_config(key, auto.ConfigValue(TEST_SECRETS.get(short, "e2e-test-secret"), secret=True))

    def config(self) -> dict[str, Any]:
        """The scratch stack file's `config`, as YAML reads it."""
        data = yaml.safe_load(self.file.read_text()) or {}
        return dict(data.get("config") or {})

    def _drop(self, keys: Collection[str], salt: bool = False) -> None:
        """Removes `keys` from the scratch stack file (and its encryption salt): the CLI cannot read them."""
        data = yaml.safe_load(self.file.read_text()) or {}
        data["config"] = {key: value for key, value in (data.get("config") or {}).items() if key not in keys}
        if salt:
            data.pop("encryptionsalt", None)
        self.file.write_text(yaml.safe_dump(data, sort_keys=False))


def first_error(error: Exception, most: int = 12) -> str:
    """The engine's diagnostics (`error: ...` lines, each once), not the whole command output."""
    text = str(error)
    lines = [line.strip() for line in text.splitlines()]
    errors = [line for line in lines if line.startswith("error:")] or [line for line in lines if "error" in line]
    unique = list(dict.fromkeys(errors))
    more = f"\n(+{len(unique) - most} more)" if len(unique) > most else ""
    return "\n".join(unique[:most]) + more if unique else text[-2000:]
