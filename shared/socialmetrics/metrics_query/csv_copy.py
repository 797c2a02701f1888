"""The CSV export produced by Postgres: ``COPY (SELECT …) TO STDOUT WITH (FORMAT csv, HEADER)``.

Rendering CSV in Python cost ~10 times a plain ``SELECT`` of the same rows (a Python object per
cell, then the ``csv`` module); Postgres renders it while it reads, and pg8000 hands the bytes
over unparsed (its ``stream=``). The text is byte for byte what :func:`fields.csv_lines`
writes (tests compare both on rows built to differ), because each field kind is rendered here
the way ``fields.py`` encodes it:

- ``number``: Python's ``str(Decimal)``: plain, except scientific notation below 1e-6
  (``1.2300E-7``; a zero with more than six decimals is ``0E-7``); Postgres never uses it.
- ``time``: ``fields.iso`` (``2025-01-02T10:00:00Z``, microseconds only when not zero).
- ``text``: the formula guard of ``fields.csv_safe``; ``code``/``text``: an empty string as an
  empty field (Postgres would quote it to tell it from NULL, so empty strings become NULL).

Quoting is the same in both: a field is quoted when it holds a comma, a quote, CR or LF.
``COPY`` takes no bind parameters, so the statement is compiled with its values inlined by the
connection's own dialect (which escapes them for the server's string settings); every value is
an int, a datetime or a string already checked by the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, literal_column
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from socialmetrics.db.faults import leaves_connection_in_step
from socialmetrics.metrics_query.fields import FORMULA_PREFIXES, METRIC_FIELDS, Field
from socialmetrics.metrics_query.queries import MetricFilter, page_query, source_column


class Sink(Protocol):
    """Where the CSV bytes go, piece by piece (a buffer, an S3 multipart upload)."""

    def write(self, data: bytes, /) -> Any: ...


_FRACTION = "split_part(abs({c})::text, '.', 2)"
_DIGITS = f"ltrim({_FRACTION}, '0')"
_NUMBER = (
    "CASE"
    " WHEN {c} <> 0 AND abs({c}) < 0.000001 THEN"
    " CASE WHEN {c} < 0 THEN '-' ELSE '' END"
    f" || left({_DIGITS}, 1)"
    f" || CASE WHEN length({_DIGITS}) > 1 THEN '.' || substr({_DIGITS}, 2) ELSE '' END"
    f" || 'E' || (length({_DIGITS}) - length({_FRACTION}) - 1)::text"
    " WHEN {c} = 0 AND scale({c}) > 6 THEN '0E-' || scale({c})::text"
    " ELSE {c}::text END"
)
_TIME = (
    "to_char({c} AT TIME ZONE 'UTC', CASE WHEN {c} = date_trunc('second', {c})"
    """ THEN 'YYYY-MM-DD"T"HH24:MI:SS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' END)"""
)
_PREFIXES = ", ".join("E'" + ch.encode("unicode_escape").decode() + "'" for ch in FORMULA_PREFIXES)
_TEXT = "NULLIF(CASE WHEN left({c}, 1) IN (" + _PREFIXES + ") THEN '''' || {c} ELSE {c} END, '')"
_CODE = "NULLIF({c}, '')"
_TEMPLATES = {"number": _NUMBER, "time": _TIME, "text": _TEXT, "code": _CODE}


def _rendered(f: Field, qualified: str) -> ColumnElement[Any]:
    template = _TEMPLATES.get(f.kind)
    if template is None:  # id, count: integers print alike
        return literal_column(qualified).label(f.name)
    return literal_column(template.format(c=qualified)).label(f.name)


def _qualified(name: str) -> str:
    column = source_column(name)
    return f"{column.table.name}.{column.name}"


CSV_COLUMNS: tuple[ColumnElement[Any], ...] = tuple(
    _rendered(f, _qualified(f.name)) for f in METRIC_FIELDS
)


def copy_statement(
    session: Session, f: MetricFilter, limit: int | None, after: tuple[datetime, int] | None
) -> str:
    """The ``COPY`` of the rows ``GET /metrics/`` would list (newest first, after the keyset
    ``after``, at most ``limit``), with a header line."""
    select = page_query(f, limit, after, CSV_COLUMNS)
    compiled = select.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    return f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv, HEADER)"


def copy_csv(
    session: Session,
    f: MetricFilter,
    limit: int | None,
    after: tuple[datetime, int] | None,
    sink: Sink,
) -> int:
    """Write the CSV export to ``sink`` inside the session's transaction; returns the number
    of rows. pg8000 calls ``sink.write`` once per line as the server sends it.

    The statement runs on the driver's cursor (SQLAlchemy has no way to pass ``stream=``), so
    errors are handled here as the engine would: a server error is raised as SQLAlchemy's
    ``DBAPIError`` (the API maps it to a problem), and a COPY cut off by anything else (the
    sink failing, the network) invalidates the connection, which may hold unread replies."""
    statement = copy_statement(session, f, limit, after)
    connection = session.connection()
    raw: Any = connection.connection.dbapi_connection  # pg8000's, which takes ``stream=``
    cursor = raw.cursor()
    try:
        cursor.execute(statement, stream=sink)
        return int(cursor.rowcount)
    except BaseException as exc:
        if not leaves_connection_in_step(exc):
            connection.invalidate(exc if isinstance(exc, Exception) else None)
        dbapi = connection.dialect.loaded_dbapi
        if isinstance(exc, dbapi.Error):
            raise DBAPIError.instance(statement, None, exc, dbapi.Error) from exc
        raise
    finally:
        cursor.close()
