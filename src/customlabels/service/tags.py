"""Tags on projects, datasets and model versions."""

import re
from collections.abc import Mapping, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from customlabels.arns import parse_arn
from customlabels.errors import InvalidParameter, ResourceNotFound, ServiceQuotaExceeded
from customlabels.service.context import Context
from customlabels.store.tables import Dataset, Project, ProjectVersion, Tag

MAX_TAGS = 50
_KEY = re.compile(r"^(?!aws:)[\w\s.:/=+\-@]{1,128}$", re.UNICODE)


def check_tags(tags: Mapping[str, str]) -> None:
    for key, value in tags.items():
        if not _KEY.match(key):
            raise InvalidParameter(
                f"Tag key {key!r} must be 1-128 letters, digits, spaces or _.:/=+-@ and must not start with 'aws:'."
            )
        if len(value) > 256:
            raise InvalidParameter(f"The value of tag {key!r} must be at most 256 characters.")
    if len(tags) > MAX_TAGS:
        raise ServiceQuotaExceeded(f"A resource can have at most {MAX_TAGS} tags.")


def replace_tags(session: Session, arn: str, tags: Mapping[str, str]) -> None:
    session.execute(delete(Tag).where(Tag.resource_arn == arn))
    session.add_all(Tag(resource_arn=arn, key=k, value=v) for k, v in tags.items())


def tag_resource(ctx: Context, *, arn: str, tags: Mapping[str, str]) -> None:
    check_tags(tags)
    with ctx.db.session() as session:
        current = _existing_tags(session, arn)
        merged = {**current, **tags}
        if len(merged) > MAX_TAGS:
            raise ServiceQuotaExceeded(f"A resource can have at most {MAX_TAGS} tags; it has {len(current)}.")
        replace_tags(session, arn, merged)


def untag_resource(ctx: Context, *, arn: str, keys: Sequence[str]) -> None:
    with ctx.db.session() as session:
        _existing_tags(session, arn)
        session.execute(delete(Tag).where(Tag.resource_arn == arn, Tag.key.in_(keys)))


def list_tags(ctx: Context, *, arn: str) -> dict[str, str]:
    with ctx.db.session() as session:
        return _existing_tags(session, arn)


def _existing_tags(session: Session, arn: str) -> dict[str, str]:
    if not _resource_exists(session, arn):
        raise ResourceNotFound(f"The resource {arn} does not exist.")
    return {tag.key: tag.value for tag in session.scalars(select(Tag).where(Tag.resource_arn == arn))}


def _resource_exists(session: Session, arn: str) -> bool:
    parsed = parse_arn(arn)
    if parsed is None:
        return False
    if parsed.kind == "project":
        return session.scalar(select(Project.id).where(Project.arn == arn)) is not None
    if parsed.kind == "dataset":
        return session.scalar(select(Dataset.id).where(Dataset.arn == arn)) is not None
    return session.scalar(select(ProjectVersion.id).where(ProjectVersion.arn == arn)) is not None
