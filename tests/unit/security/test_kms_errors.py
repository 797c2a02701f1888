"""KMS failures are told apart: retrying helps with a throttled KMS, never with a wrong key."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from socialmetrics.security.envelope import KeyServiceUnavailable, _kms_error


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "Decrypt")


@pytest.mark.parametrize(
    "code", ["InvalidCiphertextException", "IncorrectKeyException", "DisabledException"]
)
def test_wrong_key_or_ciphertext_is_permanent(code: str) -> None:
    error = _kms_error("Decrypt", _client_error(code))
    assert error.permanent
    assert code in str(error)


@pytest.mark.parametrize("code", ["ThrottlingException", "KMSInternalException"])
def test_throttling_and_outages_are_retryable(code: str) -> None:
    assert not _kms_error("Decrypt", _client_error(code)).permanent


def test_an_unreachable_endpoint_is_retryable() -> None:
    error = _kms_error("Decrypt", EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert not error.permanent
    assert "EndpointConnectionError" in str(error)


@pytest.mark.parametrize(
    "exc",
    [
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
        ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"),
        ConnectionClosedError(endpoint_url="http://127.0.0.1:1"),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
    ],
    ids=type,
)
def test_timeouts_without_a_response_are_a_retriable_key_service_error(exc: Exception) -> None:
    assert getattr(exc, "response", None) is None  # what broke the old mapping
    error = _kms_error("GenerateDataKey", exc)
    assert isinstance(error, KeyServiceUnavailable)
    assert not error.permanent
    assert type(exc).__name__ in str(error)
