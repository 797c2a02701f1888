"""Every route x {anonymous, client, other client, admin} x {own id, foreign id}.

A client reaches only its own user: every foreign id answers 404, and no foreign row (email,
account id, metric) ever appears in a body. Admin-only routes answer 403 to clients and 401
to anonymous callers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from socialmetrics.db.engine import unit_of_work
from socialmetrics.db.metrics import Owner, upsert_points
from socialmetrics.points import MetricPoint
from tests.factories import without_platform
from tests.integration.api.conftest import Person, make_person
from tests.integration.api.gateway import Api, Reply

FOREIGN_MARKERS = ("carla-foreign", "foreign-acct-777", "foreign_metric")


def _seed_user_data(api: Api, person: Person, platform_user_id: str, metric: str) -> int:
    from socialmetrics.compliance.audit import Actor
    from socialmetrics.compliance.consent import record_consent
    from socialmetrics.registration import register_token

    with unit_of_work() as session:
        actor = Actor(person.user_id, "client")
        account = register_token(session, actor, person.user_id, 3, platform_user_id, "act.x1")
        record_consent(session, person.user_id, True, actor)
        upsert_points(
            session,
            Owner(person.user_id, 3, account.account_id),
            [MetricPoint(metric, Decimal(7), datetime(2025, 1, 2, tzinfo=UTC))],
        )
    return account.account_id


def _user_routes(uid: int, account_id: int, email: str) -> list[tuple[str, str, dict[str, object]]]:
    reg = {"platform_user_id": f"new-{uid}", "access_token": "act.y2", "platform_id": 2}
    return [
        ("GET", f"/users/{uid}", {}),
        ("PATCH", f"/users/{uid}", {"body": {"name": "Renamed"}}),
        ("PUT", f"/users/{uid}/", {"body": {"name": "Renamed", "email": email}}),
        ("GET", f"/users/{uid}/tokens/", {}),
        ("GET", f"/users/{uid}/tokens", {}),
        ("GET", f"/users/{uid}/export", {}),
        ("GET", f"/consent/{uid}", {}),
        ("POST", "/consent/", {"body": {"user_id": uid, "consent_given": True}}),
        ("POST", "/users/register-token/", {"body": {**reg, "user_id": uid}}),
        ("GET", "/metrics/", {"query": f"user_id={uid}"}),
        ("GET", "/metrics/summary", {"query": f"user_id={uid}&interval=month"}),
        ("GET", "/metrics/", {"query": f"account_id={account_id}"}),
        ("GET", "/metrics/summary", {"query": f"account_id={account_id}&interval=month"}),
        ("DELETE", f"/users/{uid}/tokens/{account_id}", {}),
        ("DELETE", f"/users/{uid}", {}),
    ]


def _admin_routes(spare_platform: int) -> list[tuple[str, str, dict[str, object]]]:
    return [
        ("GET", "/users/", {}),
        ("POST", "/users", {"body": {"name": "Dora", "email": "dora@example.com"}}),
        ("POST", "/platforms/", {"body": {"name": "tiktok", "family": "tiktok"}}),
        ("PUT", f"/platforms/{spare_platform}", {"body": {"api_key": "k"}}),
        ("DELETE", f"/platforms/{spare_platform}/", {}),
    ]


@pytest.fixture
def spare_platform(api: Api) -> Iterator[int]:
    """A platform row the test may change and delete, and TikTok's seeded row removed so an
    admin can add it back; the seed is restored afterwards."""
    with without_platform("TikTok"):
        with unit_of_work() as session:
            platform_id = int(
                session.execute(
                    text(
                        "INSERT INTO platforms (name, family) VALUES ('Spare', 'meta') RETURNING id"
                    )
                ).scalar_one()
            )
        yield platform_id


def _ok(reply: Reply) -> bool:
    return 200 <= reply.status < 300


@pytest.mark.parametrize("who", ["anonymous", "client", "other", "admin"])
@pytest.mark.parametrize("target", ["own", "foreign"])
def test_every_route_answers_each_caller_as_expected(
    api: Api, spare_platform: int, who: str, target: str
) -> None:
    admin = make_person(api, "Admin", "admin")
    ana = make_person(api, "Ana")
    bruno = make_person(api, "Bruno")
    carla = make_person(api, "carla-foreign")
    _seed_user_data(api, ana, "ana-acct", "ana_metric")
    _seed_user_data(api, bruno, "bruno-acct", "bruno_metric")
    carla_account = _seed_user_data(api, carla, "foreign-acct-777", "foreign_metric")
    caller = {"anonymous": None, "client": ana, "other": bruno, "admin": admin}[who]
    who_name = {"client": "ana", "other": "bruno"}
    token = caller.token if caller else None

    for method, path, options in _admin_routes(spare_platform):
        reply = api.call(method, path, token=token, **options)
        if caller is None:
            assert reply.status == 401, (method, path, reply)
        elif who == "admin":
            assert _ok(reply), (method, path, reply)
        else:
            assert reply.status == 403, (method, path, reply)

    if caller is not None and who != "admin":
        listing = api.call("GET", "/metrics/", token=token)
        assert listing.status == 200
        assert {row["user_id"] for row in listing.json()} <= {caller.user_id}
        for marker in FOREIGN_MARKERS:
            assert marker not in listing.text

    if target == "own" and caller is not None:
        with unit_of_work() as session:
            own_account = session.execute(
                text("SELECT id FROM accounts WHERE user_id = :u"), {"u": caller.user_id}
            ).scalar()
        email = "admin@example.com" if who == "admin" else f"{who_name[who]}@example.com"
        routes = _user_routes(caller.user_id, own_account or 999, email)
    else:
        routes = _user_routes(carla.user_id, carla_account, "carla-foreign@example.com")

    for method, path, options in routes:
        reply = api.call(method, path, token=token, **options)
        if caller is None:
            expected_ok, expected = False, 401
        elif who == "admin" or target == "own":
            expected_ok, expected = True, 0
        else:
            expected_ok, expected = False, 404
        own_admin = who == "admin" and target == "own"
        if own_admin and (
            ("/tokens/" in path and method == "DELETE") or "account_id=" in str(options)
        ):
            expected_ok, expected = False, 404  # the admin has no account of its own
        if expected_ok:
            assert _ok(reply), (method, path, reply)
        else:
            assert reply.status == expected, (method, path, reply)
            assert reply.headers["content-type"] == "application/problem+json"
        if who in ("client", "other"):
            for marker in FOREIGN_MARKERS:
                assert marker not in reply.text, (method, path, reply)
