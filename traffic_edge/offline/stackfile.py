"""Read a stack file exactly as the Pulumi CLI hands its config to a program, or refuse what it would read otherwise.

The CLI decodes Pulumi.<stack>.yaml with go-yaml v3 (YAML 1.2 core schema) and passes every key as a string:
scalars as their text (`true`, `80`, `1.5`), objects as compact JSON with sorted keys, `secure:` values
decrypted, and the list of keys that hold a secret anywhere inside. Measured with the CLI v3.274.1 (the e2e
toolchain).

Numbers pass through Go's types as the CLI's do: an integer outside int64 (uint64 at the top level) becomes a float64,
and floats are written as Go's encoding/json writes them (`1e-7`, `1e+21`). Merge keys (`<<`) merge, `!!binary`
is decoded, and keys that are integers or booleans become their text.

What a YAML 1.1 reader (and a person) reads differently is refused with the key: `yes`/`no`/`on`/`off`/`y`/`n`
(strings to the CLI), numbers with a leading zero (octal to the CLI: `0443` is 291), unquoted dates (the CLI
passes `2024-01-01 00:00:00 +0000 UTC`), keys that are null, floats or dates (the CLI turns `~` into `<nil>`),
`.inf` and `.nan` (the CLI refuses them), duplicate keys, files that are not UTF-8, and a project prefix that is
almost the project's name. tests/test_stackfile.py and the e2e's config-parity corpus (e2e/parity_corpus.py, run
against the real CLI) hold the cases.
"""

from __future__ import annotations

import base64
import decimal
import difflib
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PLACEHOLDER = "offline-placeholder-for-"  # a secret that cannot be decrypted here; still a secret to the program
# Plain scalars YAML 1.1 reads as booleans and the CLI (YAML 1.2) as strings.
YAML11_BOOLEANS = re.compile(r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")
LEGACY_OCTAL = re.compile(r"^[-+]?0[0-9_]+$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d?-\d\d?([Tt ].*)?$")
# pkg/secrets/passphrase and sdk/go/common/resource/config/crypt.go: PBKDF2-SHA256, 1,000,000 rounds, AES-256-GCM.
PASSPHRASE_ROUNDS = 1_000_000


class StackFileError(Exception):
    """The stack file or Pulumi.yaml cannot be read as the CLI reads it; reported with the key, no traceback."""


@dataclass(frozen=True)
class Project:
    name: str
    defaults: dict[str, Any]  # key → value, from Pulumi.yaml `config: {key: {default: …}}`


@dataclass
class StackConfig:
    """What the language host hands a program: `project:key` → string, and which keys hold a secret."""

    values: dict[str, str] = field(default_factory=dict)
    secret_keys: list[str] = field(default_factory=list)
    undecrypted: list[str] = field(default_factory=list)  # secret keys that hold a placeholder, not the value


class _Loader(yaml.SafeLoader):
    """YAML 1.2 core schema, as go-yaml v3 resolves plain scalars; every value kept with the path it sits at."""


_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|0b[01]+)$", "-+0123456789"),
    ("tag:yaml.org,2002:float", r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|"
     r"^\.(nan|NaN|NAN)$", "-+.0123456789"),
    ("tag:yaml.org,2002:null", r"^(~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:merge", r"^<<$", "<"),
):
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), [*_first, *([""] if _tag.endswith("null") else [])])


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    return int(text, 0) if text[:2] in ("0o", "0x", "0b") else int(text)


def _construct_binary(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    """The CLI hands decoded `!!binary` on as a string (Go's JSON writes invalid UTF-8 as U+FFFD)."""
    return bytes(loader.construct_yaml_binary(node)).decode("utf-8", "replace")


def _go_key(key: Any) -> Any:
    """Integer and boolean keys as Go's fmt prints them (other kinds are refused when the file is read)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key) if isinstance(key, int) else key


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[str, Any]:
    """Merge keys merged; integer and boolean keys as Go's fmt prints them (so `1` and `true` stay apart)."""
    loader.flatten_mapping(node)
    return {_go_key(loader.construct_object(key)): loader.construct_object(value) for key, value in node.value}


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:binary", _construct_binary)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def _explicitly_tagged(node: yaml.Node, source: str) -> bool:
    """`!!str 0443`: the writer said what it is (an anchor may come first)."""
    span = source[node.start_mark.index:node.end_mark.index]
    if span.startswith("&"):
        span = span.split(maxsplit=1)[-1]
    return span.startswith("!")


def _refuse_yaml11(node: yaml.Node, path: str, source: str) -> None:
    """Quoted, block and tagged scalars are as written; plain ones may read otherwise than they look."""
    if not isinstance(node, yaml.ScalarNode) or node.style is not None or _explicitly_tagged(node, source):
        return
    text = str(node.value)
    if node.tag == "tag:yaml.org,2002:float" and text.lstrip("+-").lower() in (".inf", ".nan"):
        raise StackFileError(f"{path}: `{text}` is a number JSON cannot hold, and Pulumi refuses the file; quote it")
    if LEGACY_OCTAL.match(text):
        shown = int(text.replace("_", ""), 8) if set(text.lstrip("+-")) <= set("01234567_") else "not a number"
        raise StackFileError(f"{path}: `{text}` is an octal number to Pulumi ({shown}); "
                             "write it without the leading zero, or quote it")
    if YAML11_BOOLEANS.match(text):
        raise StackFileError(f"{path}: `{text}` is the string {text!r} to Pulumi, not a boolean; "
                             "write true or false, or quote it")
    if TIMESTAMP.match(text):
        raise StackFileError(f"{path}: `{text}` is a date to Pulumi, which passes it on reformatted; quote it")


KEY_TAGS = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:merge")


def _checked(node: yaml.Node, path: str, source: str) -> None:
    """Duplicate keys, keys the CLI rewrites, and YAML 1.1 forms, anywhere in the document."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            at = f"{path}.{key}" if path else key
            if key in seen:
                raise StackFileError(f"{at}: the key is written twice; keep one")
            if path == "config" and key_node.tag != "tag:yaml.org,2002:str":
                raise StackFileError(f"config key {key} must be a name like `<project>:<key>` (Pulumi refuses it)")
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in KEY_TAGS:
                raise StackFileError(f"{at}: a key that is not text, a number or a boolean reads otherwise to "
                                     "Pulumi (`~` is `<nil>`, `1e3` is `1000`); quote the key")
            _refuse_yaml11(key_node, f"{at} (the key)", source)
            seen.add(key)
            _checked(value_node, at, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _checked(item, f"{path}[{index}]", source)
    else:
        _refuse_yaml11(node, path or "(top level)", source)


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise StackFileError(f"{path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise StackFileError(f"{path}: not UTF-8 (byte {error.start}); save it as UTF-8") from None
    try:
        node = yaml.compose(text, Loader=_Loader)
        if node is not None:
            _checked(node, "", text)
        data = yaml.load(text, Loader=_Loader) or {}
    except yaml.YAMLError as error:
        raise StackFileError(f"{path}: not valid YAML: {error}") from None
    except StackFileError as error:
        raise StackFileError(f"{path}: {error}") from None
    if not isinstance(data, dict):
        raise StackFileError(f"{path}: expected a mapping at the top level")
    return data


def read_project(project_dir: Path) -> Project:
    """Project name and the config defaults Pulumi.yaml declares (`config: {key: {default: v}}`)."""
    project = read_yaml(project_dir / "Pulumi.yaml")
    defaults: dict[str, Any] = {}
    for key, declared in (project.get("config") or {}).items():
        if isinstance(declared, dict) and ("default" in declared or "value" in declared):
            defaults[key] = declared.get("value", declared.get("default"))
        elif not isinstance(declared, dict):
            defaults[key] = declared
    return Project(str(project.get("name", "")), defaults)


def _qualified(project: str, key: Any, stack_file: Path) -> str:
    if not isinstance(key, str):
        raise StackFileError(f"{stack_file}: config key {key!r} must be a name like `{project}:domain`")
    if ":" not in key:
        return f"{project}:{key}"
    namespace = key.split(":", 1)[0]
    if namespace != project and difflib.get_close_matches(namespace, [project], n=1, cutoff=0.8):
        raise StackFileError(f"{stack_file}: `{key}`: did you mean `{project}:{key.split(':', 1)[1]}`?")
    return key


def stack_values(stack_file: Path, project: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stack file's config (`project:key` → YAML value) and the whole document (for encryptionsalt)."""
    document = read_yaml(stack_file)
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{stack_file}: `config` must be a mapping")
    for key, value in config.items():
        try:  # e.g. `!!binary`: bytes, which the program would be handed as their Python repr
            json.dumps(value)
        except (TypeError, ValueError):
            raise StackFileError(f"{stack_file}: `{key}` holds a value config cannot store; quote it") from None
    return {_qualified(project, key, stack_file): value for key, value in config.items()}, document


class Decrypter:
    """The passphrase secrets provider, as the CLI runs it, or placeholders where it cannot be used here."""

    def __init__(self, document: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self.key: bytes | None = None
        salt_state = document.get("encryptionsalt")
        passphrase = environ.get("PULUMI_CONFIG_PASSPHRASE")
        if passphrase is None and environ.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
            passphrase = Path(environ["PULUMI_CONFIG_PASSPHRASE_FILE"]).read_text().rstrip("\n")
        if not salt_state or passphrase is None or document.get("secretsprovider") not in (None, "passphrase"):
            return
        salt = base64.b64decode(str(salt_state).split(":")[1])
        self.key = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, PASSPHRASE_ROUNDS, 32)

    def decrypt(self, ciphertext: str, key: str) -> str | None:
        """The plaintext; None where no passphrase (or another secrets provider) leaves it encrypted here."""
        if self.key is None:
            return None
        version, nonce, sealed = [*ciphertext.split(":"), "", ""][:3]
        try:
            if version != "v1":
                raise ValueError(version)
            return AESGCM(self.key).decrypt(base64.b64decode(nonce), base64.b64decode(sealed), None).decode()
        except (ValueError, InvalidTag):
            raise StackFileError(f"{key}: cannot decrypt its secure value with this passphrase") from None


def _decrypted(value: Any, key: str, decrypter: Decrypter, found: list[bool]) -> Any:
    """The value with every `{secure: …}` replaced; found[0] records that one was seen, found[1] a placeholder."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        found[0] = True
        plain = decrypter.decrypt(str(value["secure"]), key)
        if plain is None:
            found[1] = True
            return f"{PLACEHOLDER}{key}"
        return plain
    if isinstance(value, dict):
        return {name: _decrypted(item, key, decrypter, found) for name, item in value.items()}
    if isinstance(value, list):
        return [_decrypted(item, key, decrypter, found) for item in value]
    return value


INT64 = range(-(2**63), 2**63)
TOP_LEVEL_INTEGERS = range(-(2**63), 2**64)  # a top-level scalar may also be a uint64


def go_float_text(value: float) -> str:
    """A float64 as Go's encoding/json writes it: shortest digits, fixed notation from 1e-6 to 1e21, else `1e-7`."""
    if value == 0:
        return "0"  # -0.0 too, as the CLI passes it
    digits = decimal.Decimal(repr(value)).normalize()
    if 1e-6 <= abs(value) < 1e21:
        return format(digits, "f")
    sign, numerals, exponent = digits.as_tuple()
    assert isinstance(exponent, int)
    mantissa = "".join(map(str, numerals))
    power = exponent + len(mantissa) - 1
    shown = mantissa[0] + (f".{mantissa[1:]}" if len(mantissa) > 1 else "")
    return f"{'-' if sign else ''}{shown}e{'-' if power < 0 else '+'}{abs(power):0{1 if power < 0 else 2}d}"


def _as_go_json(value: Any) -> Any:
    """As the CLI's objects hold values: integers outside int64 become float64, and Go's encoding/json writes a
    whole float64 below 1e21 without a fraction (80.0 as 80), so the program reads an int there."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and value not in INT64:
        value = float(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(decimal.Decimal(repr(value)))  # the digits Go writes: 1.2345678901234567e19 as …567000
    if isinstance(value, dict):
        return {key: _as_go_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_go_json(item) for item in value]
    return value




def scalar_text(value: Any) -> str:
    """How the CLI passes a top-level scalar: `true`, `80`, `1.5`, `1e+21`, and nothing for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value not in TOP_LEVEL_INTEGERS:
        value = float(value)
    if isinstance(value, float):
        return go_float_text(value)
    return str(value)


def encode(values: Mapping[str, Any], decrypter: Decrypter) -> StackConfig:
    """`project:key` → value as the language host receives it; objects as Go's json.Marshal writes them."""
    config = StackConfig()
    for key, value in values.items():
        found = [False, False]
        plain = _decrypted(value, key, decrypter, found)
        if isinstance(plain, dict | list):
            config.values[key] = json.dumps(_as_go_json(plain), sort_keys=True, separators=(",", ":"),
                                            ensure_ascii=False)
        else:
            config.values[key] = scalar_text(plain)
        if found[0]:
            config.secret_keys.append(key)
        if found[1]:
            config.undecrypted.append(key)
    return config


def read_stack_config(stack_file: Path, project: Project, environ: Mapping[str, str] | None = None) -> StackConfig:
    """A stack file's config with the project's defaults under it, as a program of that stack receives it."""
    values, document = stack_values(stack_file, project.name)
    defaults = {_qualified(project.name, key, stack_file): value for key, value in project.defaults.items()}
    return encode({**defaults, **values}, Decrypter(document, os.environ if environ is None else environ))
