"""Domain errors and request problems as AWS error responses: one table."""

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from customlabels import errors

AWS_ERRORS: dict[type[errors.CustomLabelsError], tuple[str, int]] = {
    errors.InvalidParameter: ("InvalidParameterException", 400),
    errors.ResourceNotFound: ("ResourceNotFoundException", 400),
    errors.ResourceInUse: ("ResourceInUseException", 400),
    errors.ResourceAlreadyExists: ("ResourceAlreadyExistsException", 400),
    errors.ResourceNotReady: ("ResourceNotReadyException", 400),
    errors.LimitExceeded: ("LimitExceededException", 400),
    errors.ServiceQuotaExceeded: ("ServiceQuotaExceededException", 400),
    errors.InvalidPaginationToken: ("InvalidPaginationTokenException", 400),
    errors.InvalidS3Object: ("InvalidS3ObjectException", 400),
    errors.InvalidImageFormat: ("InvalidImageFormatException", 400),
    errors.ImageTooLarge: ("ImageTooLargeException", 400),
    errors.InvalidPolicyRevisionId: ("InvalidPolicyRevisionIdException", 400),
    errors.MalformedPolicyDocument: ("MalformedPolicyDocumentException", 400),
    errors.ProvisionedThroughputExceeded: ("ProvisionedThroughputExceededException", 400),
    errors.Throttling: ("ThrottlingException", 400),
}


def aws_error(error: errors.CustomLabelsError) -> tuple[str, int]:
    for cls in type(error).__mro__:
        if cls in AWS_ERRORS:
            return AWS_ERRORS[cls]
    return "InternalServerError", 500


def validation_message(error: ValidationError) -> str:
    """AWS's wording: '1 validation error detected: Value 'x' at 'projectName' failed to satisfy constraint: ...'."""
    problems = [_problem(detail) for detail in error.errors()]
    count = len(problems)
    return f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems)


def _problem(detail: ErrorDetails) -> str:
    location = ".".join(_camel(part) for part in detail["loc"])
    value = detail.get("input")
    ctx = detail.get("ctx", {})
    constraint = {
        "missing": "Member must not be null",
        "string_too_long": f"Member must have length less than or equal to {ctx.get('max_length')}",
        "string_too_short": f"Member must have length greater than or equal to {ctx.get('min_length')}",
        "string_pattern_mismatch": f"Member must satisfy regular expression pattern: {ctx.get('pattern')}",
        "less_than_equal": f"Member must have value less than or equal to {ctx.get('le')}",
        "greater_than_equal": f"Member must have value greater than or equal to {ctx.get('ge')}",
        "too_long": f"Member must have length less than or equal to {ctx.get('max_length')}",
        "too_short": f"Member must have length greater than or equal to {ctx.get('min_length')}",
        "literal_error": f"Member must satisfy enum value set: [{ctx.get('expected', '')}]",
    }.get(detail["type"], f"Member {detail['msg'][0].lower()}{detail['msg'][1:]}")
    shown = "null" if detail["type"] == "missing" else value
    return f"Value '{shown}' at '{location}' failed to satisfy constraint: {constraint}"


def _camel(part: object) -> str:
    text = str(part)
    return text[:1].lower() + text[1:]
