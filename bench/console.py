"""The console on a dataset of 5,000 images: how long the pages a labeler opens take, through the real server.

Creates the dataset from a Ground Truth manifest (500 of the images unlabeled), signs in as a browser does, and
times each page (median of REPEATS): the grid's first page, a page deep in it, the grid filtered by label, by
"unlabeled" and by text, the labeling tool, and the grid's thumbnails, the first time and once made.

    .venv/bin/python bench/console.py          # writes bench/results/console.json
"""

from __future__ import annotations

import html
import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from served import run_against_server  # bench/ is on the path; served puts the repository there too, for tests.*
from tests.images import classification_line, jpeg, put
from tests.server import ACCESS_KEY, SECRET_KEY, RunningServer

RESULTS = Path(__file__).resolve().parent / "results" / "console.json"
IMAGES = 5000
UNLABELED = 500
LABELS = ("red", "green", "blue", "yellow", "grey")
COLOURS = ((200, 40, 40), (40, 180, 60), (40, 60, 200), (220, 200, 40), (128, 128, 128))
REPEATS = 7
DEEP_PAGE = 40
THUMBNAILS = 60


def main() -> None:
    run_against_server(run, RESULTS)


def run(server: RunningServer) -> dict[str, Any]:
    client = server.client()
    project = client.create_project(ProjectName="big")["ProjectArn"]
    buckets = server.data_dir / "buckets"
    lines, refs = [], []
    for index in range(IMAGES):
        shade = COLOURS[index % len(COLOURS)]
        ref = put(buckets, "big", f"images/img-{index:05d}.jpg", jpeg(96 + index % 32, 80 + index % 24, shade))
        refs.append(ref)
        labeled = index >= UNLABELED
        lines.append(classification_line(ref, LABELS[index % len(LABELS)]) if labeled else json.dumps({"source-ref": ref}))
    put(buckets, "big", "train.manifest", "\n".join(lines).encode())
    started = time.monotonic()
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": "big", "Name": "train.manifest"}}}
    arn = client.create_dataset(ProjectArn=project, DatasetType="TRAIN", DatasetSource=source)["DatasetArn"]
    while client.describe_dataset(DatasetArn=arn)["DatasetDescription"]["Status"] == "CREATE_IN_PROGRESS":
        time.sleep(0.2)
    created_s = time.monotonic() - started

    with httpx.Client(base_url=server.url, timeout=60) as browser:
        _sign_in(browser)
        grid = "/console/projects/big/datasets/train"
        deep = grid
        for _ in range(DEEP_PAGE - 1):
            deep = grid + _next_link(browser.get(deep).text)
        first_page = browser.get(grid).text
        found = re.findall(r'src="(/api/v1/projects/big/datasets/train/image\?[^"]+)"', first_page)
        thumbnails = [html.unescape(link) for link in found[:THUMBNAILS]]
        pages: dict[str, str] = {
            "grid_first_page": grid,
            f"grid_page_{DEEP_PAGE}": deep,
            "grid_by_label": grid + "?label=blue",
            "grid_unlabeled": grid + "?show=unlabeled",
            "grid_by_text": grid + "?text=img-042",
            "labeling_tool": f"{grid}/label?ref={quote(refs[IMAGES // 2], safe='')}",
        }
        timings = {name: _median_ms(lambda path=path: _ok(browser.get(path))) for name, path in pages.items()}
        cold = _each_ms(browser, thumbnails)
        warm = _each_ms(browser, thumbnails)
    return {
        "images": IMAGES,
        "unlabeled": UNLABELED,
        "create_dataset_s": round(created_s, 1),
        "page_p50_ms": timings,
        "thumbnails_per_page": len(thumbnails),
        "thumbnail_first_p50_ms": round(statistics.median(cold), 1),
        "thumbnail_made_p50_ms": round(statistics.median(warm), 1),
    }


def _sign_in(browser: httpx.Client) -> None:
    form = browser.get("/console/login").text
    token = form.split('name="login_token" value="', 1)[1].split('"', 1)[0]
    answer = browser.post("/console/login", data={"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY, "login_token": token})
    if answer.status_code != 303:
        raise RuntimeError(f"signing in failed: HTTP {answer.status_code}")


def _next_link(page: str) -> str:
    found = re.search(r'<a href="(\?[^"]+)" rel="next">', page)
    if not found:
        raise RuntimeError("the grid has no next page")
    return html.unescape(found.group(1))


def _ok(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url}: HTTP {response.status_code}")


def _median_ms(call: Callable[[], None]) -> float:
    call()
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 1)


def _each_ms(browser: httpx.Client, links: list[str]) -> list[float]:
    timings = []
    for link in links:
        started = time.perf_counter()
        _ok(browser.get(link))
        timings.append((time.perf_counter() - started) * 1000)
    return timings


if __name__ == "__main__":
    main()
