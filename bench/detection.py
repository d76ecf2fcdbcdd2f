"""Detection benchmark: train_detector on microcontroller (Pascal VOC) and logos (Ground Truth manifest), scored
through the serving path (ONNX Runtime, letterbox, per-label NMS) with evaluation.evaluate_detection.

    .venv/bin/python bench/detection.py                       # both datasets, writes bench/results/detection.json
    .venv/bin/python bench/detection.py --compare 300         # adds "model_choice": each detector, same budget
    .venv/bin/python bench/detection.py --latency-only        # again, the latency of the models trained last
    .venv/bin/python bench/detection.py --dataset logos --recipe '{"detector": "efficientnet-lite0-pan"}' --out /tmp/x.json

The file keeps the keys a run does not write, so the comparison and the benchmark can be run apart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from PIL import Image

from customlabels.evaluation import Box, Detection, evaluate_detection
from customlabels.images import decode_image
from customlabels.serving.predictor import Predictor
from customlabels.training.detection import (
    DetectionSample,
    choose_detection_recipe,
    train_detector,
)
from printed_progress import PrintedProgress  # bench/ is on the path when a benchmark runs

DATA = Path(os.environ.get("CUSTOMLABELS_BENCH_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
RESULTS = Path(__file__).resolve().parent / "results" / "detection.json"
TEST_FRACTION = 0.2
SPLIT_SEED = 0
MIN_SIDE = 64
LATENCY_ROUNDS = 3
COMPARED = ("nanodet-g", "efficientnet-lite0-pan")


@dataclass(frozen=True)
class Dataset:
    name: str
    labels: tuple[str, ...]
    train: tuple[DetectionSample, ...]
    test: tuple[DetectionSample, ...]


def split(name: str, samples: list[DetectionSample]) -> Dataset:
    """A seeded 80/20 split of every usable image."""
    samples = sorted(samples, key=lambda sample: sample.path.name)
    random.Random(SPLIT_SEED).shuffle(samples)
    cut = round(len(samples) * (1 - TEST_FRACTION))
    labels = tuple(sorted({box[0] for sample in samples for box in sample.boxes}))
    return Dataset(name, labels, tuple(samples[:cut]), tuple(samples[cut:]))


def microcontroller(root: Path) -> Dataset:
    samples = []
    for annotation in sorted(root.glob("*/*.xml")):
        tree = ElementTree.parse(annotation)
        boxes = []
        for item in tree.iterfind("object"):
            edges = {key: float(item.findtext(f"bndbox/{key}", "0")) for key in ("xmin", "ymin", "xmax", "ymax")}
            boxes.append(
                (
                    item.findtext("name", ""),
                    edges["xmin"],
                    edges["ymin"],
                    edges["xmax"] - edges["xmin"],
                    edges["ymax"] - edges["ymin"],
                )
            )
        samples.append(DetectionSample(annotation.with_name(tree.findtext("filename", "")), tuple(boxes)))
    return split("microcontroller", samples)


def logos(root: Path) -> Dataset:
    samples = []
    for line in (root / "output.manifest").read_text().splitlines():
        entry = json.loads(line)
        path = root / "images" / entry["source-ref"].rsplit("/", 1)[-1]
        with Image.open(path) as image:
            if min(image.size) < MIN_SIDE:
                continue  # the service refuses images under 64 px
        classes = entry["bounding-box-metadata"]["class-map"]
        boxes = tuple(
            (classes[str(box["class_id"])], float(box["left"]), float(box["top"]), float(box["width"]), float(box["height"]))
            for box in entry["bounding-box"]["annotations"]
        )
        samples.append(DetectionSample(path, boxes))
    return split("logos", samples)


def truths(sample: DetectionSample) -> list[Box]:
    with Image.open(sample.path) as image:
        width, height = image.size
    return [Box(label, x / width, y / height, w / width, h / height) for label, x, y, w, h in sample.boxes]


def served_evaluation(bundle: Path, dataset: Dataset) -> dict[str, Any]:
    """mAP@0.5 of the exported model run as served: decode, letterbox, ONNX Runtime, per-label NMS."""
    predictor = Predictor(bundle, threads=os.cpu_count() or 1)
    detections = []
    for sample in dataset.test:
        predictions = predictor.predict([decode_image(sample.path.read_bytes())])[0]
        detections.append(
            [
                Detection(p.label, p.confidence, p.box.left, p.box.top, p.box.width, p.box.height)
                for p in predictions
                if p.box is not None
            ]
        )
    evaluation = evaluate_detection(dataset.labels, detections, [truths(sample) for sample in dataset.test])
    return {
        "map50": round(evaluation.average_precision, 4),
        "f1_at_assumed_thresholds": round(evaluation.f1_score, 4),
        "per_label_ap50": {result.label: round(result.average_precision, 4) for result in evaluation.labels},
        "boxes_per_image": round(sum(len(d) for d in detections) / max(len(detections), 1), 1),
    }


def latency(bundle: Path, dataset: Dataset) -> dict[str, Any]:
    """Detect through InferenceUnits (1 unit: a worker process, 1 thread) vs the bare ONNX forward (1 thread), in
    this process (bench/detect_latency.py measures over HTTP)."""
    from customlabels.serving.preprocessing import training_preprocess
    from customlabels.serving.session import Session
    from customlabels.serving.units import InferenceUnits

    images = [sample.path.read_bytes() for sample in dataset.test]
    spec = json.loads((bundle / "model.json").read_text())["input"]
    preprocess = training_preprocess()
    session = Session(bundle / "model.onnx", threads=1)
    batches = [preprocess([decode_image(data)], spec) for data in images]
    session.run(batches[0])
    forward, served = [], []
    units = InferenceUnits(bundle, units=1)
    try:
        units.detect(images[0])
        # Alternately, so the machine's noise hits both alike.
        for _ in range(LATENCY_ROUNDS):
            for data, batch in zip(images, batches, strict=True):
                began = time.perf_counter()
                session.run(batch)
                forward.append(time.perf_counter() - began)
                began = time.perf_counter()
                units.detect(data)
                served.append(time.perf_counter() - began)
        worker_peak_mb = _worker_peak_rss_mb(units)
    finally:
        units.close()
    forward_p50, served_p50 = statistics.median(forward), statistics.median(served)
    return {
        "detect_p50_ms": round(served_p50 * 1000, 1),
        "detect_p90_ms": round(statistics.quantiles(served, n=10)[-1] * 1000, 1),
        "onnx_forward_p50_ms": round(forward_p50 * 1000, 1),
        "detect_over_forward": round(served_p50 / forward_p50, 3),
        "detect_images_per_s": round(len(served) / sum(served), 2),
        "worker_peak_rss_mb": worker_peak_mb,
    }


def _worker_peak_rss_mb(units: Any) -> float | None:
    """The worker process's peak RSS (VmHWM). Why not RUSAGE_CHILDREN: it counts the forked copy of this
    (training) process before the worker's exec."""
    peaks = []
    for unit in units._units:  # bench-only peek at the private worker list
        pid = getattr(unit.worker, "pid", None)
        status = Path(f"/proc/{pid}/status")
        if pid is not None and status.is_file():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
    return round(max(peaks), 1) if peaks else None


def trained(dataset: Dataset, overrides: Mapping[str, Any], budget: float | None, work: Path) -> dict[str, Any]:
    recipe = choose_detection_recipe(
        num_images=len(dataset.train),
        num_labels=len(dataset.labels),
        time_budget_s=budget,
        overrides=overrides,
        samples=dataset.train,
    )
    print(f"{dataset.name}: {recipe}", file=sys.stderr, flush=True)
    began = time.perf_counter()
    bundle = train_detector(
        dataset.train, labels=dataset.labels, recipe=recipe, progress=PrintedProgress(), out_dir=work / dataset.name
    )
    seconds = time.perf_counter() - began
    validation = json.loads((bundle / "model.json").read_text())["validation"]
    result: dict[str, Any] = {
        "recipe": recipe.to_json(),
        "training_seconds": round(seconds, 1),
        "training_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "validation": validation,
        **served_evaluation(bundle, dataset),
    }
    print(f"{dataset.name}: map50={result['map50']} in {seconds:.0f}s", file=sys.stderr, flush=True)
    return result


def compare(dataset: Dataset, budget: float, work: Path) -> dict[str, Any]:
    """Each detector with the same training budget: accuracy per minute of training decides the default."""
    results = {}
    for detector in COMPARED:
        result = trained(dataset, {"detector": detector}, budget, work / detector)
        minutes = result["training_seconds"] / 60
        results[detector] = {
            "map50": result["map50"],
            "training_seconds": result["training_seconds"],
            "epochs_run": result["validation"].get("epochs_run"),
            "image_size": result["recipe"]["image_size"],
            "map50_per_training_minute": round(result["map50"] / minutes, 4),
        }
    return {"dataset": dataset.name, "budget_s": budget, "detectors": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["microcontroller", "logos", "all"], default="all")
    parser.add_argument("--recipe", default="{}", help="JSON object of DetectionRecipe overrides")
    parser.add_argument("--budget", type=float, default=None, help="training time budget in seconds")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--latency-only", action="store_true", help="measure the latency of the models --work holds")
    parser.add_argument("--compare", type=float, metavar="SECONDS", help="only compare the detectors on microcontroller")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, default=Path("/tmp/customlabels-bench-detection"))
    arguments = parser.parse_args()
    overrides = json.loads(arguments.recipe)
    previous = json.loads(arguments.out.read_text()) if arguments.out.is_file() else {}
    if arguments.compare is not None:
        choice = compare(microcontroller(DATA / "microcontroller"), arguments.compare, arguments.work / "compare")
        _write(arguments.out, {**previous, "model_choice": choice})
        return
    loaders = {"microcontroller": lambda: microcontroller(DATA / "microcontroller"), "logos": lambda: logos(DATA / "logos")}
    chosen = list(loaders) if arguments.dataset == "all" else [arguments.dataset]
    results: dict[str, Any] = {
        **previous,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "datasets": dict(previous.get("datasets", {})),
    }
    for name in chosen:
        dataset = loaders[name]()
        if arguments.latency_only:
            results["datasets"][name] = {**results["datasets"][name], "latency": latency(arguments.work / name, dataset)}
            continue
        entry: dict[str, Any] = {
            "train_images": len(dataset.train),
            "test_images": len(dataset.test),
            "labels": len(dataset.labels),
            "train_detector": trained(dataset, overrides, arguments.budget, arguments.work),
        }
        if not arguments.no_latency:
            entry["latency"] = latency(arguments.work / name, dataset)
        results["datasets"][name] = entry
    _write(arguments.out, results)


def _write(path: Path, results: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
