"""The customlabels command, as a user types it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest


def run(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "customlabels", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}: {result.stderr}")
    return result


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli") / "data"


def test_projects_lifecycle(data_dir):
    created = json.loads(run(data_dir, "projects", "create", "cli-project", "--json").stdout)
    assert created["ProjectArn"].endswith(created["ProjectArn"].split("/")[-1])
    listed = json.loads(run(data_dir, "projects", "list", "--json").stdout)
    assert [p["name"] for p in listed] == ["cli-project"]
    duplicate = run(data_dir, "projects", "create", "cli-project", check=False)
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    assert "Traceback" not in duplicate.stderr
    run(data_dir, "projects", "delete", "cli-project")
    assert json.loads(run(data_dir, "projects", "list", "--json").stdout) == []


def test_import_folders_and_distribute(data_dir, shared_data):
    images = sum(1 for _ in (shared_data / "clothing" / "test").glob("*/*.jpg"))
    run(data_dir, "projects", "create", "clothing")
    imported = json.loads(
        run(
            data_dir,
            "datasets",
            "import",
            "clothing",
            str(shared_data / "clothing" / "test"),
            "--json",
        ).stdout
    )
    assert imported["Status"] == "CREATE_COMPLETE"
    assert imported["DatasetStats"] == {
        "TotalEntries": images,
        "LabeledEntries": images,
        "TotalLabels": 10,
        "ErrorEntries": 0,
    }
    assert (data_dir / "buckets" / "customlabels-datasets" / "clothing" / "train").is_dir()

    labels = json.loads(run(data_dir, "datasets", "labels", "clothing", "--json").stdout)
    assert {row["label"] for row in labels} == {
        p.name for p in (shared_data / "clothing" / "test").iterdir() if p.is_dir()
    }

    run(data_dir, "datasets", "create", "clothing", "--type", "test")
    run(data_dir, "datasets", "distribute", "clothing")
    test = json.loads(
        run(data_dir, "datasets", "describe", "clothing", "--type", "test", "--json").stdout
    )
    assert test["DatasetStats"]["TotalEntries"] == images // 5

    hats = [json.loads(line) for line in run(data_dir, "datasets", "entries", "clothing", "--label", "hat").stdout.splitlines()]
    in_train = next(row["images"] for row in json.loads(run(data_dir, "datasets", "labels", "clothing", "--json").stdout) if row["label"] == "hat")
    assert len(hats) == in_train > 0
    assert all("/hat/" in entry["source-ref"] for entry in hats)


def test_import_reports_what_it_skipped(data_dir, tmp_path):
    from PIL import Image

    folder = tmp_path / "pets"
    (folder / "cat").mkdir(parents=True)
    Image.new("RGB", (80, 80), "red").save(folder / "cat" / "a.jpg")
    (folder / "cat" / "notes.txt").write_text("not an image")
    run(data_dir, "projects", "create", "pets")
    result = run(data_dir, "datasets", "import", "pets", str(folder))
    assert "notes.txt" in result.stdout
    assert "Imported 1 images" in result.stdout


def test_errors_exit_non_zero_with_a_message(data_dir):
    missing = run(data_dir, "datasets", "describe", "no-such-project", check=False)
    assert missing.returncode == 1
    assert "no project named no-such-project" in missing.stderr
