"""Run the whole system on one machine: Postgres, the AWS endpoint, migrations, the API.

Everything listens on loopback; local state lives in ``.local/``. Ctrl-C (or ``for_seconds``)
stops everything this process started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from local.runtime import aws as local_aws
from local.runtime import postgres

ROOT = Path(__file__).resolve().parents[2]
STATE = ROOT / ".local"
LOCAL_DATABASE = "socialmetrics_local"
MOTO_PORT = 4566


def _reset_process_state() -> None:
    from socialmetrics import aws
    from socialmetrics.config import get_settings
    from socialmetrics.db import engine

    engine.dispose()
    get_settings.cache_clear()
    aws.reset_caches()


@contextlib.contextmanager
def _aws_endpoint(external: bool) -> Iterator[str]:
    if external:
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
        yield endpoint
        return
    port = MOTO_PORT if not postgres.port_open("127.0.0.1", MOTO_PORT) else None
    with local_aws.moto_server(port) as endpoint:
        yield endpoint


def _say(message: str) -> None:
    print(message, flush=True)


def run(port: int = 8000, *, external_aws: bool = False, for_seconds: float | None = None) -> int:
    import uvicorn

    STATE.mkdir(exist_ok=True)
    os.environ.setdefault("ENVIRONMENT", "local")
    for name, value in (("AWS_ACCESS_KEY_ID", "local"), ("AWS_SECRET_ACCESS_KEY", "local")):
        os.environ.setdefault(name, value)
    with contextlib.ExitStack() as stack:
        server_url = stack.enter_context(postgres.server(STATE / "pg"))
        postgres.wait_ready(server_url)
        if "DATABASE_URL" not in os.environ or server_url.database == "postgres":
            database = postgres.ensure_database(server_url, LOCAL_DATABASE)
            os.environ["DATABASE_URL"] = database.render_as_string(hide_password=False)
        endpoint = stack.enter_context(_aws_endpoint(external_aws))
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        _reset_process_state()

        from socialmetrics.config import get_settings
        from socialmetrics.db import migrate

        settings = get_settings()
        migrate.upgrade()
        local_aws.bootstrap(settings)
        _say(f"postgres  {settings.database.render_as_string(hide_password=True)}")
        _say(f"aws       {endpoint}")

        from functions.api.app import create_app

        config = uvicorn.Config(
            create_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="api", daemon=True)
        thread.start()
        while not server.started and thread.is_alive():
            time.sleep(0.05)
        _say(f"api       http://127.0.0.1:{port}  (docs at /docs)")
        _say(f"try:      curl -s http://127.0.0.1:{port}/health")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait(for_seconds)
        except KeyboardInterrupt:
            pass
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            _say("stopped")
    return 0
