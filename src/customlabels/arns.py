"""ARNs in AWS form: project, dataset and project version."""

import re
from dataclasses import dataclass

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_.\-]{1,255}$")
_ARN = re.compile(
    r"^arn:(?P<partition>[a-z\-]+):rekognition:(?P<region>[a-z0-9\-]+):(?P<account>\d{12}):"
    r"project/(?P<project>[a-zA-Z0-9_.\-]{1,255})/"
    r"(?:(?:dataset/(?P<dataset>train|test)/)|(?:version/(?P<version>[a-zA-Z0-9_.\-]{1,255})/))?"
    r"(?P<stamp>\d{1,20})$"
)


@dataclass(frozen=True)
class Arn:
    partition: str
    region: str
    account: str
    project: str
    stamp: str
    dataset_type: str | None = None
    version: str | None = None

    @property
    def kind(self) -> str:
        if self.dataset_type:
            return "dataset"
        return "version" if self.version else "project"


def parse_arn(text: str) -> Arn | None:
    match = _ARN.match(text)
    if not match:
        return None
    return Arn(
        partition=match["partition"],
        region=match["region"],
        account=match["account"],
        project=match["project"],
        stamp=match["stamp"],
        dataset_type=match["dataset"],
        version=match["version"],
    )


def project_arn(*, region: str, account: str, name: str, stamp: int) -> str:
    return f"arn:aws:rekognition:{region}:{account}:project/{name}/{stamp}"


def dataset_arn(*, project_arn: str, dataset_type: str, stamp: int) -> str:
    return f"{project_arn.rsplit('/', 1)[0]}/dataset/{dataset_type.lower()}/{stamp}"


def version_arn(*, project_arn: str, version_name: str, stamp: int) -> str:
    return f"{project_arn.rsplit('/', 1)[0]}/version/{version_name}/{stamp}"
