"""Consent: an append-only history per user and purpose; the latest entry is the one in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialmetrics.compliance.audit import Actor
from socialmetrics.db.models import Consent
from socialmetrics.signals.events import emit

DEFAULT_PURPOSE = "metrics_collection"
PURPOSES = ("metrics_collection", "analytics", "marketing")


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    consent_id: int
    user_id: int
    purpose: str
    consent_given: bool
    policy_version: str
    recorded_at: datetime
    recorded_by: int | None


def record_consent(
    session: Session,
    user_id: int,
    given: bool,
    actor: Actor,
    purpose: str = DEFAULT_PURPOSE,
    policy_version: str = "1",
) -> int:
    withdrawing = not given and has_active_consent(session, user_id, purpose)
    row = Consent(
        user_id=user_id,
        purpose=purpose,
        given=given,
        policy_version=policy_version,
        actor_user_id=actor.user_id,
        source_ip=actor.source_ip,
        request_id=actor.request_id,
    )
    session.add(row)
    session.flush()
    if withdrawing:
        emit(
            session,
            user_id,
            "consent.withdrawn",
            {"user_id": user_id, "purpose": purpose, "policy_version": policy_version},
        )
    return row.id


def consent_history(session: Session, user_id: int) -> list[ConsentEntry]:
    rows = session.scalars(
        select(Consent).where(Consent.user_id == user_id).order_by(Consent.id)
    ).all()
    return [
        ConsentEntry(
            consent_id=r.id,
            user_id=r.user_id,
            purpose=r.purpose,
            consent_given=r.given,
            policy_version=r.policy_version,
            recorded_at=r.created_at,
            recorded_by=r.actor_user_id,
        )
        for r in rows
    ]


def has_active_consent(session: Session, user_id: int, purpose: str = DEFAULT_PURPOSE) -> bool:
    """True when the latest consent entry for ``purpose`` gives consent."""
    latest = session.scalar(
        select(Consent.given)
        .where(Consent.user_id == user_id, Consent.purpose == purpose)
        .order_by(Consent.id.desc())
        .limit(1)
    )
    return bool(latest)
