"""The web console in a real browser (Debian's Chromium driven by Playwright), against the real server.

One project goes through a user's whole path, test by test in file order: sign in, create a project,
upload a folder, browse and filter, label with keys and boxes, bulk-label, split, train, read the
evaluation, try the model, and improve the data with its suggestions. Screenshots of each page are
kept in CUSTOMLABELS_ARTIFACTS (or pytest's temporary folder) for review.
"""

import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.images import jpeg
from tests.server import ACCESS_KEY, SECRET_KEY, RunningServer, TINY_RECIPE_JSON

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
COLOURS = {"apple": (200, 30, 30), "banana": (230, 210, 40)}
TRAINING_TIMEOUT_MS = 150_000
# Why more epochs than the other tests: the tiny model's 20 epochs pass within one of the page's polls, and the
# test must see the page follow them (100 epochs took ~1.5 s, about one poll, here: a faster machine saw none).
# No early stop, so the number of epochs shown is known.
CONSOLE_EPOCHS = 400
CONSOLE_RECIPE_JSON = json.dumps({**json.loads(TINY_RECIPE_JSON), "epochs": CONSOLE_EPOCHS, "patience": CONSOLE_EPOCHS})

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (./run tests installs it)")


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = RunningServer(tmp_path_factory.mktemp("console") / "data", extra_env={"CUSTOMLABELS_TRAINING_RECIPE": CONSOLE_RECIPE_JSON}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ["CUSTOMLABELS_ARTIFACTS"]) if os.environ.get("CUSTOMLABELS_ARTIFACTS") else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def page(console_server: RunningServer, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        context = browser.new_context(base_url=console_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(20_000)
        tab = context.new_page()
        problems: list[str] = []
        tab.on("pageerror", lambda error: problems.append(str(error)))
        yield tab
        context.close()
        browser.close()
        assert not problems, f"JavaScript errors: {problems}"


@pytest.fixture(scope="module")
def fruit_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("upload") / "fruit"
    for label, rgb in COLOURS.items():
        (root / label).mkdir(parents=True)
        for i in range(8):
            shade = tuple(min(255, max(0, c + (i * 7) % 30 - 15)) for c in rgb)
            (root / label / f"{label}-{i}.jpg").write_bytes(jpeg(96 + i, 80, shade))  # type: ignore[arg-type]
    for i, rgb in enumerate([(210, 40, 35), (225, 200, 50), (190, 25, 40), (235, 215, 30)]):
        (root / f"new-{i}.jpg").write_bytes(jpeg(100, 80, rgb))
    return root


UNLABELED_CONTROLS = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter((e) => !e.labels?.length && !e.getAttribute('aria-label')).map((e) => e.outerHTML)"""


def shot(page, artifacts: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """Keeps a screenshot for review, and checks that every control of the page has a label."""
    page.screenshot(path=artifacts / f"{name}.png", full_page=True)
    assert page.evaluate(UNLABELED_CONTROLS) == [], f"controls without a label on {page.url}"


def entry(page, kind: str, ref: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    response = page.request.get(f"/api/v1/projects/fruit/datasets/{kind}/entry?source_ref={quote(ref, safe='')}")
    assert response.ok, response.text()
    return response.json()  # type: ignore[no-any-return]


def test_sign_in_refuses_a_wrong_secret_then_lets_the_right_keys_in(page, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto("/console/")
    assert page.url.endswith("/console/login?next=/console/")
    page.get_by_label("Access key id").fill(ACCESS_KEY)
    page.get_by_label("Secret access key").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert "do not match" in page.locator("#login-error").inner_text()
    page.get_by_label("Secret access key").fill(SECRET_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Projects", exact=True).wait_for()
    shot(page, artifacts, "01-projects-empty")


def test_a_project_is_created_and_a_bad_name_is_explained_next_to_the_field(page, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Project name").fill("fruit")
    page.get_by_role("button", name="Create project").click()
    page.get_by_role("heading", name="fruit", exact=True).wait_for()
    page.goto("/console/")
    page.get_by_label("Project name").fill("fruit")
    page.get_by_role("button", name="Create project").click()
    assert page.locator("#project-name-error").inner_text() == "A project named fruit already exists."
    assert page.get_by_label("Project name").get_attribute("aria-invalid") == "true"


def test_uploading_a_folder_creates_the_training_dataset_with_its_labels(page, artifacts: Path, fruit_folder: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto("/console/projects/fruit")
    page.locator("#folder-train").set_input_files(fruit_folder)
    page.get_by_text("Imported 20 images").wait_for()
    page.get_by_text("create complete").first.wait_for()
    stats = page.locator("section[aria-labelledby=dataset-TRAIN] .stats").inner_text()
    assert "20\nimages" in stats and "16\nlabeled" in stats
    labels = page.locator("section[aria-labelledby=labels-title] tbody tr")
    assert [row.split("\t")[:2] for row in labels.all_inner_texts()] == [["apple", "8"], ["banana", "8"]]
    shot(page, artifacts, "02-project-uploaded")


def test_the_grid_filters_unlabeled_images_and_by_file_name(page, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("link", name="Browse and label images").click()
    assert page.locator(".tile").count() == 20
    page.get_by_label("Show").select_option("unlabeled")
    page.get_by_role("button", name="Filter").click()
    assert page.locator("[data-matching]").inner_text() == "4"
    assert page.locator(".tile .name").all_inner_texts() == ["new-0.jpg", "new-1.jpg", "new-2.jpg", "new-3.jpg"]
    assert page.locator(".tile img").first.get_attribute("loading") == "lazy"
    shot(page, artifacts, "03-grid-unlabeled")
    page.get_by_label("File name contains").fill("BANANA-7")
    page.get_by_label("Show").select_option("all")
    page.get_by_role("button", name="Filter").click()
    assert page.locator(".tile .name").all_inner_texts() == ["banana-7.jpg"]


def test_labeling_with_number_keys_undo_and_boxes_is_saved_as_it_happens(page, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto("/console/projects/fruit/datasets/train?show=unlabeled")
    page.locator(".tile a.open").first.click()
    page.locator("body[data-labeler-ready]").wait_for()
    ref = "s3://customlabels-datasets/fruit/train/new-0.jpg"
    saved = page.locator("[data-saving]")

    page.keyboard.press("1")
    page.locator("[data-saving].ok").wait_for()
    page.keyboard.press("2")
    page.locator("[data-labels] button[aria-pressed=true]", has_text="banana").wait_for()
    page.keyboard.press("Control+z")
    page.locator("[data-labels] button[aria-pressed=true]", has_text="banana").wait_for(state="detached")
    page.locator("[data-saving].ok").wait_for()
    assert entry(page, "train", ref)["labels"] == ["apple"]

    page.keyboard.press("b")
    area = page.locator("[data-svg]").bounding_box()
    page.mouse.move(area["x"] + area["width"] * 0.2, area["y"] + area["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] * 0.6, area["y"] + area["height"] * 0.7, steps=6)
    page.mouse.up()
    assert page.locator("[data-boxes] li").count() == 1
    frame = page.locator("svg g.box rect.frame")
    start = frame.bounding_box()
    page.mouse.move(start["x"] + 20, start["y"] + 20)  # drag the box to the right
    page.mouse.down()
    page.mouse.move(start["x"] + 20 + area["width"] * 0.1, start["y"] + 20, steps=4)
    page.mouse.up()
    page.locator("[data-saving].ok").wait_for()
    box = entry(page, "train", ref)["boxes"][0]
    assert box["label"] == "apple" and 25 < box["left"] < 35 and 14 < box["top"] < 18 and 36 < box["width"] < 44
    shot(page, artifacts, "04-labeling-box")

    page.reload()
    page.locator("body[data-labeler-ready]").wait_for()
    assert page.locator("svg g.box").count() == 1  # nothing lost on reload
    page.locator("svg g.box rect.frame").click()
    page.keyboard.press("Delete")
    page.locator("[data-saving].ok").wait_for()
    saved_entry = entry(page, "train", ref)
    assert saved_entry["boxes"] == [] and saved_entry["labels"] == ["apple"]
    assert "saved" in saved.inner_text()

    page.keyboard.press("ArrowRight")
    page.wait_for_url("**ref=s3%3A%2F%2Fcustomlabels-datasets%2Ffruit%2Ftrain%2Fnew-1.jpg**")
    page.locator("body[data-labeler-ready]").wait_for()
    page.keyboard.press("2")
    page.locator("[data-saving].ok").wait_for()
    assert entry(page, "train", "s3://customlabels-datasets/fruit/train/new-1.jpg")["labels"] == ["banana"]


def test_a_selection_is_labeled_at_once_from_the_grid(page, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto("/console/projects/fruit/datasets/train?show=unlabeled")
    assert page.locator("[data-matching]").inner_text() == "2"
    page.locator("[data-pick]").first.check()
    page.get_by_label("Label", exact=True).last.fill("apple")
    page.get_by_role("button", name="Add to selected").click()
    page.get_by_text("1 image changed.").wait_for()
    page.wait_for_load_state("load")
    page.locator("[data-matching]", has_text="1").wait_for()
    assert page.locator(".tile .name").all_inner_texts() == ["new-3.jpg"]  # left for the improve step
    shot(page, artifacts, "05-grid-bulk")


def test_splitting_and_training_show_progress_then_the_evaluation(page, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto("/console/projects/fruit")
    page.get_by_role("button", name="Split 80/20 from the training dataset").click()
    page.locator("section[aria-labelledby=dataset-TEST] [data-status]", has_text="update complete").wait_for()
    test_stats = page.locator("section[aria-labelledby=dataset-TEST] .stats").inner_text()
    assert test_stats.startswith("4\nimages")  # a fifth of the 20, each label set its share
    page.get_by_role("button", name="Train a new model").click()
    page.get_by_role("heading", name="Model v1", exact=True).wait_for()
    shot(page, artifacts, "06-training")
    epochs = _follow_training(page)
    assert any(re.fullmatch(rf"Epoch \d+ of {CONSOLE_EPOCHS}", text) for text in epochs), epochs
    metrics = page.locator("[data-label-metrics] tbody tr").all_inner_texts()
    assert sorted(row.split("\t")[0] for row in metrics) == ["apple", "banana"]
    assert page.locator("[data-curves] figure").count() == 2
    assert page.locator("[data-confusion] tbody tr").count() == 2
    assert float(page.locator("[data-f1]").inner_text()) >= 0
    assert page.locator("[data-test-images] figure").count() == 4
    shot(page, artifacts, "07-evaluation")
    page.get_by_role("link", name="True positives").click()
    for caption in page.locator("[data-test-images] figcaption").all_inner_texts():
        assert "true positive" in caption


def test_the_running_model_is_tried_on_an_image_with_a_confidence_slider(page, artifacts: Path, fruit_folder: Path) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Start the model").click()
    page.get_by_role("heading", name="Try it", exact=True).wait_for(timeout=60_000)
    page.locator("[data-try-input]").set_input_files(fruit_folder / "apple" / "apple-0.jpg")
    page.locator("[data-try-results] tr").first.wait_for()
    names = [row.split("\n")[0] for row in page.locator("[data-try-results] tr").all_inner_texts()]
    assert sorted(names) == ["apple", "banana"]
    page.locator("[data-try-slider]").fill("50")  # of two softmax confidences, one is above 50 %
    assert [row.split("\n")[0] for row in page.locator("[data-try-results] tr[data-kept=true]").all_inner_texts()] == ["apple"]
    page.locator("[data-try-slider]").fill("0")
    assert page.locator("[data-try-results] tr[data-kept=true]").count() == 2
    assert "detect_custom_labels" in page.locator("pre.code").first.inner_text()
    shot(page, artifacts, "08-try-it")


def test_improve_shows_suggestions_and_accepts_one_with_a_click(page, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto("/console/projects/fruit/improve")
    page.get_by_role("button", name="Run over unlabeled images").click()
    page.locator(".suggestion").first.wait_for()
    card = page.locator(".suggestion").first
    assert "new-3.jpg" in card.inner_text()
    shot(page, artifacts, "09-improve")
    guessed = card.locator("[data-accept]").inner_text().removeprefix("Accept: ")
    assert guessed in COLOURS
    card.locator("[data-accept]").click()
    card.get_by_text(f"Labeled: {guessed}.").wait_for()
    assert entry(page, "train", "s3://customlabels-datasets/fruit/train/new-3.jpg")["labels"] == [guessed]
    page.reload()
    assert page.locator(".suggestion").count() == 0  # labeled images leave the list


def test_a_project_with_models_cannot_be_deleted_and_says_why(page, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto("/console/")
    page.get_by_role("button", name="Delete…").click()
    page.get_by_label("Type fruit to confirm").fill("fruit")
    page.get_by_role("button", name="Delete project").click()
    assert "model versions; delete them first" in page.locator("#error-fruit").inner_text()
    shot(page, artifacts, "10-delete-refused")


def test_a_failed_training_lists_the_invalid_lines(page, artifacts: Path, console_server: RunningServer) -> None:  # type: ignore[no-untyped-def]
    page.goto("/console/")
    page.get_by_label("Project name").fill("broken")
    page.get_by_role("button", name="Create project").click()
    page.locator("#folder-train").set_input_files(_one_label_folder(console_server.data_dir.parent / "broken"))
    page.get_by_text("create complete").first.wait_for()
    page.get_by_role("button", name="Copy the train dataset").click()
    page.locator("section[aria-labelledby=dataset-TEST] [data-status]", has_text="create complete").wait_for()
    page.get_by_role("button", name="Train a new model").click()
    page.get_by_role("heading", name="Why the training failed", exact=True).wait_for(timeout=TRAINING_TIMEOUT_MS)
    text = page.locator("section[aria-labelledby=validation-title]").inner_text()
    assert "ERROR_MANIFEST_TOO_FEW_LABELS" in text
    assert "small.jpg" in text and "ERROR_INVALID_IMAGE" in text
    shot(page, artifacts, "11-training-failed")


def _follow_training(page) -> set[str]:  # type: ignore[no-untyped-def]
    """What the page said about epochs until the evaluation appeared (the page updates and reloads itself)."""
    seen: set[str] = set()
    deadline = time.monotonic() + TRAINING_TIMEOUT_MS / 1000
    evaluation = page.get_by_role("heading", name="Evaluation", exact=True)
    while not evaluation.is_visible():
        assert time.monotonic() < deadline, "the training did not end in time"
        with contextlib.suppress(playwright_api.Error):
            seen.add(page.locator("[data-progress-epoch]").inner_text(timeout=300).strip())
        page.wait_for_timeout(150)
    return seen


def _one_label_folder(root: Path) -> Path:
    (root / "cherry").mkdir(parents=True, exist_ok=True)
    for i in range(5):
        (root / "cherry" / f"cherry-{i}.jpg").write_bytes(jpeg(80, 80, (150, 0, 30)))
    (root / "cherry" / "small.jpg").write_bytes(jpeg(40, 40, (150, 0, 30)))
    return root
