"""Pytest fixture `seaweed`: one real SeaweedFS S3 server on 127.0.0.1 for the whole session."""

import secrets
from collections.abc import Iterator

import pytest

from customlabels.store.seaweed import SeaweedServer


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    server = SeaweedServer(
        root=tmp_path_factory.mktemp("seaweed"),
        access_key_id="customlabels-test",
        secret_access_key=secrets.token_hex(16),
    )
    with server:
        yield server
