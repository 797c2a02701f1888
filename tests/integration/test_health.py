"""/health reports the database; an unreachable one gives 503 problem+json, not a crash."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from local.runtime.postgres import free_port
from tests.support import reset_process_state


@pytest.fixture
def client(db: str, aws_resources: object) -> Iterator[TestClient]:
    from functions.api.app import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


def test_health_reports_database_reachable(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable"}


def test_both_slash_forms_answer(client: TestClient) -> None:
    assert client.get("/health/").status_code == 200
    assert client.get("/health/ready/").status_code == 200


def test_ready_checks_database_and_aws(client: TestClient) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["aws"] == "reachable"


def test_unreachable_database_gives_503_problem(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.api.app import create_app

    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_SECONDS", "1")
    reset_process_state()
    try:
        response = TestClient(create_app()).get("/health")
    finally:
        monkeypatch.undo()
        reset_process_state()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 503
    assert body["title"] == "Service unavailable"
    assert "Traceback" not in response.text


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
