from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import RunningServer

pytest_plugins = ["tests.fixtures_s3"]

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not DATA.is_dir():
        pytest.fail(f"the example datasets are expected in {DATA}")
    return DATA


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path_factory.mktemp("server") / "data").start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def rekognition(server: RunningServer):  # type: ignore[no-untyped-def]
    return server.client()
