"""docker-compose.localstack.yml provides what `make run-localstack` points the runtime at."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.infra.conftest import ROOT


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(
        (ROOT / "docker-compose.localstack.yml").read_text(encoding="utf-8")
    )
    return document


def test_localstack_serves_the_aws_services_on_4566(compose: dict[str, Any]) -> None:
    localstack = compose["services"]["localstack"]
    assert localstack["image"].startswith("localstack/localstack")
    assert "127.0.0.1:4566:4566" in localstack["ports"]
    services = set(localstack["environment"]["SERVICES"].split(","))
    assert {"sqs", "kms", "s3", "events", "scheduler", "secretsmanager", "ssm"} <= services


def test_postgres_matches_the_makefile_database_url(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "127.0.0.1:5433:5432" in postgres["ports"]
    environment = postgres["environment"]
    assert environment == {
        "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "postgres",
        "POSTGRES_DB": "socialmetrics",
    }
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "postgresql://postgres:postgres@127.0.0.1:5433/socialmetrics" in makefile
    assert "AWS_ENDPOINT_URL=http://127.0.0.1:4566" in makefile
    assert "docker-compose.localstack.yml" in makefile


def test_every_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert service["healthcheck"]["test"], name
