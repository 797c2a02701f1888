"""The provider error tree the collector maps to queue actions.

``ProviderError``
├── ``AuthExpired``        token dead or expired (Meta 190, X 401, TikTok access_token_invalid)
├── ``PermissionDenied``   scope or role missing (Meta 10/200-299, X 403, TikTok scope errors)
├── ``RateLimited``        over a quota; ``reset_at`` says when to come back
├── ``MetricUnavailable``  the platform refuses a metric name (Meta #100 invalid metric)
├── ``NotFound``           the object does not exist (any more)
├── ``RefreshUnsupported`` the platform's tokens cannot be refreshed (WhatsApp system users)
├── ``BudgetExhausted``    this invocation's call budget is spent: checkpoint, resume next time
└── ``Transient``          5xx, timeouts, connection errors: retried, then surfaced
    └── ``MalformedResponse``  the body is not the JSON the platform documents

Messages never carry secrets: :func:`scrub` removes the tokens and client secrets of the call
(and anything that looks like one) before an error is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

MASK = "***"
_LOOKS_SECRET = re.compile(
    r"(?i)\b((?:access|refresh|input|fb_exchange)_token|client_secret|code_verifier)=([^\s&\"']+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every known secret value and every ``token=…`` parameter masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    text = _LOOKS_SECRET.sub(lambda m: f"{m.group(1)}={MASK}", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)


class ProviderError(Exception):
    """A platform call failed; ``status``/``code`` are the provider's, never a secret."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        platform: str = "",
        status: int | None = None,
        code: str | int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.platform = platform
        self.status = status
        self.code = code

    def __str__(self) -> str:
        where = f"{self.platform}: " if self.platform else ""
        detail = f" (status={self.status}, code={self.code})" if self.status or self.code else ""
        return f"{where}{self.message}{detail}"


class AuthExpired(ProviderError):
    """The token is expired, revoked or invalid: the account needs a refresh or re-auth."""


class PermissionDenied(ProviderError):
    """The token lacks a scope, role or asset grant for this call."""


class RateLimited(ProviderError):
    """Over a quota. Come back at ``reset_at`` (UTC)."""

    def __init__(self, message: str, *, reset_at: datetime, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.reset_at = reset_at


class MetricUnavailable(ProviderError):
    """The platform refuses these metric names (invalid for this version or object)."""

    def __init__(self, message: str, *, metrics: Iterable[str] = (), **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.metrics = list(metrics)


class NotFound(ProviderError):
    """The object (account, post, video) does not exist or is not visible."""


class RefreshUnsupported(ProviderError):
    """This platform's tokens do not refresh (e.g. WhatsApp system-user tokens)."""


class BudgetExhausted(ProviderError):
    """The invocation's call budget (``COLLECT_CALL_BUDGET``) is spent: the part stops at its
    checkpoint and the next invocation resumes there."""


class Transient(ProviderError):
    """A failure worth retrying later: 5xx, timeout, connection error."""

    retryable = True


class MalformedResponse(Transient):
    """The response is not the JSON shape the platform documents."""
