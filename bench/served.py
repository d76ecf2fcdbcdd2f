"""Runs a benchmark against the real server, started in a temporary data folder, and writes its JSON results."""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.server import RunningServer  # noqa: E402


def run_against_server(
    run: Callable[[RunningServer], dict[str, Any]], results: Path, *, extra_env: dict[str, str] | None = None
) -> None:
    with tempfile.TemporaryDirectory(prefix="customlabels-bench-") as folder:
        server = RunningServer(Path(folder) / "data", extra_env=extra_env or {}).start()
        try:
            outcome = run(server)
        finally:
            server.stop()
    outcome["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(outcome, indent=2) + "\n")
    print(json.dumps(outcome, indent=2))
