"""DetectCustomLabels."""

from customlabels.api.aws import shapes
from customlabels.api.aws.render import Response
from customlabels.service.context import Context
from customlabels.service.detection import CustomLabel, detect_custom_labels


def detect(ctx: Context, r: shapes.DetectCustomLabels) -> Response:
    location = r.Image.S3Object
    labels = detect_custom_labels(
        ctx,
        arn=r.ProjectVersionArn,
        image=r.Image.Bytes,
        s3_object=(location.Bucket, location.Name) if location else None,
        min_confidence=r.MinConfidence,
        max_results=r.MaxResults,
    )
    return {"CustomLabels": [_label(label) for label in labels]}


def _label(label: CustomLabel) -> Response:
    shaped: Response = {"Name": label.name, "Confidence": label.confidence}
    if label.box is not None:
        box = label.box
        shaped["Geometry"] = {"BoundingBox": {"Width": box.width, "Height": box.height, "Left": box.left, "Top": box.top}}
    return shaped
