"""One function per AWS operation: a validated request in, the AWS-shaped response out."""

from collections.abc import Callable
from typing import Any

from customlabels.api.aws import shapes
from customlabels.api.aws.operations import datasets, detection, policies, projects, tags, versions
from customlabels.api.aws.render import Response
from customlabels.service.context import Context

Operation = tuple[type[shapes.Shape], Callable[[Context, Any], Response]]

OPERATIONS: dict[str, Operation] = {
    "CreateProject": (shapes.CreateProject, projects.create_project),
    "DescribeProjects": (shapes.DescribeProjects, projects.describe_projects),
    "DeleteProject": (shapes.ProjectArnOnly, projects.delete_project),
    "CreateDataset": (shapes.CreateDataset, datasets.create_dataset),
    "DescribeDataset": (shapes.DatasetArnOnly, datasets.describe_dataset),
    "DeleteDataset": (shapes.DatasetArnOnly, datasets.delete_dataset),
    "ListDatasetEntries": (shapes.ListDatasetEntries, datasets.list_dataset_entries),
    "ListDatasetLabels": (shapes.ListDatasetLabels, datasets.list_dataset_labels),
    "UpdateDatasetEntries": (shapes.UpdateDatasetEntries, datasets.update_dataset_entries),
    "DistributeDatasetEntries": (shapes.DistributeDatasetEntries, datasets.distribute_dataset_entries),
    "CreateProjectVersion": (shapes.CreateProjectVersion, versions.create_project_version),
    "DescribeProjectVersions": (shapes.DescribeProjectVersions, versions.describe_project_versions),
    "DeleteProjectVersion": (shapes.ProjectVersionArnOnly, versions.delete_project_version),
    "StartProjectVersion": (shapes.StartProjectVersion, versions.start_project_version),
    "StopProjectVersion": (shapes.ProjectVersionArnOnly, versions.stop_project_version),
    "CopyProjectVersion": (shapes.CopyProjectVersion, versions.copy_project_version),
    "DetectCustomLabels": (shapes.DetectCustomLabels, detection.detect),
    "PutProjectPolicy": (shapes.PutProjectPolicy, policies.put_project_policy),
    "ListProjectPolicies": (shapes.ListProjectPolicies, policies.list_project_policies),
    "DeleteProjectPolicy": (shapes.DeleteProjectPolicy, policies.delete_project_policy),
    "TagResource": (shapes.TagResource, tags.tag_resource),
    "UntagResource": (shapes.UntagResource, tags.untag_resource),
    "ListTagsForResource": (shapes.ListTagsForResource, tags.list_tags_for_resource),
}
