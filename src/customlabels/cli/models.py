"""`customlabels models`: train, list, start, stop, delete, detect, export."""

import time
from pathlib import Path
from typing import Any

import click

from customlabels.cli.main import CliState, settings_options
from customlabels.cli.output import user_errors
from customlabels.cli.projects import project_arn
from customlabels.service import exports, versions
from customlabels.service.versions import VersionDescription

TRAINING = versions.TRAINING_IN_PROGRESS


@click.group()
def models() -> None:
    """Model versions: train, evaluate, run."""


@models.command("train")
@click.argument("project")
@click.option("--version", "version_name", help="Version name (default: PROJECT.YYYY-MM-DDTHH.MM.SS, as the AWS console names them).")
@click.option("--output-bucket", default="customlabels-output", show_default=True, help="Bucket for the evaluation and validation files.")
@click.option("--output-prefix", default="", help="Key prefix in that bucket.")
@click.option("--backbone", help="efficientnet-lite0 (default), efficientnet-lite1 or efficientnet-lite2.")
@click.option("--epochs", type=int, help="Override the automatic recipe's number of epochs.")
@click.option("--image-size", type=int, help="Override the automatic recipe's input size.")
@click.option("--time-budget", type=float, help="Seconds the training should take at most (the recipe adapts).")
@click.option("--no-wait", is_flag=True, help="Return at once; the training goes on in the background.")
@settings_options
@click.pass_obj
def train(state: CliState, project: str, version_name: str | None, output_bucket: str, output_prefix: str, backbone: str | None,
          epochs: int | None, image_size: int | None, time_budget: float | None, no_wait: bool) -> None:
    """Train a model version on the project's TRAIN and TEST datasets."""
    from customlabels.service.context import open_context

    recipe = {k: v for k, v in {"backbone": backbone, "epochs": epochs, "image_size": image_size, "time_budget_s": time_budget}.items() if v is not None}
    ctx = open_context(state.settings())  # worker threads: the command shows progress while the training runs
    try:
        with user_errors():
            arn_of_project = project_arn(state, project)
            name = version_name or f"{arn_of_project.split('/')[-2]}.{time.strftime('%Y-%m-%dT%H.%M.%S')}"
            arn = versions.create_version(
                ctx, project_arn=arn_of_project, version_name=name, output_bucket=output_bucket, output_prefix=output_prefix, recipe=recipe
            )
            state.output.say(f"Training {name}: {arn}")
            if no_wait:
                _wait_for_worker(ctx, arn)
                state.output.record({"ProjectVersionArn": arn, "Status": TRAINING})
                return
            described = _follow(state, ctx, arn)
        _show(state, described)
    finally:
        ctx.close()
    if described.status != versions.TRAINING_COMPLETED:
        raise SystemExit(1)


@models.command("list")
@click.argument("project")
@settings_options
@click.pass_obj
def list_(state: CliState, project: str) -> None:
    """Model versions of a project, newest first."""
    with user_errors():
        found = versions.describe_versions(state.context(), project_arn=project_arn(state, project)).items
    rows = [
        {"version": v.name, "status": v.status, "F1": _f1(v), "units": v.min_units or "", "message": v.status_message or ""}
        for v in found
    ]
    state.output.table(rows, ["version", "status", "F1", "units", "message"], title="Model versions")


@models.command("describe")
@click.argument("project")
@click.argument("version")
@settings_options
@click.pass_obj
def describe(state: CliState, project: str, version: str) -> None:
    """Status, evaluation and output files of a model version."""
    with user_errors():
        _show(state, versions.describe_version(state.context(), arn=_version_arn(state, project, version)))


@models.command("start")
@click.argument("project")
@click.argument("version")
@click.option("--units", type=int, default=1, show_default=True, help="Inference units (worker processes).")
@settings_options
@click.pass_obj
def start(state: CliState, project: str, version: str, units: int) -> None:
    """Ask the server to run the model (it starts when `customlabels serve` runs on this data)."""
    with user_errors():
        status = versions.start_version(state.context(), arn=_version_arn(state, project, version), min_units=units)
    state.output.record({"Status": status}, lambda: state.output.say(f"{version}: {status} (the running server loads it)"))


@models.command("stop")
@click.argument("project")
@click.argument("version")
@settings_options
@click.pass_obj
def stop(state: CliState, project: str, version: str) -> None:
    """Stop a running model."""
    with user_errors():
        status = versions.stop_version(state.context(), arn=_version_arn(state, project, version))
    state.output.record({"Status": status}, lambda: state.output.say(f"{version}: {status}"))


@models.command("delete")
@click.argument("project")
@click.argument("version")
@settings_options
@click.pass_obj
def delete(state: CliState, project: str, version: str) -> None:
    """Delete a model version (a training in progress is cancelled)."""
    with user_errors():
        status = versions.delete_version(state.context(), arn=_version_arn(state, project, version))
    state.output.record({"Status": status}, lambda: state.output.say(f"{version}: {status}"))


@click.command()
@click.argument("project")
@click.argument("version")
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--min-confidence", type=click.FloatRange(0, 100), help="One threshold in percent (default: each label's own).")
@click.option("--max-results", type=click.IntRange(0), help="At most this many labels per image.")
@settings_options
@click.pass_obj
def detect(state: CliState, project: str, version: str, images: tuple[Path, ...], min_confidence: float | None, max_results: int | None) -> None:
    """Detect custom labels in local images with a trained model (no server needed)."""
    with user_errors():
        results = exports.detect_offline(
            state.context(),
            arn=_version_arn(state, project, version),
            images=[path.read_bytes() for path in images],
            min_confidence=min_confidence,
            max_results=max_results,
        )
    rows = [
        {"image": str(path), "label": label.name, "confidence": round(label.confidence, 2), "box": _box(label.box)}
        for path, labels in zip(images, results, strict=True)
        for label in labels
    ]
    state.output.table(rows, ["image", "label", "confidence", "box"], title="Custom labels")


@click.command()
@click.argument("project")
@click.argument("version")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
@settings_options
@click.pass_obj
def export(state: CliState, project: str, version: str, destination: Path) -> None:
    """Write the model as ONNX plus model.json (labels, thresholds, preprocessing) to use anywhere."""
    with user_errors():
        written = exports.export_version(state.context(), arn=_version_arn(state, project, version), destination=destination)
    state.output.record([str(p) for p in written], lambda: state.output.say("Exported " + ", ".join(str(p) for p in written)))


def _version_arn(state: CliState, project: str, version: str) -> str:
    if version.startswith("arn:"):
        return version
    return exports.version_arn_by_name(state.context(), project_arn=project_arn(state, project), version_name=version)


def _follow(state: CliState, ctx: Any, arn: str) -> VersionDescription:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), disable=state.output.as_json) as bar:
        task = bar.add_task("Waiting to start", total=1.0)
        while True:
            described = versions.describe_version(ctx, arn=arn)
            progress = described.progress or {}
            bar.update(task, completed=progress.get("fraction", 0.0), description=(described.status_message or described.status)[:70])
            if described.status != TRAINING:
                return described
            time.sleep(1)


def _wait_for_worker(ctx: Any, arn: str, timeout: float = 60) -> None:
    """The training process reports its first step once it has taken the job over; this one may then exit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = versions.describe_version(ctx, arn=arn)
        if described.progress or described.status != TRAINING:
            return
        time.sleep(0.2)


def _show(state: CliState, v: VersionDescription) -> None:
    record = {
        "ProjectVersionArn": v.arn,
        "Status": v.status,
        "StatusMessage": v.status_message,
        "F1Score": v.f1_score,
        "BillableTrainingTimeInSeconds": v.billable_seconds,
        "MinInferenceUnits": v.min_units,
        "Files": dict(v.outputs),
    }
    lines = [f"{v.name}: [bold]{v.status}[/bold] — {v.status_message or ''}"]
    if v.f1_score is not None:
        lines.append(f"  F1 {v.f1_score:.3f} on the test set; trained in {v.billable_seconds} s")
    lines += [f"  {role}: {uri}" for role, uri in v.outputs.items()]
    state.output.record(record, lambda: state.output.say("\n".join(lines)))


def _f1(v: VersionDescription) -> str:
    return f"{v.f1_score:.3f}" if v.f1_score is not None else ""


def _box(box: Any) -> str:
    return "" if box is None else f"{box.left:.3f},{box.top:.3f} {box.width:.3f}x{box.height:.3f}"
