"""What a database failure means: is the connection still in step, is the database unavailable.

pg8000 raises :class:`pg8000.exceptions.DatabaseError` only for an ``ErrorResponse`` the server
sent, and only after it has read the reply stream up to ``ReadyForQuery``: the connection is in
step with the server and may go back to the pool. Anything else raised while a statement is on
the wire — a parameter the driver cannot encode (a datetime outside years 1-9999 after
conversion to UTC raises ``OverflowError`` after ``Parse``/``Describe`` went out), a reply it
cannot decode, a socket timeout, an ``InterfaceError`` — may leave unread replies in the socket,
so the engine invalidates that connection instead of pooling it (``db/engine.py``).

"Unavailable" (the API answers 503 with ``Retry-After``) is precise: connection failures and
timeouts, the server shutting down or out of resources, a statement cancelled by
``statement_timeout``, and lock or serialization conflicts that a retry resolves. Every other
server error (bad data, a constraint) is a defect of the caller, not an outage.
"""

from __future__ import annotations

from pg8000.exceptions import DatabaseError, InterfaceError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# SQLSTATE classes and codes that mean "try again shortly" (PostgreSQL Appendix A).
_TRANSIENT_CLASSES = ("08", "53")  # connection exception, insufficient resources
_TRANSIENT_CODES = frozenset(
    {
        "57014",  # query_canceled: statement_timeout
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now (starting up, failover)
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "55P03",  # lock_not_available (lock_timeout)
        "25006",  # read_only_sql_transaction (a failover left us on a replica)
    }
)


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a server error (pg8000 carries the fields as a dict), else ``None``."""
    if isinstance(error, DBAPIError):
        error = error.orig  # type: ignore[assignment]
    if isinstance(error, DatabaseError) and error.args and isinstance(error.args[0], dict):
        code = error.args[0].get("C")
        return str(code) if code else None
    return None


def leaves_connection_in_step(error: BaseException) -> bool:
    """True only for a server-reported error: the driver read the whole reply."""
    return isinstance(error, DatabaseError)


# The server ends the session after these (a FATAL error, then the socket closes).
_SESSION_ENDING_CODES = frozenset({"57P01", "57P02", "57P03"})


def ends_connection(error: BaseException) -> bool:
    """True for a server error that closes the session: the backend was terminated, the server
    is shutting down or restarting, or the connection failed (class 08)."""
    code = sqlstate(error)
    return code is not None and (code[:2] == "08" or code in _SESSION_ENDING_CODES)


def unavailable(error: BaseException) -> bool:
    """True when the database (not the request) is the problem and a retry can succeed."""
    if isinstance(error, PoolTimeout):
        return True  # no pooled connection freed up in time
    if not isinstance(error, DBAPIError):
        return False
    if isinstance(error.orig, InterfaceError):
        return True  # cannot connect, network error or socket timeout, connection closed
    code = sqlstate(error)
    return code is not None and (code[:2] in _TRANSIENT_CLASSES or code in _TRANSIENT_CODES)
