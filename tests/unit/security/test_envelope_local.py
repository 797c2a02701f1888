"""Envelope encryption with the local provider: round trip, context binding, tampering."""

from __future__ import annotations

import base64
import os

import pytest

from socialmetrics.security import api_keys, envelope
from socialmetrics.security.envelope import EnvelopeError, LocalKeyProvider

CONTEXT = {"user_id": "1", "platform_id": "3", "platform_user_id": "123456789"}


def _provider() -> LocalKeyProvider:
    return LocalKeyProvider(os.urandom(32))


def test_sealed_value_round_trips_and_is_masked() -> None:
    provider = _provider()
    key, wrapped, key_id = provider.generate_data_key(CONTEXT)
    sealed = envelope.seal(key, key_id, "abc123xyz", CONTEXT)
    assert b"abc123xyz" not in sealed
    assert sealed[0] == envelope.FORMAT_VERSION
    assert envelope.read_header(sealed).key_id == key_id
    opened = envelope.open_sealed(provider.decrypt_data_key(wrapped, CONTEXT), sealed, CONTEXT)
    assert opened.get_secret_value() == "abc123xyz"
    assert "abc123xyz" not in repr(opened)
    assert "abc123xyz" not in str(opened)


def test_wrong_context_and_tampering_fail() -> None:
    provider = _provider()
    key, wrapped, key_id = provider.generate_data_key(CONTEXT)
    sealed = envelope.seal(key, key_id, "abc123xyz", CONTEXT)
    other = {**CONTEXT, "user_id": "2"}
    with pytest.raises(EnvelopeError):
        provider.decrypt_data_key(wrapped, other)
    with pytest.raises(EnvelopeError):
        envelope.open_sealed(key, sealed, other)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(EnvelopeError):
        envelope.open_sealed(key, tampered, CONTEXT)
    with pytest.raises(EnvelopeError):
        envelope.open_sealed(key, bytes([9]) + sealed[1:], CONTEXT)
    with pytest.raises(EnvelopeError):
        envelope.read_header(b"\x01")


def test_blob_round_trip_and_local_rewrap() -> None:
    provider = _provider()
    blob = envelope.seal_blob(provider, "app-secret", {"platform_id": "3"})
    assert (
        envelope.open_blob(provider, blob, {"platform_id": "3"}).get_secret_value() == "app-secret"
    )
    rewrapped = envelope.rewrap_blob(provider, blob, {"platform_id": "3"}, provider.key_id)
    assert rewrapped != blob
    assert (
        envelope.open_blob(provider, rewrapped, {"platform_id": "3"}).get_secret_value()
        == "app-secret"
    )
    with pytest.raises(EnvelopeError):
        provider.rewrap(b"x" * 40, {"platform_id": "3"}, "another")


def test_local_master_key_must_be_32_bytes() -> None:
    with pytest.raises(EnvelopeError):
        LocalKeyProvider(b"short")
    assert base64.b64decode(base64.b64encode(os.urandom(32)))


def test_api_keys_have_a_prefix_and_only_their_hash_is_kept() -> None:
    new = api_keys.generate(live=True)
    key = new.key.get_secret_value()
    assert key.startswith(new.prefix + "_")
    assert new.prefix.startswith("sm_live_")
    assert len(key) > 32 + len(new.prefix)
    assert api_keys.prefix_of(key) == new.prefix
    assert api_keys.hash_key(key) == new.key_hash
    assert len(new.key_hash) == 32
    assert api_keys.prefix_of("sm_live_short") is None
    assert key not in repr(new)
