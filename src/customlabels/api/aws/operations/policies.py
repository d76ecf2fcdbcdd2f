"""Project policy operations."""

from customlabels.api.aws import shapes
from customlabels.api.aws.render import Response, paged
from customlabels.service import policies
from customlabels.service.context import Context


def put_project_policy(ctx: Context, r: shapes.PutProjectPolicy) -> Response:
    revision = policies.put_policy(
        ctx, project_arn=r.ProjectArn, name=r.PolicyName, document=r.PolicyDocument, revision_id=r.PolicyRevisionId
    )
    return {"PolicyRevisionId": revision}


def list_project_policies(ctx: Context, r: shapes.ListProjectPolicies) -> Response:
    page = policies.list_policies(ctx, project_arn=r.ProjectArn, max_results=r.MaxResults, next_token=r.NextToken)
    listed = [
        {
            "ProjectArn": p.project_arn,
            "PolicyName": p.name,
            "PolicyRevisionId": p.revision_id,
            "PolicyDocument": p.document,
            "CreationTimestamp": p.created_at,
            "LastUpdatedTimestamp": p.updated_at,
        }
        for p in page.items
    ]
    return paged({"ProjectPolicies": listed}, page.next_token)


def delete_project_policy(ctx: Context, r: shapes.DeleteProjectPolicy) -> Response:
    policies.delete_policy(ctx, project_arn=r.ProjectArn, name=r.PolicyName, revision_id=r.PolicyRevisionId)
    return {}
