"""Dataset operations."""

from customlabels.api.aws import shapes
from customlabels.api.aws.render import Response, drop_none, paged
from customlabels.service.context import Context
from customlabels.errors import InvalidParameter
from customlabels.service import datasets


def create_dataset(ctx: Context, r: shapes.CreateDataset) -> Response:
    source = r.DatasetSource
    manifest = source.GroundTruthManifest if source else None
    if source is not None and (manifest is None) == (source.DatasetArn is None):
        raise InvalidParameter("DatasetSource must have either GroundTruthManifest or DatasetArn.")
    arn = datasets.create_dataset(
        ctx,
        project_arn=r.ProjectArn,
        dataset_type=r.DatasetType,
        manifest_uri=f"s3://{manifest.S3Object.Bucket}/{manifest.S3Object.Name}" if manifest else None,
        source_dataset_arn=source.DatasetArn if source else None,
        tags=r.Tags,
    )
    return {"DatasetArn": arn}


def describe_dataset(ctx: Context, r: shapes.DatasetArnOnly) -> Response:
    d = datasets.describe_dataset(ctx, arn=r.DatasetArn)
    stats = d.stats
    return {
        "DatasetDescription": drop_none(
            {
                "CreationTimestamp": d.metadata.created_at,
                "LastUpdatedTimestamp": d.updated_at,
                "Status": d.metadata.status,
                "StatusMessage": d.metadata.status_message,
                "StatusMessageCode": d.metadata.status_message_code,
                "DatasetStats": {
                    "LabeledEntries": stats.labeled_entries,
                    "TotalEntries": stats.total_entries,
                    "TotalLabels": stats.total_labels,
                    "ErrorEntries": stats.error_entries,
                },
            }
        )
    }


def delete_dataset(ctx: Context, r: shapes.DatasetArnOnly) -> Response:
    datasets.delete_dataset(ctx, arn=r.DatasetArn)
    return {}


def list_dataset_entries(ctx: Context, r: shapes.ListDatasetEntries) -> Response:
    filters = datasets.EntryFilter(
        contains_labels=tuple(r.ContainsLabels or ()),
        labeled=r.Labeled,
        source_ref_contains=r.SourceRefContains,
        has_errors=r.HasErrors,
    )
    page = datasets.list_entries(ctx, arn=r.DatasetArn, filters=filters, max_results=r.MaxResults, next_token=r.NextToken)
    return paged({"DatasetEntries": page.items}, page.next_token)


def list_dataset_labels(ctx: Context, r: shapes.ListDatasetLabels) -> Response:
    page = datasets.list_labels(ctx, arn=r.DatasetArn, max_results=r.MaxResults, next_token=r.NextToken)
    labels = [
        {"LabelName": label.name, "LabelStats": {"EntryCount": label.entry_count, "BoundingBoxCount": label.box_count}}
        for label in page.items
    ]
    return paged({"DatasetLabelDescriptions": labels}, page.next_token)


def update_dataset_entries(ctx: Context, r: shapes.UpdateDatasetEntries) -> Response:
    datasets.update_entries(ctx, arn=r.DatasetArn, changes=r.Changes.GroundTruth)
    return {}


def distribute_dataset_entries(ctx: Context, r: shapes.DistributeDatasetEntries) -> Response:
    datasets.distribute_entries(ctx, arns_=[d.Arn for d in r.Datasets])
    return {}
