"""Webhooks: receiving (verify + enqueue, no database) and ingest (parse + apply, idempotent).

- :mod:`socialmetrics.webhooks.receive` — API Gateway v2 event → signature check → SQS.
- :mod:`socialmetrics.webhooks.delivery` — the queue message.
- :mod:`socialmetrics.webhooks.parse` — each platform's payload → events with stable keys
  (one parser per platform: ``parse_meta``, ``parse_x``, ``parse_tiktok``; the results and
  their checks in ``entries``).
- :mod:`socialmetrics.webhooks.apply` — ledger + effects in one transaction; unmatched events.

This package root imports nothing: receivers import it and must not load the ORM.
"""
