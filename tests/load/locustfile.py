"""Locust load test of a running stack (``make load`` against ``make run``; the test in
tests/integration/test_load.py against a stack it starts).

Two kinds of users:

* ``ApiClient`` logs in with an API key and reads like a dashboard would: metric pages
  (following ``X-Next-Cursor``), time-bucket summaries, a CSV export, and re-registers (rotates)
  one platform token of its own.
* ``PlatformWebhooks`` delivers webhook events the way Meta and X do, each with a valid
  signature (``X-Hub-Signature-256``, ``x-twitter-webhooks-signature``) and a unique event id.

Settings (environment): ``LOAD_API_KEY`` (default: the demo client's key from
``.local/demo-credentials.json``, written by ``make run``) and ``LOAD_WEBHOOK_SECRET`` (default:
the development app secret ``make run`` uses).
"""

from __future__ import annotations

import copy
import csv
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task
from locust.env import Environment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

from scripts.sign_events import WHATSAPP_STATUS, X_ACCOUNT_ACTIVITY
from socialmetrics.config import DEV_SECRET
from socialmetrics.security.webhook_signatures import sign_meta, sign_x

CREDENTIALS = Path(__file__).resolve().parents[2] / ".local" / "demo-credentials.json"
PAGES = 3


def api_key() -> str:
    key = os.environ.get("LOAD_API_KEY")
    if key:
        return key
    if not CREDENTIALS.exists():
        raise SystemExit(f"set LOAD_API_KEY or start `make run` (it writes {CREDENTIALS})")
    credentials: dict[str, Any] = json.loads(CREDENTIALS.read_text())
    return str(credentials["client"]["api_key"])


def webhook_secret() -> str:
    return os.environ.get("LOAD_WEBHOOK_SECRET", DEV_SECRET)


RUN: dict[str, Environment] = {}


def remember_environment(environment: Environment, **_: Any) -> None:
    RUN["environment"] = environment


def write_final_stats(**_: Any) -> None:
    """``<csv>_final_stats.csv``: the complete figures at exit (locust's own ``_stats.csv`` is
    rewritten once a second, so it can miss the last second and the stop timeout)."""
    environment = RUN.get("environment")
    prefix = getattr(environment and environment.parsed_options, "csv_prefix", None)
    if environment is not None and prefix:
        with open(f"{prefix}_final_stats.csv", "w", newline="") as handle:
            StatsCSV(environment, PERCENTILES_TO_REPORT).requests_csv(csv.writer(handle))


events.init.add_listener(remember_environment)  # type: ignore[no-untyped-call]
events.quit.add_listener(write_final_stats)  # type: ignore[no-untyped-call]


class ApiClient(HttpUser):
    weight = 4
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        reply = self.client.post("/auth/login", json={"api_key": api_key()}, name="login")
        reply.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
        platforms = self.client.get("/platforms/", name="platforms").json()
        self.platform_id = next(p["platform_id"] for p in platforms if p["name"] == "X")
        self.platform_user_id = f"load-{secrets.token_hex(6)}"
        # A dashboard's first screen touches everything once; then the weighted tasks run.
        self.register_token()
        self.metric_pages()
        self.summary()
        self.csv_export()

    @task(6)
    def metric_pages(self) -> None:
        params: dict[str, str | int] = {"limit": 50}
        for _ in range(PAGES):
            reply = self.client.get("/metrics/", params=params, name="metrics page")
            cursor = reply.headers.get("X-Next-Cursor")
            if not cursor:
                break
            params = {"limit": 50, "cursor": cursor}

    @task(3)
    def summary(self) -> None:
        self.client.get(
            "/metrics/summary",
            params={"interval": "day", "agg": "sum", "limit": 200},
            name="metrics summary",
        )

    @task(1)
    def csv_export(self) -> None:
        with self.client.get(
            "/metrics/",
            params={"limit": 1000},
            headers={"Accept": "text/csv"},
            name="metrics csv",
            catch_response=True,
        ) as reply:
            if not reply.text.startswith("metric_id,"):
                reply.failure("not a CSV export")

    @task(1)
    def register_token(self) -> None:
        body = {
            "platform_user_id": self.platform_user_id,
            "access_token": f"load-{secrets.token_hex(8)}",
            "platform_id": self.platform_id,
        }
        self.client.post("/users/register-token/", json=body, name="register-token")


class PlatformWebhooks(HttpUser):
    weight = 1
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        self.x_follow()

    @task(2)
    def whatsapp_status(self) -> None:
        event: dict[str, Any] = copy.deepcopy(WHATSAPP_STATUS)
        status = event["entry"][0]["changes"][0]["value"]["statuses"][0]
        status["id"] = f"wamid.load.{secrets.token_hex(12)}"
        status["timestamp"] = str(int(time.time()))
        body = json.dumps(event, separators=(",", ":")).encode()
        self.client.post(
            "/webhooks/meta",
            data=body,
            headers={
                "content-type": "application/json",
                "x-hub-signature-256": sign_meta(webhook_secret(), body),
            },
            name="webhook meta",
        )

    @task(1)
    def x_follow(self) -> None:
        event: dict[str, Any] = copy.deepcopy(X_ACCOUNT_ACTIVITY)
        follow = event["follow_events"][0]
        follow["created_timestamp"] = str(int(time.time() * 1000))
        follow["source"] = {"id": str(secrets.randbelow(10**12)), "screen_name": "load"}
        body = json.dumps(event, separators=(",", ":")).encode()
        self.client.post(
            "/webhooks/x",
            data=body,
            headers={
                "content-type": "application/json",
                "x-twitter-webhooks-signature": sign_x(webhook_secret(), body),
            },
            name="webhook x",
        )
