"""KMS failures are told apart: retrying helps with a throttled KMS, never with a wrong key."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from socialmetrics.security.envelope import _kms_error


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
