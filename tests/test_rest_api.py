"""The native REST API (/api/v1) against the real server: auth, projects, uploads, browsing, labeling."""

import io
import time
import zipfile
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from tests.images import classification_line, jpeg, png, put
from tests.server import ACCESS_KEY, SECRET_KEY, RunningServer

API = "/api/v1"


@pytest.fixture(scope="module")
def rest_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = RunningServer(tmp_path_factory.mktemp("rest") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api(rest_server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=rest_server.url + API, auth=(ACCESS_KEY, SECRET_KEY), timeout=30) as client:
        yield client


def wait_dataset(api: httpx.Client, project: str, kind: str) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        dataset = api.get(f"/projects/{project}/datasets/{kind}").json()
        if not dataset["status"].endswith("IN_PROGRESS"):
            return dataset  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"the {kind} dataset of {project} stayed {dataset['status']}")


def upload(api: httpx.Client, project: str, kind: str, files: dict[str, bytes]) -> httpx.Response:
    parts = [("files", (path.rsplit("/", 1)[-1], data, "application/octet-stream")) for path, data in files.items()]
    return api.post(f"/projects/{project}/datasets/{kind}/uploads", files=parts, data={"paths": list(files)})


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# ---------------------------------------------------------------- auth


def test_requests_without_keys_get_a_problem_and_a_basic_challenge(rest_server: RunningServer) -> None:
    response = httpx.get(rest_server.url + API + "/projects")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Basic")
    assert response.json()["code"] == "NotSignedIn"
    wrong = httpx.get(rest_server.url + API + "/projects", auth=(ACCESS_KEY, "not-the-secret"))
    assert wrong.status_code == 401


def test_a_console_session_works_for_the_api_with_a_csrf_token_on_changes(rest_server: RunningServer) -> None:
    with httpx.Client(base_url=rest_server.url, follow_redirects=False) as browser:
        form = browser.get("/console/login")
        token = _hidden(form.text, "login_token")
        refused = browser.post("/console/login", data={"access_key_id": ACCESS_KEY, "secret_access_key": "wrong", "login_token": token})
        assert refused.status_code == 401 and "do not match" in refused.text
        token = _hidden(refused.text, "login_token")
        signed_in = browser.post("/console/login", data={"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY, "login_token": token})
        assert signed_in.status_code == 303
        assert browser.get(API + "/projects").status_code == 200

        without_token = browser.post(API + "/projects", json={"name": "csrf-less"})
        assert without_token.status_code == 403 and without_token.json()["code"] == "CsrfRejected"
        page = browser.get("/console/")
        csrf = _meta(page.text, "csrf-token")
        created = browser.post(API + "/projects", json={"name": "with-session"}, headers={"X-CSRF-Token": csrf})
        assert created.status_code == 201

        logged_out = browser.post("/console/logout", data={"csrf_token": csrf})
        assert logged_out.status_code == 303
        assert browser.get(API + "/projects").status_code == 401


def test_a_signed_out_session_cookie_stays_refused(rest_server: RunningServer) -> None:
    with httpx.Client(base_url=rest_server.url) as browser:
        token = _hidden(browser.get("/console/login").text, "login_token")
        browser.post("/console/login", data={"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY, "login_token": token}, follow_redirects=False)
        cookie = browser.cookies.get("customlabels_session")
        csrf = _meta(browser.get("/console/").text, "csrf-token")
        browser.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    replayed = httpx.get(rest_server.url + API + "/projects", cookies={"customlabels_session": cookie or ""})
    assert replayed.status_code == 401


def test_console_forms_without_the_csrf_token_are_refused(rest_server: RunningServer) -> None:
    with httpx.Client(base_url=rest_server.url) as browser:
        token = _hidden(browser.get("/console/login").text, "login_token")
        browser.post("/console/login", data={"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY, "login_token": token}, follow_redirects=False)
        forged = browser.post("/console/projects", data={"name": "forged", "csrf_token": "guess"})
    assert forged.status_code == 403
    assert "expired" in forged.text


def test_openapi_schema_describes_the_resources_and_both_ways_to_sign_in(rest_server: RunningServer) -> None:
    schema = httpx.get(rest_server.url + API + "/openapi.json").json()
    assert schema["servers"] == [{"url": API}]
    paths = schema["paths"]
    for path in ("/projects", "/projects/{project}/datasets/{kind}/uploads", "/projects/{project}/datasets/{kind}/entry", "/projects/{project}/models/{model}/evaluation"):
        assert path in paths
    assert {"HTTPBasic", "APIKeyCookie"} <= set(schema["components"]["securitySchemes"])


# ---------------------------------------------------------------- projects


def test_projects_are_created_listed_and_refused_twice_with_a_problem(api: httpx.Client) -> None:
    created = api.post("/projects", json={"name": "shoes"})
    assert created.status_code == 201 and created.json()["name"] == "shoes"
    assert "shoes" in [p["name"] for p in api.get("/projects").json()["projects"]]
    again = api.post("/projects", json={"name": "shoes"})
    assert again.status_code == 409
    assert again.json() == {
        "type": "about:blank", "title": "Resource in use", "status": 409, "detail": "A project named shoes already exists.", "code": "ResourceInUse"
    }
    bad = api.post("/projects", json={"name": "no spaces"})
    assert bad.status_code == 400 and "ProjectName" in bad.json()["detail"]
    missing = api.post("/projects", json={})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "name"
    assert api.get("/projects/nope").status_code == 404


def test_deleting_a_project_deletes_it(api: httpx.Client) -> None:
    api.post("/projects", json={"name": "short-lived"})
    assert api.delete("/projects/short-lived").json() == {"status": "DELETING"}
    deadline = time.monotonic() + 10
    while api.get("/projects/short-lived").status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.1)


# ---------------------------------------------------------------- uploads and browsing


@pytest.fixture(scope="module")
def pets(api: httpx.Client) -> str:
    api.post("/projects", json={"name": "pets"})
    files = {
        "cat/tabby-1.jpg": jpeg(80, 64, (200, 120, 40)),
        "cat/tabby-2.jpg": jpeg(96, 64, (190, 110, 40)),
        "dog/rex.png": png(100, 80),
        "cat/kitten/small.jpg": jpeg(90, 90),
        "loose.jpg": jpeg(120, 90, (10, 10, 10)),
        "tiny.jpg": jpeg(32, 32),
        "notes.txt": b"not an image",
    }
    result = upload(api, "pets", "train", files)
    assert result.status_code == 202, result.text
    body = result.json()
    assert body["images"] == 6
    assert [s["path"] for s in body["skipped"]] == ["notes.txt"]
    assert wait_dataset(api, "pets", "train")["status"] == "CREATE_COMPLETE"
    return "pets"


def test_uploaded_folders_become_labels_and_bad_images_are_flagged(api: httpx.Client, pets: str) -> None:
    dataset = api.get(f"/projects/{pets}/datasets/train").json()
    assert (dataset["total_entries"], dataset["labeled_entries"], dataset["error_entries"]) == (6, 4, 1)
    labels = {label["name"]: label["train_images"] for label in api.get(f"/projects/{pets}/labels").json()}
    assert labels == {"cat": 3, "dog": 1, "kitten": 1}
    nested = api.get(f"/projects/{pets}/datasets/train/entries", params={"text": "SMALL"}).json()["entries"]
    assert [e["labels"] for e in nested] == [["cat", "kitten"]]


def test_entries_filter_and_page_in_file_order(api: httpx.Client, pets: str) -> None:
    url = f"/projects/{pets}/datasets/train/entries"
    first = api.get(url, params={"page_size": 4}).json()
    second = api.get(url, params={"page_size": 4, "page_token": first["next_page_token"]}).json()
    names = [e["name"] for e in first["entries"] + second["entries"]]
    assert names == ["small.jpg", "tabby-1.jpg", "tabby-2.jpg", "rex.png", "loose.jpg", "tiny.jpg"]
    assert first["total"] == 6 and second["next_page_token"] is None
    assert [e["name"] for e in api.get(url, params={"label": "dog"}).json()["entries"]] == ["rex.png"]
    unlabeled = api.get(url, params={"labeled": "false"}).json()
    assert unlabeled["total"] == 2
    errors = api.get(url, params={"errors": "true"}).json()["entries"]
    assert [(e["name"], e["errors"][0]["code"]) for e in errors] == [("tiny.jpg", "ERROR_INVALID_IMAGE")]
    assert api.get(url, params={"page_token": "forged"}).status_code == 400


def test_a_zip_of_one_dataset_folder_uses_its_subfolders_as_labels(api: httpx.Client, pets: str) -> None:
    archive = zipped({"pets/cat/z1.jpg": jpeg(), "pets/dog/z2.jpg": jpeg(70, 70), "__MACOSX/pets/._z1.jpg": b"junk"})
    response = api.post(f"/projects/{pets}/datasets/test/uploads", files=[("files", ("pets.zip", archive, "application/zip"))])
    assert response.status_code == 202, response.text
    assert wait_dataset(api, pets, "test")["total_entries"] == 2
    labels = {label["name"]: label["test_images"] for label in api.get(f"/projects/{pets}/labels").json()}
    assert labels["cat"] == 1 and labels["dog"] == 1


def test_an_upload_of_nothing_usable_is_refused_with_the_reason(api: httpx.Client, pets: str) -> None:
    response = upload(api, pets, "train", {"readme.md": b"# hello"})
    assert response.status_code == 400
    assert "readme.md" in response.json()["detail"]


def test_thumbnails_are_small_jpegs_made_once(api: httpx.Client, pets: str, rest_server: RunningServer) -> None:
    entry = api.get(f"/projects/{pets}/datasets/train/entries", params={"text": "loose"}).json()["entries"][0]
    url = f"/projects/{pets}/datasets/train/image"
    thumb = api.get(url, params={"source_ref": entry["source_ref"], "size": 256})
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert "max-age" in thumb.headers["cache-control"]
    assert Image.open(io.BytesIO(thumb.content)).size == (120, 90)  # never enlarged
    cached = list((rest_server.data_dir / "cache" / "thumbnails").rglob("*-256.jpg"))
    assert len(cached) == 1
    full = api.get(url, params={"source_ref": entry["source_ref"]})
    assert full.content[:3] == b"\xff\xd8\xff"
    assert api.get(url, params={"source_ref": "s3://elsewhere/x.jpg"}).status_code == 404
    assert api.get(url, params={"source_ref": entry["source_ref"], "size": 99}).status_code == 400


# ---------------------------------------------------------------- labeling


def test_saving_an_entry_replaces_its_labels_and_boxes_at_once(api: httpx.Client, pets: str) -> None:
    url = f"/projects/{pets}/datasets/train/entry"
    ref = api.get(f"/projects/{pets}/datasets/train/entries", params={"text": "loose"}).json()["entries"][0]["source_ref"]
    box = {"label": "ball", "left": 10, "top": 12.5, "width": 40, "height": 30}
    saved = api.put(url, params={"source_ref": ref}, json={"labels": ["dog"], "boxes": [box]})
    assert saved.status_code == 200, saved.text
    entry = api.get(url, params={"source_ref": ref}).json()
    assert entry["labels"] == ["dog"] and entry["boxes"] == [box] and entry["image_size"] == [120, 90] and entry["labeled"]
    labels = {label["name"]: label for label in api.get(f"/projects/{pets}/labels").json()}
    assert labels["ball"]["boxes"] == 1
    assert api.get(f"/projects/{pets}/datasets/train").json()["status"] == "CREATE_COMPLETE"  # no asynchronous update

    outside = api.put(url, params={"source_ref": ref}, json={"labels": [], "boxes": [{**box, "left": 100}]})
    assert outside.status_code == 400 and "off frame" in outside.json()["detail"]
    assert api.get(url, params={"source_ref": ref}).json()["boxes"] == [box]  # nothing half-saved

    cleared = api.put(url, params={"source_ref": ref}, json={"labels": [], "boxes": []}).json()
    assert cleared["labels"] == [] and cleared["boxes"] == []
    assert api.put(url, params={"source_ref": "s3://customlabels-datasets/pets/train/none.jpg"}, json={}).status_code == 404


def test_an_image_with_an_error_keeps_it_when_labeled(api: httpx.Client, pets: str) -> None:
    url = f"/projects/{pets}/datasets/train/entry"
    ref = api.get(f"/projects/{pets}/datasets/train/entries", params={"text": "tiny"}).json()["entries"][0]["source_ref"]
    entry = api.put(url, params={"source_ref": ref}, json={"labels": ["cat"]}).json()
    assert entry["labels"] == ["cat"] and entry["errors"][0]["code"] == "ERROR_INVALID_IMAGE"
    boxed = api.put(url, params={"source_ref": ref}, json={"boxes": [{"label": "cat", "left": 1, "top": 1, "width": 5, "height": 5}]})
    assert boxed.status_code == 400 and "Boxes cannot be drawn" in boxed.json()["detail"]


def test_bulk_labels_on_a_selection_and_on_every_matching_image(api: httpx.Client, pets: str) -> None:
    url = f"/projects/{pets}/datasets/train/entries"
    refs = [e["source_ref"] for e in api.get(url, params={"label": "cat"}).json()["entries"]]
    added = api.post(url + "/labels", json={"source_refs": refs[:2], "add": ["indoor"]}).json()
    assert added == {"changed": 2}
    assert api.get(url, params={"label": "indoor"}).json()["total"] == 2
    matched = api.post(url + "/labels", json={"matching": {"labels": ["indoor"]}, "add": ["pet"], "remove": ["indoor"]}).json()
    assert matched == {"changed": 2}
    assert api.get(url, params={"label": "indoor"}).json()["total"] == 0
    assert api.get(url, params={"label": "pet"}).json()["total"] == 2
    refused = api.post(url + "/labels", json={"source_refs": refs, "add": [" "]})
    assert refused.status_code == 400


def test_labels_are_added_before_use_renamed_and_removed_everywhere(api: httpx.Client, pets: str) -> None:
    assert api.post(f"/projects/{pets}/labels", json={"name": "hamster"}).status_code == 201
    labels = {label["name"]: label for label in api.get(f"/projects/{pets}/labels").json()}
    assert labels["hamster"] == {"name": "hamster", "train_images": 0, "test_images": 0, "boxes": 0}

    changed = api.patch(f"/projects/{pets}/labels/dog", json={"name": "puppy"}).json()["changed"]
    assert changed == 2  # one TRAIN and one TEST image
    names = {label["name"] for label in api.get(f"/projects/{pets}/labels").json()}
    assert "dog" not in names and "puppy" in names
    assert api.get(f"/projects/{pets}/datasets/test/entries", params={"label": "puppy"}).json()["total"] == 1

    assert api.delete(f"/projects/{pets}/labels/puppy").json()["changed"] == 2
    assert "puppy" not in {label["name"] for label in api.get(f"/projects/{pets}/labels").json()}
    assert api.delete(f"/projects/{pets}/labels/never-there").status_code == 404


# ---------------------------------------------------------------- manifests, copies and splits


def test_a_manifest_import_copy_and_split(api: httpx.Client, rest_server: RunningServer) -> None:
    buckets = rest_server.data_dir / "buckets"
    lines = [classification_line(put(buckets, "photos", f"s/{name}-{i}.jpg", jpeg(70 + i, 64)), name) for name in ("sun", "rain") for i in range(5)]
    api.post("/projects", json={"name": "weather"})
    manifest = ("\n".join(lines) + "\n").encode()
    imported = api.post("/projects/weather/datasets/train/manifest", files={"file": ("w.manifest", manifest)})
    assert imported.status_code == 202, imported.text
    assert wait_dataset(api, "weather", "train")["total_entries"] == 10

    copy = api.post("/projects/weather/datasets", json={"type": "test", "copy_from": "train"})
    assert copy.status_code == 202
    assert wait_dataset(api, "weather", "test")["total_entries"] == 10
    assert api.post("/projects/weather/distribute").status_code == 400  # TEST must be empty

    api.delete("/projects/weather/datasets/test")
    deadline = time.monotonic() + 10
    while api.get("/projects/weather/datasets/test").status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    api.post("/projects/weather/datasets", json={"type": "test"})
    assert api.post("/projects/weather/distribute").json() == {"status": "UPDATE_IN_PROGRESS"}
    train, test = wait_dataset(api, "weather", "train"), wait_dataset(api, "weather", "test")
    assert (train["total_entries"], test["total_entries"]) == (8, 2)


def _hidden(html: str, name: str) -> str:
    marker = f'name="{name}" value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


def _meta(html: str, name: str) -> str:
    marker = f'<meta name="{name}" content="'
    return html.split(marker, 1)[1].split('"', 1)[0]


def test_a_zip_with_a_csv_of_labels_and_its_images(api: httpx.Client) -> None:
    csv = b"image,desert,sea\n1.jpg,1,0\n2.jpg,0,1\n3.jpg,1,1\n"
    archive = zipped({"labels.csv": csv, "images/1.jpg": jpeg(), "images/2.jpg": jpeg(), "images/3.jpg": jpeg()})
    api.post("/projects", json={"name": "scenes"})
    response = api.post("/projects/scenes/datasets/train/uploads", files=[("files", ("scenes.zip", archive, "application/zip"))])
    assert response.status_code == 202, response.text
    wait_dataset(api, "scenes", "train")
    entries = api.get("/projects/scenes/datasets/train/entries").json()["entries"]
    assert {e["name"]: sorted(e["labels"]) for e in entries} == {"1.jpg": ["desert"], "2.jpg": ["sea"], "3.jpg": ["desert", "sea"]}


def test_a_zip_of_pascal_voc_files_gives_boxes(api: httpx.Client, shared_data) -> None:  # type: ignore[no-untyped-def]
    folder = shared_data / "microcontroller" / "train"
    names = sorted(p.stem for p in folder.glob("*.xml"))[:2]
    archive = zipped({f"{name}{suffix}": (folder / f"{name}{suffix}").read_bytes() for name in names for suffix in (".jpg", ".xml")})
    api.post("/projects", json={"name": "boards"})
    response = api.post("/projects/boards/datasets/train/uploads", files=[("files", ("voc.zip", archive, "application/zip"))])
    assert response.status_code == 202, response.text
    wait_dataset(api, "boards", "train")
    entries = api.get("/projects/boards/datasets/train/entries").json()["entries"]
    assert len(entries) == 2 and all(e["boxes"] and e["image_size"] for e in entries)
    labels = api.get("/projects/boards").json()
    assert labels["datasets"][0]["status"] == "CREATE_COMPLETE"
    assert sum(label["boxes"] for label in api.get("/projects/boards/labels").json()) == sum(len(e["boxes"]) for e in entries)
