import os
import shutil
import socket
import subprocess
import threading
import uuid
from pathlib import Path

import pytest

from customlabels.store.blobs import (
    TEMP_PREFIX,
    BlobAccessDenied,
    BlobNotFound,
    BlobStore,
    InvalidBlobKey,
    LocalBlobStore,
    S3BlobStore,
    parse_s3_uri,
)
from customlabels.store import seaweed as seaweed_module
from customlabels.store.seaweed import SeaweedError, SeaweedServer, find_weed_binary

ESCAPING_KEYS = ["../x", "/etc/passwd", "a/../../x", "a/../x", "./x", "a/./b", "a//b", "..", "."]
BAD_KEYS = ["", "x\x00y", "a\\b", "..\\x", f"a/{TEMP_PREFIX}1234"]


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    server: SeaweedServer = request.getfixturevalue("seaweed")
    return S3BlobStore(server.endpoint_url, server.access_key_id, server.secret_access_key)


@pytest.fixture
def bucket(store: BlobStore) -> str:
    name = f"t-{uuid.uuid4().hex[:16]}"
    store.ensure_bucket(name)
    return name


@pytest.fixture
def local(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


# --- both stores ------------------------------------------------------------------------------


def test_put_get_head(store: BlobStore, bucket: str) -> None:
    store.put(bucket, "images/cat.jpg", b"\xff\xd8 jpeg bytes")
    assert store.get(bucket, "images/cat.jpg") == b"\xff\xd8 jpeg bytes"
    assert store.head(bucket, "images/cat.jpg") == 13


def test_empty_object(store: BlobStore, bucket: str) -> None:
    store.put(bucket, "empty", b"")
    assert store.get(bucket, "empty") == b""
    assert store.head(bucket, "empty") == 0


def test_large_object(store: BlobStore, bucket: str) -> None:
    data = os.urandom(5 * 1024 * 1024 + 17)
    store.put(bucket, "model/weights.bin", data)
    assert store.head(bucket, "model/weights.bin") == len(data)
    assert store.get(bucket, "model/weights.bin") == data


def test_overwrite_replaces(store: BlobStore, bucket: str) -> None:
    store.put(bucket, "k", b"first version, longer")
    store.put(bucket, "k", b"second")
    assert store.get(bucket, "k") == b"second"
    assert store.head(bucket, "k") == 6
    assert list(store.list(bucket)) == ["k"]


def test_unicode_and_spaces_in_keys(store: BlobStore, bucket: str) -> None:
    keys = ["my photos/ünïcödé 猫.jpg", "with space.png", "emoji/🐈.bin", "a+b=c&d?e#f.txt"]
    for index, key in enumerate(keys):
        store.put(bucket, key, bytes([index]))
    for index, key in enumerate(keys):
        assert store.get(bucket, key) == bytes([index])
    assert list(store.list(bucket)) == sorted(keys)


def test_list_is_sorted_and_filtered_by_prefix(store: BlobStore, bucket: str) -> None:
    keys = ["b/2.jpg", "a/1.jpg", "b/1.jpg", "b/sub/3.jpg", "ba.jpg", "c.json"]
    for key in keys:
        store.put(bucket, key, b"x")
    assert list(store.list(bucket)) == sorted(keys)
    assert list(store.list(bucket, "b/")) == ["b/1.jpg", "b/2.jpg", "b/sub/3.jpg"]
    assert list(store.list(bucket, "b")) == ["b/1.jpg", "b/2.jpg", "b/sub/3.jpg", "ba.jpg"]
    assert list(store.list(bucket, "b/sub/3")) == ["b/sub/3.jpg"]
    assert list(store.list(bucket, "nothing/")) == []


def test_list_of_new_bucket_is_empty(store: BlobStore, bucket: str) -> None:
    assert list(store.list(bucket)) == []


def test_ensure_bucket_is_idempotent(store: BlobStore, bucket: str) -> None:
    store.put(bucket, "kept", b"1")
    store.ensure_bucket(bucket)
    assert store.get(bucket, "kept") == b"1"


def test_delete(store: BlobStore, bucket: str) -> None:
    store.put(bucket, "dir/a", b"1")
    store.put(bucket, "dir/b", b"2")
    store.delete(bucket, "dir/a")
    assert list(store.list(bucket)) == ["dir/b"]
    with pytest.raises(BlobNotFound):
        store.get(bucket, "dir/a")
    store.delete(bucket, "dir/a")
    store.delete(bucket, "never/existed")
    store.delete(bucket, "dir/")
    store.delete(f"{bucket}-missing", "x")
    assert store.get(bucket, "dir/b") == b"2"


def test_missing_key(store: BlobStore, bucket: str) -> None:
    with pytest.raises(BlobNotFound) as caught:
        store.get(bucket, "no/such.jpg")
    assert str(caught.value) == f"s3://{bucket}/no/such.jpg does not exist"
    assert (caught.value.bucket, caught.value.key) == (bucket, "no/such.jpg")
    with pytest.raises(BlobNotFound):
        store.head(bucket, "no/such.jpg")


def test_missing_bucket(store: BlobStore, bucket: str) -> None:
    missing = f"{bucket}-missing"
    with pytest.raises(BlobNotFound, match=f"s3://{missing}/k does not exist"):
        store.get(missing, "k")
    with pytest.raises(BlobNotFound):
        store.head(missing, "k")
    with pytest.raises(BlobNotFound):
        store.list(missing)


def test_folder_is_not_an_object(store: BlobStore, bucket: str) -> None:
    store.put(bucket, "dir/inner/file.txt", b"x")
    for key in ("dir", "dir/", "dir/inner", "dir/inner/"):
        with pytest.raises(BlobNotFound):
            store.get(bucket, key)
        with pytest.raises(BlobNotFound):
            store.head(bucket, key)


@pytest.mark.parametrize("key", ESCAPING_KEYS + BAD_KEYS)
def test_unportable_keys_are_rejected(store: BlobStore, bucket: str, key: str) -> None:
    with pytest.raises(InvalidBlobKey):
        store.put(bucket, key, b"x")
    with pytest.raises(InvalidBlobKey):
        store.get(bucket, key)
    with pytest.raises(InvalidBlobKey):
        store.head(bucket, key)
    with pytest.raises(InvalidBlobKey):
        store.delete(bucket, key)


def test_put_of_folder_key_is_rejected(store: BlobStore, bucket: str) -> None:
    with pytest.raises(InvalidBlobKey):
        store.put(bucket, "dir/", b"")
    assert list(store.list(bucket)) == []


def test_escaping_prefix_is_rejected(store: BlobStore, bucket: str) -> None:
    with pytest.raises(InvalidBlobKey):
        list(store.list(bucket, "../"))
    with pytest.raises(InvalidBlobKey):
        list(store.list(bucket, "a/../../x"))


def test_concurrent_readers_never_see_half_an_object(store: BlobStore, bucket: str) -> None:
    versions = [bytes([n]) * (256 * 1024) for n in range(1, 9)]
    store.put(bucket, "hot", versions[0])
    seen: list[bytes] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.append(store.get(bucket, "hot"))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for version in versions[1:] * 3:
            store.put(bucket, "hot", version)
    finally:
        done.set()
        reader.join()
    assert seen
    assert all(data in versions for data in seen)
    assert list(store.list(bucket)) == ["hot"]


# --- LocalBlobStore specifics -----------------------------------------------------------------


def test_local_layout_is_root_bucket_key(local: LocalBlobStore) -> None:
    local.put("my-bucket", "a/b c/ü.jpg", b"data")
    assert (local.root / "my-bucket" / "a" / "b c" / "ü.jpg").read_bytes() == b"data"


def test_local_list_walks_existing_files(local: LocalBlobStore) -> None:
    (local.root / "imported" / "x" / "y").mkdir(parents=True)
    (local.root / "imported" / "x" / "y" / "z.jpg").write_bytes(b"1")
    (local.root / "imported" / "top.txt").write_bytes(b"2")
    (local.root / "imported" / "empty-folder").mkdir()
    assert list(local.list("imported")) == ["top.txt", "x/y/z.jpg"]


def test_local_list_skips_temp_files(local: LocalBlobStore) -> None:
    local.put("bkt", "dir/real.jpg", b"1")
    (local.root / "bkt" / "dir" / f"{TEMP_PREFIX}abandoned").write_bytes(b"half")
    assert list(local.list("bkt")) == ["dir/real.jpg"]


@pytest.mark.parametrize("key", ESCAPING_KEYS + ["../../outside/x"])
def test_local_keys_cannot_escape_the_bucket(tmp_path: Path, key: str) -> None:
    local = LocalBlobStore(tmp_path / "root")
    local.ensure_bucket("bkt")
    (tmp_path / "root" / "secret").write_bytes(b"do not read")
    with pytest.raises(InvalidBlobKey):
        local.put("bkt", key, b"evil")
    with pytest.raises(InvalidBlobKey):
        local.get("bkt", key)
    with pytest.raises(InvalidBlobKey):
        local.delete("bkt", key)
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["root/secret"]


@pytest.mark.parametrize(
    "name", ["", ".", "..", "ab", "a/b", "../bkt", "bad name", "x" * 256, "b\\k"]
)
def test_local_rejects_bad_bucket_names(local: LocalBlobStore, name: str) -> None:
    with pytest.raises(InvalidBlobKey):
        local.ensure_bucket(name)
    with pytest.raises(InvalidBlobKey):
        local.put(name, "k", b"x")
    with pytest.raises(InvalidBlobKey):
        local.get(name, "k")
    with pytest.raises(InvalidBlobKey):
        local.list(name)


def test_local_accepts_loose_bucket_names(local: LocalBlobStore) -> None:
    for name in ("My_Bucket", "a.b-c", "...", "x" * 255):
        local.put(name, "k", name.encode())
        assert local.get(name, "k") == name.encode()


def test_local_put_creates_bucket_and_folders(local: LocalBlobStore) -> None:
    local.put("fresh", "deep/er/key", b"1")
    assert list(local.list("fresh")) == ["deep/er/key"]


def test_local_object_and_folder_cannot_share_a_name(local: LocalBlobStore) -> None:
    local.put("bkt", "a", b"file")
    with pytest.raises(InvalidBlobKey):
        local.put("bkt", "a/b", b"under a file")
    local.put("bkt", "d/e", b"x")
    with pytest.raises(InvalidBlobKey):
        local.put("bkt", "d", b"over a folder")
    assert list(local.list("bkt")) == ["a", "d/e"]
    assert not any(p.name.startswith(TEMP_PREFIX) for p in local.root.rglob("*"))


def test_local_overwrite_is_a_rename(local: LocalBlobStore) -> None:
    local.put("bkt", "k", b"old")
    path = local.root / "bkt" / "k"
    with path.open("rb") as held:
        local.put("bkt", "k", b"new")
        # The reader that opened the old file keeps the complete old bytes.
        assert held.read() == b"old"
    assert path.read_bytes() == b"new"


def test_local_missing_root_is_fine(tmp_path: Path) -> None:
    local = LocalBlobStore(tmp_path / "not" / "yet")
    with pytest.raises(BlobNotFound):
        local.get("bkt", "k")
    with pytest.raises(BlobNotFound):
        local.list("bkt")
    local.delete("bkt", "k")


# --- S3BlobStore specifics --------------------------------------------------------------------


def test_s3_wrong_secret_is_a_clear_error(seaweed: SeaweedServer) -> None:
    store = S3BlobStore(seaweed.endpoint_url, seaweed.access_key_id, "wrong-secret")
    with pytest.raises(BlobAccessDenied, match="SignatureDoesNotMatch"):
        store.get("any-bucket", "k")
    with pytest.raises(BlobAccessDenied, match="SignatureDoesNotMatch"):
        store.put("any-bucket", "k", b"x")
    with pytest.raises(BlobAccessDenied, match="SignatureDoesNotMatch"):
        store.list("any-bucket")


def test_s3_unknown_access_key_is_a_clear_error(seaweed: SeaweedServer) -> None:
    store = S3BlobStore(seaweed.endpoint_url, "nobody", "nothing")
    with pytest.raises(BlobAccessDenied, match="InvalidAccessKeyId"):
        store.get("any-bucket", "k")
    with pytest.raises(BlobAccessDenied, match="InvalidAccessKeyId"):
        store.delete("any-bucket", "k")
    # HEAD responses have no body, so only the status tells what went wrong.
    with pytest.raises(BlobAccessDenied, match="403.*check the access key id"):
        store.ensure_bucket("any-bucket")
    with pytest.raises(BlobAccessDenied, match="403.*check the access key id"):
        store.head("any-bucket", "k")


def test_s3_list_pages_through_all_keys(seaweed: SeaweedServer) -> None:
    store = S3BlobStore(
        seaweed.endpoint_url, seaweed.access_key_id, seaweed.secret_access_key, list_page_size=7
    )
    bucket = f"t-{uuid.uuid4().hex[:16]}"
    store.ensure_bucket(bucket)
    keys = [f"many/{n:03d}" for n in range(30)]
    for key in keys:
        store.put(bucket, key, b"")
    store.put(bucket, "other", b"")
    assert list(store.list(bucket, "many/")) == keys


def test_s3_list_skips_folder_markers(seaweed: SeaweedServer) -> None:
    store = S3BlobStore(seaweed.endpoint_url, seaweed.access_key_id, seaweed.secret_access_key)
    bucket = f"t-{uuid.uuid4().hex[:16]}"
    store.ensure_bucket(bucket)
    seaweed.client().put_object(Bucket=bucket, Key="folder/", Body=b"")
    store.put(bucket, "folder/x", b"1")
    assert list(store.list(bucket)) == ["folder/x"]


# --- SeaweedServer ----------------------------------------------------------------------------


def listening_addresses(pid: int) -> list[str]:
    output = subprocess.run(
        ["ss", "-H", "-ltnp"], check=True, capture_output=True, text=True
    ).stdout
    return [line.split()[3] for line in output.splitlines() if f"pid={pid}," in line]


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2)")
def test_seaweed_listens_on_loopback_only(seaweed: SeaweedServer) -> None:
    assert seaweed.pid is not None
    addresses = listening_addresses(seaweed.pid)
    assert f"127.0.0.1:{seaweed.endpoint_url.rsplit(':', 1)[1]}" in addresses
    assert addresses and all(address.startswith("127.0.0.1:") for address in addresses)
    assert {int(address.rsplit(":", 1)[1]) for address in addresses} <= set(seaweed.ports.values())


def test_find_weed_binary() -> None:
    weed = find_weed_binary()
    assert weed.name.startswith("weed") and os.access(weed, os.X_OK)


def test_second_server_runs_beside_and_keeps_data_across_restart(
    seaweed: SeaweedServer, tmp_path: Path
) -> None:
    server = SeaweedServer(tmp_path / "second", "second-key", "second-secret")
    with server:
        assert server.endpoint_url != seaweed.endpoint_url
        assert not set(server.ports.values()) & set(seaweed.ports.values())
        store = S3BlobStore(server.endpoint_url, "second-key", "second-secret")
        store.ensure_bucket("kept")
        store.put("kept", "across/restart.txt", b"still here")
        pid = server.pid
    assert server.pid is None
    assert pid is not None and not Path(f"/proc/{pid}").exists()
    server.stop()
    with server:
        store = S3BlobStore(server.endpoint_url, "second-key", "second-secret")
        assert store.get("kept", "across/restart.txt") == b"still here"
        ports = server.ports
    leftovers = [p.name for p in Path("/tmp").glob("seaweedfs-*-grpc-*.sock")]
    assert not [name for name in leftovers if int(name.rsplit("-", 1)[1][:-5]) in ports.values()]


def test_busy_s3_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        server = SeaweedServer(tmp_path / "busy", "k", "s", port=busy.getsockname()[1])
        with pytest.raises(SeaweedError, match="SeaweedFS"):
            server.start(timeout=20)
    assert server.pid is None


def test_port_taken_after_it_was_picked_is_picked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = seaweed_module._free_ports
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        picks: list[list[int]] = []

        def pick(count: int) -> list[int]:
            ports = real(count)
            if not picks:
                ports[0] = taken
            picks.append(ports)
            return ports

        monkeypatch.setattr(seaweed_module, "_free_ports", pick)
        # A deep root also makes the unix sockets move to a short temporary folder.
        root = tmp_path.joinpath(*["deep-folder-name"] * 6)
        with SeaweedServer(root, "k", "s") as server:
            assert len(picks) == 2 and taken not in server.ports.values()
            assert server.client().list_buckets()["Buckets"] == []
            arguments = Path(f"/proc/{server.pid}/cmdline").read_bytes().decode().split("\0")
            (flag,) = [a for a in arguments if a.startswith("-filer.localSocket=")]
            socket_dir = Path(flag.split("=", 1)[1]).parent
            assert socket_dir.exists() and root not in socket_dir.parents
        assert not socket_dir.exists()


def test_endpoint_needs_a_start(tmp_path: Path) -> None:
    with pytest.raises(SeaweedError):
        _ = SeaweedServer(tmp_path, "k", "s").endpoint_url
    assert SeaweedServer(tmp_path, "k", "s", port=8333).endpoint_url == "http://127.0.0.1:8333"


# --- parse_s3_uri -----------------------------------------------------------------------------


def test_parse_s3_uri() -> None:
    assert parse_s3_uri("s3://b/k/x.jpg") == ("b", "k/x.jpg")
    assert parse_s3_uri("s3://my-bucket/with space/ü.jpg") == ("my-bucket", "with space/ü.jpg")
    assert parse_s3_uri("S3://b/k") == ("b", "k")


@pytest.mark.parametrize(
    "uri", ["", "b/k", "http://b/k", "s3://", "s3:///k", "s3://b", "s3://b/", "s3:/b/k"]
)
def test_parse_s3_uri_rejects(uri: str) -> None:
    with pytest.raises(ValueError, match="s3://bucket/key"):
        parse_s3_uri(uri)
