"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against the local
gateway (the real API handler over Postgres and moto) serving the built dashboard."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.runtime import dashboard
from local.runtime.postgres import free_port
from local.runtime.process import environment
from tests.integration.dashboard.seed import Tenants, seed

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / ".local" / "dashboard"
SIGNING_KEY = "dashboard-test-signing-key-long-enough-for-hs256-0123456789"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope, not session: Playwright's sync API runs an asyncio loop in this thread
    # while it is started, and later modules' asyncio.run() must not find it running.
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: `make test` as root installs it with apt-get"
        if os.environ.get("CI"):
            pytest.fail(reason)  # CI must run the browser tests, never skip them
        pytest.skip(reason)
    if not (dashboard.DIST / "index.html").is_file():
        pytest.fail("dashboard/dist is missing: run `make dashboard` (make test builds it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def gateway_url(database_url: str, aws_resources: object) -> Iterator[str]:
    """The local gateway (API + dashboard) on a free loopback port."""
    import uvicorn

    from local.runtime.gateway import Gateway

    # on exit the settings come back and the handler's pooled connections go (the reset),
    # before the database does
    with environment(JWT_SIGNING_KEY=SIGNING_KEY):
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                Gateway(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
            )
        )
        thread = threading.Thread(target=server.run, name="dashboard-gateway", daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(10)


@pytest.fixture
def tenants(db: str, gateway_url: str) -> Tenants:
    return seed()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (no storage carried over) and its page; ``page.errors`` collects
    CSP violations ("Refused to …") and uncaught exceptions."""
    options: dict[str, Any] = getattr(request, "param", {}) or {}
    context = browser.new_context(locale=options.get("locale", "en-US"), **options.get("extra", {}))
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "Refused to" in m.text else None,
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    try:
        yield page
    finally:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def record(name: str, data: dict[str, Any]) -> Path:
    """Write a measurement as a test artifact (never asserted: timings vary by machine)."""
    import json

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path
