"""Conditional GETs: an unchanged JSON read answers 304 with no body; a change gives a new ETag."""

from __future__ import annotations

from functions.api.caching import matches
from tests.factories import without_platform
from tests.integration.api.conftest import Person
from tests.integration.api.gateway import Api


def test_unchanged_reads_revalidate_with_304(api: Api, admin: Person) -> None:
    first = api.call("GET", "/platforms/", token=admin.token)
    assert first.status == 200
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = api.call("GET", "/platforms/", token=admin.token, headers={"if-none-match": etag})
    assert again.status == 304
    assert again.text == ""
    with without_platform("TikTok"):
        etag = api.call("GET", "/platforms/", token=admin.token).headers["etag"]
        created = api.call("POST", "/platforms/", token=admin.token, body={"name": "TikTok"})
        assert created.status == 201, created
        changed = api.call("GET", "/platforms/", token=admin.token, headers={"if-none-match": etag})
        assert changed.status == 200
        assert changed.headers["etag"] != etag


def test_errors_and_writes_carry_no_etag(api: Api, admin: Person) -> None:
    missing = api.call("GET", "/users/987654", token=admin.token)
    assert missing.status == 404
    assert "etag" not in missing.headers


def test_if_none_match_parsing() -> None:
    assert matches('"a", W/"b"', '"b"')
    assert matches("*", '"x"')
    assert not matches(None, '"x"')
    assert not matches('"a"', '"b"')
