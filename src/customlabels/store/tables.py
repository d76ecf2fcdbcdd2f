"""Metadata tables (SQLAlchemy). Alembic migrations in store/migrations follow these."""

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arn: Mapped[str] = mapped_column(String(2048), unique=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    feature: Mapped[str] = mapped_column(String(32))
    auto_update: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[float] = mapped_column(Float)


class Dataset(Base):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("project_id", "dataset_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arn: Mapped[str] = mapped_column(String(2048), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    dataset_type: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(32))
    status_message: Mapped[str | None] = mapped_column(Text)
    status_message_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class DatasetEntry(Base):
    __tablename__ = "dataset_entries"
    __table_args__ = (UniqueConstraint("dataset_id", "source_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    source_ref: Mapped[str] = mapped_column(String(2048))
    line: Mapped[str] = mapped_column(Text)
    labeled: Mapped[bool] = mapped_column(Boolean)
    has_errors: Mapped[bool] = mapped_column(Boolean)


class EntryLabel(Base):
    __tablename__ = "entry_labels"
    __table_args__ = (Index("ix_entry_labels_dataset_label", "dataset_id", "label"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("dataset_entries.id", ondelete="CASCADE"), primary_key=True)
    label: Mapped[str] = mapped_column(String(256), primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    box_count: Mapped[int] = mapped_column(Integer)


class Tag(Base):
    __tablename__ = "tags"

    resource_arn: Mapped[str] = mapped_column(String(2048), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class Job(Base):
    """A unit of asynchronous work, recorded before it is acknowledged so a restart can resume it."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    resource_arn: Mapped[str] = mapped_column(String(2048), index=True)
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True)
    owner: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class ProjectVersion(Base):
    """A model version: its training inputs and outputs, evaluation, and running state."""

    __tablename__ = "project_versions"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arn: Mapped[str] = mapped_column(String(2048), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    status_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    training_end: Mapped[float | None] = mapped_column(Float)
    billable_seconds: Mapped[int | None] = mapped_column(Integer)
    output_bucket: Mapped[str] = mapped_column(String(255))
    output_prefix: Mapped[str] = mapped_column(String(1024))
    kms_key_id: Mapped[str | None] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(255))
    source_version_arn: Mapped[str | None] = mapped_column(String(2048))
    training_input: Mapped[str | None] = mapped_column(Text)
    testing_input: Mapped[str | None] = mapped_column(Text)
    outputs: Mapped[str | None] = mapped_column(Text)
    task: Mapped[str | None] = mapped_column(String(32))
    f1_score: Mapped[float | None] = mapped_column(Float)
    recipe: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[str | None] = mapped_column(Text)
    min_units: Mapped[int | None] = mapped_column(Integer)
    max_units: Mapped[int | None] = mapped_column(Integer)


class ProjectPolicy(Base):
    __tablename__ = "project_policies"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    revision_id: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
