"""SnapStart hooks: what is created before the snapshot, and re-opened after a restore.

The hooks run as the Lambda runtime runs them (``snapshot_restore_py`` exists only there, so a
module with its two registration functions stands in for it), against the real Postgres and
moto's SQS: connections opened before a hook are gone after it, and the next call reconnects.
"""

from __future__ import annotations

import random
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from socialmetrics import aws, snapstart
from socialmetrics.db.engine import get_engine, ping
from tests.support import reset_process_state

Registered = list[tuple[Callable[..., object], tuple[Any, ...], dict[str, Any]]]


@pytest.fixture
def runtime_hooks(
    monkeypatch: pytest.MonkeyPatch, db: str, aws_resources: object
) -> Iterator[dict[str, Registered]]:
    """The runtime's hook registry: what the function registered, to run as Lambda would (in
    a process that has created no engine or client yet)."""
    registered: dict[str, Registered] = {"before": [], "after": []}
    module = types.ModuleType(snapstart.RUNTIME_HOOKS)

    def before(func: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        registered["before"].append((func, args, kwargs))

    def after(func: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        registered["after"].append((func, args, kwargs))

    module.register_before_snapshot = before  # type: ignore[attr-defined]
    module.register_after_restore = after  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, snapstart.RUNTIME_HOOKS, module)
    monkeypatch.setattr(snapstart, "_registered", False)
    monkeypatch.setattr(snapstart, "_reopen", [])
    reset_process_state()
    yield registered
    reset_process_state()


def _run(hooks: Registered) -> None:
    for func, args, kwargs in hooks:
        func(*args, **kwargs)


def _pooled() -> int:
    """Database connections resting in the engine's pool."""
    pool: Any = get_engine().pool
    return int(pool.checkedin())


def _sqs_pools() -> int:
    return len(aws.client("sqs")._endpoint.http_session._manager.pools)


def test_without_the_runtime_hooks_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, snapstart.RUNTIME_HOOKS, None)  # import fails
    monkeypatch.setattr(snapstart, "_registered", False)
    assert snapstart.register(database=True, aws=("sqs",)) is False


def test_before_snapshot_creates_clients_and_leaves_no_connection_open(
    runtime_hooks: dict[str, Registered],
) -> None:
    primed: list[str] = []
    assert snapstart.register(
        database=True, aws=("sqs", "kms"), prime=lambda: primed.append("collector")
    )
    assert snapstart.register(database=True) is True  # once per process: not twice
    assert len(runtime_hooks["before"]) == len(runtime_hooks["after"]) == 1
    assert get_engine.cache_info().currsize == 0

    _run(runtime_hooks["before"])

    assert primed == ["collector"]
    assert get_engine.cache_info().currsize == 1
    assert _pooled() == 0  # the snapshot holds no database connection
    assert {"sqs", "kms"} <= set(aws._clients)
    assert _sqs_pools() == 0


def test_after_restore_reopens_connections_and_reseeds(
    runtime_hooks: dict[str, Registered],
) -> None:
    reopened: list[str] = []
    snapstart.register(database=True, aws=("sqs",), reopen=[lambda: reopened.append("http")])
    _run(runtime_hooks["before"])
    # The restored container used its connections before (as one restored from a snapshot
    # taken with them open would have them).
    ping()
    aws.client("sqs").list_queues()
    pool_before = get_engine().pool
    assert _pooled() == 1
    assert _sqs_pools() == 1
    random.seed(7)
    drawn_after_same_seed = random.Random(7).random()

    _run(runtime_hooks["after"])

    assert get_engine().pool is not pool_before  # the old pool and its sockets are dropped
    assert _pooled() == 0
    assert _sqs_pools() == 0
    assert random.random() != drawn_after_same_seed  # re-seeded, not the snapshot's sequence
    assert reopened == ["http"]
    ping()  # both reconnect on their next call
    assert aws.client("sqs").list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200
