"""Lambda SnapStart: what a function creates before its snapshot, and re-opens after a restore.

With SnapStart (``ApplyOn: PublishedVersions``) Lambda runs a function's initialisation once
when a version is published, snapshots the memory, and starts every later container from that
snapshot. Imports are kept lazy so a container *without* SnapStart (local runs, tests, the
functions that do not use it) pays only for what it uses; under SnapStart the hooks below move
that deferred work into the snapshot instead:

- **before the snapshot** (:func:`before_snapshot`): run the function's own ``prime`` step
  (e.g. import the collector's machinery), create the database engine and the named boto3
  clients, then close every connection, so the snapshot holds no open socket;
- **after each restore** (:func:`after_restore`): re-seed :mod:`random` (every copy of the
  snapshot would otherwise draw the same jitter), drop pooled database connections without
  talking on them (their sockets died with the snapshot), close the boto3 clients' connection
  pools (each client reconnects on its next call) and run the ``reopen`` callbacks a function
  registered for what else it holds (a per-container HTTP client).

The hooks come from ``snapshot_restore_py``, which the Lambda Python runtime (3.12 and later)
provides; where it is absent :func:`register` does nothing. This module imports only the
standard library at import time.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterable

RUNTIME_HOOKS = "snapshot_restore_py"  # the runtime's module (imported by name in register)
Callback = Callable[[], object]

_reopen: list[Callback] = []
_registered = False


def before_snapshot(
    *, database: bool = False, aws: Iterable[str] = (), prime: Callback | None = None
) -> None:
    """Create what the first invocation would, then close every connection."""
    if prime is not None:
        prime()
    if database:
        from socialmetrics.db.engine import get_engine

        get_engine()
    if aws:
        from socialmetrics.aws import client

        for service in aws:
            client(service)
    close_connections(graceful=True)


def after_restore() -> None:
    """Re-seed randomness and re-open connections in a container restored from the snapshot."""
    random.seed()
    close_connections(graceful=False)
    for reopen in _reopen:
        reopen()


def close_connections(*, graceful: bool) -> None:
    """Close pooled database connections and boto3 connection pools made so far.

    ``graceful`` closes database connections politely (before a snapshot, while they are
    alive); otherwise they are dropped without a word on their (dead) sockets.
    """
    engine_module = sys.modules.get("socialmetrics.db.engine")
    if engine_module is not None and engine_module.get_engine.cache_info().currsize:
        engine_module.get_engine().dispose(close=graceful)
    aws_module = sys.modules.get("socialmetrics.aws")
    if aws_module is not None:
        aws_module.close_connections()


def register(
    *,
    database: bool = False,
    aws: Iterable[str] = (),
    prime: Callback | None = None,
    reopen: Iterable[Callback] = (),
) -> bool:
    """Register this function's SnapStart hooks with the runtime (once per process).

    ``database``: create the engine before the snapshot; ``aws``: the boto3 clients to create;
    ``prime``: the function's own deferred work to do before the snapshot; ``reopen``: what to
    call after a restore besides the built-in steps. False (and nothing registered) where the
    runtime offers no SnapStart hooks.
    """
    global _registered
    try:
        import snapshot_restore_py as hooks  # type: ignore[import-not-found]
    except ImportError:
        return False
    if _registered:
        return True
    _reopen.extend(reopen)
    hooks.register_before_snapshot(before_snapshot, database=database, aws=tuple(aws), prime=prime)
    hooks.register_after_restore(after_restore)
    _registered = True
    return True
