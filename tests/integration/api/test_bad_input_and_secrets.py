"""Bad input is a 4xx problem+json that changes nothing; tokens never reach a column or a log;
failed logins are throttled per IP and per key prefix; the JWT key can come from Secrets
Manager."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from socialmetrics.db.engine import unit_of_work
from tests.integration.api.conftest import SIGNING_KEY, Person, make_person
from tests.integration.api.gateway import Api

PLANTED = "PLANTED-token-7f3a9c1e5b"


def _snapshot() -> dict[str, object]:
    with unit_of_work() as session:
        tables = ["users", "api_keys", "accounts", "consents", "audit_log", "platforms"]
        counts = {
            t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables
        }
        counts["metrics"] = session.execute(text("SELECT count(*) FROM metrics")).scalar_one()
        counts["users_rows"] = session.execute(
            text("SELECT name, email, role FROM users ORDER BY id")
        ).all()
    return counts


def _assert_problem(reply: object, low: int = 400, high: int = 499) -> None:
    assert low <= reply.status <= high, reply  # type: ignore[attr-defined]
    assert reply.headers["content-type"] == "application/problem+json", reply  # type: ignore[attr-defined]
    assert "Traceback" not in reply.text  # type: ignore[attr-defined]


SQL = "'; DROP TABLE users; --"


def test_bad_inputs_are_4xx_problems_and_change_nothing(api: Api) -> None:
    admin = make_person(api, "Admin", "admin")
    client = make_person(api, "Ana")
    before = _snapshot()
    t = client.token
    cases = [
        ("POST", "/users/register-token/", {"raw_body": "{not json", "token": t}),
        (
            "POST",
            "/users/register-token/",
            {"body": {"platform_user_id": 5, "access_token": "a", "platform_id": "3"}, "token": t},
        ),
        (
            "POST",
            "/users/register-token/",
            {"body": {"platform_user_id": "p", "access_token": "a", "platform_id": 99}, "token": t},
        ),
        (
            "POST",
            "/users/register-token/",
            {
                "body": {"platform_user_id": SQL, "access_token": "a\u0000", "platform_id": 3},
                "token": t,
            },
        ),
        (
            "POST",
            "/users/register-token/",
            {
                "body": {
                    "platform_user_id": "p",
                    "access_token": "a",
                    "platform_id": 3,
                    "expires_in": 5,
                    "expires_at": "2030-01-01T00:00:00Z",
                },
                "token": t,
            },
        ),
        ("POST", "/consent/", {"body": {"user_id": "1", "consent_given": "yes"}, "token": t}),
        (
            "POST",
            "/consent/",
            {
                "body": {"user_id": client.user_id, "consent_given": True, "purpose": SQL},
                "token": t,
            },
        ),
        ("POST", "/users/", {"body": {"name": SQL, "email": SQL}, "token": admin.token}),
        (
            "POST",
            "/users/",
            {"body": {"name": "x", "email": "a@b.co", "role": "root"}, "token": admin.token},
        ),
        (
            "POST",
            "/users/",
            {
                "raw_body": json.dumps({"name": "x" * 1_048_576, "email": "a@b.co"}),
                "token": admin.token,
            },
        ),
        ("PATCH", f"/users/{client.user_id}", {"body": {}, "token": t}),
        ("PATCH", f"/users/{client.user_id}", {"body": {"role": "admin"}, "token": t}),
        ("GET", "/metrics/", {"query": "limit=1000000000", "token": t}),
        ("GET", "/metrics/", {"query": "platform=Myspace", "token": t}),
        ("GET", "/metrics/", {"query": "start_date=2025-05-01&end_date=2025-01-01", "token": t}),
        ("GET", "/metrics/", {"query": "start_date=yesterday", "token": t}),
        ("GET", "/metrics/", {"query": "cursor=%27%3B%20DROP%20TABLE%20metrics%3B--", "token": t}),
        (
            "GET",
            "/metrics/",
            {
                "query": "metric_type=%27%3B%20DROP%20TABLE%20metrics%3B--"
                "&platform=%27%20OR%201%3D1--",
                "token": t,
            },
        ),
        ("GET", "/metrics/", {"query": "user_id=99999999999999999999", "token": t}),
        ("GET", "/metrics/summary", {"query": "interval=year", "token": t}),
        ("GET", "/metrics/summary", {"query": "agg=median", "token": t}),
        ("GET", "/metrics/summary", {"query": "cursor=bm9wZQ", "token": t}),
        ("GET", "/users/1%27%20OR%201=1", {"token": admin.token}),
        ("PUT", "/platforms/1", {"body": {"name": SQL * 3}, "token": admin.token}),
        ("DELETE", "/metrics/", {"token": t}),
        ("GET", "/nowhere", {"token": t}),
        ("POST", "/auth/login", {"body": {"api_key": 12345}}),
    ]
    for method, path, options in cases:
        reply = api.call(method, path, **options)  # type: ignore[arg-type]
        _assert_problem(reply)
    assert _snapshot() == before


def test_metric_type_with_sql_metacharacters_is_just_a_value(api: Api) -> None:
    client = make_person(api, "Ana")
    reply = api.call(
        "GET",
        "/metrics/",
        token=client.token,
        query="metric_type=%27%3B%20DROP%20TABLE%20metrics%3B--",
    )
    assert reply.status == 200
    assert reply.json() == []


def test_a_one_megabyte_body_is_413_with_and_without_content_length(api: Api) -> None:
    admin = make_person(api, "Admin", "admin")
    before = _snapshot()
    big = json.dumps({"name": "x" * 1_048_576, "email": "big@example.com"})
    reply = api.call("POST", "/users/", raw_body=big, token=admin.token)
    assert reply.status == 413, reply
    reply = api.call(
        "POST",
        "/users/",
        raw_body=big,
        token=admin.token,
        headers={"content-length": str(len(big))},
    )
    assert reply.status == 413, reply
    assert reply.headers["content-type"] == "application/problem+json"
    assert _snapshot() == before


def _scan_database_for(needle: str) -> list[str]:
    found = []
    with unit_of_work() as session:
        columns = session.execute(
            text(
                "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
                "JOIN information_schema.tables t ON t.table_name = c.table_name "
                "AND t.table_schema = c.table_schema WHERE c.table_schema = 'public' "
                "AND t.table_type = 'BASE TABLE'"
            )
        ).all()
        for table, column, data_type in columns:
            if data_type == "bytea":
                hit = session.execute(
                    text(
                        f'SELECT count(*) FROM "{table}" '
                        f'WHERE position(CAST(:n AS bytea) IN "{column}") > 0'
                    ),
                    {"n": needle.encode()},
                ).scalar_one()
            else:
                hit = session.execute(
                    text(f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS text) LIKE :n'),
                    {"n": f"%{needle}%"},
                ).scalar_one()
            if hit:
                found.append(f"{table}.{column}")
    return found


def test_a_planted_token_is_in_no_column_and_no_log_line(
    api: Api, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    from socialmetrics.accounts.service import decrypt_credentials

    caplog.set_level(logging.DEBUG)
    admin = make_person(api, "Admin", "admin")
    client = make_person(api, "Ana")
    body = {
        "platform_user_id": "planted-1",
        "access_token": PLANTED,
        "platform_id": 3,
        "refresh_token": PLANTED + "-refresh",
    }
    assert api.call("POST", "/users/register-token/", body=body, token=client.token).status == 201
    created = api.call(
        "POST",
        "/users/",
        token=admin.token,
        body={
            "name": "Eva",
            "email": "eva@example.com",
            "platform_user_id": "planted-2",
            "access_token": PLANTED,
            "platform_id": 5,
        },
    )
    assert created.status == 201
    assert (
        api.call("PUT", "/platforms/1", token=admin.token, body={"api_key": PLANTED}).status == 200
    )
    # A failing request that carries the token must not leak it either.
    assert (
        api.call(
            "POST", "/users/register-token/", token=client.token, body={**body, "platform_id": "x"}
        ).status
        == 422
    )
    with unit_of_work() as session:
        account_id = session.execute(
            text("SELECT id FROM accounts WHERE platform_user_id = 'planted-1'")
        ).scalar_one()
        access, _refresh = decrypt_credentials(session, account_id, "test", "planted-check")
    assert access.get_secret_value() == PLANTED  # it is really stored, just never in clear
    assert PLANTED not in repr(access)
    assert _scan_database_for(PLANTED) == []
    exported = api.call("GET", f"/users/{client.user_id}/export", token=client.token)
    assert exported.status == 200
    assert PLANTED not in exported.text
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    out = capsys.readouterr()
    assert PLANTED not in logged
    assert PLANTED not in out.out
    assert PLANTED not in out.err
    with unit_of_work() as session:
        actions = session.execute(text("SELECT action FROM audit_log")).scalars().all()
    assert "token.decrypt" in actions
    assert "user.export" in actions


def test_failed_logins_are_throttled_per_ip_and_per_key_prefix(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_person(api, "Ana")
    prefix = client.api_key[:16]
    wrong = client.api_key[:17] + ("A" if client.api_key[17] != "A" else "B") + client.api_key[18:]
    for attempt in range(5):
        reply = api.call(
            "POST", "/auth/login", body={"api_key": wrong}, source_ip=f"10.0.0.{attempt}"
        )
        assert reply.status == 401, reply
        assert reply.headers["www-authenticate"].startswith("Bearer")
    # Guesses at the key's prefix are now blocked, from any address …
    blocked = api.call("POST", "/auth/login", body={"api_key": wrong}, source_ip="10.9.9.9")
    assert blocked.status == 429, blocked
    assert int(blocked.headers["retry-after"]) > 0
    assert blocked.headers["content-type"] == "application/problem+json"
    # … but knowing the prefix locks nobody out: the right key still logs in.
    assert (
        api.call(
            "POST", "/auth/login", body={"api_key": client.api_key}, source_ip="10.9.9.9"
        ).status
        == 200
    )
    # One IP guessing malformed keys is blocked on its own bucket.
    for _ in range(5):
        assert (
            api.call("POST", "/auth/login", body={"api_key": "guess"}, source_ip="10.1.1.1").status
            == 401
        )
    assert (
        api.call("POST", "/auth/login", body={"api_key": "guess"}, source_ip="10.1.1.1").status
        == 429
    )
    # A correct key from that blocked address still logs in.
    assert (
        api.call(
            "POST", "/auth/login", body={"api_key": client.api_key}, source_ip="10.1.1.1"
        ).status
        == 200
    )
    with unit_of_work() as session:
        buckets = set(session.execute(text("SELECT bucket FROM login_failures")).scalars())
    assert "ip:10.1.1.1" in buckets
    assert f"key:{prefix}" not in buckets  # the owner's login cleared the prefix's backoff


def test_prefix_blocks_back_off_and_address_blocks_do_not(api: Api) -> None:
    from datetime import UTC, datetime, timedelta

    from socialmetrics.identity import throttle

    now = datetime(2026, 6, 1, tzinfo=UTC)
    window = 300
    lengths: dict[str, list[timedelta]] = {"key:sm_test_abcd1234": [], "ip:10.2.2.2": []}
    for bucket, seen in lengths.items():
        moment = now
        for _ in range(4):  # four rounds of five failures, each right after the last block
            for _ in range(5):
                with unit_of_work() as session:
                    throttle.record_failure(session, [bucket], moment, 5, window)
            with unit_of_work() as session:
                until = session.execute(
                    text("SELECT blocked_until FROM login_failures WHERE bucket = :b"),
                    {"b": bucket},
                ).scalar_one()
            seen.append(until - moment)
            moment = until + timedelta(seconds=1)
    w = timedelta(seconds=window)
    assert lengths["key:sm_test_abcd1234"] == [w, 2 * w, 4 * w, 8 * w]
    assert lengths["ip:10.2.2.2"] == [w, w, w, w]
    # After a quiet period as long as the longest block, the backoff starts over.
    later = now + timedelta(days=2)
    for _ in range(5):
        with unit_of_work() as session:
            throttle.record_failure(session, ["key:sm_test_abcd1234"], later, 5, window)
    with unit_of_work() as session:
        until = session.execute(
            text("SELECT blocked_until FROM login_failures WHERE bucket = 'key:sm_test_abcd1234'")
        ).scalar_one()
    assert until - later == w


def test_a_revoked_key_ends_its_tokens_at_the_next_request(api: Api) -> None:
    from socialmetrics.identity.service import revoke_api_key

    client = make_person(api, "Ana")
    path = f"/users/{client.user_id}"
    assert api.call("GET", path, token=client.token).status == 200
    with unit_of_work() as session:
        assert revoke_api_key(session, client.api_key[:16])
    reply = api.call("GET", path, token=client.token)
    assert reply.status == 401, reply
    assert reply.headers["content-type"] == "application/problem+json"
    assert api.call("POST", "/auth/login", body={"api_key": client.api_key}).status == 401


def test_jwt_signing_key_comes_from_secrets_manager(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialmetrics import aws, secrets
    from socialmetrics.config import get_settings

    sm = aws.client("secretsmanager")
    sm.put_secret_value(
        SecretId=get_settings().app_secret_id,
        SecretString=json.dumps({"jwt_signing_key": "from-secrets-manager-" + "k" * 40}),
    )
    monkeypatch.setenv("SECRETS_SOURCE", "secretsmanager")
    get_settings.cache_clear()
    secrets.reset_cache()
    try:
        client = make_person(api, "Ana")
        import jwt as pyjwt

        claims = pyjwt.decode(
            client.token,
            "from-secrets-manager-" + "k" * 40,
            algorithms=["HS256"],
            audience=get_settings().jwt_audience,
        )
        assert claims["sub"] == str(client.user_id)
        assert api.call("GET", f"/users/{client.user_id}", token=client.token).status == 200
    finally:
        monkeypatch.setenv("SECRETS_SOURCE", "env")
        get_settings.cache_clear()
        secrets.reset_cache()


def test_wrong_tokens_are_401_through_the_handler(api: Api, client: Person) -> None:
    forged = client.token[:-2] + ("AA" if not client.token.endswith("AA") else "BB")
    for token in (forged, "garbage", ""):
        reply = api.call("GET", f"/users/{client.user_id}", token=token or None)
        _assert_problem(reply, 401, 401)
    reply = api.call("GET", "/platforms/", headers={"authorization": "Basic Zm9vOmJhcg=="})
    _assert_problem(reply, 401, 401)
    assert Decimal(1)  # keep the import honest
    assert datetime.now(UTC)


def _craft(claims: dict[str, object], key: str = SIGNING_KEY) -> str:
    import jwt

    return jwt.encode(claims, key, algorithm="HS256")


def test_crafted_tokens_are_401_through_the_handler(api: Api, client: Person) -> None:
    import base64
    import time

    now = int(time.time())
    with unit_of_work() as session:
        key_id = session.execute(
            text("SELECT id FROM api_keys WHERE user_id = :u"), {"u": client.user_id}
        ).scalar_one()
    good = {
        "iss": "socialmetrics",
        "aud": "socialmetrics-api",
        "sub": str(client.user_id),
        "role": "client",
        "iat": now,
        "exp": now + 300,
        "jti": "x" * 32,
        "key": key_id,
    }

    def unsigned(claims: dict[str, object]) -> str:
        def part(value: dict[str, object]) -> str:
            return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

        return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."

    header, payload, signature = _craft(good).split(".")
    tampered_claims = json.loads(base64.urlsafe_b64decode(payload + "==")) | {"sub": "1"}
    tampered_payload = (
        base64.urlsafe_b64encode(json.dumps(tampered_claims).encode()).rstrip(b"=").decode()
    )
    cases = {
        "alg none": unsigned(good),
        "wrong key": _craft(good, key="another-key-that-is-also-long-enough-0123456789"),
        "expired": _craft(good | {"iat": now - 3600, "exp": now - 1800}),
        "wrong aud": _craft(good | {"aud": "someone-else"}),
        "wrong iss": _craft(good | {"iss": "evil"}),
        "tampered": f"{header}.{tampered_payload}.{signature}",
        "no key id": _craft({k: v for k, v in good.items() if k != "key"}),
        "another key id": _craft(good | {"key": key_id + 1000}),
    }
    for name, token in cases.items():
        reply = api.call("GET", f"/users/{client.user_id}", token=token)
        assert reply.status == 401, name
        assert reply.headers["content-type"] == "application/problem+json", name
    assert api.call("GET", f"/users/{client.user_id}", token=_craft(good)).status == 200
