"""`customlabels datasets`: create, import, describe, entries, labels, distribute, delete."""

import time
from pathlib import Path

import click

from customlabels.cli.main import CliState, settings_options
from customlabels.cli.output import user_errors
from customlabels.cli.projects import project_arn
from customlabels.datasets.importers.choose import FORMATS
from customlabels.errors import ResourceNotFound
from customlabels.service import datasets as service
from customlabels.service.projects import describe_project

dataset_type_option = click.option(
    "--type", "dataset_type", type=click.Choice(["train", "test"], case_sensitive=False), default="train", show_default=True
)


@click.group()
def datasets() -> None:
    """The TRAIN and TEST datasets of a project."""


@datasets.command("create")
@click.argument("project")
@dataset_type_option
@click.option("--manifest", help="s3://bucket/key of a Ground Truth manifest.")
@click.option("--copy-from", help="ARN of a dataset to copy.")
@settings_options
@click.pass_obj
def create(state: CliState, project: str, dataset_type: str, manifest: str | None, copy_from: str | None) -> None:
    """Create an empty dataset, or one from a manifest in a bucket, or a copy of another dataset."""
    with user_errors():
        arn = service.create_dataset(
            state.context(),
            project_arn=project_arn(state, project),
            dataset_type=dataset_type.upper(),
            manifest_uri=manifest,
            source_dataset_arn=copy_from,
        )
        _report(state, arn)


@datasets.command("import")
@click.argument("project")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@dataset_type_option
@click.option("--format", "format_", type=click.Choice(FORMATS), default="auto", show_default=True)
@click.option("--images", type=click.Path(exists=True, file_okay=False, path_type=Path), help="Folder of the images (csv, groundtruth, coco).")
@click.option("--bucket", default="customlabels-datasets", show_default=True, help="Bucket the images are copied to.")
@settings_options
@click.pass_obj
def import_(
    state: CliState, project: str, source: Path, dataset_type: str, format_: str, images: Path | None, bucket: str
) -> None:
    """Import images and labels from folders, a CSV, Pascal VOC, COCO, YOLO or a Ground Truth manifest.

    Creates the dataset, or adds to it (replacing entries of the same image) if it exists.
    """
    from customlabels.datasets.importers.choose import plan_path
    from customlabels.service.imports import import_plan

    with user_errors():
        arn_of_project = project_arn(state, project)
        name = arn_of_project.split("/")[-2]
        stamp = time.strftime("%Y%m%dT%H%M%S")
        prefix = f"{name}/{dataset_type.lower()}/"
        plan = plan_path(source, format_=format_, images=images, bucket=bucket, prefix=prefix)
        result = import_plan(
            state.context(),
            project_arn=arn_of_project,
            dataset_type=dataset_type.upper(),
            plan=plan,
            manifest_key=f"{prefix}manifests/import-{stamp}.manifest",
        )
        for skipped in result.skipped:
            state.output.say(f"[yellow]skipped[/yellow] {skipped.path}: {skipped.reason}")
        state.output.say(f"Imported {result.lines} images ({result.uploaded} uploaded, {len(result.skipped)} skipped).")
        _report(state, result.dataset_arn)


@datasets.command("describe")
@click.argument("project")
@dataset_type_option
@settings_options
@click.pass_obj
def describe(state: CliState, project: str, dataset_type: str) -> None:
    """Status and statistics of a dataset."""
    with user_errors():
        _report(state, _dataset_arn(state, project, dataset_type))


@datasets.command("entries")
@click.argument("project")
@dataset_type_option
@click.option("--label", "labels", multiple=True, help="Only entries with this label (repeat for any of several).")
@click.option("--labeled/--unlabeled", default=None, help="Only labeled, or only unlabeled entries.")
@click.option("--errors/--no-errors", "has_errors", default=None, help="Only entries with, or without, errors.")
@click.option("--contains", help="Only entries whose source-ref contains this text.")
@click.option("--limit", type=int, default=None, help="Stop after this many entries.")
@settings_options
@click.pass_obj
def entries(
    state: CliState,
    project: str,
    dataset_type: str,
    labels: tuple[str, ...],
    labeled: bool | None,
    has_errors: bool | None,
    contains: str | None,
    limit: int | None,
) -> None:
    """Print the dataset's JSON lines (a manifest), filtered."""
    filters = service.EntryFilter(contains_labels=labels, labeled=labeled, source_ref_contains=contains, has_errors=has_errors)
    with user_errors():
        arn = _dataset_arn(state, project, dataset_type)
        token, printed = None, 0
        while limit is None or printed < limit:
            page = service.list_entries(state.context(), arn=arn, filters=filters, next_token=token)
            for line in page.items[: None if limit is None else limit - printed]:
                click.echo(line)
                printed += 1
            if not (token := page.next_token):
                break


@datasets.command("labels")
@click.argument("project")
@dataset_type_option
@settings_options
@click.pass_obj
def labels(state: CliState, project: str, dataset_type: str) -> None:
    """Labels with how many images and boxes carry each."""
    with user_errors():
        arn = _dataset_arn(state, project, dataset_type)
        rows, token = [], None
        while True:
            page = service.list_labels(state.context(), arn=arn, next_token=token)
            rows += [{"label": l.name, "images": l.entry_count, "boxes": l.box_count} for l in page.items]
            if not (token := page.next_token):
                break
    state.output.table(rows, ["label", "images", "boxes"], title="Labels")


@datasets.command("distribute")
@click.argument("project")
@settings_options
@click.pass_obj
def distribute(state: CliState, project: str) -> None:
    """Move 20% of the TRAIN entries into the (empty) TEST dataset, keeping each label's share."""
    with user_errors():
        train, test = _dataset_arn(state, project, "train"), _dataset_arn(state, project, "test")
        service.distribute_entries(state.context(), arns_=[train, test])
        _report(state, train)
        _report(state, test)


@datasets.command("delete")
@click.argument("project")
@dataset_type_option
@settings_options
@click.pass_obj
def delete(state: CliState, project: str, dataset_type: str) -> None:
    """Delete a dataset and its entries."""
    with user_errors():
        service.delete_dataset(state.context(), arn=_dataset_arn(state, project, dataset_type))
    state.output.record({}, lambda: state.output.say(f"Deleted the {dataset_type.upper()} dataset of {project}."))


def _dataset_arn(state: CliState, project: str, dataset_type: str) -> str:
    arn = project_arn(state, project)
    for dataset in describe_project(state.context(), arn=arn).datasets:
        if dataset.dataset_type == dataset_type.upper():
            return dataset.arn
    raise ResourceNotFound(f"The project {project} has no {dataset_type.upper()} dataset.")


def _report(state: CliState, arn: str) -> None:
    d = service.describe_dataset(state.context(), arn=arn)
    record = {
        "DatasetArn": arn,
        "DatasetType": d.metadata.dataset_type,
        "Status": d.metadata.status,
        "StatusMessage": d.metadata.status_message,
        "DatasetStats": {
            "TotalEntries": d.stats.total_entries,
            "LabeledEntries": d.stats.labeled_entries,
            "TotalLabels": d.stats.total_labels,
            "ErrorEntries": d.stats.error_entries,
        },
    }
    state.output.record(
        record,
        lambda: state.output.say(
            f"{d.metadata.dataset_type} dataset: [bold]{d.metadata.status}[/bold] — {d.metadata.status_message or ''}\n"
            f"  {d.stats.total_entries} images, {d.stats.labeled_entries} labeled, {d.stats.total_labels} labels, "
            f"{d.stats.error_entries} with errors\n  {arn}"
        ),
    )
    if d.metadata.status.endswith("FAILED"):
        raise SystemExit(1)
