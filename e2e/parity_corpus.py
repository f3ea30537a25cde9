"""Stack files written the tricky ways people write YAML, for the config-parity phase (e2e.parity).

Accepted files must reach the program alike through the CLI and the offline reader. Refused ones name what the CLI
hands the program for their telling keys: each refusal is the offline reader declining a file that does not mean
what it seems to (YAML 1.1 forms, dates), and the CLI's reading is what proves it.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from e2e.charts import PROJECT_DIR
from e2e.parity import CorpusFile, run_corpus
from e2e.results import PhaseResult, StackResult
from e2e.workspace import Workspace
from traffic_edge.progress import Progress

CORPUS = (
    CorpusFile("top-level scalars", """\
  traffic-edge:price: 1.50
  traffic-edge:half: .5
  traffic-edge:thousand: 1e3
  traffic-edge:big: 12345678901234567890
  traffic-edge:exact: 9007199254740993
  traffic-edge:hex: 0x1F
  traffic-edge:octal: 0o17
  traffic-edge:plus: +12
  traffic-edge:negative-zero: -0
  traffic-edge:zero-float: 0.0
  traffic-edge:quoted-yes: "yes"
  traffic-edge:capital-true: TRUE
  traffic-edge:empty:
  traffic-edge:tilde: ~
  traffic-edge:null-word: null
  traffic-edge:empty-string: ""
  traffic-edge:unicode: "héllo ✓ 日本 \\u00e9 \\U0001F600"
  traffic-edge:single-quoted: 'it''s'
  traffic-edge:literal-block: |
    line one
      indented
  traffic-edge:folded-block: >-
    folded
    text
  traffic-edge:quoted-date: "2024-01-01"
  traffic-edge:version: v1.6.1
  traffic-edge:colon: "a: b"
  traffic-edge:looks-like-json: '{"a": 1}'
  kubernetes:context: kind-edge
  domain: unqualified.example
"""),
    CorpusFile("nested values", """\
  traffic-edge:object:
    price: 1.50
    big: 12345678901234567890
    exact: 9007199254740993
    thousand: 1e3
    huge: 1e21
    tiny: 1e-7
    hex: 0x1F
    negative-zero: -0.0
    capital-true: True
    tilde: ~
    empty:
    list: [1, "a", null, 2.0, {}, []]
    html: "<&>"
    unicode: "héllo ✓"
    "dotted.key": x
    nested: {deep: {deeper: [1, [2, [3]]]}}
  traffic-edge:empty-map: {}
  traffic-edge:empty-list: []
  traffic-edge:top-list: [a, 1, true, 1.50]
"""),
    CorpusFile("nested secrets", """\
  traffic-edge:tsigSecret: SECRET(top)
  traffic-edge:credentials:
    user: admin
    password: SECRET(password)
    list: [plain, SECRET(item)]
  traffic-edge:deep:
    a: {b: {c: SECRET(deep)}}
    price: 1.50
""", secrets={"top": "dG9wLXNlY3JldA==", "password": "p@ss: w0rd <&> ✓", "item": "item-secret", "deep": "0443"}),
    CorpusFile("numbers as Go holds them", """\
  traffic-edge:huge: 1e21
  traffic-edge:tiny: 1e-7
  traffic-edge:negative-zero: -0.0
  traffic-edge:pi: 123456789.123
  traffic-edge:far: -1.5e300
  traffic-edge:below-int64: -12345678901234567890
  traffic-edge:uint64-max: 18446744073709551615
  traffic-edge:past-uint64: 100000000000000000000000
  traffic-edge:object:
    int64-max: 9223372036854775807
    past-int64: 9223372036854775808
    uint64-max: 18446744073709551615
    below-int64: -12345678901234567890
    huge: 1e21
    far: -1.5e300
"""),
    CorpusFile("merge keys, tags and keys that are not text", """\
  traffic-edge:base: &base {port: 8080, name: web}
  traffic-edge:merged: {<<: *base, name: api}
  traffic-edge:binary: !!binary aGVsbG8=
  traffic-edge:tagged: !!str 0443
  traffic-edge:anchored: &port !!str 0080
  traffic-edge:tagged-int: !!int "12"
  traffic-edge:keys: {1: one, true: yes-key, 0x1F: hex}
"""),
    CorpusFile("octal at the top", "  traffic-edge:port: 0443\n", cli_reads={"traffic-edge:port": "291"}),
    CorpusFile("octal inside", "  traffic-edge:ports:\n    https: 0443\n",
               cli_reads={"traffic-edge:ports": '{"https":291}'}),
    CorpusFile("YAML 1.1 boolean", "  traffic-edge:enabled: yes\n  traffic-edge:tls: {redirect: off}\n",
               cli_reads={"traffic-edge:enabled": "yes", "traffic-edge:tls": '{"redirect":"off"}'}),
    CorpusFile("unquoted date", "  traffic-edge:since: 2024-01-01\n",
               cli_reads={"traffic-edge:since": "2024-01-01 00:00:00 +0000 UTC"}),
    CorpusFile("keys the CLI rewrites", "  traffic-edge:by-key: {~: none, 1e3: thousand}\n",
               cli_reads={"traffic-edge:by-key": '{"1000":"thousand","\\u003cnil\\u003e":"none"}'}),
    CorpusFile("infinity", "  traffic-edge:limit: .inf\n", cli_refuses="unsupported value: +Inf"),
    CorpusFile("duplicate key", "  traffic-edge:domain: a.example\n  traffic-edge:domain: b.example\n",
               cli_refuses="unmarshal errors"),
)


def main() -> None:
    """The corpus as a row of the e2e table: `python -m e2e.parity_corpus --root DIR --bin DIR` writes
    DIR/result.json."""
    parser = argparse.ArgumentParser(prog="python -m e2e.parity_corpus", description=main.__doc__)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--bin", type=Path, required=True)
    args = parser.parse_args()
    result = StackResult("(corpus)", args.root)
    source = args.root / "source"
    source.mkdir()
    shutil.copyfile(PROJECT_DIR / "Pulumi.yaml", source / "Pulumi.yaml")
    (source / "Pulumi.corpus.yaml").write_text("config: {}\n")
    workspace = Workspace(source / "Pulumi.corpus.yaml", args.root / "project", args.root / "state", args.bin)
    progress = Progress("e2e")
    progress.started("(corpus): config-parity")
    started = time.monotonic()
    failures = run_corpus(workspace, CORPUS)
    phase = PhaseResult("config-parity", "FAILED" if failures else "passed", time.monotonic() - started,
                        "\n".join(failures))
    result.phases["config-parity"] = phase
    progress.finished("(corpus): config-parity", phase.seconds, phase.status)
    result.figures["corpus files"] = len(CORPUS)
    (args.root / "result.json").write_text(result.to_json())


if __name__ == "__main__":
    main()
