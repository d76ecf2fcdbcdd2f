"""A real customlabels server in a subprocess, for tests that drive it over HTTP."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import httpx
from botocore.config import Config

ACCESS_KEY = "AKCLTESTKEY0000001"
SECRET_KEY = "test-secret-key-0000000000000000000000000"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningServer:
    data_dir: Path
    extra_args: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "RunningServer":
        env = {
            **os.environ,
            "CUSTOMLABELS_ACCESS_KEY_ID": ACCESS_KEY,
            "CUSTOMLABELS_SECRET_ACCESS_KEY": SECRET_KEY,
            **self.extra_env,
        }
        command = [
            sys.executable,
            "-m",
            "customlabels",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        log = open(self.data_dir.parent / f"server-{self.port}.log", "ab")  # noqa: SIM115 - kept open for the process
        self.process = subprocess.Popen(
            [*command, *self.extra_args], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {log.name}")
            try:
                httpx.post(self.url, timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not answer in time")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def client(self, service: str = "rekognition", **overrides: str):  # type: ignore[no-untyped-def]
        credentials = {
            "aws_access_key_id": ACCESS_KEY,
            "aws_secret_access_key": SECRET_KEY,
            **overrides,
        }
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
            **credentials,
        )


TINY_EPOCHS = 20
# The tiny test backbone learns colours in seconds at this rate; the automatic recipe is for real backbones.
TINY_RECIPE_JSON = json.dumps({"backbone": "tiny-test", "image_size": 64, "epochs": TINY_EPOCHS, "learning_rate": 0.01, "label_smoothing": 0.0})
