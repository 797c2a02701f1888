"""The collector's interface: decrypt_credentials / store_rotated_tokens / has_active_consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from socialmetrics.accounts import service as accounts
from socialmetrics.accounts.platforms import platform_api_key, update_platform
from socialmetrics.compliance.audit import Actor
from socialmetrics.compliance.consent import has_active_consent, record_consent
from socialmetrics.db.engine import unit_of_work
from socialmetrics.errors import NotFound
from socialmetrics.registration import register_token
from socialmetrics.security import envelope
from tests.factories import make_user


@pytest.fixture
def provider(aws_resources: object) -> envelope.KeyProvider:
    envelope.reset_default_provider()
    return envelope.default_provider()


def test_rotated_tokens_replace_the_stored_ones_and_are_audited(
    db: str, provider: envelope.KeyProvider
) -> None:
    user = make_user("Col")
    actor = Actor(user, "client")
    with unit_of_work() as session:
        account = register_token(session, actor, user, 1, "x-1", "act.old", refresh_token="rft.old")
    soon = datetime.now(UTC) + timedelta(hours=2)
    with unit_of_work() as session:
        accounts.store_rotated_tokens(
            session, account.account_id, SecretStr("act.new"), None, soon, None
        )
    with unit_of_work() as session:
        access, refresh = accounts.decrypt_credentials(
            session, account.account_id, "collector", "collect"
        )
    assert access.get_secret_value() == "act.new"
    assert refresh is not None
    assert refresh.get_secret_value() == "rft.old"
    with unit_of_work() as session:
        accounts.store_rotated_tokens(session, account.account_id, "act.3", "rft.3", soon, soon)
        access, refresh = accounts.decrypt_credentials(
            session, account.account_id, "collector", "collect"
        )
        assert refresh is not None
        assert refresh.get_secret_value() == "rft.3"
        actions = session.execute(
            text("SELECT action, actor_role, detail->>'component' FROM audit_log ORDER BY id")
        ).all()
    assert ("token.decrypt", "system", "collector") in actions
    assert ("token.refresh_stored", "system", "collector") in actions
    with unit_of_work() as session:
        accounts.revoke_token(session, actor, user, account.account_id)
    with unit_of_work() as session, pytest.raises(NotFound):
        accounts.decrypt_credentials(session, account.account_id, "collector", "collect")


def test_consent_latest_entry_wins(db: str) -> None:
    user = make_user("Con")
    actor = Actor(user, "client")
    with unit_of_work() as session:
        assert has_active_consent(session, user) is False
        record_consent(session, user, True, actor)
        assert has_active_consent(session, user) is True
        record_consent(session, user, False, actor)
        assert has_active_consent(session, user) is False
        assert has_active_consent(session, user, "analytics") is False


def test_platform_api_key_decrypts_only_for_its_platform(
    db: str, provider: envelope.KeyProvider
) -> None:
    admin = Actor(make_user("Adm", role="admin"), "admin")
    with unit_of_work() as session:
        update_platform(session, admin, 2, api_key=SecretStr("meta-app-secret"))
        value = platform_api_key(session, 2, "collector")
        assert value is not None
        assert value.get_secret_value() == "meta-app-secret"
        blob = session.execute(
            text("SELECT api_key_ciphertext FROM platforms WHERE id = 2")
        ).scalar_one()
        with pytest.raises(envelope.EnvelopeError):
            envelope.open_blob(provider, blob, {"platform_id": "1", "purpose": "platform_api_key"})
        update_platform(session, admin, 2, clear_api_key=True)
        assert platform_api_key(session, 2, "collector") is None
