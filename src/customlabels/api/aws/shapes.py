"""Request shapes of the operations, with the constraints botocore leaves to the server."""

import base64
import binascii
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[a-zA-Z0-9_.\-]+$")]
ArnString = Annotated[str, StringConstraints(min_length=20, max_length=2048)]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128)]
TagValue = Annotated[str, StringConstraints(max_length=256)]
TagMap = Annotated[dict[TagKey, TagValue], Field(max_length=200)]
BucketName = Annotated[str, StringConstraints(min_length=3, max_length=255, pattern=r"^[0-9A-Za-z.\-_]+$")]
ObjectName = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=255)]


def _blob(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as error:
        raise ValueError("must be valid base64") from error


Blob = Annotated[bytes, BeforeValidator(_blob)]


class Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class S3Location(Shape):
    Bucket: BucketName
    Name: ObjectName
    Version: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None


class CreateProject(Shape):
    ProjectName: Name
    Feature: Literal["CUSTOM_LABELS", "CONTENT_MODERATION"] = "CUSTOM_LABELS"
    AutoUpdate: Literal["ENABLED", "DISABLED"] | None = None
    Tags: TagMap | None = None


class DescribeProjects(Shape):
    NextToken: Annotated[str, StringConstraints(max_length=1024)] | None = None
    MaxResults: Annotated[int, Field(ge=1, le=100)] = 100
    ProjectNames: Annotated[list[Name], Field(min_length=1, max_length=10)] | None = None
    Features: Annotated[list[Literal["CUSTOM_LABELS", "CONTENT_MODERATION"]], Field(min_length=1, max_length=2)] | None = None


class ProjectArnOnly(Shape):
    ProjectArn: ArnString


class GroundTruthManifestShape(Shape):
    S3Object: S3Location


class DatasetSourceShape(Shape):
    GroundTruthManifest: GroundTruthManifestShape | None = None
    DatasetArn: ArnString | None = None


class CreateDataset(Shape):
    DatasetType: Literal["TRAIN", "TEST"]
    ProjectArn: ArnString
    DatasetSource: DatasetSourceShape | None = None
    Tags: TagMap | None = None


class DatasetArnOnly(Shape):
    DatasetArn: ArnString


class ListDatasetEntries(Shape):
    DatasetArn: ArnString
    ContainsLabels: Annotated[list[Label], Field(min_length=1, max_length=10)] | None = None
    Labeled: bool | None = None
    SourceRefContains: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None
    HasErrors: bool | None = None
    NextToken: Annotated[str, StringConstraints(max_length=1024)] | None = None
    MaxResults: Annotated[int, Field(ge=1, le=100)] = 100


class ListDatasetLabels(Shape):
    DatasetArn: ArnString
    NextToken: Annotated[str, StringConstraints(max_length=1024)] | None = None
    MaxResults: Annotated[int, Field(ge=1, le=100)] = 100


class DatasetChangesShape(Shape):
    GroundTruth: Blob


class UpdateDatasetEntries(Shape):
    DatasetArn: ArnString
    Changes: DatasetChangesShape


class DistributeDatasetShape(Shape):
    Arn: ArnString


class DistributeDatasetEntries(Shape):
    Datasets: Annotated[list[DistributeDatasetShape], Field(min_length=2, max_length=2)]


class TagResource(Shape):
    ResourceArn: ArnString
    Tags: TagMap


class UntagResource(Shape):
    ResourceArn: ArnString
    TagKeys: Annotated[list[TagKey], Field(max_length=200)]


class ListTagsForResource(Shape):
    ResourceArn: ArnString


DescriptionString = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[a-zA-Z0-9-_. ()':,;?]+$")]
KmsKey = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class OutputConfigShape(Shape):
    S3Bucket: BucketName
    S3KeyPrefix: Annotated[str, StringConstraints(max_length=1024)] = ""


class Asset(Shape):
    GroundTruthManifest: GroundTruthManifestShape


class TrainingDataShape(Shape):
    Assets: list[Asset] | None = None


class TestingDataShape(Shape):
    Assets: list[Asset] | None = None
    AutoCreate: bool = False


class CreateProjectVersion(Shape):
    ProjectArn: ArnString
    VersionName: Name
    OutputConfig: OutputConfigShape
    TrainingData: TrainingDataShape | None = None
    TestingData: TestingDataShape | None = None
    Tags: TagMap | None = None
    KmsKeyId: KmsKey | None = None
    VersionDescription: DescriptionString | None = None
    FeatureConfig: dict | None = None  # type: ignore[type-arg]


class DescribeProjectVersions(Shape):
    ProjectArn: ArnString
    VersionNames: Annotated[list[Name], Field(min_length=1, max_length=10)] | None = None
    NextToken: Annotated[str, StringConstraints(max_length=1024)] | None = None
    MaxResults: Annotated[int, Field(ge=1, le=100)] = 100


class ProjectVersionArnOnly(Shape):
    ProjectVersionArn: ArnString


class StartProjectVersion(Shape):
    ProjectVersionArn: ArnString
    MinInferenceUnits: Annotated[int, Field(ge=1)]
    MaxInferenceUnits: Annotated[int, Field(ge=1)] | None = None


class CopyProjectVersion(Shape):
    SourceProjectArn: ArnString
    SourceProjectVersionArn: ArnString
    DestinationProjectArn: ArnString
    VersionName: Name
    OutputConfig: OutputConfigShape
    Tags: TagMap | None = None
    KmsKeyId: KmsKey | None = None


PolicyNameString = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[a-zA-Z0-9_.\-]+$")]
Revision = Annotated[str, StringConstraints(max_length=64, pattern=r"^[0-9A-Fa-f]+$")]


class PutProjectPolicy(Shape):
    ProjectArn: ArnString
    PolicyName: PolicyNameString
    PolicyRevisionId: Revision | None = None
    PolicyDocument: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"^[\t\n\r\x20-\xFF]+$")]


class ListProjectPolicies(Shape):
    ProjectArn: ArnString
    NextToken: Annotated[str, StringConstraints(max_length=1024)] | None = None
    MaxResults: Annotated[int, Field(ge=1, le=5)] = 5


class DeleteProjectPolicy(Shape):
    ProjectArn: ArnString
    PolicyName: PolicyNameString
    PolicyRevisionId: Revision | None = None


class ImageShape(Shape):
    Bytes: Blob | None = None
    S3Object: S3Location | None = None


class DetectCustomLabels(Shape):
    ProjectVersionArn: ArnString
    Image: ImageShape
    MaxResults: Annotated[int, Field(ge=0)] | None = None
    MinConfidence: Annotated[float, Field(ge=0, le=100)] | None = None
