"""Signing (Standard Webhooks), the retry schedule and the SSRF guard, without I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random

import pytest

from socialmetrics.config import Settings
from socialmetrics.signals import retries, signing
from socialmetrics.signals.events import UnknownEventType, body, emit, envelope
from socialmetrics.signals.targets import UnsafeTarget, check_url

# The Standard Webhooks specification's own test vector.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

PROD = Settings(environment="prod", secrets_source="secretsmanager", token_key_provider="kms")
TEST = Settings(environment="test")


def test_signature_matches_the_standard_webhooks_test_vector() -> None:
    assert signing.sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_signature_is_hmac_sha256_over_id_timestamp_body_as_documented() -> None:
    secret = signing.new_secret().get_secret_value()
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    assert len(key) == 32
    expected = base64.b64encode(
        hmac.new(key, b"evt_1.1700000000.{}", hashlib.sha256).digest()
    ).decode()
    assert signing.sign(secret, "evt_1", 1700000000, b"{}") == f"v1,{expected}"


def test_verify_accepts_any_listed_signature_and_rejects_tampering_and_old_timestamps() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    headers = signing.headers([new, old], "evt_9", 1000, b'{"a":1}')
    assert headers["webhook-signature"].count("v1,") == 2
    assert signing.verify(old, headers, b'{"a":1}', now=1010) == "evt_9"
    assert signing.verify(new, headers, b'{"a":1}', now=1010) == "evt_9"
    with pytest.raises(signing.InvalidSignature):
        signing.verify(new, headers, b'{"a":2}', now=1010)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(new, headers, b'{"a":1}', now=1000 + signing.TOLERANCE_SECONDS + 1)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(new, {}, b"{}", now=1000)


def test_envelope_is_versioned_and_its_body_is_stable() -> None:
    from datetime import UTC, datetime

    payload = envelope("evt_1", "account.not_found", datetime(2026, 1, 2, tzinfo=UTC), 7, {"b": 1})
    assert payload == {
        "id": "evt_1",
        "type": "account.not_found",
        "version": 1,
        "created_at": "2026-01-02T00:00:00Z",
        "tenant": {"user_id": 7},
        "data": {"b": 1},
    }
    assert body(payload) == body(dict(reversed(payload.items())))


def test_emit_refuses_an_unknown_type_before_touching_the_session() -> None:
    with pytest.raises(UnknownEventType):
        emit(None, 1, "account.exploded", {})  # type: ignore[arg-type]


def test_retry_schedule_backs_off_with_bounded_jitter_over_about_a_day() -> None:
    rng = random.Random(7)
    delays = [retries.retry_delay(n, rng) for n in range(1, retries.MAX_ATTEMPTS)]
    assert all(d is not None for d in delays)
    for delay, base in zip(delays, retries.BASE_DELAYS, strict=True):
        assert delay is not None
        assert base * 0.9 - 1 <= delay <= base * 1.1 + 1
    total = sum(d for d in delays if d is not None)
    assert 20 * 3600 <= total <= 26 * 3600
    assert retries.retry_delay(retries.MAX_ATTEMPTS, rng) is None
    assert retries.retry_delay(0, rng) is None


def test_jitter_spreads_retries_of_many_deliveries() -> None:
    rng = random.Random(1)
    assert len({retries.retry_delay(3, rng) for _ in range(50)}) > 10


def _resolves_to(*addresses: str):  # type: ignore[no-untyped-def]
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
    ],
)
def test_deployed_settings_refuse_non_public_addresses(address: str) -> None:
    with pytest.raises(UnsafeTarget):
        check_url("https://hooks.example.com/x", PROD, _resolves_to("93.184.216.34", address))


def test_deployed_settings_need_https_and_no_credentials() -> None:
    public = _resolves_to("93.184.216.34")
    target = check_url("https://hooks.example.com:8443/in?x=1", PROD, public)
    assert (target.address, target.port, target.host_header) == (
        "93.184.216.34",
        8443,
        "hooks.example.com:8443",
    )
    assert target.connect_url == "https://93.184.216.34:8443/in?x=1"
    for url in (
        "http://hooks.example.com/x",
        "ftp://hooks.example.com/x",
        "https://user:pw@hooks.example.com/x",
        "https:///nohost",
        "https://hooks.example.com:99999/x",
        "https://" + "a" * 3000 + ".com/",
    ):
        with pytest.raises(UnsafeTarget):
            check_url(url, PROD, public)


def test_local_settings_allow_loopback_but_still_refuse_private_networks() -> None:
    target = check_url("http://localhost:9/x", TEST, _resolves_to("127.0.0.1"))
    assert target.connect_url == "http://127.0.0.1:9/x"
    assert (
        check_url("https://[::1]:9/", TEST, _resolves_to("::1")).connect_url == "https://[::1]:9/"
    )
    with pytest.raises(UnsafeTarget):
        check_url("http://router.lan/x", TEST, _resolves_to("192.168.0.1"))
    with pytest.raises(UnsafeTarget):
        check_url("http://hooks.example.com/x", TEST, _resolves_to("93.184.216.34"))


def test_a_host_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(UnsafeTarget):
        check_url("https://does-not-exist.invalid/x", PROD)
    with pytest.raises(UnsafeTarget):
        check_url("https://hooks.example.com/x", PROD, _resolves_to())
