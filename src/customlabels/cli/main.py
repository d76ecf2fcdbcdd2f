"""The `customlabels` command."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from customlabels.cli.output import Output


@dataclass
class CliState:
    overrides: dict[str, Any]
    output: Output
    _ctx: Any = field(default=None)

    def settings(self):  # type: ignore[no-untyped-def]
        from customlabels.config import Settings

        return Settings(**{k: v for k, v in self.overrides.items() if v is not None})

    def context(self):  # type: ignore[no-untyped-def]
        """The service, opened on first use, running asynchronous work inline so a command ends when its work does."""
        from customlabels.service.context import open_context

        if self._ctx is None:
            self._ctx = open_context(self.settings(), inline_jobs=True)
        return self._ctx

    def close(self) -> None:
        if self._ctx is not None:
            self._ctx.close()


def _remember(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(click_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        state = click_ctx.find_object(CliState)
        if state is not None and value not in (None, False):
            if name == "json":
                state.output.as_json = True
            else:
                state.overrides[name] = value
        return value

    return callback


def settings_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Where the data is: accepted before or after the command name (`customlabels serve --data-dir D`)."""
    options = [
        click.option("--data-dir", type=click.Path(path_type=Path), envvar="CUSTOMLABELS_DATA_DIR", callback=_remember("data_dir"), expose_value=False, help="Where metadata and local buckets live (default ./customlabels-data)."),
        click.option("--database-url", envvar="CUSTOMLABELS_DATABASE_URL", callback=_remember("database_url"), expose_value=False, help="SQLAlchemy URL of the metadata database (default: SQLite in the data folder)."),
        click.option("--s3-endpoint", envvar="CUSTOMLABELS_S3_ENDPOINT", callback=_remember("s3_endpoint"), expose_value=False, help="Use this S3-compatible store instead of local buckets."),
        click.option("--json", is_flag=True, callback=_remember("json"), expose_value=False, help="Print JSON for scripts."),
    ]
    for option in options:
        command = option(command)
    return command


@click.group()
@settings_options
@click.version_option(package_name="customlabels")
@click.pass_context
def cli(click_ctx: click.Context) -> None:
    """Train and serve custom image labels, with the Amazon Rekognition Custom Labels API."""
    if click_ctx.obj is None:
        click_ctx.obj = CliState({}, Output(False))
    click_ctx.call_on_close(click_ctx.obj.close)


def main() -> None:
    from customlabels.cli import datasets, models, projects, serve

    cli.add_command(serve.serve)
    cli.add_command(projects.projects)
    cli.add_command(datasets.datasets)
    cli.add_command(models.models)
    cli.add_command(models.detect)
    cli.add_command(models.export)
    cli(obj=CliState({}, Output(False)))
