"""What the server acknowledged is still there after a restart, even after kill -9."""

import json
import uuid

from tests.images import classification_line, jpeg, put
from tests.server import RunningServer
from tests.test_aws_datasets import wait_dataset


def test_data_survives_kill_9_and_restart(tmp_path):
    server = RunningServer(tmp_path / "data").start()
    try:
        client = server.client()
        name = f"durable-{uuid.uuid4().hex[:6]}"
        project = client.create_project(ProjectName=name, Tags={"keep": "yes"})["ProjectArn"]
        buckets = server.data_dir / "buckets"
        lines = [
            classification_line(put(buckets, "img", f"{i}.jpg", jpeg()), "cat" if i % 2 else "dog")
            for i in range(6)
        ]
        put(buckets, "img", "m.manifest", "\n".join(lines).encode())
        source = {"GroundTruthManifest": {"S3Object": {"Bucket": "img", "Name": "m.manifest"}}}
        train = client.create_dataset(
            ProjectArn=project, DatasetType="TRAIN", DatasetSource=source
        )["DatasetArn"]
        wait_dataset(client, train)
        client.update_dataset_entries(
            DatasetArn=train,
            Changes={
                "GroundTruth": classification_line(
                    json.loads(lines[0])["source-ref"], "bird"
                ).encode()
            },
        )
        server.kill()  # possibly in the middle of the update: it must be resumed, not lost

        server.start()
        client = server.client()
        [described] = client.describe_projects(ProjectNames=[name])["ProjectDescriptions"]
        assert described["ProjectArn"] == project
        assert client.list_tags_for_resource(ResourceArn=project)["Tags"] == {"keep": "yes"}
        description = wait_dataset(client, train)
        assert description["Status"] == "UPDATE_COMPLETE"
        assert description["DatasetStats"]["TotalEntries"] == 6
        labels = {
            d["LabelName"]: d["LabelStats"]["EntryCount"]
            for d in client.list_dataset_labels(DatasetArn=train)["DatasetLabelDescriptions"]
        }
        assert labels == {"bird": 1, "cat": 3, "dog": 2}
    finally:
        server.stop()


def test_a_job_interrupted_by_kill_9_is_resumed_on_start(tmp_path):
    """The job row is written with the request; a server killed before it ran finishes it after restart."""
    from customlabels.config import Settings
    from customlabels.service import datasets, projects
    from customlabels.service.context import open_context

    settings = Settings(data_dir=tmp_path / "data")
    buckets = settings.buckets_dir
    lines = [classification_line(put(buckets, "img", f"{i}.jpg", jpeg()), "cat") for i in range(3)]
    put(buckets, "img", "m.manifest", "\n".join(lines).encode())
    ctx = open_context(settings)
    ctx.jobs.start = lambda job: None  # a process that dies right after acknowledging
    project = projects.create_project(ctx, name="resume")
    arn = datasets.create_dataset(
        ctx, project_arn=project, dataset_type="TRAIN", manifest_uri="s3://img/m.manifest"
    )
    assert datasets.describe_dataset(ctx, arn=arn).metadata.status == "CREATE_IN_PROGRESS"
    ctx.close()

    server = RunningServer(settings.data_dir).start()
    try:
        assert wait_dataset(server.client(), arn)["DatasetStats"]["TotalEntries"] == 3
    finally:
        server.stop()
