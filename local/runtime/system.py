"""Run the whole system on one machine, the way the stack runs on AWS.

Started on loopback, in order: Postgres (``DATABASE_URL``, the machine's server, or a throwaway
cluster under ``.local/``), the AWS endpoint (moto's server on :4566, or LocalStack with
``--external-aws``) bootstrapped with the stack's resources, migrations, the platform sandbox,
the demo tenant, the gateway on :8000 and, with a self-signed certificate, on :8443 (HTTP →
API Gateway v2 events → the api and webhook handlers), queue pollers (SQS → SQS events →
collector and ingest) and schedule ticks (EventBridge Scheduler events → scheduler and
maintenance). Local state lives in ``.local/``;
Ctrl-C (or ``for_seconds``) stops everything this process started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra import definition
from local.runtime import aws as local_aws
from local.runtime import postgres
from local.runtime.process import reset_process_state

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parents[2]
STATE = ROOT / ".local"
CREDENTIALS = STATE / "demo-credentials.json"
LOCAL_DATABASE = "socialmetrics_local"
MOTO_PORT = 4566
COLLECT_TICK_SECONDS = 10.0
SIGNALS_RELAY_SECONDS = 5.0  # outbox → delivery queue (every minute on AWS)
SHUTDOWN_SECONDS = 60.0
LOCAL_DEFAULTS = {
    "ENVIRONMENT": "local",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "SCHEDULER_WINDOW_SECONDS": "0",  # no spreading: the demo shows data at once
    "COLLECT_RETRY_BASE_SECONDS": "5",
    "LOG_LEVEL": "WARNING",  # the terminal shows progress lines; LOG_LEVEL=INFO for JSON logs
    "POWERTOOLS_METRICS_DISABLED": "true",  # no EMF blobs on the terminal
    # One process hosts every function here; on AWS each function has its own name.
    "POWERTOOLS_SERVICE_NAME": "socialmetrics-local",
    "POWERTOOLS_METRICS_NAMESPACE": "socialmetrics",
}


class LocalRunError(RuntimeError):
    """``make run`` cannot start; the message says why and what to do (no traceback)."""


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def check_ports(port: int, https_port: int) -> None:
    """Refuse to start when a gateway port is taken, naming it and how to choose others."""
    if port == https_port:
        raise LocalRunError(f"PORT and HTTPS_PORT are both {port}; give them different values")
    for name, number in (("PORT", port), ("HTTPS_PORT", https_port)):
        if not 0 < number < 65_536:
            raise LocalRunError(f"{name}={number} is not a TCP port (1-65535)")
        if not _port_free(number):
            raise LocalRunError(
                f"port {number} on 127.0.0.1 ({name}) is already in use, perhaps by another "
                f"make run. Stop it, or pick free ports: make run PORT={port + 100} "
                f"HTTPS_PORT={https_port + 100}"
            )


def _database_url(server_url: URL) -> str:
    """The run's database: ``DATABASE_URL``'s (created when missing) or ``socialmetrics_local``."""
    given = server_url.database if "DATABASE_URL" in os.environ else None
    name = given if given and given != "postgres" else LOCAL_DATABASE
    try:
        url, created = postgres.prepare_database(server_url, name)
    except postgres.DatabaseUnavailable as exc:
        raise LocalRunError(str(exc)) from None
    if created:
        _say(f"created database {name!r}")
    rendered: str = url.render_as_string(hide_password=False)
    return rendered


@contextlib.contextmanager
def _aws_endpoint(external: bool) -> Iterator[str]:
    if external:
        yield os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
        return
    port = MOTO_PORT if not postgres.port_open("127.0.0.1", MOTO_PORT) else None
    with local_aws.moto_server(port) as endpoint:
        yield endpoint


def _say(message: str = "") -> None:
    print(message, flush=True)


@contextlib.contextmanager
def _serve(app: Any, port: int, tls: tuple[Path, Path] | None = None) -> Iterator[None]:
    import uvicorn

    certfile, keyfile = tls if tls else (None, None)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            ssl_certfile=str(certfile) if certfile else None,
            ssl_keyfile=str(keyfile) if keyfile else None,
        )
    )
    thread = threading.Thread(target=server.run, name=f"http:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise LocalRunError(
                f"could not serve on 127.0.0.1:{port} (in use?); pick another port, e.g. "
                f"make run PORT={port + 100}"
            )
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _progress() -> str:
    from sqlalchemy import text

    from socialmetrics.db.engine import unit_of_work

    with unit_of_work() as session:
        row = session.execute(
            text(
                "SELECT (SELECT count(*) FROM accounts WHERE last_collected_at IS NOT NULL) AS a,"
                " (SELECT count(*) FROM accounts) AS total,"
                " (SELECT count(*) FROM metrics) AS points,"
                " (SELECT count(*) FROM collection_runs) AS runs"
            )
        ).one()
    return (
        f"accounts collected {row.a}/{row.total}, collection runs {row.runs},"
        f" points stored {row.points}"
    )


def _print_howto(port: int, https_port: int, credentials: dict[str, Any]) -> None:
    base = f"http://127.0.0.1:{port}"
    client = credentials["client"]
    admin = credentials["admin"]
    _say()
    _say(f"API        {base}   (OpenAPI docs: {base}/docs)")
    _say(
        f"HTTPS      https://127.0.0.1:{https_port}  (self-signed: curl --cacert"
        f" {(STATE / 'tls' / 'cert.pem').relative_to(ROOT)})"
    )
    _say(f"webhooks   {base}/webhooks/meta | /webhooks/x | /webhooks/tiktok")
    _say(f"dashboard  {base}/dashboard/  (sign in with a key below)")
    _say(f"demo admin  user {admin['user_id']}  key {admin['api_key']}")
    _say(f"demo client user {client['user_id']}  key {client['api_key']}")
    _say(f"(keys also in {CREDENTIALS.relative_to(ROOT)})")
    _say()
    _say("Try it:")
    _say(f"  curl -s {base}/health")
    _say(
        f"  TOKEN=$(curl -s -X POST {base}/auth/login -H 'content-type: application/json'"
        f' -d \'{{"api_key": "{client["api_key"]}"}}\''
        " | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')"
    )
    _say(
        f'  curl -s -H "Authorization: Bearer $TOKEN"'
        f' "{base}/metrics/?user_id={client["user_id"]}&platform=instagram&limit=5"'
    )
    _say(
        f'  curl -s -H "Authorization: Bearer $TOKEN"'
        f' "{base}/metrics/summary?user_id={client["user_id"]}&metric_type=followers'
        '&interval=day&agg=last"'
    )
    _say(f'  curl -s -H "Authorization: Bearer $TOKEN" "{base}/users/{client["user_id"]}/tokens/"')
    _say()
    _say("See a signed webhook arrive: make the sandbox revoke the demo client's X token")
    _say(
        f"  curl -s -X POST {credentials['sandbox_url']}/_sandbox/faults -H 'content-type:"
        f' application/json\' -d \'{{"platform": "X", "account":'
        f' "{credentials["platform_accounts"].get("X", "")}", "kind": "token_dead"}}\''
    )
    _say("  then collect it now as the admin (log in with the admin key as above, ADMIN_TOKEN):")
    _say(
        f'  curl -s -X POST -H "Authorization: Bearer $ADMIN_TOKEN"'
        f" {base}/accounts/{credentials['x_account_id']}/collect"
    )
    _say("  → the collector marks it for reauth; [receiver] prints account.reauth_required")
    _say()
    _say("Collection runs every few seconds here (every 15 minutes on AWS). Ctrl-C stops.")


def run(
    port: int = 8000,
    *,
    https_port: int = 8443,
    external_aws: bool = False,
    for_seconds: float | None = None,
) -> int:
    """Start everything, print how to call it, serve until Ctrl-C/SIGTERM or ``for_seconds``."""
    check_ports(port, https_port)
    STATE.mkdir(exist_ok=True)
    # One process hosts every function: the strictest of their time budgets applies.
    for name, value in {**definition.local_budget_environment(), **LOCAL_DEFAULTS}.items():
        os.environ.setdefault(name, value)
    with contextlib.ExitStack() as stack:
        server_url = stack.enter_context(postgres.server(STATE / "pg"))
        os.environ["DATABASE_URL"] = _database_url(server_url)
        endpoint = stack.enter_context(_aws_endpoint(external_aws))
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        reset_process_state()

        from local.sandbox.server import base_url_env, run_in_thread
        from socialmetrics.config import get_settings
        from socialmetrics.db import migrate

        sandbox_url = stack.enter_context(run_in_thread(seed=7))
        os.environ.update(base_url_env(sandbox_url))
        reset_process_state()
        settings = get_settings()
        migrate.upgrade()
        local_aws.bootstrap(settings)
        _say(f"postgres   {settings.database.render_as_string(hide_password=True)}")
        _say(f"aws        {endpoint}")
        _say(f"sandbox    {sandbox_url}  (X, Facebook, Instagram, WhatsApp, TikTok)")

        from local.runtime.demo import ensure_demo_tenant
        from local.runtime.gateway import Gateway
        from local.runtime.pollers import BatchResult, QueuePollers
        from local.runtime.ticks import ScheduleTicks
        from local.runtime.tls import self_signed

        credentials = ensure_demo_tenant(sandbox_url, CREDENTIALS)
        gateway = Gateway()
        stack.enter_context(_serve(gateway, port))
        stack.enter_context(_serve(gateway, https_port, self_signed(STATE / "tls")))

        def on_batch(batch: BatchResult) -> None:
            failed = f", {batch.failed} to retry" if batch.failed else ""
            _say(f"[{batch.queue}] {batch.succeeded} message(s) done{failed} | {_progress()}")

        from local.runtime.demo import ensure_demo_endpoint
        from local.runtime.receiver import Delivery, Receiver, serve

        def on_delivery(delivery: Delivery) -> None:
            event = delivery.event
            check = {True: "signature verified", False: "BAD SIGNATURE", None: "unverified"}
            note = check[delivery.verified] + (" (replay)" if delivery.replay else "")
            _say(f"[receiver] {event.get('type')} {event.get('id')}: {note}")

        receiver = stack.enter_context(serve(Receiver(on_delivery=on_delivery)))
        receiver.secret = ensure_demo_endpoint(credentials["client"]["user_id"], receiver.url)
        _say(f"receiver   {receiver.url}  (the demo client's signed outbound events print here)")
        stack.enter_context(QueuePollers(on_batch=on_batch))
        stack.enter_context(ScheduleTicks(["collect-tick"], interval=COLLECT_TICK_SECONDS))
        stack.enter_context(ScheduleTicks(["signals-relay"], interval=SIGNALS_RELAY_SECONDS))
        stack.enter_context(ScheduleTicks(["maintenance-daily"]))
        from local.runtime.demo import demo_account_id

        x_account = demo_account_id(credentials["client"]["user_id"], "X")
        _print_howto(
            port,
            https_port,
            {**credentials, "sandbox_url": sandbox_url, "x_account_id": x_account},
        )

        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait(for_seconds)
        _say("stopping…")
        # Every component stops within its own bound; this is the backstop for one that
        # does not (the process must never outlive Ctrl-C holding ports 8000/8443/4566).
        watchdog = threading.Timer(SHUTDOWN_SECONDS, lambda: os._exit(1))
        watchdog.daemon = True
        watchdog.start()
    _say("stopped")
    return 0
