"""Classification benchmark: frozen-features baseline vs train_classifier, scored on the exported ONNX model.

macro_f1 takes each image's top label (single-label) or each label's F1-optimal cut (multi-label);
summary_macro_f1 is what the evaluation summary file reports (each label at its own assumed threshold).

    .venv/bin/python bench/classification.py                      # both datasets, writes bench/results/classification.json
    .venv/bin/python bench/classification.py --dataset clothing --no-baseline --recipe '{"views": 6}' --out /tmp/x.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from customlabels.evaluation import evaluate_classification
from customlabels.training import Sample, choose_recipe, train_classifier
from customlabels.training.preprocess import load_image, preprocess
from printed_progress import PrintedProgress  # bench/ is on the path when a benchmark runs

DATA = Path(os.environ.get("CUSTOMLABELS_BENCH_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
RESULTS = Path(__file__).resolve().parent / "results" / "classification.json"
SCENES_TEST_FRACTION = 0.2
SPLIT_SEED = 0


@dataclass(frozen=True)
class Dataset:
    name: str
    labels: tuple[str, ...]
    multi_label: bool
    train: tuple[Sample, ...]
    test: tuple[Sample, ...]


def clothing(root: Path) -> Dataset:
    labels = tuple(sorted(path.name for path in (root / "train").iterdir() if path.is_dir()))

    def samples(part: str) -> tuple[Sample, ...]:
        return tuple(
            Sample(path=path, labels=(label,)) for label in labels for path in sorted((root / part / label).glob("*.jpg"))
        )

    return Dataset("clothing", labels, False, samples("train"), samples("test"))


def scenes(root: Path) -> Dataset:
    with (root / "labels.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    labels = tuple(column for column in rows[0] if column != "image")
    samples = [
        Sample(path=root / "images" / row["image"], labels=tuple(label for label in labels if row[label] == "1"))
        for row in rows
    ]
    random.Random(SPLIT_SEED).shuffle(samples)
    cut = round(len(samples) * (1 - SCENES_TEST_FRACTION))
    return Dataset("scenes", labels, True, tuple(samples[:cut]), tuple(samples[cut:]))


def targets(samples: Sequence[Sample], labels: Sequence[str]) -> np.ndarray:
    matrix = np.zeros((len(samples), len(labels)), dtype=bool)
    for row, sample in enumerate(samples):
        for label in sample.labels:
            matrix[row, labels.index(label)] = True
    return matrix


def f1(true_positive: int, false_positive: int, false_negative: int) -> float:
    denominator = 2 * true_positive + false_positive + false_negative
    return 2 * true_positive / denominator if denominator else 0.0


def best_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    """The score cut with the best F1 on these scores (predict positive when score >= cut)."""
    candidates = np.unique(scores)
    best, best_cut = -1.0, 0.5
    for cut in candidates:
        predicted = scores >= cut
        value = f1(int((predicted & truth).sum()), int((predicted & ~truth).sum()), int((~predicted & truth).sum()))
        if value > best:
            best, best_cut = value, float(cut)
    return best_cut


def score(probabilities: np.ndarray, dataset: Dataset) -> dict[str, Any]:
    truth = targets(dataset.test, dataset.labels)
    if dataset.multi_label:
        cuts = [best_threshold(probabilities[:, column], truth[:, column]) for column in range(truth.shape[1])]
        predicted = probabilities >= np.asarray(cuts)
    else:
        predicted = np.zeros_like(truth)
        predicted[np.arange(len(truth)), probabilities.argmax(axis=1)] = True
        cuts = None
    per_label = {
        label: f1(
            int((predicted[:, column] & truth[:, column]).sum()),
            int((predicted[:, column] & ~truth[:, column]).sum()),
            int((~predicted[:, column] & truth[:, column]).sum()),
        )
        for column, label in enumerate(dataset.labels)
    }
    result: dict[str, Any] = {
        "macro_f1": float(np.mean(list(per_label.values()))),
        "micro_f1": f1(int((predicted & truth).sum()), int((predicted & ~truth).sum()), int((~predicted & truth).sum())),
        "per_label_f1": per_label,
    }
    # What the evaluation summary file reports: each label's F1 at its own F1-optimal assumed threshold.
    summary = evaluate_classification(
        dataset.labels,
        probabilities,
        [sample.labels for sample in dataset.test],
        multi_label=dataset.multi_label,
    )
    result["summary_macro_f1"] = summary.macro_f1_score
    if cuts is not None:
        result["thresholds"] = dict(zip(dataset.labels, cuts))
    else:
        result["accuracy"] = float((probabilities.argmax(axis=1) == truth.argmax(axis=1)).mean())
    return result


def onnx_predictions(model_dir: Path, samples: Sequence[Sample]) -> tuple[np.ndarray, float]:
    """Probabilities of the served model (preprocess + onnxruntime) and its forward images/s."""
    import onnxruntime

    spec = json.loads((model_dir / "model.json").read_text())["input"]
    session = onnxruntime.InferenceSession(str(model_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    outputs, forward_seconds = [], 0.0
    for start in range(0, len(samples), 32):
        batch = preprocess([load_image(sample.path) for sample in samples[start : start + 32]], spec)
        began = time.perf_counter()
        outputs.append(session.run(None, {session.get_inputs()[0].name: batch})[0])
        forward_seconds += time.perf_counter() - began
    return np.concatenate(outputs), len(samples) / forward_seconds


def trained(dataset: Dataset, overrides: Mapping[str, Any], work: Path, seed: int = 0) -> dict[str, Any]:
    recipe = choose_recipe(
        num_images=len(dataset.train),
        num_labels=len(dataset.labels),
        multi_label=dataset.multi_label,
        overrides=overrides,
    )
    print(f"{dataset.name}: {recipe}", file=sys.stderr)
    began = time.perf_counter()
    out_dir = train_classifier(
        dataset.train,
        labels=dataset.labels,
        multi_label=dataset.multi_label,
        recipe=recipe,
        progress=PrintedProgress(),
        out_dir=work / dataset.name,
        seed=seed,
    )
    seconds = time.perf_counter() - began
    probabilities, images_per_s = onnx_predictions(out_dir, dataset.test)
    validation = json.loads((out_dir / "model.json").read_text())["validation"]
    return {
        "recipe": recipe.to_json(),
        "seed": seed,
        "training_seconds": round(seconds, 1),
        "onnx_images_per_s": round(images_per_s, 1),
        "validation": validation,
        **score(probabilities, dataset),
    }


def baseline(dataset: Dataset) -> dict[str, Any]:
    """Frozen EfficientNet-Lite0 pooled features at 224 px + logistic regression (torch, full-batch L-BFGS)."""
    import torch

    from customlabels.training import create_backbone

    torch.set_num_threads(os.cpu_count() or 1)
    began = time.perf_counter()
    backbone = create_backbone("efficientnet-lite0").eval().to(memory_format=torch.channels_last)
    spec = {"size": 224, "layout": "NCHW", "color": "RGB", "resize": "stretch_bilinear", "mean": 127.0, "std": 128.0}

    def features(samples: Sequence[Sample]) -> torch.Tensor:
        chunks = []
        with torch.inference_mode():
            for start in range(0, len(samples), 32):
                batch = preprocess([load_image(sample.path) for sample in samples[start : start + 32]], spec)
                chunks.append(backbone(torch.from_numpy(batch).contiguous(memory_format=torch.channels_last)))
        return torch.cat(chunks)

    train_x = features(dataset.train)
    train_y = torch.from_numpy(targets(dataset.train, dataset.labels)).float()
    mean, std = train_x.mean(dim=0), train_x.std(dim=0) + 1e-6
    train_x = (train_x - mean) / std
    linear = torch.nn.Linear(train_x.shape[1], len(dataset.labels))
    optimizer = torch.optim.LBFGS(linear.parameters(), max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        logits = linear(train_x)
        if dataset.multi_label:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, train_y)
        else:
            loss = torch.nn.functional.cross_entropy(logits, train_y.argmax(dim=1))
        loss = loss + 1e-3 * linear.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    seconds = time.perf_counter() - began
    with torch.inference_mode():
        logits = linear((features(dataset.test) - mean) / std)
        probabilities = torch.sigmoid(logits) if dataset.multi_label else torch.softmax(logits, dim=1)
    return {"training_seconds": round(seconds, 1), **score(probabilities.numpy(), dataset)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["clothing", "scenes", "all"], default="all")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--recipe", default="{}", help="JSON object of Recipe overrides")
    parser.add_argument("--seed", type=int, default=0, help="the training's seed (validation split, views, order)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, default=Path("/tmp/customlabels-bench"))
    arguments = parser.parse_args()
    # As train_classifier does when it is the first to load torch (the baseline loads it here first).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    overrides = json.loads(arguments.recipe)
    datasets = {"clothing": lambda: clothing(DATA / "clothing"), "scenes": lambda: scenes(DATA / "scenes")}
    chosen = list(datasets) if arguments.dataset == "all" else [arguments.dataset]
    results: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "datasets": {},
    }
    for name in chosen:
        dataset = datasets[name]()
        entry: dict[str, Any] = {"train_images": len(dataset.train), "test_images": len(dataset.test)}
        if not arguments.no_baseline:
            entry["baseline_frozen_logreg"] = baseline(dataset)
            print(f"{name} baseline: {summary(entry['baseline_frozen_logreg'])}", file=sys.stderr)
        entry["train_classifier"] = trained(dataset, overrides, arguments.work, arguments.seed)
        print(f"{name} train_classifier: {summary(entry['train_classifier'])}", file=sys.stderr)
        results["datasets"][name] = entry
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(results, indent=2) + "\n")


def summary(result: Mapping[str, Any]) -> str:
    keys = ("macro_f1", "summary_macro_f1", "micro_f1", "accuracy", "training_seconds", "onnx_images_per_s")
    return " ".join(f"{key}={result[key]:.3f}" for key in keys if key in result)


if __name__ == "__main__":
    main()
