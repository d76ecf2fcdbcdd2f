"""Using a running model from the console: every label with its confidence and its own threshold."""

from dataclasses import dataclass

from customlabels.service.context import Context
from customlabels.service.detection import CustomLabel, detect_custom_labels


@dataclass(frozen=True)
class TriedLabel:
    label: CustomLabel
    threshold: float | None  # 0-1, the label's assumed threshold; None when the model does not say


def try_image(ctx: Context, *, version_arn: str, image: bytes) -> list[TriedLabel]:
    """All labels (MinConfidence 0), so a viewer can move its own confidence cut; thresholds come along."""
    found = detect_custom_labels(ctx, arn=version_arn, image=image, min_confidence=0)
    units = ctx.models.units(version_arn) if ctx.models is not None else None
    thresholds = dict(units.thresholds) if units is not None else {}
    return [TriedLabel(label, thresholds.get(label.name)) for label in found]


def start_model(ctx: Context, *, version_arn: str, inference_units: int = 1) -> str:
    from customlabels.service.versions import start_version

    status = start_version(ctx, arn=version_arn, min_units=inference_units)
    if ctx.models is not None:
        ctx.models.kick()
    return status


def stop_model(ctx: Context, *, version_arn: str) -> str:
    from customlabels.service.versions import stop_version

    status = stop_version(ctx, arn=version_arn)
    if ctx.models is not None:
        ctx.models.kick()
    return status
