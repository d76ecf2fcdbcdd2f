"""Tables of the web console: label names kept before any image uses them, and model suggestions."""

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from customlabels.store.tables import Base


class ProjectLabel(Base):
    """A label name of a project's vocabulary; labels in use by entries need no row here."""

    __tablename__ = "console_labels"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[float] = mapped_column(Float)


class Suggestion(Base):
    """What a model predicted for an unlabeled image, until someone accepts or corrects it."""

    __tablename__ = "console_suggestions"
    __table_args__ = (UniqueConstraint("dataset_id", "source_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    source_ref: Mapped[str] = mapped_column(String(2048))
    version_arn: Mapped[str] = mapped_column(String(2048))
    predictions: Mapped[str] = mapped_column(Text)  # JSON list of {label, confidence, threshold, box}
    uncertainty: Mapped[float] = mapped_column(Float, index=True)
    created_at: Mapped[float] = mapped_column(Float)
