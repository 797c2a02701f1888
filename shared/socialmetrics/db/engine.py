"""One engine per process, Lambda-friendly, and one unit-of-work boundary.

A warm Lambda keeps a tiny pool (pre-pinged, recycled) between invocations; behind RDS Proxy
``DB_NULL_POOL=true`` hands pooling to the proxy. Every connection runs in UTC with a statement
timeout. :func:`unit_of_work` is the single place where a transaction commits or rolls back.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from socialmetrics.config import Settings, get_settings
from socialmetrics.db.tcp import install_no_delay


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

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET TIME ZONE 'UTC'")
        cursor.execute(f"SET statement_timeout = {int(statement_timeout)}")
        cursor.close()
        dbapi_connection.commit()

    return engine


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
