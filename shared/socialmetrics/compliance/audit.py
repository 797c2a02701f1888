"""The append-only audit log: who touched which sensitive thing, from where, in which request.

Rows carry ids, never personal data (no names, emails or tokens), so they can outlive an
erasure. They are written in the caller's unit of work: if the request fails, its audit row
is rolled back together with everything else it did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from socialmetrics.db.models import AuditLog


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a signed-in user (``admin``/``client``) or a system component."""

    user_id: int | None
    role: str
    request_id: str | None = None
    source_ip: str | None = None
    name: str | None = None

    @classmethod
    def system(cls, name: str, request_id: str | None = None) -> Actor:
        return cls(user_id=None, role="system", request_id=request_id, name=name)

    @property
    def is_admin(self) -> bool:
        """Admins, and system components (maintenance, collector) acting on their own behalf;
        a JWT can only carry ``admin`` or ``client``, so no request becomes ``system``."""
        return self.role in ("admin", "system")


def as_actor(actor: Actor | str) -> Actor:
    return actor if isinstance(actor, Actor) else Actor.system(actor)


def audit(
    session: Session,
    actor: Actor | str,
    action: str,
    subject_type: str,
    subject_id: str | int | None,
    request_id: str | None = None,
    source_ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit row (in the caller's transaction)."""
    who = as_actor(actor)
    payload = dict(detail or {})
    if who.name:
        payload.setdefault("component", who.name)
    session.add(
        AuditLog(
            actor_user_id=who.user_id,
            actor_role=who.role,
            action=action,
            subject_type=subject_type,
            subject_id=None if subject_id is None else str(subject_id),
            request_id=(request_id or who.request_id or None),
            source_ip=(source_ip or who.source_ip or None),
            detail=payload,
        )
    )
    session.flush()
