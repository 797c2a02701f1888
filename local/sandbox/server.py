"""Run the sandbox: in a background thread (tests, benchmarks, ``make run``) or standalone.

    with run_in_thread(seed=7) as base_url:
        os.environ.update(base_url_env(base_url))   # every platform base URL → the sandbox

``python -m local.sandbox.server --port 8100`` serves it in the foreground.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn

from local.sandbox.app import create_app
from local.sandbox.state import SandboxState


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def base_url_env(base_url: str, graph_api_version: str | None = None) -> dict[str, str]:
    """Settings overrides (environment variables) pointing every platform at the sandbox."""
    base = base_url.rstrip("/")
    env = {
        "X_API_BASE_URL": f"{base}/x",
        "GRAPH_API_BASE_URL": f"{base}/graph",
        "INSTAGRAM_GRAPH_BASE_URL": f"{base}/instagram",
        "TIKTOK_API_BASE_URL": f"{base}/tiktok",
        "TIKTOK_BUSINESS_BASE_URL": f"{base}/tiktok-business/open_api/v1.3",
    }
    if graph_api_version:
        env["GRAPH_API_VERSION"] = graph_api_version
    return env


def state_from_settings(seed: int = 7) -> SandboxState:
    """A state whose app credentials match the process settings (so clients authenticate)."""
    from socialmetrics.config import get_settings

    settings = get_settings()
    state = SandboxState(seed=seed)
    state.x_client_id = settings.x_client_id
    state.x_client_secret = settings.x_client_secret.get_secret_value()
    state.meta_app_id = settings.meta_app_id
    state.meta_app_secret = settings.meta_app_secret.get_secret_value()
    state.tiktok_client_key = settings.tiktok_client_key
    state.tiktok_client_secret = settings.tiktok_client_secret.get_secret_value()
    return state


@contextlib.contextmanager
def run_in_thread(
    seed: int = 7, port: int | None = None, state: SandboxState | None = None
) -> Iterator[str]:
    """Serve the sandbox on a loopback port in a daemon thread; yields its base URL."""
    port = port or free_port()
    app = create_app(state or state_from_settings(seed))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"sandbox:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"sandbox did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main() -> None:  # pragma: no cover - manual entry point
    parser = argparse.ArgumentParser(description="Serve the platform sandbox")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    uvicorn.run(create_app(state_from_settings(args.seed)), host="127.0.0.1", port=args.port)


if __name__ == "__main__":  # pragma: no cover
    main()
