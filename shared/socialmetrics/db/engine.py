"""One engine per process, Lambda-friendly, and one unit-of-work boundary.

A warm Lambda keeps a tiny pool (recycled) between invocations; behind RDS Proxy
``DB_NULL_POOL=true`` leaves multiplexing to the proxy and keeps exactly one connection per
container (a pool of one; a burst's extra connections close on return), so a warm request opens
no connection. Every connection runs in UTC with a statement timeout. :func:`unit_of_work` is
the single place where a transaction commits or rolls back.

No ping per checkout: a connection is used as is. One found dead at the *first* statement of a
transaction (nothing of that transaction can have committed: the server rolls back what a
dropped connection left open) is invalidated and the error raised as :class:`DroppedConnection`,
which the caller may answer by running the whole unit of work once more on a fresh connection
(the API does, see ``functions/api/deps.py``). A connection that drops after a statement of the
transaction completed raises the ordinary error and is never retried.

Time budget per connection: ``DB_CONNECT_TIMEOUT_SECONDS`` bounds the TCP connect and the
startup/authentication exchange; after that the socket waits at most
``DB_STATEMENT_TIMEOUT_MS`` + :data:`READ_GRACE_SECONDS` for a reply, so the server's
``statement_timeout`` (a clean, catchable error) normally fires first and the socket timeout
only catches a database that stopped answering. A connection that raised anything but a
server-reported error is invalidated, never pooled again (see :mod:`socialmetrics.db.faults`).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from pg8000.exceptions import InterfaceError
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, ExceptionContext
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from socialmetrics.budgets import DB_READ_GRACE_SECONDS
from socialmetrics.config import Settings, get_settings
from socialmetrics.db.decoding import install_fast_timestamps
from socialmetrics.db.faults import ends_connection, leaves_connection_in_step
from socialmetrics.db.tcp import install_no_delay

READ_GRACE_SECONDS = DB_READ_GRACE_SECONDS  # socket read timeout = statement_timeout + this
_FRESH = "socialmetrics.fresh_transaction"  # Connection.info: no statement of it completed yet


class DroppedConnection(OperationalError):
    """The connection was found dead at the first statement of a transaction: nothing of the
    unit of work reached the database, so running it again on a fresh connection is safe."""


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context pg8000 connects with, per ``DB_SSL_MODE``."""
    if settings.db_ssl_mode == "disable":
        return None
    context = ssl.create_default_context(cafile=settings.db_ssl_root_cert)
    if settings.db_ssl_mode == "require":
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def build_engine(settings: Settings, **overrides: Any) -> Engine:
    connect_args: dict[str, Any] = {
        "timeout": settings.db_connect_timeout_seconds,
        "application_name": settings.service_name,
    }
    context = ssl_context(settings)
    if context is not None:
        connect_args["ssl_context"] = context
    options: dict[str, Any] = {
        "connect_args": connect_args,
        "pool_size": 1 if settings.db_null_pool else settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_recycle": 300,
        "pool_timeout": settings.db_connect_timeout_seconds,
    }
    options.update(overrides)
    engine = create_engine(settings.database_url, **options)
    install_no_delay(engine)
    install_fast_timestamps(engine)
    statement_timeout = settings.db_statement_timeout_ms
    read_timeout = read_timeout_seconds(settings)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET TIME ZONE 'UTC'")
        cursor.execute(f"SET statement_timeout = {int(statement_timeout)}")
        cursor.close()
        dbapi_connection.commit()
        # pg8000 applies its ``timeout`` to every socket operation; once connected, reads get
        # the statement budget instead of the connect timeout.
        dbapi_connection._usock.settimeout(read_timeout)
        dbapi_connection._sock = _NetworkErrors(dbapi_connection._sock)

    event.listen(engine, "do_connect", _connect)
    event.listen(engine, "begin", _mark_fresh)
    event.listen(engine, "after_cursor_execute", _mark_used)
    event.listen(engine, "handle_error", invalidate_unless_in_step)
    return engine


def _mark_fresh(connection: Connection) -> None:
    connection.info[_FRESH] = True


def _mark_used(connection: Connection, *_args: Any) -> None:
    connection.info[_FRESH] = False


def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Connect, reporting socket failures (a connect or handshake timeout) the way pg8000
    reports its other network errors, so SQLAlchemy wraps them as a disconnect."""
    try:
        return dialect.loaded_dbapi.connect(*cargs, **cparams)
    except OSError as exc:
        raise InterfaceError(f"network error while connecting: {type(exc).__name__}") from exc


class _NetworkErrors:
    """pg8000's socket stream, with a failed read (a socket timeout included) raised as
    ``InterfaceError("network error")``. pg8000 does so for every read but the first of each
    message; without this a timeout escapes as a bare ``TimeoutError`` that SQLAlchemy does not
    recognise as a disconnect (and the API cannot tell from any other timeout)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        try:
            data: bytes = self._stream.read(size)
        except OSError as exc:
            raise InterfaceError("network error") from exc
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def read_timeout_seconds(settings: Settings) -> float | None:
    """How long a connected socket waits for a reply (``None``: no statement timeout set)."""
    if settings.db_statement_timeout_ms <= 0:
        return None
    return settings.db_statement_timeout_ms / 1000 + READ_GRACE_SECONDS


def invalidate_unless_in_step(context: ExceptionContext) -> BaseException | None:
    """Never pool a connection after an error that may have left replies unread, or after the
    server ended the session; report a drop at a transaction's first statement as
    :class:`DroppedConnection`.

    SQLAlchemy only treats recognised disconnects as fatal; an ``OverflowError`` from pg8000's
    parameter encoding would otherwise be rolled back and the connection returned to the pool
    out of step with the server, failing later statements of other requests. A backend ended by
    the server (``pg_terminate_backend``, a restart, an idle timeout) answers the next statement
    with its goodbye (SQLSTATE 57P01…) and closes: that connection is dead too.
    """
    original = context.original_exception
    dropped = (
        context.is_disconnect or isinstance(original, InterfaceError) or ends_connection(original)
    ) and not isinstance(original.__cause__, TimeoutError)  # a hung server: no second wait
    if not context.is_disconnect:
        if leaves_connection_in_step(original) and not dropped:
            return None
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = False  # only this connection is suspect
    connection = context.connection
    if not dropped or connection is None or not connection.info.get(_FRESH, False):
        return None
    # The first statement of the transaction: whatever reached the server was never committed.
    return DroppedConnection(
        context.statement,
        context.parameters,
        original,
        connection_invalidated=True,
    )


@cache
def get_engine() -> Engine:
    return build_engine(get_settings())


@cache
def _session_factory() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session whose work commits once at the end, or rolls back on any error."""
    session = _session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def ping(engine: Engine | None = None) -> None:
    """Raise if the database cannot answer ``SELECT 1``."""
    with (engine or get_engine()).connect() as connection:
        connection.execute(text("SELECT 1"))


def dispose() -> None:
    """Close pooled connections and forget the engine (tests switching databases use it)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    _session_factory.cache_clear()
