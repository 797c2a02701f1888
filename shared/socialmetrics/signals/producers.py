"""Producers' side of :func:`socialmetrics.signals.events.emit` for account-level events:
the event data is built from the account row (or the account's stored series) in the caller's
transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

from socialmetrics.catalog.deprecations import DEPRECATIONS, Deprecation
from socialmetrics.db.metrics import Owner
from socialmetrics.platforms import Platform
from socialmetrics.points import MetricPoint
from socialmetrics.providers.types import PartOutcome
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


def _successors(platform: Platform) -> dict[str, list[Deprecation]]:
    """Replacement raw name → the dated deprecations it replaces, for one platform."""
    found: dict[str, list[Deprecation]] = {}
    for entry in DEPRECATIONS:
        if entry.platform is platform and entry.since is not None and entry.successor:
            found.setdefault(entry.successor, []).append(entry)
    return found


def deprecation_switches(
    session: Session, owner: Owner, platform: Platform, points: Iterable[MetricPoint]
) -> list[str]:
    """Emit ``metric.deprecated`` for each of the account's series that is about to receive
    its first point under a replacement name while its stored points carry the deprecated one.

    Call it before the points are written: once a point under the new name is stored the
    switch is history, so each series announces its switch once."""
    successors = _successors(platform)
    candidates = sorted(
        {(p.metric_type, p.raw_name) for p in points if p.raw_name in successors},
        key=lambda pair: (pair[0], pair[1] or ""),
    )
    emitted: list[str] = []
    for metric_type, new_raw in candidates:
        assert new_raw is not None  # filtered above: only replacement names are candidates
        replaced = {entry.raw_name: entry for entry in successors[new_raw]}
        row = session.execute(
            text(
                "SELECT (SELECT raw_name FROM metrics WHERE account_id = :a"
                " AND metric_type = :m AND raw_name = ANY(:old) LIMIT 1) AS old_raw,"
                " EXISTS (SELECT 1 FROM metrics WHERE account_id = :a"
                " AND metric_type = :m AND raw_name = :new) AS switched"
            ),
            {"a": owner.account_id, "m": metric_type, "old": sorted(replaced), "new": new_raw},
        ).one()
        if row.old_raw is None or row.switched:
            continue
        entry = replaced[row.old_raw]
        emitted.append(
            emit(
                session,
                owner.user_id,
                "metric.deprecated",
                {
                    "account_id": owner.account_id,
                    "platform": platform.value,
                    "metric_type": metric_type,
                    "from_raw_name": entry.raw_name,
                    "to_raw_name": new_raw,
                    "deprecated_since": entry.since.isoformat() if entry.since else None,
                    "note": entry.note,
                },
            )
        )
    return emitted


def part_failures(
    session: Session, owner: Owner, platform: Platform, parts: Iterable[PartOutcome]
) -> list[str]:
    """Emit ``collection.part_failed`` for each part that failed in this run but not in the
    account's previous run: a part that keeps failing (retried by itself every run) is
    announced when it starts failing, not on every run. Call it before the run row is written."""
    failed = [part for part in parts if part.status == "failed"]
    if not failed:
        return []
    previous = session.execute(
        text(
            "SELECT parts FROM collection_runs WHERE account_id = :a"
            " AND outcome <> 'skipped' ORDER BY id DESC LIMIT 1"
        ),
        {"a": owner.account_id},
    ).scalar_one_or_none()
    failing_before = {p.get("name") for p in previous or [] if p.get("status") == "failed"}
    return [
        emit(
            session,
            owner.user_id,
            "collection.part_failed",
            {
                "account_id": owner.account_id,
                "platform": platform.value,
                "part": part.name,
                "reason": (part.detail or "")[:255],
            },
        )
        for part in failed
        if part.name not in failing_before
    ]
