"""Signature checks against values computed here from each platform's documented algorithm."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from socialmetrics.security import webhook_signatures as sig

SECRET = "s3cr3t-app"
BODY = b'{"object":"page","entry":[{"id":"1","time":1767225600,"changes":[]}],"n":"\\u00e9"}'


def _hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _b64(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def test_meta_signature_of_the_raw_body_is_accepted() -> None:
    assert sig.verify_meta(BODY, "sha256=" + _hex(SECRET, BODY), [SECRET]) == 0


def test_meta_upper_case_hex_is_accepted() -> None:
    assert sig.verify_meta(BODY, "sha256=" + _hex(SECRET, BODY).upper(), [SECRET]) == 0


def test_meta_second_secret_reports_its_index() -> None:
    header = "sha256=" + _hex("instagram-secret", BODY)
    assert sig.verify_meta(BODY, header, [SECRET, "instagram-secret"]) == 1


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha1=" + hashlib.sha1(BODY).hexdigest(),  # noqa: S324 - the legacy header's shape
        "sha256=" + _hex("other-secret", BODY),
        "sha256=" + _hex(SECRET, BODY + b" "),
        "sha256=zz",
    ],
)
def test_meta_bad_signatures_are_rejected(header: str | None) -> None:
    with pytest.raises(sig.InvalidSignature):
        sig.verify_meta(BODY, header, [SECRET])


def test_meta_reserialised_json_does_not_verify() -> None:
    reserialised = BODY.replace(b'"\\u00e9"', '"é"'.encode())
    with pytest.raises(sig.InvalidSignature):
        sig.verify_meta(reserialised, "sha256=" + _hex(SECRET, BODY), [SECRET])


def test_x_crc_response_token_matches_the_documented_formula() -> None:
    expected = "sha256=" + _b64(SECRET, b"challenge-123")
    assert sig.x_crc_response_token(SECRET, "challenge-123") == expected


def test_x_delivery_signature() -> None:
    sig.verify_x(BODY, "sha256=" + _b64(SECRET, BODY), SECRET)
    with pytest.raises(sig.InvalidSignature):
        sig.verify_x(BODY, "sha256=" + _b64("nope", BODY), SECRET)
    with pytest.raises(sig.InvalidSignature, match="missing"):
        sig.verify_x(BODY, None, SECRET)
    with pytest.raises(sig.InvalidSignature, match="sha256="):
        sig.verify_x(BODY, _b64(SECRET, BODY), SECRET)


def test_tiktok_signature_within_the_window() -> None:
    t = 1_767_225_600
    header = f"t={t},s={_hex(SECRET, f'{t}.'.encode() + BODY)}"
    assert sig.verify_tiktok(BODY, header, SECRET, now=t + 299, tolerance_seconds=300) == t


def test_tiktok_stale_or_future_timestamp_is_rejected() -> None:
    t = 1_767_225_600
    header = f"t={t},s={_hex(SECRET, f'{t}.'.encode() + BODY)}"
    for now in (t + 301, t - 301):
        with pytest.raises(sig.InvalidSignature, match="window"):
            sig.verify_tiktok(BODY, header, SECRET, now=now, tolerance_seconds=300)


@pytest.mark.parametrize(
    "header",
    [None, "t=abc,s=00", "s=00", "t=1767225600", "t=1767225600,s=" + "0" * 64, "garbage"],
)
def test_tiktok_malformed_or_wrong_headers_are_rejected(header: str | None) -> None:
    with pytest.raises(sig.InvalidSignature):
        sig.verify_tiktok(BODY, header, SECRET, now=1_767_225_600, tolerance_seconds=300)


def test_tiktok_header_parts_may_carry_spaces() -> None:
    t = 1_767_225_600
    header = f" t={t} , s={_hex(SECRET, f'{t}.'.encode() + BODY)} "
    assert sig.verify_tiktok(BODY, header, SECRET, now=t, tolerance_seconds=300) == t


def test_sign_helpers_agree_with_the_documented_formulas() -> None:
    assert sig.sign_meta(SECRET, BODY) == "sha256=" + _hex(SECRET, BODY)
    assert sig.sign_x(SECRET, BODY) == "sha256=" + _b64(SECRET, BODY)
    t = 1_767_225_600
    assert sig.sign_tiktok(SECRET, BODY, t) == f"t={t},s={_hex(SECRET, f'{t}.'.encode() + BODY)}"
