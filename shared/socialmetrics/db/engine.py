"""One engine per process, Lambda-friendly, and one unit-of-work boundary.

A warm Lambda keeps a tiny pool (pre-pinged, recycled) between invocations; behind RDS Proxy
``DB_NULL_POOL=true`` hands pooling to the proxy. Every connection runs in UTC with a statement
timeout. :func:`unit_of_work` is the single place where a transaction commits or rolls back.

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
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from socialmetrics.budgets import DB_READ_GRACE_SECONDS
from socialmetrics.config import Settings, get_settings
from socialmetrics.db.faults import leaves_connection_in_step
from socialmetrics.db.tcp import install_no_delay

READ_GRACE_SECONDS = DB_READ_GRACE_SECONDS  # socket read timeout = statement_timeout + this


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
    options: dict[str, Any] = {"pool_pre_ping": True, "connect_args": connect_args}
    if settings.db_null_pool:
        options["poolclass"] = NullPool
    else:
        options.update(
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_recycle=300,
            pool_timeout=settings.db_connect_timeout_seconds,
        )
    options.update(overrides)
    engine = create_engine(settings.database_url, **options)
    install_no_delay(engine)
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
    event.listen(engine, "handle_error", invalidate_unless_in_step)
    return engine


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


def invalidate_unless_in_step(context: ExceptionContext) -> None:
    """Never pool a connection after an error that may have left replies unread.

    SQLAlchemy only treats recognised disconnects as fatal; an ``OverflowError`` from pg8000's
    parameter encoding would otherwise be rolled back and the connection returned to the pool
    out of step with the server, failing later statements of other requests.
    """
    if context.is_disconnect or leaves_connection_in_step(context.original_exception):
        return
    context.is_disconnect = True
    context.invalidate_pool_on_disconnect = False  # only this connection is suspect


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
