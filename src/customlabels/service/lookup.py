"""Finding resources by ARN, with the AWS not-found errors."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from customlabels.errors import ResourceNotFound
from customlabels.store.tables import Dataset, Project


def project_by_arn(session: Session, arn: str) -> Project:
    project = session.scalar(select(Project).where(Project.arn == arn))
    if project is None:
        raise ResourceNotFound(f"The project {arn} does not exist.")
    return project


def dataset_by_arn(session: Session, arn: str) -> Dataset:
    dataset = session.scalar(select(Dataset).where(Dataset.arn == arn))
    if dataset is None:
        raise ResourceNotFound(f"The dataset {arn} does not exist.")
    return dataset
