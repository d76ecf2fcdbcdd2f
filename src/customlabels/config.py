"""Settings: typed, read once at start-up (options and CUSTOMLABELS_* variables), passed down."""

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTOMLABELS_", extra="ignore")

    data_dir: Path = Path("customlabels-data")
    database_url: str | None = None
    region: str = "us-east-1"
    account_id: str = Field(default="000000000000", pattern=r"^\d{12}$")
    access_key_id: str | None = None
    secret_access_key: str | None = None
    s3_endpoint: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    dataset_workers: int = Field(default=2, ge=1)
    training_recipe: dict[str, Any] = Field(default_factory=dict)  # defaults for every training, e.g. {"backbone": "efficientnet-lite2"}

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def metadata_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'metadata.db'}"

    @property
    def buckets_dir(self) -> Path:
        return self.data_dir / "buckets"

    @property
    def models_dir(self) -> Path:
        """Exported model bundles, one folder per model version id."""
        return self.data_dir / "models"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"
