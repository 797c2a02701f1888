"""Test harness: a real PostgreSQL database and a real AWS endpoint (moto's server) per run.

The database is created for this run under a unique name and dropped at the end; nothing
outside it is touched. The AWS endpoint is moto's server on a free loopback port, bootstrapped
with the resources the stack defines. Settings, engines and boto3 clients are rebuilt after the
environment points at them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.update(
    {
        "ENVIRONMENT": "test",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # moto accepts any credentials
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "socialmetrics-test",
        "POWERTOOLS_METRICS_NAMESPACE": "socialmetrics-test",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
)
if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(variable, None)

from local.runtime import aws as local_aws  # noqa: E402
from local.runtime import postgres  # noqa: E402
from local.runtime.process import environment  # noqa: E402
from tests.support import HungServer, reset_process_state  # noqa: E402

TABLES = (
    "webhook_delivery_attempts, webhook_deliveries, signal_events, webhook_endpoints, "
    "token_expiry_warnings, usage_billed_objects, usage_daily, "
    "metrics, message_statuses, webhook_events, webhook_rejections, collection_runs, consents, "
    "audit_log, api_keys, accounts, login_failures, users"
)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    with postgres.server(ROOT / ".local" / "test-pg") as url:
        postgres.wait_ready(url)
        yield url


@pytest.fixture(scope="session")
def database_url(pg_server: object) -> Iterator[str]:
    from socialmetrics.db import migrate
    from socialmetrics.db.engine import get_engine

    name = f"socialmetrics_test_{os.getpid()}_{secrets.token_hex(3)}"
    url = postgres.create_database(pg_server, name)  # type: ignore[arg-type]
    rendered = url.render_as_string(hide_password=False)
    try:
        with environment(DATABASE_URL=rendered):
            migrate.upgrade(engine=get_engine())
            yield rendered
    finally:
        postgres.drop_database(pg_server, name)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    with local_aws.moto_server() as endpoint, environment(AWS_ENDPOINT_URL=endpoint):
        yield endpoint


@pytest.fixture(scope="session")
def aws_resources(aws_endpoint: str) -> local_aws.Resources:
    from socialmetrics.config import get_settings

    return local_aws.bootstrap(get_settings())


@pytest.fixture
def clean_queues(aws_resources: local_aws.Resources) -> local_aws.Resources:
    """Every queue and DLQ empty (deleted and re-created under the same names)."""
    from socialmetrics.config import get_settings

    return local_aws.reset_queues(get_settings(), aws_resources)


@pytest.fixture
def db(database_url: str) -> str:
    """A database emptied of everything but the seeded platforms before the test."""
    from sqlalchemy import text

    from socialmetrics.db.engine import get_engine

    with get_engine().begin() as connection:
        connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    return database_url


@pytest.fixture
def lambda_context() -> object:
    from tests.support import FakeLambdaContext

    return FakeLambdaContext()


@pytest.fixture
def stack_url(db: str, aws_resources: local_aws.Resources) -> Iterator[str]:
    """The local gateway on a free loopback port: every route of the stack (the API, the
    webhook receivers) reaches the real handlers through API Gateway v2 events, as under
    `make run`, over this run's database and AWS endpoint."""
    from local.runtime.gateway import Gateway
    from tests.support import serve_http

    with serve_http(Gateway()) as url:
        yield url


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's ``chromium``, installed by ``make install``) driven by
    Playwright. Skips when chromium is missing, except under CI where it must be there.

    Test-scoped on purpose: Playwright's sync API keeps an asyncio loop running in the main
    thread while it is open, which breaks anything else that runs a loop there (the Mangum
    handler of the ``api`` fixture, ``asyncio.run``) — so it is open only during browser tests."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: `make install` as root installs it with apt-get"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own browser context (no cookies or storage shared between tests)."""
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def hung_endpoint() -> Iterator[HungServer]:
    """A loopback server that accepts connections and never answers (see ``HungServer``).

    Clients built against it are forgotten afterwards, so later tests talk to the real
    endpoints again."""
    with HungServer() as server:
        yield server
    reset_process_state()
