"""KMS envelope encryption against moto's server: context binding, tampering, rotation."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from socialmetrics.accounts import service as accounts
from socialmetrics.aws import client
from socialmetrics.compliance.audit import Actor
from socialmetrics.config import get_settings
from socialmetrics.db.engine import unit_of_work
from socialmetrics.registration import register_token
from socialmetrics.security import envelope
from socialmetrics.security.envelope import EnvelopeError, KmsKeyProvider
from tests.factories import make_user

CONTEXT = {"user_id": "1", "platform_id": "3", "platform_user_id": "123456789"}


@pytest.fixture
def kms_provider(aws_resources: object) -> KmsKeyProvider:
    return KmsKeyProvider(get_settings().kms_key_alias)


def test_wrong_encryption_context_fails(kms_provider: KmsKeyProvider) -> None:
    key, wrapped, key_id = kms_provider.generate_data_key(CONTEXT)
    assert len(key) == 32
    assert key_id
    assert kms_provider.decrypt_data_key(wrapped, CONTEXT) == key
    with pytest.raises(EnvelopeError):
        kms_provider.decrypt_data_key(wrapped, {**CONTEXT, "platform_user_id": "other"})


def test_tampered_ciphertext_fails(kms_provider: KmsKeyProvider) -> None:
    key, wrapped, key_id = kms_provider.generate_data_key(CONTEXT)
    sealed = envelope.seal(key, key_id, "act.secret", CONTEXT)
    flipped = bytearray(sealed)
    flipped[-5] ^= 0x10
    with pytest.raises(EnvelopeError):
        envelope.open_sealed(
            kms_provider.decrypt_data_key(wrapped, CONTEXT), bytes(flipped), CONTEXT
        )
    with pytest.raises(EnvelopeError):
        kms_provider.decrypt_data_key(wrapped[:-3] + b"xyz", CONTEXT)


def test_rotation_rewraps_every_key_and_tokens_stay_decryptable(
    db: str, kms_provider: KmsKeyProvider
) -> None:
    actor = Actor(None, "system", name="test")
    tokens = {}
    with unit_of_work() as session:
        for index in range(3):
            user = make_user(f"Rot{index}")
            reg = register_token(
                session,
                actor,
                user,
                3,
                f"acct-{index}",
                f"act.token-{index}",
                refresh_token=f"rft.refresh-{index}",
                provider=kms_provider,
            )
            tokens[reg.account_id] = (f"act.token-{index}", f"rft.refresh-{index}")
    kms = client("kms")
    new_key = kms.create_key(Description="rotated")["KeyMetadata"]
    with unit_of_work() as session:
        report = accounts.rotate_wrapping_keys(session, new_key["KeyId"], provider=kms_provider)
    assert report.accounts == 3
    assert report.target_key == new_key["Arn"]
    old_key = kms.describe_key(KeyId=get_settings().kms_key_alias)["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=old_key)  # prove nothing still needs the old key
    try:
        with unit_of_work() as session:
            rows = session.execute(text("SELECT id, key_id, key_version FROM accounts")).all()
            assert {r.key_id for r in rows} == {new_key["Arn"]}
            assert {r.key_version for r in rows} == {2}
            for account_id, (access, refresh) in tokens.items():
                got_access, got_refresh = accounts.decrypt_credentials(
                    session, account_id, "test", "rotation-check", provider=kms_provider
                )
                assert got_access.get_secret_value() == access
                assert got_refresh is not None
                assert got_refresh.get_secret_value() == refresh
    finally:
        kms.enable_key(KeyId=old_key)
