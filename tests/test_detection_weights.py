"""Pretrained detector weights: the TF.js graph reader, and NanoDet-g re-headed when its weights are installed."""

import json
from pathlib import Path

import numpy as np
import pytest

from customlabels.training.detection.tfjs import read_graph
from customlabels.training.detection.weights import (
    GRAPH_FILE,
    WeightsMissing,
    default_weights_dir,
    nanodet_graph,
)


def write_graph(folder: Path) -> dict[str, np.ndarray]:
    """A two-convolution TF.js graph, numbered out of order, float16-quantised kernels and float32 biases."""
    rng = np.random.default_rng(0)
    arrays = {
        "k1": rng.normal(size=(1, 1, 4, 2)).astype(np.float32),
        "b1": rng.normal(size=2).astype(np.float32),
        "k0": rng.normal(size=(3, 3, 3, 4)).astype(np.float32),
        "b0": rng.normal(size=4).astype(np.float32),
    }
    manifest, data = [], b""
    for name, array in arrays.items():
        if name.startswith("k"):
            manifest.append({"name": name, "shape": list(array.shape), "dtype": "float32", "quantization": {"dtype": "float16", "original_dtype": "float32"}})
            data += array.astype(np.float16).tobytes()
        else:
            manifest.append({"name": name, "shape": list(array.shape), "dtype": "float32"})
            data += array.tobytes()
    nodes = [
        {"name": "input_1", "op": "Placeholder"},
        *({"name": name, "op": "Const"} for name in arrays),
        {"name": "PartitionedCall/convolution_1", "op": "Conv2D", "input": ["x", "k1"]},
        {"name": "PartitionedCall/Add_1", "op": "Add", "input": ["PartitionedCall/convolution_1", "b1"]},
        {"name": "PartitionedCall/convolution", "op": "Conv2D", "input": ["input_1", "k0"]},
        {"name": "PartitionedCall/Add", "op": "Add", "input": ["PartitionedCall/convolution", "b0"]},
    ]
    (folder / "group1-shard1of1.bin").write_bytes(data)
    description = {"modelTopology": {"node": nodes}, "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": manifest}]}
    (folder / GRAPH_FILE).write_text(json.dumps(description))
    return arrays


def test_the_tfjs_reader_dequantises_and_numbers_the_convolutions(tmp_path: Path) -> None:
    from customlabels.training.detection.nanodet import graph_convolutions

    arrays = write_graph(tmp_path)
    topology, weights = read_graph(tmp_path / GRAPH_FILE)
    assert len(topology["node"]) == 9
    np.testing.assert_allclose(weights["k0"], arrays["k0"], atol=2e-3)
    np.testing.assert_array_equal(weights["b1"], arrays["b1"])
    (kernel0, bias0), (kernel1, bias1) = graph_convolutions(tmp_path / GRAPH_FILE)
    assert kernel0.shape == (4, 3, 3, 3) and kernel1.shape == (2, 4, 1, 1)  # OIHW, in the graph's numbering
    np.testing.assert_allclose(kernel0, arrays["k0"].transpose(3, 2, 0, 1), atol=2e-3)
    np.testing.assert_array_equal(bias0, arrays["b0"])
    np.testing.assert_array_equal(bias1, arrays["b1"])


def test_a_truncated_shard_is_refused(tmp_path: Path) -> None:
    write_graph(tmp_path)
    shard = tmp_path / "group1-shard1of1.bin"
    shard.write_bytes(shard.read_bytes()[:-4])
    with pytest.raises(ValueError, match="past the end"):
        read_graph(tmp_path / GRAPH_FILE)


def test_weights_are_found_by_folder_or_file_and_missing_ones_are_named(tmp_path: Path) -> None:
    write_graph(tmp_path)
    assert nanodet_graph(tmp_path) == tmp_path / GRAPH_FILE
    assert nanodet_graph(str(tmp_path / GRAPH_FILE)) == tmp_path / GRAPH_FILE
    with pytest.raises(WeightsMissing, match="no NanoDet-g graph"):
        nanodet_graph(tmp_path / "elsewhere")


INSTALLED = (default_weights_dir() / GRAPH_FILE).is_file()


@pytest.mark.skipif(not INSTALLED, reason="NanoDet-g weights not fetched (python -m customlabels.training.detection.weights)")
def test_nanodet_is_reheaded_for_the_users_labels_keeping_its_box_branch() -> None:
    import torch

    from customlabels.training.detection.detectors import create_detector
    from customlabels.training.detection.nanodet import COCO_CLASSES, graph_convolutions

    model = create_detector("nanodet-g", num_labels=3, image_size=320).eval()
    coco_output = graph_convolutions(default_weights_dir() / GRAPH_FILE)[-1]
    last = model.head.outputs[-1]
    assert last.out_channels == 3 + 44
    np.testing.assert_allclose(last.weight[3:].detach().numpy(), coco_output[0][COCO_CLASSES:], atol=0)
    with torch.inference_mode():
        detections = model(torch.zeros(1, 3, 320, 320))
    # 40x40 + 20x20 + 10x10 cells, boxes then 3 scores, the scores at the 1 % prior.
    assert detections.shape == (1, 2100, 7)
    assert float(detections[..., 4:].max()) < 0.05
