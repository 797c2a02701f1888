"""Producers' side of :func:`socialmetrics.signals.events.emit` for account-level events:
the event data is built from the account row in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from socialmetrics.signals.events import emit


def account_event(session: Session, account_id: int, type_: str, reason: str) -> str | None:
    """Emit ``type_`` for the account's tenant; ``None`` when the account is gone."""
    row = session.execute(
        text(
            "SELECT a.user_id, a.platform_user_id, a.status, p.name AS platform"
            " FROM accounts a JOIN platforms p ON p.id = a.platform_id WHERE a.id = :id"
        ),
        {"id": account_id},
    ).one_or_none()
    if row is None:
        return None
    return emit(
        session,
        row.user_id,
        type_,
        {
            "account_id": account_id,
            "platform": row.platform,
            "platform_user_id": row.platform_user_id,
            "status": row.status,
            "reason": reason[:255],
        },
    )
