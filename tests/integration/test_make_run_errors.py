"""`make run` explains what stops it: a busy port (and how to pick others), an unreachable
server; a DATABASE_URL naming a missing database gets that database created."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

from local.runtime import postgres, system

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def _listening() -> Iterator[int]:
    """A loopback port held by a listening socket (what another make run looks like)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        yield int(holder.getsockname()[1])


def test_make_passes_port_and_https_port_to_the_runtime() -> None:
    done = subprocess.run(
        ["make", "-n", "run", "PORT=8100", "HTTPS_PORT=8543"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "-m local.runtime run --port 8100 --https-port 8543" in done.stdout


def test_a_busy_port_is_named_with_how_to_pick_another_and_no_traceback() -> None:
    with _listening() as busy:
        free = postgres.free_port()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "local.runtime",
                "run",
                "--port",
                str(busy),
                "--https-port",
                str(free),
                "--for-seconds",
                "1",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/never_used"},
        )
    assert done.returncode == 2
    assert f"port {busy} on 127.0.0.1 (PORT) is already in use" in done.stderr
    assert f"make run PORT={busy + 100} HTTPS_PORT={free + 100}" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_the_https_port_is_checked_too_and_ports_must_differ() -> None:
    with _listening() as busy, pytest.raises(system.LocalRunError, match=r"\(HTTPS_PORT\)"):
        system.check_ports(postgres.free_port(), busy)
    with pytest.raises(system.LocalRunError, match="different values"):
        system.check_ports(8100, 8100)
    system.check_ports(postgres.free_port(), postgres.free_port())  # free ports pass


def test_a_missing_database_is_created_and_an_existing_one_kept(pg_server: URL) -> None:
    name = f"socialmetrics_missing_{secrets.token_hex(3)}"
    url = pg_server.set(database=name)
    try:
        created_url, created = postgres.prepare_database(url, name)
        assert (created_url.database, created) == (name, True)
        postgres.connect(created_url).close()  # it exists now
        assert postgres.prepare_database(url, name)[1] is False
    finally:
        postgres.drop_database(pg_server, name)


def test_an_unreachable_server_is_named_without_a_driver_traceback() -> None:
    port = postgres.free_port()  # nothing listens there
    url = make_url(f"postgresql+pg8000://ops@127.0.0.1:{port}/metrics")
    with pytest.raises(postgres.DatabaseUnavailable) as caught:
        postgres.prepare_database(url, "metrics", timeout=0.5)
    message = str(caught.value)
    assert f"PostgreSQL at 127.0.0.1:{port} as 'ops' is not answering" in message
    assert "DATABASE_URL" in message
