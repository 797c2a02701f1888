"""The state a process caches once — settings, the database engine, boto3 clients and what is
built on them — and the one way to change the environment underneath it.

A Lambda container never changes its environment, so ``shared/`` caches freely. The local
runtime, the tests and the benchmarks do change it (a fresh database, moto's endpoint, a smaller
budget): they call :func:`reset_process_state` after each change, or run under
:func:`environment`, which sets, resets and restores in one place.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


def reset_process_state() -> None:
    """Forget cached settings, engines, boto3 clients and the readers built on them (imported
    here, not at the top: test and benchmark harnesses import this module before they set the
    environment the application modules are first loaded under)."""
    from socialmetrics import aws, secrets
    from socialmetrics.config import get_settings
    from socialmetrics.db import engine
    from socialmetrics.security import envelope

    engine.dispose()
    get_settings.cache_clear()
    aws.reset_caches()
    secrets.reset_cache()  # its Secrets Manager reader holds a client
    envelope.reset_default_provider()  # it holds a KMS client


def _apply(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Run with ``values`` in ``os.environ`` (``None`` unsets a name), the process state rebuilt
    on entry and again on exit, after the previous values are back."""
    saved = {name: os.environ.get(name) for name in values}
    _apply(values)
    reset_process_state()
    try:
        yield
    finally:
        _apply(saved)
        reset_process_state()
