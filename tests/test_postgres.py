"""The same boto3 dataset tests against a real PostgreSQL metadata store (the scale-out configuration)."""

from collections.abc import Iterator

import pytest

from tests.server import RunningServer
from tests.test_aws_datasets import (  # noqa: F401 - collected here again, on PostgreSQL
    buckets,
    project,
    test_bad_lines_are_attached_to_their_entries,
    test_copy_a_dataset,
    test_create_a_dataset_from_a_manifest_and_list_it,
    test_delete_dataset_and_project,
    test_distribute_moves_a_fifth_into_an_empty_test_dataset,
    test_too_many_invalid_lines_fail_the_dataset_and_store_nothing,
    test_update_entries_upserts_by_source_ref,
)

pytest_plugins = ["tests.fixtures_postgres"]


@pytest.fixture(scope="module")
def server(postgres: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path_factory.mktemp("pg-server") / "data", extra_env={"CUSTOMLABELS_DATABASE_URL": postgres}).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def rekognition(server: RunningServer):  # type: ignore[no-untyped-def]
    return server.client()


def test_the_metadata_is_in_postgres(server, rekognition, postgres):
    import sqlalchemy

    rekognition.create_project(ProjectName="stored-in-postgres")
    engine = sqlalchemy.create_engine(postgres)
    with engine.connect() as connection:
        names = connection.execute(sqlalchemy.text("select name from projects")).scalars().all()
    engine.dispose()
    assert "stored-in-postgres" in names
    assert not (server.data_dir / "metadata.db").exists()
