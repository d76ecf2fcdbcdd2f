"""One function per AWS operation: a validated request in, the AWS-shaped response out."""

from collections.abc import Callable
from typing import Any

from customlabels.api.aws import shapes
from customlabels.errors import InvalidParameter
from customlabels.service import datasets, projects, tags
from customlabels.service.context import Context
from customlabels.service.views import DatasetMetadata, ProjectDescription

Response = dict[str, Any]


def create_project(ctx: Context, r: shapes.CreateProject) -> Response:
    arn = projects.create_project(ctx, name=r.ProjectName, feature=r.Feature, auto_update=r.AutoUpdate, tags=r.Tags)
    return {"ProjectArn": arn}


def describe_projects(ctx: Context, r: shapes.DescribeProjects) -> Response:
    page = projects.describe_projects(
        ctx, names=r.ProjectNames, features=r.Features, max_results=r.MaxResults, next_token=r.NextToken
    )
    return _paged({"ProjectDescriptions": [_project(p) for p in page.items]}, page.next_token)


def delete_project(ctx: Context, r: shapes.ProjectArnOnly) -> Response:
    return {"Status": projects.delete_project(ctx, arn=r.ProjectArn)}


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
        "DatasetDescription": _drop_none(
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
    return _paged({"DatasetEntries": page.items}, page.next_token)


def list_dataset_labels(ctx: Context, r: shapes.ListDatasetLabels) -> Response:
    page = datasets.list_labels(ctx, arn=r.DatasetArn, max_results=r.MaxResults, next_token=r.NextToken)
    labels = [
        {"LabelName": label.name, "LabelStats": {"EntryCount": label.entry_count, "BoundingBoxCount": label.box_count}}
        for label in page.items
    ]
    return _paged({"DatasetLabelDescriptions": labels}, page.next_token)


def update_dataset_entries(ctx: Context, r: shapes.UpdateDatasetEntries) -> Response:
    datasets.update_entries(ctx, arn=r.DatasetArn, changes=r.Changes.GroundTruth)
    return {}


def distribute_dataset_entries(ctx: Context, r: shapes.DistributeDatasetEntries) -> Response:
    datasets.distribute_entries(ctx, arns_=[d.Arn for d in r.Datasets])
    return {}


def tag_resource(ctx: Context, r: shapes.TagResource) -> Response:
    tags.tag_resource(ctx, arn=r.ResourceArn, tags=r.Tags)
    return {}


def untag_resource(ctx: Context, r: shapes.UntagResource) -> Response:
    tags.untag_resource(ctx, arn=r.ResourceArn, keys=r.TagKeys)
    return {}


def list_tags_for_resource(ctx: Context, r: shapes.ListTagsForResource) -> Response:
    return {"Tags": tags.list_tags(ctx, arn=r.ResourceArn)}


OPERATIONS: dict[str, tuple[type[shapes.Shape], Callable[[Context, Any], Response]]] = {
    "CreateProject": (shapes.CreateProject, create_project),
    "DescribeProjects": (shapes.DescribeProjects, describe_projects),
    "DeleteProject": (shapes.ProjectArnOnly, delete_project),
    "CreateDataset": (shapes.CreateDataset, create_dataset),
    "DescribeDataset": (shapes.DatasetArnOnly, describe_dataset),
    "DeleteDataset": (shapes.DatasetArnOnly, delete_dataset),
    "ListDatasetEntries": (shapes.ListDatasetEntries, list_dataset_entries),
    "ListDatasetLabels": (shapes.ListDatasetLabels, list_dataset_labels),
    "UpdateDatasetEntries": (shapes.UpdateDatasetEntries, update_dataset_entries),
    "DistributeDatasetEntries": (shapes.DistributeDatasetEntries, distribute_dataset_entries),
    "TagResource": (shapes.TagResource, tag_resource),
    "UntagResource": (shapes.UntagResource, untag_resource),
    "ListTagsForResource": (shapes.ListTagsForResource, list_tags_for_resource),
}


def _project(p: ProjectDescription) -> Response:
    return _drop_none(
        {
            "ProjectArn": p.arn,
            "CreationTimestamp": p.created_at,
            "Status": p.status,
            "Datasets": [_dataset_metadata(d) for d in p.datasets],
            "Feature": p.feature,
            "AutoUpdate": p.auto_update,
        }
    )


def _dataset_metadata(d: DatasetMetadata) -> Response:
    return _drop_none(
        {
            "CreationTimestamp": d.created_at,
            "DatasetType": d.dataset_type,
            "DatasetArn": d.arn,
            "Status": d.status,
            "StatusMessage": d.status_message,
            "StatusMessageCode": d.status_message_code,
        }
    )


def _paged(body: Response, next_token: str | None) -> Response:
    return {**body, "NextToken": next_token} if next_token else body


def _drop_none(body: Response) -> Response:
    return {key: value for key, value in body.items() if value is not None}
