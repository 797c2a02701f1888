"""Domain errors: each carries its HTTP status and renders as RFC 9457 problem+json in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    title: str = "Bad request"
    slug: str = "bad-request"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra

    @property
    def type_uri(self) -> str:
        return f"https://socialmetrics.dev/problems/{self.slug}"


class BadRequest(DomainError):
    """A request that could not be parsed at all (e.g. a body that is not JSON)."""


class InvalidInput(DomainError):
    status, title, slug = 422, "Invalid input", "invalid-input"


class Unauthorized(DomainError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(DomainError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(DomainError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(DomainError):
    status, title, slug = 409, "Conflict", "conflict"


class PayloadTooLarge(DomainError):
    status, title, slug = 413, "Payload too large", "payload-too-large"


class Throttled(DomainError):
    status, title, slug = 429, "Too many requests", "throttled"

    def __init__(self, detail: str | None = None, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailable(DomainError):
    status, title, slug = 503, "Service unavailable", "service-unavailable"
    retry_after = 5  # seconds (the ``Retry-After`` header): long enough for a blip to pass


class DependencyUnavailable(ServiceUnavailable):
    """A dependency (AWS, a platform API) did not answer within its time budget or could not
    be reached. Retrying later can succeed: the API answers 503, workers retry the message."""

    title, slug = "Dependency unavailable", "dependency-unavailable"
