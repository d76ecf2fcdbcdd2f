"""Project operations."""

from customlabels.api.aws import shapes
from customlabels.api.aws.render import Response, drop_none, paged
from customlabels.service.context import Context
from customlabels.service import projects
from customlabels.service.views import DatasetMetadata, ProjectDescription


def create_project(ctx: Context, r: shapes.CreateProject) -> Response:
    arn = projects.create_project(ctx, name=r.ProjectName, feature=r.Feature, auto_update=r.AutoUpdate, tags=r.Tags)
    return {"ProjectArn": arn}


def describe_projects(ctx: Context, r: shapes.DescribeProjects) -> Response:
    page = projects.describe_projects(
        ctx, names=r.ProjectNames, features=r.Features, max_results=r.MaxResults, next_token=r.NextToken
    )
    return paged({"ProjectDescriptions": [_project(p) for p in page.items]}, page.next_token)


def delete_project(ctx: Context, r: shapes.ProjectArnOnly) -> Response:
    return {"Status": projects.delete_project(ctx, arn=r.ProjectArn)}


def _project(p: ProjectDescription) -> Response:
    return drop_none(
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
    return drop_none(
        {
            "CreationTimestamp": d.created_at,
            "DatasetType": d.dataset_type,
            "DatasetArn": d.arn,
            "Status": d.status,
            "StatusMessage": d.status_message,
            "StatusMessageCode": d.status_message_code,
        }
    )
