"""End to end through the AWS API: CreateProjectVersion → TRAINING_COMPLETED on clothing, then DetectCustomLabels
latency against the bare ONNX forward pass (timed alternately with it), throughput with concurrent clients, and
the server's peak memory.

    .venv/bin/python bench/end_to_end.py          # writes bench/results/end_to_end.json
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from served import run_against_server  # bench/ is on the path; served puts the repository there too, for tests.*
from tests.images import classification_line, put
from tests.server import RunningServer

DATA = Path(os.environ.get("CUSTOMLABELS_BENCH_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
RESULTS = Path(__file__).resolve().parent / "results" / "end_to_end.json"
LATENCY_REQUESTS = 200
THROUGHPUT_SECONDS = 15.0
CLIENTS = 4


def main() -> None:
    run_against_server(run, RESULTS)


def run(server: RunningServer) -> dict[str, Any]:
    client = server.client()
    project = client.create_project(ProjectName="clothing")["ProjectArn"]
    for kind, part in (("TRAIN", "train"), ("TEST", "test")):
        lines = [
            classification_line(put(server.data_dir / "buckets", "clothing", f"{part}/{p.parent.name}/{p.name}", p.read_bytes()), p.parent.name)
            for p in sorted((DATA / "clothing" / part).glob("*/*.jpg"))
        ]
        put(server.data_dir / "buckets", "clothing", f"{part}.manifest", "\n".join(lines).encode())
        source = {"GroundTruthManifest": {"S3Object": {"Bucket": "clothing", "Name": f"{part}.manifest"}}}
        arn = client.create_dataset(ProjectArn=project, DatasetType=kind, DatasetSource=source)["DatasetArn"]
        while client.describe_dataset(DatasetArn=arn)["DatasetDescription"]["Status"] == "CREATE_IN_PROGRESS":
            time.sleep(0.5)

    started = time.monotonic()
    version = client.create_project_version(ProjectArn=project, VersionName="v1", OutputConfig={"S3Bucket": "out"})["ProjectVersionArn"]
    client.get_waiter("project_version_training_completed").wait(ProjectArn=project, VersionNames=["v1"], WaiterConfig={"Delay": 2, "MaxAttempts": 900})
    training_seconds = time.monotonic() - started
    [described] = client.describe_project_versions(ProjectArn=project, VersionNames=["v1"])["ProjectVersionDescriptions"]
    summary_object = described["EvaluationResult"]["Summary"]["S3Object"]
    summary = json.loads((server.data_dir / "buckets" / summary_object["Bucket"] / summary_object["Name"]).read_bytes())
    aggregated = summary["AggregatedEvaluationResults"]

    image = (sorted((DATA / "clothing" / "test").glob("*/*.jpg"))[0]).read_bytes()
    bare = BareForward(server, image)
    serving = {}
    for units in (1, 2):
        client.start_project_version(ProjectVersionArn=version, MinInferenceUnits=units)
        client.get_waiter("project_version_running").wait(ProjectArn=project, VersionNames=["v1"], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        time.sleep(1)
        serving[f"{units}_units"] = {
            **latency_side_by_side(server, version, image, bare),
            "throughput_per_s": throughput(server, version, image),
        }
        client.stop_project_version(ProjectVersionArn=version)
        while client.describe_project_versions(ProjectArn=project, VersionNames=["v1"])["ProjectVersionDescriptions"][0]["Status"] != "STOPPED":
            time.sleep(0.5)
    return {
        "clothing": {
            "end_to_end_training_s": round(training_seconds, 1),
            "billable_training_s": described["BillableTrainingTimeInSeconds"],
            "macro_f1": round(aggregated["MacroF1Score"], 4),
            "micro_f1": round(aggregated["F1Score"], 4),
            "per_label_f1": {r["Label"]: round(r["Metrics"]["F1Score"], 4) for r in summary["LabelEvaluationResults"]},
        },
        "detect": {
            **serving,
            "ratio_p50_1_unit": serving["1_units"]["ratio_p50"],
            "server_peak_rss_mb": peak_rss_mb(server.process.pid),  # type: ignore[union-attr]
            "clients": CLIENTS,
        },
    }


def latency_side_by_side(server: RunningServer, version: str, image: bytes, bare: BareForward) -> dict[str, float]:
    """Detect over HTTP and the bare forward pass, one after the other, so the machine's noise hits both alike."""
    client = server.client()
    for _ in range(10):
        client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": image})
        bare.run()
    detect_ms, bare_ms = [], []
    for _ in range(LATENCY_REQUESTS):
        started = time.perf_counter()
        client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": image})
        detect_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        bare.run()
        bare_ms.append((time.perf_counter() - started) * 1000)
    detect, forward = statistics.median(detect_ms), statistics.median(bare_ms)
    return {"detect_p50_ms": round(detect, 2), "bare_onnx_forward_p50_ms": round(forward, 2), "ratio_p50": round(detect / forward, 2)}


def throughput(server: RunningServer, version: str, image: bytes) -> float:
    done = 0
    lock = threading.Lock()
    deadline = time.monotonic() + THROUGHPUT_SECONDS

    def client_loop() -> None:
        nonlocal done
        client = server.client()
        while time.monotonic() < deadline:
            try:
                client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": image})
            except client.exceptions.ProvisionedThroughputExceededException:
                continue
            with lock:
                done += 1

    with ThreadPoolExecutor(CLIENTS) as pool:
        for _ in range(CLIENTS):
            pool.submit(client_loop)
    return round(done / THROUGHPUT_SECONDS, 1)


class BareForward:
    """The exported model alone: one ONNX Runtime session with one thread, as an inference unit runs it."""

    def __init__(self, server: RunningServer, image: bytes) -> None:
        import io

        import onnxruntime
        from PIL import Image

        from customlabels.serving.preprocessing import training_preprocess

        bundle = next(p for p in (server.data_dir / "models").iterdir() if (p / "model.onnx").is_file())
        spec = json.loads((bundle / "model.json").read_text())
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(bundle / "model.onnx"), options, providers=["CPUExecutionProvider"])
        batch = training_preprocess()([Image.open(io.BytesIO(image)).convert("RGB")], spec["input"])
        self._feed = {self._session.get_inputs()[0].name: batch}

    def run(self) -> None:
        self._session.run(None, self._feed)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return -1.0


if __name__ == "__main__":
    main()
