"""API fixtures: the real Mangum handler over a migrated Postgres and moto's KMS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from mangum import Mangum

from tests.integration.api.gateway import Api


@dataclass
class Person:
    user_id: int
    api_key: str
    token: str


SIGNING_KEY = "test-signing-key-that-is-long-enough-for-hs256-0123456789"


@pytest.fixture
def api(db: str, aws_resources: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    from functions.api.app import create_app
    from socialmetrics.config import get_settings
    from socialmetrics.security import envelope

    monkeypatch.setenv("JWT_SIGNING_KEY", SIGNING_KEY)
    get_settings.cache_clear()
    envelope.reset_default_provider()
    yield Api(Mangum(create_app(), lifespan="off"))
    monkeypatch.undo()
    get_settings.cache_clear()
    envelope.reset_default_provider()


def make_person(api: Api, name: str, role: str = "client") -> Person:
    from socialmetrics.db.engine import unit_of_work
    from socialmetrics.identity.service import create_user_with_key

    with unit_of_work() as session:
        user_id, key = create_user_with_key(session, name, f"{name.lower()}@example.com", role)
    return Person(user_id, key, api.login(key))


@pytest.fixture
def admin(api: Api) -> Person:
    return make_person(api, "Admin", "admin")


@pytest.fixture
def client(api: Api) -> Person:
    return make_person(api, "Ana")


@pytest.fixture
def other(api: Api) -> Person:
    return make_person(api, "Bruno")
