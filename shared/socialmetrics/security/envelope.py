"""Envelope encryption of platform tokens: a data key per account, wrapped by a key provider.

A :class:`KeyProvider` makes and unwraps 256-bit data keys bound to an *encryption context*
(``{user_id, platform_id, platform_user_id}`` for an account). The KMS provider uses
``GenerateDataKey`` (AES_256) / ``Decrypt`` / ``ReEncrypt`` through the configured AWS endpoint;
the local provider wraps data keys with ``LOCAL_MASTER_KEY`` (AES-256-GCM) for tests and laptops.

Tokens are sealed with AES-256-GCM under the data key, with the same context as associated
data. A sealed value is ``version (1 byte) | key-id length (1 byte) | key id | nonce (12) |
ciphertext+tag``; the version byte is authenticated too, so a value cannot be replayed under
another account's context or downgraded to another format. Plaintexts leave this module only
as :class:`pydantic.SecretStr`, whose ``repr`` and ``str`` are masked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from socialmetrics.config import Settings, get_settings

FORMAT_VERSION = 1
NONCE_BYTES = 12
Context = Mapping[str, str]


class EnvelopeError(RuntimeError):
    """A value could not be sealed or opened (wrong context, tampering, unknown key).

    ``permanent`` says retrying cannot help: the ciphertext does not match its key or context,
    or the key is gone or disabled. A throttled or unreachable KMS is not permanent.
    """

    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent


# KMS error codes that no retry can fix (the other codes — throttling, KMSInternalException,
# DependencyTimeoutException, connection errors — are worth retrying).
PERMANENT_KMS_ERRORS = frozenset(
    {
        "InvalidCiphertextException",
        "IncorrectKeyException",
        "NotFoundException",
        "DisabledException",
        "KMSInvalidStateException",
        "InvalidKeyUsageException",
    }
)


class KeyServiceUnavailable(EnvelopeError):
    """KMS did not answer within the time budget or could not be reached (always retriable)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=False)


def _kms_error(action: str, exc: Exception) -> EnvelopeError:
    from socialmetrics.aws import unreachable

    if unreachable(exc):  # timeouts and connection errors carry no ``response``
        return KeyServiceUnavailable(f"KMS {action} failed: {type(exc).__name__}")
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, Mapping) else None
    code = str(error.get("Code", "")) if isinstance(error, Mapping) else ""
    return EnvelopeError(
        f"KMS {action} failed: {code or type(exc).__name__}",
        permanent=code in PERMANENT_KMS_ERRORS,
    )


def canonical_context(context: Context) -> bytes:
    """The associated data for a context: sorted, compact JSON of string values."""
    return json.dumps({k: str(v) for k, v in context.items()}, sort_keys=True).encode()


class KeyProvider(Protocol):
    """Makes data keys and unwraps them; never sees a token."""

    name: str

    def generate_data_key(self, context: Context) -> tuple[bytes, bytes, str]:
        """Return ``(plaintext key, wrapped key, key id)``."""
        ...

    def decrypt_data_key(self, wrapped: bytes, context: Context) -> bytes: ...

    def rewrap(self, wrapped: bytes, context: Context, target_key: str) -> tuple[bytes, str]:
        """Wrap the same data key under ``target_key`` without revealing it to the caller."""
        ...


class KmsKeyProvider:
    name = "kms"

    def __init__(self, key_alias: str, kms: Any | None = None) -> None:
        self.key_alias = key_alias
        self._kms = kms

    @property
    def kms(self) -> Any:
        if self._kms is None:
            from socialmetrics.aws import client

            self._kms = client("kms")
        return self._kms

    def generate_data_key(self, context: Context) -> tuple[bytes, bytes, str]:
        try:
            reply = self.kms.generate_data_key(
                KeyId=self.key_alias, KeySpec="AES_256", EncryptionContext=dict(context)
            )
        except Exception as exc:
            raise _kms_error("GenerateDataKey", exc) from None
        return bytes(reply["Plaintext"]), bytes(reply["CiphertextBlob"]), str(reply["KeyId"])

    def decrypt_data_key(self, wrapped: bytes, context: Context) -> bytes:
        try:
            reply = self.kms.decrypt(CiphertextBlob=wrapped, EncryptionContext=dict(context))
        except Exception as exc:
            raise _kms_error("Decrypt", exc) from None
        return bytes(reply["Plaintext"])

    def rewrap(self, wrapped: bytes, context: Context, target_key: str) -> tuple[bytes, str]:
        try:
            reply = self.kms.re_encrypt(
                CiphertextBlob=wrapped,
                SourceEncryptionContext=dict(context),
                DestinationKeyId=target_key,
                DestinationEncryptionContext=dict(context),
            )
        except Exception as exc:
            raise _kms_error("ReEncrypt", exc) from None
        return bytes(reply["CiphertextBlob"]), str(reply["KeyId"])


class LocalKeyProvider:
    """Wraps data keys with a local 32-byte master key (development and tests only)."""

    name = "local"

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise EnvelopeError("LOCAL_MASTER_KEY must be 32 bytes (base64-encoded)")
        self._aead = AESGCM(master_key)
        self.key_id = "local:" + hashlib.sha256(master_key).hexdigest()[:16]

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalKeyProvider:
        try:
            raw = base64.b64decode(settings.local_master_key.get_secret_value(), validate=True)
        except ValueError:
            raise EnvelopeError("LOCAL_MASTER_KEY is not valid base64") from None
        return cls(raw)

    def generate_data_key(self, context: Context) -> tuple[bytes, bytes, str]:
        key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(NONCE_BYTES)
        return key, nonce + self._aead.encrypt(nonce, key, canonical_context(context)), self.key_id

    def decrypt_data_key(self, wrapped: bytes, context: Context) -> bytes:
        try:
            return self._aead.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], canonical_context(context)
            )
        except (InvalidTag, ValueError):
            raise EnvelopeError("data key could not be unwrapped") from None

    def rewrap(self, wrapped: bytes, context: Context, target_key: str) -> tuple[bytes, str]:
        if target_key != self.key_id:
            raise EnvelopeError("the local key provider can only re-wrap under its own key")
        key = self.decrypt_data_key(wrapped, context)
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, key, canonical_context(context)), self.key_id


def provider_from_settings(settings: Settings | None = None) -> KeyProvider:
    settings = settings or get_settings()
    if settings.token_key_provider == "local":  # noqa: S105
        return LocalKeyProvider.from_settings(settings)
    return KmsKeyProvider(settings.kms_key_alias)


_default: KeyProvider | None = None


def default_provider() -> KeyProvider:
    """The process-wide provider chosen by ``TOKEN_KEY_PROVIDER`` (built once)."""
    global _default
    if _default is None:
        _default = provider_from_settings()
    return _default


def reset_default_provider() -> None:
    global _default
    _default = None


# --- sealing values under a data key ---------------------------------------------------------


def _aad(context: Context) -> bytes:
    return bytes([FORMAT_VERSION]) + canonical_context(context)


def seal(data_key: bytes, key_id: str, plaintext: str, context: Context) -> bytes:
    kid = key_id.encode()[:255]
    nonce = os.urandom(NONCE_BYTES)
    body = AESGCM(data_key).encrypt(nonce, plaintext.encode(), _aad(context))
    return bytes([FORMAT_VERSION, len(kid)]) + kid + nonce + body


@dataclass(frozen=True, slots=True)
class SealedHeader:
    version: int
    key_id: str
    offset: int


def read_header(sealed: bytes) -> SealedHeader:
    if len(sealed) < 2 + NONCE_BYTES + 16:
        raise EnvelopeError("sealed value is truncated")
    version, kid_len = sealed[0], sealed[1]
    if version != FORMAT_VERSION:
        raise EnvelopeError(f"unsupported ciphertext version {version}")
    if len(sealed) < 2 + kid_len + NONCE_BYTES + 16:
        raise EnvelopeError("sealed value is truncated")
    return SealedHeader(version, sealed[2 : 2 + kid_len].decode(errors="replace"), 2 + kid_len)


def open_sealed(data_key: bytes, sealed: bytes, context: Context) -> SecretStr:
    header = read_header(sealed)
    nonce = sealed[header.offset : header.offset + NONCE_BYTES]
    try:
        plain = AESGCM(data_key).decrypt(
            nonce, sealed[header.offset + NONCE_BYTES :], _aad(context)
        )
    except InvalidTag:
        raise EnvelopeError(
            "ciphertext failed authentication (tampered or wrong context)"
        ) from None
    return SecretStr(plain.decode())


def relabel(sealed: bytes, key_id: str) -> bytes:
    """The same sealed value with its header naming ``key_id`` (after a re-wrap)."""
    header = read_header(sealed)
    kid = key_id.encode()[:255]
    return bytes([header.version, len(kid)]) + kid + sealed[header.offset :]


# --- self-contained blobs (platform app credentials) ------------------------------------------


def seal_blob(provider: KeyProvider, plaintext: str, context: Context) -> bytes:
    """A fresh data key and the sealed value: ``len(wrapped) (2 bytes) | wrapped | sealed``."""
    key, wrapped, key_id = provider.generate_data_key(context)
    return len(wrapped).to_bytes(2, "big") + wrapped + seal(key, key_id, plaintext, context)


def _split_blob(blob: bytes) -> tuple[bytes, bytes]:
    if len(blob) < 2:
        raise EnvelopeError("sealed blob is truncated")
    size = int.from_bytes(blob[:2], "big")
    return blob[2 : 2 + size], blob[2 + size :]


def open_blob(provider: KeyProvider, blob: bytes, context: Context) -> SecretStr:
    wrapped, sealed = _split_blob(blob)
    return open_sealed(provider.decrypt_data_key(wrapped, context), sealed, context)


def rewrap_blob(provider: KeyProvider, blob: bytes, context: Context, target_key: str) -> bytes:
    wrapped, sealed = _split_blob(blob)
    new_wrapped, key_id = provider.rewrap(wrapped, context, target_key)
    return len(new_wrapped).to_bytes(2, "big") + new_wrapped + relabel(sealed, key_id)
