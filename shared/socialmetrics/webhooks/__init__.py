"""Webhooks: receiving (verify + enqueue, no database) and ingest (parse + apply, idempotent).

- :mod:`socialmetrics.webhooks.receive` — API Gateway v2 event → signature check → SQS.
- :mod:`socialmetrics.webhooks.delivery` — the queue message.
- :mod:`socialmetrics.webhooks.parse` — each platform's payload → events with stable keys.
- :mod:`socialmetrics.webhooks.apply` — ledger + effects in one transaction; unmatched events.

This package root imports nothing heavy: receivers import it and must not load the ORM.
``rematch_unmatched`` is re-exported lazily for callers that register accounts.
"""

from __future__ import annotations

from typing import Any

__all__ = ["rematch_unmatched"]


def __getattr__(name: str) -> Any:
    if name == "rematch_unmatched":
        from socialmetrics.webhooks.apply import rematch_unmatched

        return rematch_unmatched
    raise AttributeError(name)
