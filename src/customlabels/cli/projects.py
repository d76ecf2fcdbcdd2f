"""`customlabels projects`: create, list, delete."""

import click

from customlabels.cli.main import CliState, settings_options
from customlabels.cli.output import user_errors
from customlabels.service import projects as service


@click.group()
def projects() -> None:
    """Projects hold the datasets and models of one use case."""


@projects.command("create")
@click.argument("name")
@settings_options
@click.pass_obj
def create(state: CliState, name: str) -> None:
    """Create a project."""
    with user_errors():
        arn = service.create_project(state.context(), name=name)
    state.output.record({"ProjectArn": arn}, lambda: state.output.say(f"Created project {name}: {arn}"))


@projects.command("list")
@settings_options
@click.pass_obj
def list_(state: CliState) -> None:
    """List projects with their datasets."""
    with user_errors():
        found = _all(state)
    rows = [
        {
            "name": p.name,
            "status": p.status,
            "datasets": ", ".join(f"{d.dataset_type}: {d.status}" for d in p.datasets),
            "arn": p.arn,
        }
        for p in found
    ]
    state.output.table(rows, ["name", "status", "datasets", "arn"], title="Projects")


@projects.command("delete")
@click.argument("project")
@settings_options
@click.pass_obj
def delete(state: CliState, project: str) -> None:
    """Delete a project and its datasets (its models must be deleted first)."""
    with user_errors():
        arn = project_arn(state, project)
        status = service.delete_project(state.context(), arn=arn)
    state.output.record({"Status": status}, lambda: state.output.say(f"Deleted project {project}."))


def project_arn(state: CliState, name_or_arn: str) -> str:
    """A project named on the command line, by name or ARN."""
    from customlabels.errors import ResourceNotFound

    if name_or_arn.startswith("arn:"):
        return name_or_arn
    page = service.describe_projects(state.context(), names=[name_or_arn], features=list(service.FEATURES))
    if not page.items:
        raise ResourceNotFound(f"There is no project named {name_or_arn}.")
    return page.items[0].arn


def _all(state: CliState) -> list[service.ProjectDescription]:
    found, token = [], None
    while True:
        page = service.describe_projects(state.context(), features=list(service.FEATURES), next_token=token)
        found.extend(page.items)
        if not (token := page.next_token):
            return found
