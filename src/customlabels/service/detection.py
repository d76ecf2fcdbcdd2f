"""DetectCustomLabels: one image through a running model, filtered as AWS filters it."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from customlabels.errors import (
    ImageTooLarge,
    InvalidImageFormat,
    InvalidParameter,
    InvalidS3Object,
    ProvisionedThroughputExceeded,
    ResourceNotReady,
)
from customlabels.images import DETECT_MAX_BYTES, TRAINING_MAX_BYTES
from customlabels.images import ImageDimensionsInvalid, ImageTooLarge as TooLargeImage, UnsupportedImageFormat
from customlabels.service.context import Context
from customlabels.service.versions import running_version
from customlabels.serving.prediction import Box, Prediction
from customlabels.serving.units import Overloaded
from customlabels.store.blobs import BlobAccessDenied, BlobNotFound, InvalidBlobKey


# The assumed threshold of a label model.json gives none for.
DEFAULT_THRESHOLD = 0.5
FLOOR_MARGIN = 1e-6


@dataclass(frozen=True)
class CustomLabel:
    name: str
    confidence: float  # 0-100
    box: Box | None


def detect_custom_labels(
    ctx: Context,
    *,
    arn: str,
    image: bytes | None = None,
    s3_object: tuple[str, str] | None = None,
    min_confidence: float | None = None,
    max_results: int | None = None,
) -> list[CustomLabel]:
    """MinConfidence omitted: each label's own assumed threshold; 0: every label; else one threshold in percent."""
    if (image is None) == (s3_object is None):
        raise InvalidParameter("Image must have either Bytes or S3Object.")
    if image is not None and len(image) > DETECT_MAX_BYTES:
        raise ImageTooLarge(f"Image.Bytes is {len(image)} bytes; at most {DETECT_MAX_BYTES} (4 MB) are allowed.")
    # Why the loaded units first: a running model answers without a database round trip per image; the
    # database only says why a model that is not loaded cannot answer.
    units = ctx.models.units(arn) if ctx.models is not None else None
    if units is None:
        with ctx.db.session() as session:
            running_version(session, arn)
        raise ResourceNotReady("The model is not loaded in this server yet; try again in a moment.")
    data = image if image is not None else _read(ctx, *s3_object)  # type: ignore[misc]
    try:
        predictions = units.detect(
            data,
            max_bytes=DETECT_MAX_BYTES if image is not None else TRAINING_MAX_BYTES,
            floor=least_kept(units.labels, units.thresholds, min_confidence),
        )
    except UnsupportedImageFormat as error:
        raise InvalidImageFormat(f"The image must be a PNG or JPEG: {error.message}") from error
    except TooLargeImage as error:
        raise ImageTooLarge(error.message) from error
    except ImageDimensionsInvalid as error:
        raise InvalidParameter(error.message) from error
    except Overloaded as error:
        raise ProvisionedThroughputExceeded(
            f"The model's {units.units} inference units are busy; retry, or start the model with more units."
        ) from error
    return custom_labels(predictions, units.thresholds, min_confidence=min_confidence, max_results=max_results)


def custom_labels(
    predictions: Sequence[Prediction],
    thresholds: Mapping[str, float],
    *,
    min_confidence: float | None = None,
    max_results: int | None = None,
) -> list[CustomLabel]:
    """AWS's filter: each label's assumed threshold unless MinConfidence is given; most confident first."""
    kept = [p for p in predictions if _passes(p, thresholds.get(p.label, DEFAULT_THRESHOLD), min_confidence)]
    kept.sort(key=lambda p: p.confidence, reverse=True)
    if max_results is not None:
        kept = kept[:max_results]
    return [CustomLabel(p.label, p.confidence * 100, p.box) for p in kept]


def least_kept(labels: Sequence[str], thresholds: Mapping[str, float], min_confidence: float | None) -> float:
    """A confidence (0-1) under everything custom_labels keeps, so the model need not rank what it drops."""
    if min_confidence is not None:
        lowest = min_confidence / 100
    else:
        lowest = min((thresholds.get(label, DEFAULT_THRESHOLD) for label in labels), default=0.0)
    # Why a margin: scores are float32 where they are cut and float64 here; custom_labels decides exactly.
    return max(0.0, lowest - FLOOR_MARGIN)


def _passes(prediction: Prediction, threshold: float, min_confidence: float | None) -> bool:
    if min_confidence is None:
        return prediction.confidence >= threshold
    return prediction.confidence * 100 >= min_confidence


def _read(ctx: Context, bucket: str, key: str) -> bytes:
    try:
        return ctx.blobs.get(bucket, key)
    except (BlobNotFound, BlobAccessDenied, InvalidBlobKey) as error:
        raise InvalidS3Object(f"The image s3://{bucket}/{key} cannot be read: {error}") from error
