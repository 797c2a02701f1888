"""JSON logging through Powertools' Logger, with secrets redacted before anything is written.

Every record passes through :class:`RedactingFormatter`: values of sensitive keys (tokens,
``Authorization``, API keys, signatures, secrets) are masked wherever they appear in the
structured fields, and bearer tokens, API keys and ``key=value`` secrets inside free text are
masked too. Handlers attach a correlation id per invocation with ``inject_lambda_context``
(the API Gateway request id) or :func:`bind_correlation_id` (the SQS message id, per record).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import PowertoolsLogRecord

MASK = "***REDACTED***"
_SENSITIVE_KEY = re.compile(
    r"(token|authorization|api[_-]?key|secret|signature|password|passwd|cookie|"
    r"client[_-]?secret|refresh|credential|private[_-]?key|hub\.verify)",
    re.IGNORECASE,
)
_SAFE_KEYS = frozenset({"token_type", "token_status", "expires_in", "key_version", "tokens"})
_TEXT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), r"\1 " + MASK),
    (re.compile(r"\bsm_(live|test)_[A-Za-z0-9_-]{8,}"), MASK),
    (re.compile(r"\b(act|rft)\.[A-Za-z0-9._-]{8,}"), MASK),
    (re.compile(r"\bEAA[A-Za-z0-9]{16,}"), MASK),
    (re.compile(r"\bsha(1|256)=[A-Fa-f0-9+/=]{16,}"), "sha\\1=" + MASK),
    (
        re.compile(
            r"(?i)\b((?:access|refresh)_token|api_key|client_secret|secret|signature|password)"
            r"(\s*[=:]\s*)([^\s&,;\"']+)"
        ),
        r"\1\2" + MASK,
    ),
)


def redact_text(text: str) -> str:
    for pattern, replacement in _TEXT_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any, key: str | None = None) -> Any:
    """Return ``value`` with secrets masked; mappings and sequences are walked recursively."""
    if key is not None and key.lower() not in _SAFE_KEYS and _SENSITIVE_KEY.search(key):
        return MASK if value not in (None, "") else value
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Masks secrets in the message and in every ``extra`` field before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args or isinstance(record.msg, str):
            record.msg = redact_text(record.getMessage())
            record.args = ()
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS:
                setattr(record, key, redact(value, key))
        return True


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter, with every field passed through :func:`redact`."""

    def serialize(self, log: dict[str, Any] | PowertoolsLogRecord) -> str:
        return super().serialize(redact(dict(log)))


# The service name is the function's (``POWERTOOLS_SERVICE_NAME``, set per function by the stack).
logger = Logger(logger_formatter=RedactingFormatter(), utc=True)
logger.addFilter(RedactingFilter())
logging.getLogger("botocore").setLevel(logging.WARNING)
logging.getLogger("httpx").setLevel(logging.WARNING)


def bind_correlation_id(correlation_id: str | None) -> None:
    """Attach a correlation id to every following record of this invocation."""
    logger.set_correlation_id(correlation_id)
