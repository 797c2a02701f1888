"""Secrets logged through the logger come out redacted."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from socialmetrics.logging import MASK, bind_correlation_id, logger, redact

PLANTED = "EAAplantedSecretToken0123456789"


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """The production handler's stream, swapped for a buffer."""
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_planted_secrets_are_redacted_everywhere(
    output: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    bind_correlation_id("corr-123")
    logger.info(
        f"calling graph with access_token={PLANTED} and Authorization: Bearer {PLANTED}",
        extra={
            "access_token": PLANTED,
            "headers": {"Authorization": f"Bearer {PLANTED}", "X-Hub-Signature-256": "sha256=ab"},
            "api_key": "sm_live_abcdefghijklmnop",
            "nested": [{"refresh_token": PLANTED}],
            "note": f"token is {PLANTED}",
        },
    )
    out = output.getvalue()
    assert PLANTED not in out
    assert PLANTED not in caplog.text  # every other handler sees the redacted record too
    assert "sm_live_abcdefghijklmnop" not in out
    record = json.loads(out.strip().splitlines()[-1])
    assert record["correlation_id"] == "corr-123"
    assert record["access_token"] == MASK
    assert record["headers"]["Authorization"] == MASK


def test_redact_keeps_harmless_fields() -> None:
    assert redact({"token_type": "bearer", "expires_in": 3600, "platform": "X"}) == {
        "token_type": "bearer",
        "expires_in": 3600,
        "platform": "X",
    }


def test_signature_in_free_text_is_masked() -> None:
    assert "deadbeef" not in redact("got sha256=deadbeefdeadbeefdeadbeefdeadbeef")
