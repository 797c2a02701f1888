"""The development certificate: created once, reused while valid, key readable by owner only."""

from __future__ import annotations

import stat
from pathlib import Path

from cryptography import x509

from local.runtime.tls import self_signed


def test_certificate_is_created_once_for_localhost(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path / "tls")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    loaded = x509.load_pem_x509_certificate(cert.read_bytes())
    names = loaded.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    again_cert, _ = self_signed(tmp_path / "tls")
    assert again_cert.read_bytes() == cert.read_bytes()


def test_a_broken_certificate_is_replaced(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path)
    cert.write_text("not a certificate")
    fresh, _ = self_signed(tmp_path)
    assert fresh.read_text().startswith("-----BEGIN CERTIFICATE-----")
