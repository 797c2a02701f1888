"""Plain helpers shared by tests (factories are plain functions, not fixtures)."""

from __future__ import annotations


def reset_process_state() -> None:
    """Forget cached settings, engines and AWS clients after the environment changed."""
    from socialmetrics import aws
    from socialmetrics.config import get_settings
    from socialmetrics.db import engine

    engine.dispose()
    get_settings.cache_clear()
    aws.reset_caches()
