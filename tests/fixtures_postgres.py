"""Pytest fixture `postgres`: a real PostgreSQL 15 server on 127.0.0.1 for the session, stopped by its PID."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    if not (BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 server binaries are not installed (apt-get install postgresql-15)")
    # Not under pytest's folder: that one is private to root, and the server runs as the postgres user.
    root = Path(tempfile.mkdtemp(prefix="customlabels-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(root, "postgres")
    port = free_port()
    subprocess.run([*as_postgres, str(BIN / "initdb"), "-D", str(root / "data"), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
                   check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
    subprocess.run([*as_postgres, str(BIN / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "log"), "-w", "-o", options, "start"],
                   check=True, capture_output=True)
    pid = int((root / "data" / "postmaster.pid").read_text().split()[0])
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        os.kill(pid, signal.SIGINT)  # fast shutdown of the server this fixture started
        for _ in range(200):
            if not (root / "data" / "postmaster.pid").exists():
                break
            time.sleep(0.05)
        shutil.rmtree(root, ignore_errors=True)
