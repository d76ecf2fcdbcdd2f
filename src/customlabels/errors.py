"""Domain errors. They carry no HTTP: each face maps them (api/aws/errors.py)."""


class CustomLabelsError(Exception):
    """Base of every error a user can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidParameter(CustomLabelsError):
    pass


class ResourceNotFound(CustomLabelsError):
    pass


class ResourceInUse(CustomLabelsError):
    pass


class ResourceAlreadyExists(CustomLabelsError):
    pass


class ResourceNotReady(CustomLabelsError):
    pass


class LimitExceeded(CustomLabelsError):
    pass


class ServiceQuotaExceeded(CustomLabelsError):
    pass


class InvalidPaginationToken(CustomLabelsError):
    pass


class InvalidS3Object(CustomLabelsError):
    pass


class InvalidImageFormat(CustomLabelsError):
    pass


class ImageTooLarge(CustomLabelsError):
    pass


class InvalidPolicyRevisionId(CustomLabelsError):
    pass


class MalformedPolicyDocument(CustomLabelsError):
    pass


class ProvisionedThroughputExceeded(CustomLabelsError):
    pass


class Throttling(CustomLabelsError):
    pass
