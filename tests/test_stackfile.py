"""The offline reader hands the program what the Pulumi CLI hands it, or refuses what the CLI reads otherwise.

Every expected value here was measured with the CLI v3.274.1 (the e2e's config-parity phase runs the same cases,
e2e/parity_corpus.py, against the real CLI on every run).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from traffic_edge.offline.stackfile import Project, StackFileError, go_float_text, read_stack_config

PROJECT = Project("traffic-edge", {})


def read(tmp_path: Path, config_lines: str) -> dict[str, str]:
    stack_file = tmp_path / "Pulumi.lab.yaml"
    stack_file.write_text(f"config:\n{config_lines}")
    return read_stack_config(stack_file, PROJECT, environ={}).values


@pytest.mark.parametrize(("written", "handed"), [
    ("1.50", "1.5"), (".5", "0.5"), ("1e3", "1000"), ("1e21", "1e+21"), ("1e-7", "1e-7"), ("-1.5e300", "-1.5e+300"),
    ("12345678901234567890", "12345678901234567890"),  # a uint64 stays exact at the top level
    ("-12345678901234567890", "-12345678901234567000"),  # outside int64 and uint64: a float64
    ("100000000000000000000000", "1e+23"), ("0x1F", "31"), ("0o17", "15"), ("+12", "12"), ("-0", "0"),
    ("-0.0", "0"), ("TRUE", "true"), ("~", ""), ("", ""), ('"yes"', "yes"), ("!!str 0443", "0443"),
    ("!!binary aGVsbG8=", "hello"), ("'it''s'", "it's"),
], ids=str)
def test_a_top_level_scalar_reaches_the_program_as_the_cli_writes_it(tmp_path: Path, written: str, handed: str) -> None:
    assert read(tmp_path, f"  traffic-edge:value: {written}\n")["traffic-edge:value"] == handed


def test_numbers_inside_objects_pass_through_go_types(tmp_path: Path) -> None:
    values = read(tmp_path, "  traffic-edge:o: {big: 12345678901234567890, max: 9223372036854775807, "
                            "past: 9223372036854775808, huge: 1e21, whole: 2.0, html: '<&>'}\n")
    assert values["traffic-edge:o"] == ('{"big":12345678901234567000,"html":"<&>","huge":1e+21,'
                                        '"max":9223372036854775807,"past":9223372036854776000,"whole":2}')


def test_merge_keys_merge_and_integer_and_boolean_keys_become_text(tmp_path: Path) -> None:
    values = read(tmp_path, "  traffic-edge:base: &b {port: 8080, name: web}\n"
                            "  traffic-edge:merged: {<<: *b, name: api}\n"
                            "  traffic-edge:keys: {1: one, true: yes-key, 0x1F: hex}\n")
    assert values["traffic-edge:merged"] == '{"name":"api","port":8080}'
    assert values["traffic-edge:keys"] == '{"1":"one","31":"hex","true":"yes-key"}'


@pytest.mark.parametrize(("written", "refusal"), [
    ("port: 0443", "octal number to Pulumi (291)"),
    ("enabled: yes", "the string 'yes' to Pulumi"),
    ("since: 2024-01-01", "a date to Pulumi"),
    ("limit: .inf", "Pulumi refuses the file"),
    ("by-key: {~: none}", "`~` is `<nil>`"),
    ("by-key: {1e3: thousand}", "`1e3` is `1000`"),
    ("ports: {0443: https}", "octal number to Pulumi"),
], ids=str)
def test_what_the_cli_reads_otherwise_is_refused_with_its_key(tmp_path: Path, written: str, refusal: str) -> None:
    with pytest.raises(StackFileError, match=refusal.replace("(", r"\(").replace(")", r"\)")):
        read(tmp_path, f"  traffic-edge:{written}\n")


def test_a_config_key_that_is_not_a_name_is_refused_as_the_cli_refuses_it(tmp_path: Path) -> None:
    with pytest.raises(StackFileError, match="config key true must be a name"):
        read(tmp_path, "  true: 2\n")


def test_go_writes_floats_in_fixed_notation_between_1e_6_and_1e21() -> None:
    assert [go_float_text(v) for v in (1e-6, 1e-7, 1e20, 1e21, 0.1 + 0.2, 5e-324)] == [
        "0.000001", "1e-7", "100000000000000000000", "1e+21", "0.30000000000000004", "5e-324",
    ]
