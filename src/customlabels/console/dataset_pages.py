"""A dataset's images as a grid (filters, paging, selection) and the labeling tool for one image."""

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from customlabels.console.rendering import Pages
from customlabels.service import datasets, gallery, vocabulary
from customlabels.service.datasets import EntryFilter
from customlabels.service.names import dataset_arn, dataset_type, project_arn

PAGE_SIZE = 60
SHOWS = {"all": (None, None), "labeled": (True, None), "unlabeled": (False, None), "errors": (None, True)}


@dataclass(frozen=True)
class GridQuery:
    """The grid's filters as the page's query string carries them (and passes on to the labeling tool)."""

    label: str = ""
    show: str = "all"
    text: str = ""

    @property
    def filters(self) -> EntryFilter:
        labeled, errors = SHOWS.get(self.show, (None, None))
        return EntryFilter(contains_labels=(self.label,) if self.label else (), labeled=labeled, has_errors=errors, source_ref_contains=self.text or None)

    def query(self, **more: str) -> str:
        values = {"label": self.label, "show": self.show if self.show != "all" else "", "text": self.text, **more}
        return urlencode({k: v for k, v in values.items() if v})


def routes(pages: Pages) -> APIRouter:
    router = APIRouter()
    ctx = pages.ctx

    @router.get("/projects/{project}/datasets/{kind}")
    def grid(request: Request, project: str, kind: str, label: str = "", show: str = "all", text: str = "", page: str | None = None) -> Response:
        pages.session(request)
        arn = dataset_arn(ctx, project, kind)
        wanted = GridQuery(label, show if show in SHOWS else "all", text.strip())
        description = datasets.describe_dataset(ctx, arn=arn)
        ready = description.metadata.status not in ("CREATE_IN_PROGRESS", "CREATE_FAILED", "DELETE_IN_PROGRESS")
        found = gallery.browse(ctx, dataset_arn=arn, filters=wanted.filters, page_size=PAGE_SIZE, token=page) if ready else None
        return pages.render(
            request,
            "dataset.html",
            project=project,
            kind=dataset_type(kind).lower(),
            dataset=description,
            entries=found.items if found else [],
            next_page=found.next_token if found else None,
            first_page=page is not None,
            matching=gallery.count(ctx, dataset_arn=arn, filters=wanted.filters) if ready else 0,
            labels=vocabulary.project_labels(ctx, project_arn=project_arn(ctx, project)),
            wanted=wanted,
            shows=list(SHOWS),
        )

    @router.get("/projects/{project}/datasets/{kind}/label")
    def label_tool(request: Request, project: str, kind: str, ref: str, label: str = "", show: str = "all", text: str = "") -> Response:
        pages.session(request)
        arn = dataset_arn(ctx, project, kind)
        wanted = GridQuery(label, show if show in SHOWS else "all", text.strip())
        entry = gallery.get_entry(ctx, dataset_arn=arn, source_ref=ref)
        around = gallery.neighbours(ctx, dataset_arn=arn, source_ref=ref, filters=wanted.filters)
        return pages.render(
            request,
            "label.html",
            project=project,
            kind=dataset_type(kind).lower(),
            entry=entry,
            around=around,
            wanted=wanted,
            labels=[use.name for use in vocabulary.project_labels(ctx, project_arn=project_arn(ctx, project))],
            status=datasets.describe_dataset(ctx, arn=arn).metadata.status,
        )

    return router
