"""Human tables by default, JSON for scripts, errors on stderr with a non-zero exit code."""

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from customlabels.errors import CustomLabelsError


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.console = Console(soft_wrap=True)

    def table(self, rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str | None = None) -> None:
        if self.as_json:
            self.json(list(rows))
            return
        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(_text(row.get(column)) for column in columns))
        self.console.print(table)

    def record(self, value: Any, human: Callable[[], None] | None = None) -> None:
        if self.as_json or human is None:
            self.json(value)
        else:
            human()

    def json(self, value: Any) -> None:
        click.echo(json.dumps(_plain(value), indent=2, default=str))

    def say(self, text: str) -> None:
        if not self.as_json:
            self.console.print(text)


@contextmanager
def user_errors() -> Iterator[None]:
    """Domain errors become one line on stderr and exit code 1, never a traceback."""
    try:
        yield
    except (CustomLabelsError, ValueError, FileNotFoundError) as error:
        click.echo(f"Error: {getattr(error, 'message', None) or error}", err=True)
        sys.exit(1)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)
