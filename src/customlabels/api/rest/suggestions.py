"""/projects/{project}/suggestions: a running model's guesses for unlabeled training images."""

from fastapi import APIRouter

from customlabels.api.rest import schemas
from customlabels.api.rest.deps import ContextDep
from customlabels.service import suggestions
from customlabels.service.names import project_arn, version_arn

router = APIRouter(prefix="/projects/{project}/suggestions", tags=["suggestions"])


@router.post("")
def suggest(ctx: ContextDep, project: str, body: schemas.SuggestRequest) -> schemas.Changed:
    """Runs the model over unlabeled TRAIN images that have no suggestion yet (up to limit)."""
    made = suggestions.suggest(ctx, project_arn=project_arn(ctx, project), version_arn=version_arn(ctx, project, body.model), limit=body.limit)
    return schemas.Changed(changed=made)


@router.get("")
def list_suggestions(ctx: ContextDep, project: str, page_size: int = 24, page_token: str | None = None) -> schemas.SuggestionPage:
    """Suggestions for images still unlabeled, most uncertain first."""
    arn = project_arn(ctx, project)
    page = suggestions.list_suggestions(ctx, project_arn=arn, page_size=page_size, token=page_token)
    waiting, without = suggestions.pending_count(ctx, project_arn=arn)
    return schemas.SuggestionPage(
        suggestions=[schemas.Suggestion.of(s) for s in page.items],
        waiting=waiting,
        unlabeled_without_suggestion=without,
        next_page_token=page.next_token,
    )


@router.post("/accept")
def accept(ctx: ContextDep, project: str, body: schemas.Accept) -> schemas.Entry:
    """Labels the image as the model suggested, or with the labels given (a correction)."""
    saved = suggestions.accept(ctx, project_arn=project_arn(ctx, project), source_ref=body.source_ref, labels=body.labels)
    return schemas.Entry.of(saved)
