"""A model version's files on disk, and removing a version entirely."""

import shutil

from sqlalchemy import delete, select

from customlabels.service import tags as tag_rules
from customlabels.service.context import Context
from customlabels.store.tables import ProjectVersion


def remove_version(ctx: Context, arn: str) -> None:
    """The end of DeleteProjectVersion (or of a cancelled training): rows, tags and the exported model."""
    with ctx.db.session() as session:
        version_id = session.scalar(select(ProjectVersion.id).where(ProjectVersion.arn == arn))
        if version_id is None:
            return
        tag_rules.replace_tags(session, arn, {})
        session.execute(delete(ProjectVersion).where(ProjectVersion.id == version_id))
    shutil.rmtree(ctx.bundle_dir(version_id), ignore_errors=True)
    shutil.rmtree(ctx.settings.work_dir / str(version_id), ignore_errors=True)
