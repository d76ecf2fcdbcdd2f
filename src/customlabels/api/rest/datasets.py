"""/projects/{project}/datasets: create, describe, delete, upload, import, split, and their images."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, UploadFile, status
from starlette.responses import FileResponse, Response

from customlabels.api.rest import schemas
from customlabels.api.rest.deps import ContextDep
from customlabels.datasets.manifest import BoundingBox
from customlabels.errors import InvalidParameter
from customlabels.service import datasets, gallery, labeling, thumbnails, uploads
from customlabels.service.datasets import EntryFilter
from customlabels.service.names import dataset_arn, dataset_type, project_arn

router = APIRouter(prefix="/projects/{project}", tags=["datasets"])
DatasetType = Annotated[str, Path(description="train or test")]


@router.post("/datasets", status_code=status.HTTP_202_ACCEPTED)
def create_dataset(ctx: ContextDep, project: str, body: schemas.NewDataset) -> schemas.Dataset:
    """An empty dataset, a copy of the project's other dataset, or one from a manifest in a bucket."""
    source = dataset_arn(ctx, project, body.copy_from) if body.copy_from else None
    arn = datasets.create_dataset(
        ctx, project_arn=project_arn(ctx, project), dataset_type=dataset_type(body.type), manifest_uri=body.manifest_uri, source_dataset_arn=source
    )
    return schemas.Dataset.of(datasets.describe_dataset(ctx, arn=arn))


@router.get("/datasets/{kind}")
def get_dataset(ctx: ContextDep, project: str, kind: DatasetType) -> schemas.Dataset:
    return schemas.Dataset.of(datasets.describe_dataset(ctx, arn=dataset_arn(ctx, project, kind)))


@router.delete("/datasets/{kind}", status_code=status.HTTP_202_ACCEPTED)
def delete_dataset(ctx: ContextDep, project: str, kind: DatasetType) -> schemas.Status:
    datasets.delete_dataset(ctx, arn=dataset_arn(ctx, project, kind))
    return schemas.Status(status="DELETE_IN_PROGRESS")


# A dropped folder sends one file part and one path field per image: thousands, not Starlette's default 1000.
@router.post(
    "/datasets/{kind}/uploads",
    status_code=status.HTTP_202_ACCEPTED,
    form_limits={"max_files": uploads.MAX_ARCHIVE_MEMBERS, "max_fields": uploads.MAX_ARCHIVE_MEMBERS + 10},
)
def upload(
    ctx: ContextDep,
    project: str,
    kind: DatasetType,
    files: Annotated[list[UploadFile], File(description="Images (their names may hold folders: the labels) or zip archives.")],
    paths: Annotated[list[str] | None, Form(description="Relative path of each file, when its name lacks it.")] = None,
    format: Annotated[str, Form()] = "auto",
) -> schemas.ImportResult:
    """Creates the dataset from the files or adds them to it: folder names become labels; CSV, VOC, COCO, YOLO and manifests inside a zip work too."""
    if paths is not None and len(paths) != len(files):
        raise InvalidParameter("Give one path per file, or none.")
    names = paths or [file.filename or "" for file in files]
    sent = [uploads.Upload(name=name, stream=file.file) for name, file in zip(names, files, strict=True)]
    result = uploads.import_upload(ctx, project_arn=project_arn(ctx, project), dataset_type=dataset_type(kind), uploads=sent, format_=format)
    skipped = [schemas.Skipped(path=s.path.split("/uploads/", 1)[-1].split("/", 1)[-1], reason=s.reason) for s in result.skipped]
    return schemas.ImportResult(dataset_arn=result.dataset_arn, images=result.lines, skipped=skipped)


@router.post("/datasets/{kind}/manifest", status_code=status.HTTP_202_ACCEPTED)
def import_manifest(ctx: ContextDep, project: str, kind: DatasetType, file: Annotated[UploadFile, File()]) -> schemas.Dataset:
    """A Ground Truth manifest whose images are already in a bucket: creates the dataset or upserts its lines."""
    arn = uploads.import_manifest(ctx, project_arn=project_arn(ctx, project), dataset_type=dataset_type(kind), manifest=file.file.read())
    return schemas.Dataset.of(datasets.describe_dataset(ctx, arn=arn))


@router.post("/distribute", status_code=status.HTTP_202_ACCEPTED)
def distribute(ctx: ContextDep, project: str) -> schemas.Status:
    """Moves 20 % of the TRAIN images (stratified by label) into the empty TEST dataset."""
    datasets.distribute_entries(ctx, arns_=[dataset_arn(ctx, project, "train"), dataset_arn(ctx, project, "test")])
    return schemas.Status(status="UPDATE_IN_PROGRESS")


def entry_filter(labels: list[str] | None, labeled: bool | None, errors: bool | None, text: str | None) -> EntryFilter:
    return EntryFilter(contains_labels=tuple(labels or ()), labeled=labeled, has_errors=errors, source_ref_contains=text or None)


@router.get("/datasets/{kind}/entries", tags=["entries"])
def list_entries(
    ctx: ContextDep,
    project: str,
    kind: DatasetType,
    label: Annotated[list[str] | None, Query(max_length=10)] = None,
    labeled: bool | None = None,
    errors: bool | None = None,
    text: str | None = None,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100,
    page_token: str | None = None,
) -> schemas.EntryPage:
    """Entries in file order; label, labeled, errors and text (in the file name) filter them."""
    arn = dataset_arn(ctx, project, kind)
    filters = entry_filter(label, labeled, errors, text)
    page = gallery.browse(ctx, dataset_arn=arn, filters=filters, page_size=page_size, token=page_token)
    total = gallery.count(ctx, dataset_arn=arn, filters=filters)
    return schemas.EntryPage(entries=[schemas.Entry.of(e) for e in page.items], total=total, next_page_token=page.next_token)


@router.get("/datasets/{kind}/entry", tags=["entries"])
def get_entry(ctx: ContextDep, project: str, kind: DatasetType, source_ref: str) -> schemas.Entry:
    return schemas.Entry.of(gallery.get_entry(ctx, dataset_arn=dataset_arn(ctx, project, kind), source_ref=source_ref))


@router.put("/datasets/{kind}/entry", tags=["entries"])
def save_entry(ctx: ContextDep, project: str, kind: DatasetType, source_ref: str, body: schemas.EntryChange) -> schemas.Entry:
    """Replaces the image's labels and boxes (pixels), validated and stored before the answer."""
    boxes = [BoundingBox(b.label, b.left, b.top, b.width, b.height) for b in body.boxes]
    saved = labeling.save_entry(ctx, dataset_arn=dataset_arn(ctx, project, kind), source_ref=source_ref, labels=body.labels, boxes=boxes)
    return schemas.Entry.of(saved)


@router.post("/datasets/{kind}/entries/labels", tags=["entries"])
def change_labels(ctx: ContextDep, project: str, kind: DatasetType, body: schemas.BulkLabels) -> schemas.Changed:
    """Adds and removes image-level labels on the listed images, or on every image a query matches."""
    arn = dataset_arn(ctx, project, kind)
    refs = body.source_refs
    if body.matching is not None:
        query = body.matching
        refs = gallery.source_refs(ctx, dataset_arn=arn, filters=entry_filter(query.labels, query.labeled, query.errors, query.text))
    changed = labeling.change_labels(ctx, dataset_arn=arn, source_refs=refs, add=body.add, remove=body.remove)
    return schemas.Changed(changed=changed)


@router.get(
    "/datasets/{kind}/image",
    tags=["entries"],
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
def image(ctx: ContextDep, project: str, kind: DatasetType, source_ref: str, size: int | None = None) -> Response:
    """The image, or a cached JPEG preview whose longest side is size (256 or 1024)."""
    arn = dataset_arn(ctx, project, kind)
    gallery.get_entry(ctx, dataset_arn=arn, source_ref=source_ref)  # only images of this dataset
    cache = {"Cache-Control": "private, max-age=86400"}
    if size is not None:
        try:
            return FileResponse(thumbnails.thumbnail(ctx, source_ref=source_ref, size=size), media_type="image/jpeg", headers=cache)
        except ValueError as error:
            raise InvalidParameter(str(error)) from error
        except thumbnails.NoPreview:
            return Response(thumbnails.PLACEHOLDER, media_type="image/svg+xml", headers=cache)
    data, media_type = gallery.image(ctx, dataset_arn=arn, source_ref=source_ref)
    return Response(data, media_type=media_type, headers=cache)
