"""Tag operations."""

from customlabels.api.aws import shapes
from customlabels.api.aws.render import Response, drop_none, paged
from customlabels.service.context import Context
from customlabels.service import tags


def tag_resource(ctx: Context, r: shapes.TagResource) -> Response:
    tags.tag_resource(ctx, arn=r.ResourceArn, tags=r.Tags)
    return {}


def untag_resource(ctx: Context, r: shapes.UntagResource) -> Response:
    tags.untag_resource(ctx, arn=r.ResourceArn, keys=r.TagKeys)
    return {}


def list_tags_for_resource(ctx: Context, r: shapes.ListTagsForResource) -> Response:
    return {"Tags": tags.list_tags(ctx, arn=r.ResourceArn)}
