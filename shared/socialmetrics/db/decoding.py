"""Faster decoding of ``timestamptz`` values from the server.

pg8000 parses each ``timestamptz`` with ``datetime.strptime`` (about 60 µs a value): on a
100-row page of metrics that was about a third of a request's time, profiled through the
Lambda handler. Sessions run in UTC (see :mod:`socialmetrics.db.engine`) and Postgres writes
ISO 8601, which ``datetime.fromisoformat`` reads far faster; whatever it cannot read
(``infinity``, years BC, values beyond ``datetime``) goes to pg8000's own converter, so every
result is what pg8000 alone would return.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pg8000.converters import TIMESTAMPTZ
from pg8000.converters import timestamptz_in as driver_timestamptz_in
from sqlalchemy import event
from sqlalchemy.engine import Engine


def timestamptz_in(data: str) -> Any:
    """A ``timestamptz`` in the server's text format → an aware ``datetime``."""
    try:
        return datetime.fromisoformat(data)
    except ValueError:
        return driver_timestamptz_in(data)


def register(dbapi_connection: Any, _record: Any = None) -> None:
    dbapi_connection.register_in_adapter(TIMESTAMPTZ, timestamptz_in)


def install_fast_timestamps(engine: Engine) -> None:
    """Decode ``timestamptz`` with :func:`timestamptz_in` on each connection ``engine`` opens."""
    event.listen(engine, "connect", register)
