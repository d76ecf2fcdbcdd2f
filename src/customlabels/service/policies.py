"""Project policies: who may copy a project's models (PutProjectPolicy, ListProjectPolicies, DeleteProjectPolicy)."""

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from customlabels.errors import (
    InvalidParameter,
    InvalidPolicyRevisionId,
    MalformedPolicyDocument,
    ResourceAlreadyExists,
    ResourceNotFound,
    ServiceQuotaExceeded,
)
from customlabels.service.context import Context
from customlabels.service.lookup import project_by_arn
from customlabels.service.pagination import Page, decode_token, page_of, query_key
from customlabels.store.tables import ProjectPolicy

MAX_POLICIES = 5
ALLOWED_ACTION = "rekognition:CopyProjectVersion"
_NAME = re.compile(r"^[a-zA-Z0-9_.\-]{1,128}$")


@dataclass(frozen=True)
class Policy:
    project_arn: str
    name: str
    revision_id: str
    document: str
    created_at: float
    updated_at: float


def put_policy(ctx: Context, *, project_arn: str, name: str, document: str, revision_id: str | None = None) -> str:
    if not _NAME.match(name):
        raise InvalidParameter("PolicyName must be 1-128 characters from a-z, A-Z, 0-9, '_', '.' and '-'.")
    check_document(document)
    now = ctx.clock()
    with ctx.db.session() as session:
        project = project_by_arn(session, project_arn)
        policy = session.scalar(select(ProjectPolicy).where(ProjectPolicy.project_id == project.id, ProjectPolicy.name == name))
        new_revision = secrets.token_hex(16)
        if policy is None:
            if revision_id is not None:
                raise InvalidPolicyRevisionId(f"The project has no policy named {name}; create it without a PolicyRevisionId.")
            count = session.scalar(select(func.count()).where(ProjectPolicy.project_id == project.id)) or 0
            if count >= MAX_POLICIES:
                raise ServiceQuotaExceeded(f"A project can have at most {MAX_POLICIES} policies.")
            session.add(ProjectPolicy(project_id=project.id, name=name, revision_id=new_revision, document=document, created_at=now, updated_at=now))
            return new_revision
        if revision_id is None:
            raise ResourceAlreadyExists(f"The policy {name} exists; pass its PolicyRevisionId to update it.")
        if revision_id != policy.revision_id:
            raise InvalidPolicyRevisionId(f"The revision {revision_id} is not the current revision of the policy {name}.")
        policy.revision_id, policy.document, policy.updated_at = new_revision, document, now
        return new_revision


def list_policies(ctx: Context, *, project_arn: str, max_results: int = 5, next_token: str | None = None) -> Page[Policy]:
    key = query_key("policies", project_arn)
    after = decode_token(next_token, key)
    with ctx.db.session() as session:
        project = project_by_arn(session, project_arn)
        query = select(ProjectPolicy).where(ProjectPolicy.project_id == project.id)
        if after is not None:
            query = query.where(ProjectPolicy.name > after)
        rows = session.scalars(query.order_by(ProjectPolicy.name).limit(max_results + 1)).all()
        page = page_of(rows, max_results, lambda row: row.name, key)
        return Page(
            [Policy(project.arn, p.name, p.revision_id, p.document, p.created_at, p.updated_at) for p in page.items],
            page.next_token,
        )


def delete_policy(ctx: Context, *, project_arn: str, name: str, revision_id: str | None = None) -> None:
    with ctx.db.session() as session:
        project = project_by_arn(session, project_arn)
        policy = session.scalar(select(ProjectPolicy).where(ProjectPolicy.project_id == project.id, ProjectPolicy.name == name))
        if policy is None:
            raise ResourceNotFound(f"The project has no policy named {name}.")
        if revision_id is not None and revision_id != policy.revision_id:
            raise InvalidPolicyRevisionId(f"The revision {revision_id} is not the current revision of the policy {name}.")
        session.delete(policy)


def check_document(document: str) -> None:
    """An IAM-style policy whose statements only allow rekognition:CopyProjectVersion."""
    try:
        policy = json.loads(document)
    except ValueError as error:
        raise MalformedPolicyDocument(f"The policy document is not valid JSON: {error}") from error
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise MalformedPolicyDocument("The policy document needs a Statement (one statement or a list of them).")
    for statement in statements:
        _check_statement(statement)


def _check_statement(statement: Any) -> None:
    if not isinstance(statement, dict):
        raise MalformedPolicyDocument("Each statement must be a JSON object.")
    forbidden = [key for key in ("NotAction", "NotResource", "NotPrincipal") if key in statement]
    if forbidden:
        raise MalformedPolicyDocument(f"{forbidden[0]} is not allowed in a project policy.")
    missing = [key for key in ("Effect", "Principal", "Action", "Resource") if key not in statement]
    if missing:
        raise MalformedPolicyDocument(f"Each statement needs Effect, Principal, Action and Resource; {', '.join(missing)} missing.")
    if statement["Effect"] not in ("Allow", "Deny"):
        raise MalformedPolicyDocument("Effect must be Allow or Deny.")
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    if any(action != ALLOWED_ACTION for action in actions):
        raise MalformedPolicyDocument(f"The only action a project policy can name is {ALLOWED_ACTION}.")
