"""Images and archives sent by a browser or a script, imported into a dataset.

Files keep the relative path they were sent with (a dropped folder's structure); zip archives are
unpacked in place. The result goes through the same importers and import_plan as the CLI.
"""

import shutil
import time
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from customlabels.datasets.importers.choose import plan_path
from customlabels.datasets.importers.plan import (
    ImportPlan,
    is_hidden,
    safe_relative_key,
)
from customlabels.errors import InvalidParameter, LimitExceeded
from customlabels.service import datasets
from customlabels.service.context import Context
from customlabels.service.imports import ImportResult, import_plan
from customlabels.service.lookup import project_by_arn
from customlabels.service.projects import describe_project

BUCKET = "customlabels-datasets"
MAX_UPLOAD_BYTES = 4 * 1024**3
MAX_ARCHIVE_MEMBERS = 250_000
FORMATS = ("auto", "folders", "csv", "voc", "coco", "yolo", "groundtruth")


@dataclass(frozen=True)
class Upload:
    name: str  # relative path as sent, e.g. "cats/tabby/1.jpg" or "photos.zip"
    stream: BinaryIO


def import_upload(
    ctx: Context, *, project_arn: str, dataset_type: str, uploads: Sequence[Upload], format_: str = "auto"
) -> ImportResult:
    """Creates the dataset from the files, or adds them to it; folder names become labels."""
    if dataset_type not in datasets.DATASET_TYPES:
        raise InvalidParameter("The dataset type must be TRAIN or TEST.")
    if format_ not in FORMATS:
        raise InvalidParameter(f"The format must be one of {', '.join(FORMATS)}.")
    if not uploads:
        raise InvalidParameter("Choose at least one image or a zip archive.")
    with ctx.db.session() as session:
        project_name = project_by_arn(session, project_arn).name
    folder = ctx.settings.work_dir / "uploads" / uuid.uuid4().hex
    try:
        _unpack(uploads, folder)
        root = _content_root(folder)
        prefix = f"{project_name}/{dataset_type.lower()}/"
        plan = _plan(root, format_, prefix)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        return import_plan(
            ctx, project_arn=project_arn, dataset_type=dataset_type, plan=plan, manifest_key=f"{prefix}manifests/upload-{stamp}.manifest"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def import_manifest(ctx: Context, *, project_arn: str, dataset_type: str, manifest: bytes) -> str:
    """A Ground Truth manifest whose images are already in a bucket: creates the dataset or upserts its lines."""
    with ctx.db.session() as session:
        project_name = project_by_arn(session, project_arn).name
    existing = next((d for d in describe_project(ctx, arn=project_arn).datasets if d.dataset_type == dataset_type), None)
    if existing is not None:
        datasets.update_entries(ctx, arn=existing.arn, changes=manifest, max_bytes=None)
        return existing.arn
    key = f"{project_name}/{dataset_type.lower()}/manifests/upload-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}.manifest"
    ctx.blobs.ensure_bucket(BUCKET)
    ctx.blobs.put(BUCKET, key, manifest)
    return datasets.create_dataset(ctx, project_arn=project_arn, dataset_type=dataset_type, manifest_uri=f"s3://{BUCKET}/{key}")


def _unpack(uploads: Sequence[Upload], folder: Path) -> None:
    budget = MAX_UPLOAD_BYTES
    for upload in uploads:
        key = safe_relative_key(upload.name)
        if key is None or any(is_hidden(part) for part in key.split("/")):
            continue
        if key.lower().endswith(".zip"):
            budget -= _extract(upload.stream, folder, budget)
            continue
        target = folder / key
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            shutil.copyfileobj(upload.stream, out)
            budget -= out.tell()
        if budget < 0:
            raise LimitExceeded(f"An upload can hold at most {MAX_UPLOAD_BYTES // 1024**3} GiB.")


def _extract(stream: BinaryIO, folder: Path, budget: int) -> int:
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile as error:
        raise InvalidParameter(f"The archive is not a valid zip file: {error}") from error
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise LimitExceeded(f"An archive can hold at most {MAX_ARCHIVE_MEMBERS} files.")
        total = sum(member.file_size for member in members)
        if total > budget:
            raise LimitExceeded(f"An upload can hold at most {MAX_UPLOAD_BYTES // 1024**3} GiB once unpacked.")
        for member in members:
            key = safe_relative_key(member.filename)
            if key is None or any(is_hidden(part) or part == "__MACOSX" for part in key.split("/")):
                continue
            target = folder / key
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
    return total


def _content_root(folder: Path) -> Path:
    """A single top folder that holds folders is the dataset's folder (zipped or dropped), not a label;
    a single top folder of images only is a label (a dropped "cats" folder)."""
    root = folder
    while True:
        children = [child for child in root.iterdir() if not is_hidden(child.name)]
        if len(children) != 1 or not children[0].is_dir():
            return root
        if not any(child.is_dir() and not is_hidden(child.name) for child in children[0].iterdir()):
            return root
        root = children[0]


def _plan(root: Path, format_: str, prefix: str) -> ImportPlan:
    if not root.is_dir() or not any(root.iterdir()):
        raise InvalidParameter("Nothing to import: the upload holds no files.")
    try:
        return plan_path(root, format_=format_, bucket=BUCKET, prefix=prefix)
    except ValueError as error:
        raise InvalidParameter(str(error)) from error

