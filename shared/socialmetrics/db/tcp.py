"""``TCP_NODELAY`` on every database connection.

pg8000 leaves Nagle's algorithm on: a statement that spans several packets then waits for the
server's delayed ACK (~40 ms) before its last packet leaves. Setting ``TCP_NODELAY`` when the
pool opens a connection removes that wait (a 200-point upsert: ~50 ms → ~6 ms).
"""

from __future__ import annotations

import socket
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def set_no_delay(dbapi_connection: Any, _record: Any = None) -> None:
    """Turn Nagle's algorithm off on a pg8000 connection's TCP socket (TLS or not); a unix
    socket has nothing to turn off."""
    sock = getattr(dbapi_connection, "_usock", None)
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def install_no_delay(engine: Engine) -> None:
    """Set ``TCP_NODELAY`` on each connection ``engine`` opens (before anything is sent on it)."""
    event.listen(engine, "connect", set_no_delay)
