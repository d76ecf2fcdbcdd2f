"""DetectCustomLabels with boxes over HTTP against the bare ONNX forward pass of the same detector, timed
alternately: a logos detector trained through the AWS API for a few epochs (latency does not depend on how well
it learned), started with one inference unit; then throughput with concurrent clients and the server's peak memory.

    .venv/bin/python bench/detect_latency.py      # writes bench/results/detect_latency.json
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from end_to_end import CLIENTS, BareForward, latency_side_by_side, peak_rss_mb, throughput
from served import run_against_server  # bench/ is on the path; served puts the repository there too, for tests.*
from tests.images import put
from tests.server import RunningServer

DATA = Path(os.environ.get("CUSTOMLABELS_BENCH_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
RESULTS = Path(__file__).resolve().parent / "results" / "detect_latency.json"
EPOCHS = 3
TEST_IMAGES = 40


def main() -> None:
    recipe = json.dumps({"detection": {"epochs": EPOCHS}})
    run_against_server(run, RESULTS, extra_env={"CUSTOMLABELS_TRAINING_RECIPE": recipe})


def run(server: RunningServer) -> dict[str, Any]:
    client = server.client()
    project = client.create_project(ProjectName="logos")["ProjectArn"]
    lines = (DATA / "logos" / "output.manifest").read_text().splitlines()
    for name in sorted({json.loads(line)["source-ref"].rsplit("/", 1)[-1] for line in lines}):
        put(server.data_dir / "buckets", "customlabels-examples", f"logos/images/{name}", (DATA / "logos" / "images" / name).read_bytes())
    for kind, part in (("TRAIN", lines[:-TEST_IMAGES]), ("TEST", lines[-TEST_IMAGES:])):
        put(server.data_dir / "buckets", "customlabels-examples", f"logos/{kind}.manifest", "\n".join(part).encode())
        source = {"GroundTruthManifest": {"S3Object": {"Bucket": "customlabels-examples", "Name": f"logos/{kind}.manifest"}}}
        arn = client.create_dataset(ProjectArn=project, DatasetType=kind, DatasetSource=source)["DatasetArn"]
        while client.describe_dataset(DatasetArn=arn)["DatasetDescription"]["Status"] == "CREATE_IN_PROGRESS":
            time.sleep(0.5)
    version = client.create_project_version(ProjectArn=project, VersionName="v1", OutputConfig={"S3Bucket": "out"})["ProjectVersionArn"]
    client.get_waiter("project_version_training_completed").wait(ProjectArn=project, VersionNames=["v1"], WaiterConfig={"Delay": 2, "MaxAttempts": 900})
    image = (DATA / "logos" / "images" / json.loads(lines[-1])["source-ref"].rsplit("/", 1)[-1]).read_bytes()
    client.start_project_version(ProjectVersionArn=version, MinInferenceUnits=1)
    client.get_waiter("project_version_running").wait(ProjectArn=project, VersionNames=["v1"], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    time.sleep(1)
    labels = client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": image}, MinConfidence=0)["CustomLabels"]
    assumed = client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": image})["CustomLabels"]
    return {
        "logos_detector": {
            **latency_side_by_side(server, version, image, BareForward(server, image)),
            "throughput_per_s": throughput(server, version, image),
            "labels_with_geometry": sum("Geometry" in label for label in labels),
            # What the timed calls returned: they leave MinConfidence out, so each label's assumed threshold holds.
            "labels_at_assumed_thresholds": len(assumed),
            "server_peak_rss_mb": peak_rss_mb(server.process.pid),  # type: ignore[union-attr]
            "clients": CLIENTS,
        }
    }


if __name__ == "__main__":
    main()
