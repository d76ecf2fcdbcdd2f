"""Model version operations."""

from customlabels.api.aws import shapes
from customlabels.api.aws.render import Response, drop_none, paged, s3_object
from customlabels.errors import InvalidParameter
from customlabels.service import versions
from customlabels.service.context import Context
from customlabels.service.versions import VersionDescription


def create_project_version(ctx: Context, r: shapes.CreateProjectVersion) -> Response:
    if r.FeatureConfig:
        raise InvalidParameter("FeatureConfig applies to CONTENT_MODERATION projects, which this server does not train.")
    training = [_uri(a) for a in (r.TrainingData.Assets or [])] if r.TrainingData else None
    testing = [_uri(a) for a in (r.TestingData.Assets or [])] if r.TestingData else None
    auto_create = bool(r.TestingData and r.TestingData.AutoCreate)
    if auto_create and testing:
        raise InvalidParameter("Give TestingData.Assets or TestingData.AutoCreate, not both.")
    arn = versions.create_version(
        ctx,
        project_arn=r.ProjectArn,
        version_name=r.VersionName,
        output_bucket=r.OutputConfig.S3Bucket,
        output_prefix=r.OutputConfig.S3KeyPrefix,
        training_manifests=training,
        testing_manifests=testing or None,
        auto_create_test=auto_create,
        tags=r.Tags,
        kms_key_id=r.KmsKeyId,
        description=r.VersionDescription,
    )
    return {"ProjectVersionArn": arn}


def describe_project_versions(ctx: Context, r: shapes.DescribeProjectVersions) -> Response:
    page = versions.describe_versions(
        ctx, project_arn=r.ProjectArn, version_names=r.VersionNames, max_results=r.MaxResults, next_token=r.NextToken
    )
    return paged({"ProjectVersionDescriptions": [version_description(v) for v in page.items]}, page.next_token)


def delete_project_version(ctx: Context, r: shapes.ProjectVersionArnOnly) -> Response:
    return {"Status": versions.delete_version(ctx, arn=r.ProjectVersionArn)}


def start_project_version(ctx: Context, r: shapes.StartProjectVersion) -> Response:
    status = versions.start_version(ctx, arn=r.ProjectVersionArn, min_units=r.MinInferenceUnits, max_units=r.MaxInferenceUnits)
    if ctx.models is not None:
        ctx.models.kick()
    return {"Status": status}


def stop_project_version(ctx: Context, r: shapes.ProjectVersionArnOnly) -> Response:
    status = versions.stop_version(ctx, arn=r.ProjectVersionArn)
    if ctx.models is not None:
        ctx.models.kick()
    return {"Status": status}


def copy_project_version(ctx: Context, r: shapes.CopyProjectVersion) -> Response:
    arn = versions.copy_version(
        ctx,
        source_project_arn=r.SourceProjectArn,
        source_version_arn=r.SourceProjectVersionArn,
        destination_project_arn=r.DestinationProjectArn,
        version_name=r.VersionName,
        output_bucket=r.OutputConfig.S3Bucket,
        output_prefix=r.OutputConfig.S3KeyPrefix,
        tags=r.Tags,
        kms_key_id=r.KmsKeyId,
    )
    return {"ProjectVersionArn": arn}


def version_description(v: VersionDescription) -> Response:
    outputs = v.outputs
    bucket = v.output_bucket

    def assets(*keys: str) -> Response | None:
        present = [outputs[key] for key in keys if key in outputs]
        return {"Assets": [{"GroundTruthManifest": {"S3Object": _object(uri)}} for uri in present]} if present else None

    def data_result(side: str) -> Response | None:
        result = drop_none({"Input": assets(f"{side}_input"), "Output": assets(f"{side}_output"), "Validation": assets(f"{side}_validation")})
        return result or None

    evaluation = None
    if v.f1_score is not None and "summary" in outputs:
        evaluation = {"F1Score": v.f1_score, "Summary": {"S3Object": _object(outputs["summary"])}}
    return drop_none(
        {
            "ProjectVersionArn": v.arn,
            "CreationTimestamp": v.created_at,
            "MinInferenceUnits": v.min_units,
            "MaxInferenceUnits": v.max_units,
            "Status": v.status,
            "StatusMessage": v.status_message,
            "BillableTrainingTimeInSeconds": v.billable_seconds,
            "TrainingEndTimestamp": v.training_end,
            "OutputConfig": {"S3Bucket": bucket, "S3KeyPrefix": v.output_prefix},
            "TrainingDataResult": data_result("training"),
            "TestingDataResult": data_result("testing"),
            "EvaluationResult": evaluation,
            "ManifestSummary": {"S3Object": _object(outputs["manifest_summary"])} if "manifest_summary" in outputs else None,
            "KmsKeyId": v.kms_key_id,
            "SourceProjectVersionArn": v.source_version_arn,
            "VersionDescription": v.description,
            "Feature": "CUSTOM_LABELS",
        }
    )


def _uri(asset: shapes.Asset) -> str:
    location = asset.GroundTruthManifest.S3Object
    return f"s3://{location.Bucket}/{location.Name}"


def _object(uri: str) -> Response:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return s3_object(bucket, key)
