"""Projects: create, describe, delete."""

from collections.abc import Mapping, Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from customlabels import arns
from customlabels.errors import InvalidParameter, ResourceInUse
from customlabels.service import tags as tag_rules
from customlabels.service.context import Context
from customlabels.service.lookup import project_by_arn
from customlabels.service.pagination import Page, decode_token, page_of, query_key
from customlabels.service.views import DatasetMetadata, ProjectDescription
from customlabels.store.tables import Dataset, Project, ProjectPolicy, ProjectVersion

FEATURES = ("CUSTOM_LABELS", "CONTENT_MODERATION")
CREATED, DELETING = "CREATED", "DELETING"


def create_project(
    ctx: Context,
    *,
    name: str,
    feature: str = "CUSTOM_LABELS",
    auto_update: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    if not arns.NAME_PATTERN.match(name):
        raise InvalidParameter("ProjectName must be 1-255 characters from a-z, A-Z, 0-9, '_', '.' and '-'.")
    if feature not in FEATURES:
        raise InvalidParameter(f"Feature must be one of {', '.join(FEATURES)}.")
    if auto_update is not None and feature != "CONTENT_MODERATION":
        raise InvalidParameter("AutoUpdate applies only to CONTENT_MODERATION projects.")
    if feature == "CONTENT_MODERATION" and auto_update is None:
        auto_update = "DISABLED"
    tag_rules.check_tags(tags or {})
    now = ctx.clock()
    arn = arns.project_arn(region=ctx.settings.region, account=ctx.settings.account_id, name=name, stamp=int(now * 1000))
    try:
        with ctx.db.session() as session:
            if session.scalar(select(Project.id).where(Project.name == name)) is not None:
                raise ResourceInUse(f"A project named {name} already exists.")
            session.add(Project(arn=arn, name=name, feature=feature, auto_update=auto_update, status=CREATED, created_at=now))
            tag_rules.replace_tags(session, arn, tags or {})
    except IntegrityError as error:  # a concurrent create of the same name
        raise ResourceInUse(f"A project named {name} already exists.") from error
    return arn


def describe_projects(
    ctx: Context,
    *,
    names: Sequence[str] | None = None,
    features: Sequence[str] | None = None,
    max_results: int = 100,
    next_token: str | None = None,
) -> Page[ProjectDescription]:
    features = list(features or ["CUSTOM_LABELS"])
    for feature in features:
        if feature not in FEATURES:
            raise InvalidParameter(f"Features must be among {', '.join(FEATURES)}.")
    key = query_key("projects", sorted(names or []), sorted(features))
    after = decode_token(next_token, key)
    query = select(Project).where(Project.feature.in_(features)).order_by(Project.created_at, Project.id)
    if names:
        query = query.where(Project.name.in_(names))
    if after is not None:
        query = query.where(Project.id > after)  # ids grow with creation time
    with ctx.db.session() as session:
        rows = session.scalars(query.limit(max_results + 1)).all()
        page = page_of(rows, max_results, lambda row: row.id, key)
        return Page([_description(session, row) for row in page.items], page.next_token)


def describe_project(ctx: Context, *, arn: str) -> ProjectDescription:
    with ctx.db.session() as session:
        return _description(session, project_by_arn(session, arn))


def delete_project(ctx: Context, *, arn: str) -> str:
    from customlabels.service.datasets import IN_PROGRESS

    with ctx.db.session() as session:
        project = project_by_arn(session, arn)
        if project.status == DELETING:
            return DELETING
        datasets = session.scalars(select(Dataset).where(Dataset.project_id == project.id)).all()
        busy = [d.dataset_type for d in datasets if d.status in IN_PROGRESS]
        if busy:
            raise ResourceInUse(f"The project has a {busy[0]} dataset with an operation in progress; try again when it ends.")
        if session.scalar(select(ProjectVersion.id).where(ProjectVersion.project_id == project.id).limit(1)):
            raise ResourceInUse("The project still has model versions; delete them first.")
        project.status = DELETING
        job = ctx.jobs.enqueue(session, kind="project.delete", resource_arn=arn, payload={})
    ctx.jobs.start(job)
    return DELETING


def remove_project(ctx: Context, *, arn: str) -> None:
    """The end of DeleteProject: its datasets, entries, tags and the project itself."""
    from customlabels.service.datasets import remove_dataset_rows

    with ctx.db.session() as session:
        project = session.scalar(select(Project).where(Project.arn == arn))
        if project is None:
            return
        for dataset in session.scalars(select(Dataset).where(Dataset.project_id == project.id)).all():
            remove_dataset_rows(session, dataset)
        tag_rules.replace_tags(session, arn, {})
        session.execute(delete(ProjectPolicy).where(ProjectPolicy.project_id == project.id))
        session.execute(delete(Project).where(Project.id == project.id))


def _description(session, project: Project) -> ProjectDescription:  # type: ignore[no-untyped-def]
    datasets = session.scalars(select(Dataset).where(Dataset.project_id == project.id).order_by(Dataset.id)).all()
    return ProjectDescription(
        arn=project.arn,
        name=project.name,
        created_at=project.created_at,
        status=project.status,
        feature=project.feature,
        auto_update=project.auto_update,
        datasets=tuple(dataset_metadata(d) for d in datasets),
    )


def dataset_metadata(dataset: Dataset) -> DatasetMetadata:
    return DatasetMetadata(
        arn=dataset.arn,
        dataset_type=dataset.dataset_type,
        status=dataset.status,
        status_message=dataset.status_message,
        status_message_code=dataset.status_message_code,
        created_at=dataset.created_at,
    )
