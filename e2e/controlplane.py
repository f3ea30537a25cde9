"""A throwaway Kubernetes control plane on loopback: etcd, kube-apiserver and kube-controller-manager.

No kubelet and no scheduler: no pod ever runs. The controller manager runs only the controllers that make
deletes and namespaces behave as on a real cluster (garbage collection of Foreground deletes, namespace
finalisation, default ServiceAccounts and their CA bundle). Every process is started and stopped by its
own process id, also on exceptions and Ctrl-C; their logs stay in `<root>/logs`. Flags follow envtest
(real-engine.md §10).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import urllib3
from kubernetes import client

KUBE_VERSION = "v1.37.2"  # what the toolchain builds; a binary without version ldflags reports v0.0.0
# The controllers that give delete realism; the rest need nodes or pods, which never exist here.
CONTROLLERS = (
    "garbage-collector-controller",
    "namespace-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "root-ca-certificate-publisher-controller",
    "clusterrole-aggregation-controller",
)
STARTUP_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0


class ControlPlaneError(Exception):
    """A server did not start or become ready; the message points at its log."""


def free_port() -> int:
    """A port the kernel just handed out on loopback; taken again by the server a moment later."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _openssl(*args: str, cwd: Path) -> None:
    completed = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise ControlPlaneError(f"openssl {' '.join(args)}: {completed.stderr.strip()}")


def _signed(name: str, subject: str, extensions: str, pki: Path) -> None:
    """`<name>.key` and `<name>.crt`, signed by the run's CA."""
    (pki / f"{name}.ext").write_text(extensions)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
             "-subj", subject, cwd=pki)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext", cwd=pki)


def make_pki(pki: Path) -> None:
    """A CA, the API server's serving certificate, an admin client certificate and the service-account keys.

    The serving certificate is signed by the CA, so every client (provider, KCM, tests) verifies TLS.
    """
    pki.mkdir(parents=True)
    _openssl("genrsa", "-out", "sa.key", "2048", cwd=pki)
    _openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
             "-subj", "/CN=traffic-edge-e2e-ca", "-days", "2", cwd=pki)
    _signed("apiserver", "/CN=kube-apiserver",
            "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc,IP:10.0.0.1\n"
            "extendedKeyUsage=serverAuth\n", pki)
    # kind's and kubeadm's admin.conf identity (the multitenant stack names its group as the platform's), and
    # system:masters, which kubeadm:cluster-admins is bound to cluster-admin only by kubeadm's bootstrap.
    _signed("admin", "/O=system:masters/O=kubeadm:cluster-admins/CN=kubernetes-admin", "extendedKeyUsage=clientAuth\n",
            pki)


def kubeconfig_text(server: str, pki: Path) -> str:
    return json.dumps({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "e2e", "cluster": {"server": server, "certificate-authority": str(pki / "ca.crt")}}],
        "users": [{"name": "admin", "user": {
            "client-certificate": str(pki / "admin.crt"), "client-key": str(pki / "admin.key"),
        }}],
        "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "admin"}}],
        "current-context": "e2e",
    }, indent=2)


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def peak_rss_kib(self) -> int:
        """VmHWM, the process's peak resident set so far; 0 once it is gone."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0
        line = next((line for line in status.splitlines() if line.startswith("VmHWM:")), "VmHWM: 0 kB")
        return int(line.split()[1])

    def tail(self, lines: int = 25) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return "(no log)"
        return "\n".join(f"    {line}" for line in text)


@dataclass
class ControlPlane:
    """One control plane under `root`: pki/, etcd/ (data), logs/ and the kubeconfig."""

    bin_dir: Path
    root: Path
    servers: list[Server] = field(default_factory=list)
    peak_rss_kib: dict[str, int] = field(default_factory=dict)  # per server, filled in when it stops
    server: str = ""  # the API server's URL, once started

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    def api_client(self) -> client.ApiClient:
        """A client with the kubeconfig's credentials (the same files, without parsing the kubeconfig)."""
        configuration = client.Configuration(
            host=self.server,
            ssl_ca_cert=str(self.pki / "ca.crt"),
            cert_file=str(self.pki / "admin.crt"),
            key_file=str(self.pki / "admin.key"),
        )
        return client.ApiClient(configuration)

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        make_pki(self.pki)
        etcd_port, peer_port, api_port, kcm_port = (free_port() for _ in range(4))
        etcd_url, peer_url = f"http://127.0.0.1:{etcd_port}", f"http://127.0.0.1:{peer_port}"
        etcd = self._spawn("etcd", [
            f"--data-dir={self.root / 'etcd'}", f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}", f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}", f"--initial-cluster=default={peer_url}",
            "--unsafe-no-fsync",
        ])
        self._wait(etcd, lambda: _etcd_healthy(etcd_url))
        self.server = server = f"https://127.0.0.1:{api_port}"
        self.kubeconfig.write_text(kubeconfig_text(server, self.pki))
        apiserver = self._spawn("kube-apiserver", [
            f"--etcd-servers={etcd_url}", "--bind-address=127.0.0.1", f"--secure-port={api_port}",
            f"--tls-cert-file={self.pki / 'apiserver.crt'}", f"--tls-private-key-file={self.pki / 'apiserver.key'}",
            f"--client-ca-file={self.pki / 'ca.crt'}", "--authorization-mode=RBAC",
            f"--service-account-issuer={server}", f"--service-account-key-file={self.pki / 'sa.pub'}",
            f"--service-account-signing-key-file={self.pki / 'sa.key'}",
            "--service-cluster-ip-range=10.0.0.0/24", "--allow-privileged=true",
        ])
        api = self.api_client()
        self._wait(apiserver, lambda: _apiserver_ready(api))
        version = client.VersionApi(api).get_code().git_version
        if version != KUBE_VERSION:
            raise ControlPlaneError(f"kube-apiserver reports {version}, not {KUBE_VERSION}: built without ldflags?")
        kcm = self._spawn("kube-controller-manager", [
            f"--kubeconfig={self.kubeconfig}", f"--authentication-kubeconfig={self.kubeconfig}",
            f"--authorization-kubeconfig={self.kubeconfig}", "--authentication-skip-lookup=true",
            "--bind-address=127.0.0.1",
            f"--secure-port={kcm_port}", f"--service-account-private-key-file={self.pki / 'sa.key'}",
            f"--root-ca-file={self.pki / 'ca.crt'}", "--leader-elect=false",
            "--use-service-account-credentials=false", f"--controllers={','.join(CONTROLLERS)}",
        ])
        self._wait(kcm, lambda: _default_service_account(api))

    def _spawn(self, name: str, args: list[str]) -> Server:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            # A session of its own: Ctrl-C reaches only this process, which then stops the server itself.
            process = subprocess.Popen(
                [str(self.bin_dir / name), *args], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        server = Server(name, process, log)
        self.servers.append(server)
        return server

    def _wait(self, server: Server, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not ready():
            if server.process.poll() is not None:
                raise ControlPlaneError(
                    f"{server.name} exited with {server.process.returncode}; {server.log}:\n{server.tail()}"
                )
            if time.monotonic() > deadline:
                raise ControlPlaneError(
                    f"{server.name} not ready after {STARTUP_TIMEOUT:.0f} s; {server.log}:\n{server.tail()}"
                )
            time.sleep(0.5)

    def stop(self) -> None:
        """Stops this plane's clients, then every server, newest first (SIGTERM, then SIGKILL after a grace
        period), then drops etcd's data."""
        handlers = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:  # a second Ctrl-C must not cut the stopping short
            self._stop()
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

    def _stop(self) -> None:
        for pid in set(clients_of(self.kubeconfig)) - {server.process.pid for server in self.servers}:
            _stop_pid(pid)
        for server in reversed(self.servers):
            self.peak_rss_kib[server.name] = server.peak_rss_kib()
            if server.process.poll() is None:
                server.process.send_signal(signal.SIGTERM)
                try:
                    server.process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    server.process.kill()
                    server.process.wait()
        shutil.rmtree(self.root / "etcd", ignore_errors=True)  # tens of MB each; the logs stay

    def describe_logs(self) -> str:
        """Where the logs are, with the tail of each, for a failure report."""
        return "\n".join(f"  {server.name}: {server.log}\n{server.tail(10)}" for server in self.servers)


def clients_of(kubeconfig: Path) -> list[int]:
    """Processes (other than this one) started with KUBECONFIG=<kubeconfig>: the Pulumi CLI and the providers it
    started for this plane. An interrupted CLI can die before it stops its providers, which then linger."""
    marker = f"KUBECONFIG={kubeconfig}\0".encode()
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker in (proc / "environ").read_bytes():
                pids.append(int(proc.name))
        except OSError:  # gone, or not ours to read
            continue
    return pids


def _stop_pid(pid: int) -> None:
    """SIGTERM, then SIGKILL after the grace period, for a process that is not our child."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)


def _etcd_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            health: dict[str, str] = json.load(response)
    except (OSError, ValueError):  # refused, or not yet JSON
        return False
    return health.get("health") == "true"


def _apiserver_ready(api: client.ApiClient) -> bool:
    try:
        response = api.call_api(*api.param_serialize(method="GET", resource_path="/readyz"))
    except (urllib3.exceptions.HTTPError, client.ApiException):
        return False
    status: int = response.status
    return status == 200


def _default_service_account(api: client.ApiClient) -> bool:
    """The service-account controller has created `default/default`: the controller manager works."""
    try:
        client.CoreV1Api(api).read_namespaced_service_account("default", "default")
    except client.ApiException:
        return False
    return True


def unwind_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C (SystemExit instead of sudden death), so every `finally` stops its processes."""

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)


@contextlib.contextmanager
def control_plane(bin_dir: Path, root: Path) -> Iterator[ControlPlane]:
    """Starts a control plane under `root` and stops every process it started, whatever happens."""
    plane = ControlPlane(bin_dir, root)
    try:
        plane.start()
        yield plane
    finally:
        plane.stop()
