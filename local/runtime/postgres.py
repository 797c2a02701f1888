"""Find or start a real PostgreSQL for local runs and tests.

Order: ``DATABASE_URL`` when set; else a server already answering on 127.0.0.1:5432 (user
``postgres``, trust auth); else a throwaway cluster from the Debian binaries (``initdb`` /
``pg_ctl``, run as the ``postgres`` user when we are root, installed with apt when missing)
on a free loopback port with fsync off, stopped when the owner exits.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

DEFAULT_SERVER = "postgresql+pg8000://postgres@127.0.0.1:5432/postgres"
# CREATE/DROP DATABASE wait for a checkpoint, which a busy shared server can take seconds to do.
ADMIN_TIMEOUT_SECONDS = 60.0
PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary(name: str) -> str:
    for folder in PG_BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "postgresql"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        return _binary_after_install(name)
    raise RuntimeError(f"PostgreSQL binary {name!r} not found; install the postgresql package")


def _binary_after_install(name: str) -> str:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    raise RuntimeError(f"PostgreSQL binary {name!r} still missing after apt-get install")


@dataclass
class Cluster:
    """A throwaway PostgreSQL cluster owned by this process."""

    data_dir: Path
    port: int
    as_user: str | None

    @property
    def url(self) -> URL:
        return make_url(f"postgresql+pg8000://postgres@127.0.0.1:{self.port}/postgres")

    def _run(self, *args: str) -> None:
        command = list(args)
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            entry = pwd.getpwnam(self.as_user)
            for path in (self.data_dir.parent, self.data_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                _binary("initdb"), "-D", str(self.data_dir), "-U", "postgres",
                "--auth=trust", "--encoding=UTF8", "--no-sync",
            )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off "
            f"-c unix_socket_directories={self.data_dir}"
        )
        self._run(
            _binary("pg_ctl"), "-D", str(self.data_dir), "-o", options,
            "-l", str(self.data_dir / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run(_binary("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop")


def _cluster_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
    return "postgres"


@contextlib.contextmanager
def throwaway_cluster(base_dir: Path, port: int | None = None) -> Iterator[Cluster]:
    data_dir = base_dir / "pgdata"
    if data_dir.exists() and not (data_dir / "PG_VERSION").exists():
        shutil.rmtree(data_dir)
    base_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(base_dir, 0o755)  # noqa: S103 - the postgres user must traverse it
    cluster = Cluster(data_dir=data_dir, port=port or free_port(), as_user=_cluster_user())
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@contextlib.contextmanager
def server(base_dir: Path, *, allow_default: bool = True) -> Iterator[URL]:
    """Yield a server-level URL (database ``postgres``) of a reachable PostgreSQL."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield make_url(configured).set(drivername="postgresql+pg8000")
        return
    if allow_default and port_open("127.0.0.1", 5432):
        yield make_url(DEFAULT_SERVER)
        return
    with throwaway_cluster(base_dir) as cluster:
        yield cluster.url


def connect(url: URL, timeout: float = 5.0) -> Any:
    """A raw pg8000 connection (administrative statements outside any transaction)."""
    import pg8000.native

    return pg8000.native.Connection(
        user=url.username or "postgres",
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        database=url.database or "postgres",
        password=url.password,
        timeout=timeout,
    )


def wait_ready(url: URL, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            connect(url, timeout=3).close()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def create_database(server_url: URL, name: str) -> URL:
    """Create database ``name`` (dropping a leftover of the same name) and return its URL."""
    import pg8000.native

    conn = connect(server_url, timeout=ADMIN_TIMEOUT_SECONDS)
    try:
        ident = pg8000.native.identifier(name)
        conn.run(f"DROP DATABASE IF EXISTS {ident} WITH (FORCE)")
        conn.run(f"CREATE DATABASE {ident}")
    finally:
        conn.close()
    return server_url.set(database=name)


def ensure_database(server_url: URL, name: str) -> URL:
    """Create database ``name`` if it does not exist yet (keeps existing data)."""
    return prepare_database(server_url, name)[0]


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL cannot be reached, or the database cannot be created; says which and why."""


def _where(url: URL) -> str:
    return f"PostgreSQL at {url.host or '127.0.0.1'}:{url.port or 5432} as {url.username!r}"


def prepare_database(url: URL, name: str, timeout: float = 30.0) -> tuple[URL, bool]:
    """The URL of database ``name`` on ``url``'s server, created when missing; returns
    ``(url, created)``. Failures raise :class:`DatabaseUnavailable` naming the server, the user
    and the database, without a driver traceback."""
    import pg8000.native

    server = url.set(database="postgres")
    try:
        wait_ready(server, timeout=timeout)
        conn = connect(server, timeout=ADMIN_TIMEOUT_SECONDS)
    except Exception as exc:
        raise DatabaseUnavailable(
            f"{_where(url)} is not answering ({_reason(exc)}); start PostgreSQL or fix "
            "DATABASE_URL (unset it to let make run find or start one)"
        ) from None
    try:
        exists = conn.run("SELECT 1 FROM pg_database WHERE datname = :n", n=name)
        if not exists:
            conn.run(f"CREATE DATABASE {pg8000.native.identifier(name)}")
    except Exception as exc:
        raise DatabaseUnavailable(
            f"database {name!r} does not exist on {_where(url)} and could not be created "
            f"({_reason(exc)}); create it yourself or name another one in DATABASE_URL"
        ) from None
    finally:
        conn.close()
    return url.set(database=name), not exists


def _reason(exc: BaseException) -> str:
    """A driver error in one line: pg8000 puts the server's message under ``M``."""
    detail = exc.args[0] if exc.args else exc
    if isinstance(detail, dict):
        return str(detail.get("M") or detail)
    return str(detail) or type(exc).__name__


def drop_database(server_url: URL, name: str) -> None:
    import pg8000.native

    conn = connect(server_url, timeout=ADMIN_TIMEOUT_SECONDS)
    try:
        conn.run(f"DROP DATABASE IF EXISTS {pg8000.native.identifier(name)} WITH (FORCE)")
    finally:
        conn.close()
