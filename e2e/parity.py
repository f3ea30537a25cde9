"""Config parity: the offline reader (traffic_edge.offline.stackfile) hands the program exactly what the real CLI's
language host hands it, value by value and secret flag by secret flag.

A tiny inline program under the real engine returns the config it sees at run time (what traffic_edge.config.load
reads: the runtime config and its secret keys); the offline reader reads the same file. Values are compared as
the program decodes them (JSON objects and lists parsed, with int and float kept apart), so that how Go escapes
`<` in JSON text does not count, but a number that arrives as another number does. A file the offline reader
refuses (a YAML 1.1 form, a date) must be one the CLI reads otherwise than it is written: the refusal is checked
against the CLI's reading, not assumed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pulumi import automation as auto
from pulumi.runtime.config import CONFIG, get_config_env, is_config_secret

from e2e.workspace import Workspace, first_error
from traffic_edge.offline.stackfile import StackConfig, StackFileError, read_project, read_stack_config


@dataclass
class EngineConfig:
    """What the program was handed at run time: key → string, and the keys holding a secret."""

    values: dict[str, str] = field(default_factory=dict)
    secret_keys: set[str] = field(default_factory=set)


def capture(into: EngineConfig) -> Callable[[], None]:
    """A program that registers nothing and records the config, exactly as traffic_edge.config.load merges it."""

    def run() -> None:
        config = {**get_config_env(), **CONFIG.get()}
        into.values = {key: str(value) for key, value in config.items()}
        into.secret_keys = {key for key in config if is_config_secret(key)}

    return run


def decoded(text: str) -> Any:
    """A value as the program reads it: JSON objects and lists parsed, anything else as the string it is."""
    if text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text


def typed(value: Any) -> Any:
    """The value with each number tagged by its type (1 and 1.0 differ to the program; NaN equals NaN here)."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return ("int", value)
    return value


def differences(engine: EngineConfig, offline: StackConfig) -> list[str]:
    """Every key where the offline read differs from the engine's: missing, extra, another value or secret flag."""
    found = []
    for key in sorted(set(engine.values) | set(offline.values)):
        if key not in offline.values:
            found.append(f"{key}: the engine hands {engine.values[key]!r}, the offline reader nothing")
        elif key not in engine.values:
            found.append(f"{key}: the offline reader hands {offline.values[key]!r}, the engine nothing")
        elif typed(decoded(engine.values[key])) != typed(decoded(offline.values[key])):
            found.append(f"{key}: engine {engine.values[key]!r}, offline {offline.values[key]!r}")
    for key in sorted(engine.secret_keys ^ set(offline.secret_keys)):
        side = "engine" if key in engine.secret_keys else "offline reader"
        found.append(f"{key}: a secret only to the {side}")
    return found


def offline_read(workspace: Workspace) -> StackConfig:
    return read_stack_config(workspace.file, read_project(workspace.dir), workspace.env())


def judge(workspace: Workspace, stack: auto.Stack) -> tuple[EngineConfig | str, StackConfig | str]:
    """What the engine hands the program for the workspace's stack file as it is now (or the CLI's refusal), and
    the offline read (or the offline reader's refusal)."""
    engine = EngineConfig()
    stack.workspace.program = capture(engine)
    try:
        stack.preview(color="never")
    except auto.CommandError as error:
        return first_error(error), _offline(workspace)
    return engine, _offline(workspace)


def _offline(workspace: Workspace) -> StackConfig | str:
    try:
        return offline_read(workspace)
    except StackFileError as refusal:
        return str(refusal)


# -- The corpus: stack files written the tricky ways users write them. ---------------------------------------------
# `SECRET(name)` marks where ciphertext goes, set by the CLI as `pulumi config set --secret --path` would.

SECRET = re.compile(r"SECRET\((?P<name>[a-z0-9-]+)\)")


@dataclass(frozen=True)
class CorpusFile:
    """A stack file's `config:` lines (indented two spaces). A file the offline reader must refuse says why: what
    the CLI hands the program for its telling keys (`cli_reads`), or the CLI's own refusal (`cli_refuses`)."""

    name: str
    text: str
    secrets: Mapping[str, str] = field(default_factory=dict)  # marker name → plaintext
    cli_reads: Mapping[str, str] | None = None
    cli_refuses: str = ""

    @property
    def refused(self) -> bool:
        return self.cli_reads is not None or bool(self.cli_refuses)


def write_corpus_file(workspace: Workspace, stack: auto.Stack, case: CorpusFile) -> None:
    """The stack file of `case`, its secrets encrypted by the CLI under the stack's own salt."""
    scratch = f"{read_project(workspace.dir).name}:e2e-scratch"
    ciphertexts = {}
    for name, plain in case.secrets.items():
        stack.set_config(scratch, auto.ConfigValue(plain, secret=True))
        ciphertexts[name] = yaml.safe_load(workspace.file.read_text())["config"][scratch]["secure"]
    document = yaml.safe_load(workspace.file.read_text()) or {}
    text = SECRET.sub(lambda match: "{secure: " + ciphertexts[match["name"]] + "}", case.text)
    salt = f"encryptionsalt: {document['encryptionsalt']}\n" if "encryptionsalt" in document else ""
    workspace.file.write_text(f"config:\n{text}{salt}")


def case_failures(case: CorpusFile, engine: EngineConfig | str, offline: StackConfig | str) -> list[str]:
    """What is wrong with the offline reader on one corpus file; empty when it reads as the CLI reads."""
    if isinstance(engine, str):
        if case.cli_refuses and case.cli_refuses in engine and isinstance(offline, str):
            return []
        return [f"{case.name}: the CLI refuses it ({engine}); the offline reader "
                + (f"refuses it too ({offline})" if isinstance(offline, str) else "reads it")]
    if case.cli_refuses:
        return [f"{case.name}: the CLI reads it, though the case expects it to refuse ({case.cli_refuses})"]
    if isinstance(offline, str):
        if case.cli_reads is None:
            return [f"{case.name}: refused ({offline}), though the CLI reads it as written"]
        return [f"{case.name}: {key}: the CLI hands {engine.values.get(key)!r}, not {value!r} as the refusal says"
                for key, value in case.cli_reads.items() if engine.values.get(key) != value]
    if case.cli_reads is not None:
        return [f"{case.name}: read without complaint, though the CLI reads {dict(case.cli_reads)}"]
    return [f"{case.name}: {line}" for line in differences(engine, offline)]


def run_corpus(workspace: Workspace, cases: Sequence[CorpusFile]) -> list[str]:
    """Every failure over the corpus, in one stack whose file is rewritten per case."""
    stack = workspace.stack(capture(EngineConfig()))
    failures = []
    for case in cases:
        write_corpus_file(workspace, stack, case)
        failures += case_failures(case, *judge(workspace, stack))
    return failures

