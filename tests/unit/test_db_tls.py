"""DB_SSL_MODE turns into the TLS context pg8000 connects with."""

from __future__ import annotations

import ssl

import pytest

from socialmetrics.config import load_settings
from socialmetrics.db.engine import ssl_context


def test_disabled_by_default_for_loopback() -> None:
    assert ssl_context(load_settings()) is None


def test_verify_full_checks_certificate_and_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_SSL_MODE", "verify-full")
    context = ssl_context(load_settings())
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_require_encrypts_without_verifying(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_SSL_MODE", "require")
    context = ssl_context(load_settings())
    assert context is not None
    assert context.verify_mode == ssl.CERT_NONE
