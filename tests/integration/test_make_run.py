"""`make run`'s runtime from the outside: start it as a process, follow its printed
instructions, and see the demo client's real metrics within 60 s."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
import pytest
from sqlalchemy.engine import URL

from local.runtime import aws as local_aws
from local.runtime import postgres
from socialmetrics.config import DEV_SECRET

ROOT = Path(__file__).resolve().parents[2]


def _read_lines(process: subprocess.Popen[str], sink: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:  # drained continuously so the child never blocks on a pipe
        sink.append(line)


def _webhook_reaches_the_api(base: str, headers: dict[str, str], user: str) -> None:
    """A signed WhatsApp status on :8000 goes gateway → webhook-meta → SQS → ingest → API."""
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "demo-whatsapp",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"phone_number_id": "1065000000"},
                                "statuses": [
                                    {
                                        "id": "wamid.makerun",
                                        "status": "read",
                                        "timestamp": str(int(time.time())),
                                        "recipient_id": "15550002222",
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()
    signature = hmac.new(DEV_SECRET.encode(), body, hashlib.sha256).hexdigest()
    with httpx.Client(base_url=base, timeout=10) as api:
        reply = api.post(
            "/webhooks/meta",
            content=body,
            headers={
                "content-type": "application/json",
                "x-hub-signature-256": f"sha256={signature}",
            },
        )
        assert reply.status_code == 200, reply.text
        deadline = time.monotonic() + 30
        read: list[dict[str, object]] = []
        while time.monotonic() < deadline and not read:
            rows = api.get(
                "/metrics/",
                params={"user_id": user, "metric_type": "messages_read"},
                headers=headers,
            ).json()
            read = [row for row in rows if row["source"] == "derived"]  # from status webhooks
            if not read:
                time.sleep(0.5)
    assert [row["value"] for row in read] == [1]


@dataclass
class Running:
    base: str
    https_port: int
    output: list[str]
    started: float

    def printed(self, pattern: str) -> re.Match[str]:
        match = re.search(pattern, "".join(self.output))
        assert match, "".join(self.output)
        return match


@contextlib.contextmanager
def running(pg_server: URL, *args: str, env: dict[str, str] | None = None) -> Iterator[Running]:
    """``python -m local.runtime run`` (what ``make run`` runs) on free ports and its own
    database, until it printed its instructions; SIGTERM and cleanup afterwards."""
    name = f"socialmetrics_run_{secrets.token_hex(3)}"
    database = postgres.create_database(pg_server, name)
    port, https_port = postgres.free_port(), postgres.free_port()
    child_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_ENDPOINT", "DATABASE_URL", "X_API", "GRAPH_", "TIKTOK_"))
    }
    child_env["DATABASE_URL"] = database.render_as_string(hide_password=False)
    child_env.update(env or {})
    command = [sys.executable, "-m", "local.runtime", "run", "--port", str(port)]
    command += ["--https-port", str(https_port), "--for-seconds", "90", *args]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    threading.Thread(target=_read_lines, args=(process, output), daemon=True).start()
    started = time.monotonic()
    try:
        while time.monotonic() - started < 60 and process.poll() is None:
            if any("Ctrl-C stops" in line for line in list(output)):
                break
            time.sleep(0.2)
        yield Running(f"http://127.0.0.1:{port}", https_port, output, started)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        postgres.drop_database(pg_server, name)
    assert process.returncode == 0, "".join(output)


@pytest.mark.slow
def test_run_serves_demo_metrics_within_a_minute(pg_server: URL) -> None:
    with running(pg_server) as run:
        match = run.printed(r"demo client user (\d+)\s+key (\S+)")
        user, key = match.group(1), match.group(2)
        with httpx.Client(base_url=run.base, timeout=10) as api:
            assert api.get("/health").json()["database"] == "reachable"
            token = api.post("/auth/login", json={"api_key": key}).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            rows: list[dict[str, object]] = []
            while time.monotonic() - run.started < 60 and not rows:
                reply = api.get("/metrics/", params={"user_id": user, "limit": 50}, headers=headers)
                assert reply.status_code == 200, reply.text
                rows = reply.json()
                if not rows:
                    time.sleep(1)
        assert rows, "no metrics within 60 s:\n" + "".join(run.output)
        certificate = ROOT / ".local" / "tls" / "cert.pem"
        with httpx.Client(verify=ssl.create_default_context(cafile=certificate)) as tls:
            secure = tls.get(f"https://127.0.0.1:{run.https_port}/health")
        assert secure.json()["database"] == "reachable"
        _webhook_reaches_the_api(run.base, headers, user)
        dashboard_url = run.printed(r"dashboard\s+(\S+)").group(1)
        page = httpx.get(dashboard_url, timeout=10)  # built by `make test` before pytest
        assert page.status_code == 200, page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.slow
def test_external_aws_endpoint_is_used_as_given(pg_server: URL) -> None:
    """``make run-localstack``'s switch: ``--external-aws`` uses ``AWS_ENDPOINT_URL`` as it is
    (here a moto server the test owns, standing in for LocalStack) and bootstraps it."""
    with local_aws.moto_server() as endpoint:
        with running(pg_server, "--external-aws", env={"AWS_ENDPOINT_URL": endpoint}) as run:
            assert run.printed(r"aws\s+(\S+)").group(1) == endpoint
            with httpx.Client(base_url=run.base, timeout=10) as api:
                assert api.get("/health/ready").json()["aws"] == "reachable"
        sqs = boto3.client(
            "sqs",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        names = {url.rsplit("/", 1)[-1] for url in sqs.list_queues()["QueueUrls"]}
    assert {"socialmetrics-collect-x", "socialmetrics-events-dlq"} <= names
