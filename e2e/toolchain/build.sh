#!/usr/bin/env bash
# Builds the e2e toolchain (Pulumi CLI, Kubernetes provider, kube-apiserver, kube-controller-manager, etcd,
# promtool and the Prometheus operator's CRDs)
# from Go modules at the versions in versions.env, and prints the directory holding the binaries.
#
# Each binary is cached outside the clone under a key made of its pinned versions and its wrapper
# go.mod/go.sum, so a warm run takes seconds. Wrapper modules are (re)generated only when their go.mod
# does not pin the version in versions.env; commit the regenerated go.mod/go.sum.
# Recipes and traps: ../shared/notes/real-engine.md.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$HERE/versions.env"
CACHE=${TRAFFIC_EDGE_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/traffic-edge/toolchain}
PYTHON=${TRAFFIC_EDGE_PYTHON:-python3}  # with the pulumi SDK: checks the provider plugin's version over gRPC
export CGO_ENABLED=0 TZ=UTC
unset GOTOOLCHAIN GOFLAGS
mkdir -p "$CACHE"

step() { printf '[toolchain] %s\n' "$*" >&2; }
key_of() {  # key_of NAME VERSION-LINES...: NAME-<sha of the version lines and the wrapper module files>
  local name=$1; shift
  { printf '%s\n' "$@"; cat "$HERE/$name/go.mod" "$HERE/$name/go.sum" 2>/dev/null || true; } | sha256sum | cut -c1-16
}
pinned() { grep -qF "$2" "$HERE/$1/go.mod" 2>/dev/null; }  # pinned WRAPPER "module version"
fresh_module() {  # fresh_module WRAPPER: an empty wrapper module
  rm -f "$HERE/$1/go.mod" "$HERE/$1/go.sum"; mkdir -p "$HERE/$1"
  (cd "$HERE/$1" && go mod init "traffic-edge.local/toolchain/$1" >/dev/null 2>&1)
}
check_go_directive() {  # a module needing a newer Go than this machine's would force GOTOOLCHAIN everywhere
  local want; want=$(go mod edit -json "$HERE/$1/go.mod" | python3 -c 'import json,sys;print(json.load(sys.stdin)["Go"])')
  case $want in 1.2[0-6]*) ;; *) echo "toolchain: $1 needs go $want, newer than go 1.26" >&2; exit 1;; esac
}
assert_version() {  # assert_version BINARY EXPECTED ARGS...
  local bin=$1 expected=$2 out; shift 2
  out=$("$bin" "$@" 2>&1 | head -5)
  if ! grep -qF -- "$expected" <<<"$out"; then
    echo "toolchain: $(basename "$bin") $* printed '$out', expected '$expected'" >&2; exit 1
  fi
}

build_pulumi() {
  local dir=$1 w=pulumi
  if ! pinned $w "github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION"; then
    fresh_module $w
    (cd "$HERE/$w" && go get -tool "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION" \
      && go get "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" && go mod tidy)
  fi
  check_go_directive $w
  (cd "$HERE/$w" && go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$dir/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  assert_version "$dir/pulumi" "$PULUMI_VERSION" version
}

build_k8s_provider() {
  # The command's embedded schema files are generated before the build (upstream's `go generate`:
  # load schema.json, set the version, write it compact), so the command is built from a copy of its
  # directory inside a scratch copy of the wrapper module; the copy is never committed.
  local dir=$1 w=k8s-provider work src
  work=$(mktemp -d); trap 'rm -rf "$work"' RETURN
  if ! pinned $w "github.com/pulumi/pulumi-kubernetes/provider/v4 $K8S_PROVIDER_MODULE_VERSION"; then
    fresh_module $w
    (cd "$HERE/$w" && go get "github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_PROVIDER_MODULE_VERSION" \
      && go get "github.com/pulumi/pulumi-kubernetes/sdk/v4@$K8S_PROVIDER_SDK_GO")
  fi
  cp "$HERE/$w/go.mod" "$work/"; cp "$HERE/$w/go.sum" "$work/" 2>/dev/null || true
  # `go list -m` names no directory for a module not yet in the module cache (a new machine): download it first
  src=$(cd "$work" && go mod download github.com/pulumi/pulumi-kubernetes/provider/v4 \
    && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)
  if [ ! -d "$src/cmd/pulumi-resource-kubernetes" ]; then
    echo "toolchain: no source of github.com/pulumi/pulumi-kubernetes/provider/v4 in the module cache ('$src')" >&2
    exit 1
  fi
  mkdir -p "$work/cmd" && cp -r "$src/cmd/pulumi-resource-kubernetes" "$work/cmd/" && chmod -R u+w "$work/cmd"
  python3 - "$work/cmd/pulumi-resource-kubernetes" "$K8S_PROVIDER_VERSION" <<'PY'
import json, pathlib, sys
cmd, version = pathlib.Path(sys.argv[1]), sys.argv[2]
spec = json.loads((cmd / "schema.json").read_text())
spec["version"] = version
(cmd / "schema-embed.json").write_text(json.dumps(spec, separators=(",", ":")))
mapping = json.loads((cmd / "terraform-mapping.json").read_text())
(cmd / "terraform-mapping-embed.json").write_text(json.dumps(mapping, separators=(",", ":")))
PY
  (cd "$work" && go mod tidy && cp go.mod go.sum "$HERE/$w/")
  check_go_directive $w
  (cd "$work" && go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_VERSION" \
    -o "$dir/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes)
  # A plugin has no --version flag: ask the running plugin, as the engine does (GetPluginInfo over gRPC).
  local reported
  reported=$("$PYTHON" - "$dir/pulumi-resource-kubernetes" <<'PY'
import subprocess, sys
import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2_grpc
plugin = subprocess.Popen([sys.argv[1]], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    port = plugin.stdout.readline().strip()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        print(provider_pb2_grpc.ResourceProviderStub(channel).GetPluginInfo(empty_pb2.Empty(), timeout=30).version)
finally:
    plugin.kill()
PY
  )
  if [ "$reported" != "$K8S_PROVIDER_VERSION" ]; then
    echo "toolchain: pulumi-resource-kubernetes reports version '$reported', expected $K8S_PROVIDER_VERSION" >&2; exit 1
  fi
}

build_kube() {
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging paths,
  # which a dependency ignores: map each one (read from the downloaded go.mod) to the published tag.
  local dir=$1 w=kube gomod p ldf="-s -w"
  if ! pinned $w "k8s.io/kubernetes $KUBE_VERSION"; then
    fresh_module $w
    gomod=$(cd "$HERE/$w" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" \
      | python3 -c 'import json,sys;print(json.load(sys.stdin)["GoMod"])')
    (cd "$HERE/$w"
      go mod edit -json "$gomod" | python3 -c '
import json, sys
m = json.load(sys.stdin)
for r in m.get("Require") or []:
    if r["Path"].startswith("k8s.io/") and r["Version"] == "v0.0.0":
        print(r["Path"])
for g in m.get("Godebug") or []:
    print("godebug", g["Key"] + "=" + g["Value"])' | sort -u | while read -r mod godebug; do
        if [ "$mod" = godebug ]; then go mod edit -godebug="$godebug"
        else go mod edit -replace="$mod=$mod@$KUBE_STAGING"; fi
      done
      go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION"
      go get -tool "k8s.io/kubernetes/cmd/kube-controller-manager@$KUBE_VERSION"
      go mod tidy)
  fi
  check_go_directive $w
  local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf="$ldf -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitVersion=$KUBE_VERSION -X $p.gitTreeState=clean"
  done
  for c in kube-apiserver kube-controller-manager; do
    (cd "$HERE/$w" && go build -trimpath -ldflags "$ldf" -o "$dir/$c" "k8s.io/kubernetes/cmd/$c")
    assert_version "$dir/$c" "Kubernetes $KUBE_VERSION" --version
  done
}

build_etcd() {
  local dir=$1 w=etcd
  if ! pinned $w "go.etcd.io/etcd/server/v3 $ETCD_VERSION"; then
    fresh_module $w
    (cd "$HERE/$w" && go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION" && go mod tidy)
  fi
  check_go_directive $w
  (cd "$HERE/$w" && go build -trimpath -ldflags "-s -w" -o "$dir/etcd" go.etcd.io/etcd/server/v3)
  assert_version "$dir/etcd" "etcd Version: ${ETCD_VERSION#v}" --version
}

build_prometheus() {
  # promtool, and the two CRDs the expiry alerts need (PrometheusRule, ServiceMonitor) from the operator's module
  local dir=$1 w=prometheus crds
  if ! pinned $w "github.com/prometheus/prometheus $PROMETHEUS_MODULE_VERSION"; then
    fresh_module $w
    (cd "$HERE/$w" && go get -tool "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION" \
      && go mod tidy)
  fi
  check_go_directive $w
  (cd "$HERE/$w" && go build -trimpath -ldflags "-s -w" -o "$dir/promtool" github.com/prometheus/prometheus/cmd/promtool)
  "$dir/promtool" --version >/dev/null
  crds=$(cd "$HERE/$w" && go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" \
    | python3 -c 'import json,sys;print(json.load(sys.stdin)["Dir"])')/example/prometheus-operator-crd
  mkdir -p "$dir/prometheus-operator-crds"
  cp "$crds/monitoring.coreos.com_prometheusrules.yaml" "$crds/monitoring.coreos.com_servicemonitors.yaml" \
    "$dir/prometheus-operator-crds/"
}

component() {  # component WRAPPER BUILDER VERSION-LINES...: build into the cache unless its key is there
  local w=$1 builder=$2 dir partial log start=$SECONDS; shift 2
  dir="$CACHE/$w-$(key_of "$w" "$@")"
  if [ -f "$dir/.complete" ]; then step "$w: cached in $dir"; else
    partial="$CACHE/$w.partial" log="$CACHE/$w.log"
    rm -rf "$partial"; mkdir -p "$partial"
    step "$w: building (log: $log) ..."
    if ! ("$builder" "$partial") >"$log" 2>&1; then
      tail -n 40 "$log" >&2; step "$w: build FAILED after $((SECONDS - start)) s"; exit 1
    fi
    # the wrapper may have been regenerated: key on what is now committed
    dir="$CACHE/$w-$(key_of "$w" "$@")"; rm -rf "$dir"; mv "$partial" "$dir"; touch "$dir/.complete"
    step "$w: built in $((SECONDS - start)) s"
  fi
  local item
  for item in "$dir"/*; do ln -sfn "$item" "$BIN/$(basename "$item")"; done  # relinked in place: runs in flight keep theirs
}

BIN="$CACHE/bin"; mkdir -p "$BIN"
only=${1:-all}
want() { [ "$only" = all ] || [ "$only" = "$1" ]; }
want etcd && component etcd build_etcd "$ETCD_VERSION"
want pulumi && component pulumi build_pulumi "$PULUMI_VERSION"
want k8s-provider && component k8s-provider build_k8s_provider "$K8S_PROVIDER_MODULE_VERSION" "$K8S_PROVIDER_VERSION" "$K8S_PROVIDER_SDK_GO"
want kube && component kube build_kube "$KUBE_VERSION" "$KUBE_STAGING"
want prometheus && component prometheus build_prometheus "$PROMETHEUS_MODULE_VERSION" "$PROMETHEUS_OPERATOR_VERSION"
echo "$BIN"
